/**
 * {@code RelayClient}, the front door: {@code send()} queues a message durably and delivery workers
 * route it by MX or through a smarthost, retry it and bounce it.
 */
package org.relaymail.relay;
