package org.relaymail.relay;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.relaymail.queue.QueueId;

/**
 * What {@link RelayClient#send(OutgoingMessage)} returns once the message is queued durably: its
 * queue id and a future for its final outcome.
 *
 * <p>The future completes in the process that accepted the message, while that {@link RelayClient}
 * runs, when every recipient is delivered, bounced or expired (possibly hours later, per the retry
 * policy). It completes exceptionally with {@link RelayClosedException} when the client is closed
 * first: the message stays queued and a later client on the same store finishes it. After a
 * restart, or when another process delivered the message from a shared queue, the outcome reaches
 * the application only through {@link RelayListener} events and queue inspection ({@link
 * RelayClient#inspect}).
 *
 * <p>Thread-safe (immutable record; the future is thread-safe).
 *
 * @param queueId the message's id in the queue
 * @param outcome completes with the per-recipient outcome
 */
public record SendReceipt(QueueId queueId, CompletableFuture<DeliveryReport> outcome) {
  /** Validates. */
  public SendReceipt {
    Objects.requireNonNull(queueId, "queueId");
    Objects.requireNonNull(outcome, "outcome");
  }
}
