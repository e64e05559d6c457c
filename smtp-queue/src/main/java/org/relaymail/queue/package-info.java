/**
 * The queue: the {@link org.relaymail.queue.QueueStore} SPI with its value types
 * ({@link org.relaymail.queue.NewMessage}, {@link org.relaymail.queue.QueuedMessage},
 * {@link org.relaymail.queue.RecipientRecord}, {@link org.relaymail.queue.Lease},
 * {@link org.relaymail.queue.RecipientOutcome}, {@link org.relaymail.queue.DeliveryAttempt}), the
 * shipped stores ({@link org.relaymail.queue.FileQueueStore}, the embedded default;
 * {@code JdbcQueueStore} for PostgreSQL; {@link org.relaymail.queue.InMemoryQueueStore}) and
 * {@link org.relaymail.queue.RetryPolicy}. Knows nothing of sockets or routing.
 *
 * <p>A store proves itself by subclassing {@code QueueStoreContractTest} from this module's test-jar.
 */
package org.relaymail.queue;
