/**
 * The queue: the {@code QueueStore} SPI, the shipped stores ({@code FileQueueStore},
 * {@code JdbcQueueStore}, {@code InMemoryQueueStore}) and {@code RetryPolicy}. Knows nothing of
 * sockets or routing.
 */
package org.relaymail.queue;
