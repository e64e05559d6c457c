package org.relaymail.queue;

import java.util.Objects;
import java.util.Optional;

/**
 * The result of one {@link AttemptRecord} in {@link QueueStore#recordAttempts}: the message after
 * the update (and whether it was removed), or the lost lease.
 *
 * <p>Thread-safe (immutable).
 *
 * @param lease the lease the entry named
 * @param message the message after the update; empty when the lease was lost
 * @param completed true when the message was removed from the queue ({@link AttemptRecord#done}
 *     held after the update and {@link AttemptRecord#completeIfDone()} was set)
 * @param leaseLost the lease failure, as {@link QueueStore#recordAttempt} would have thrown it
 *     (DELIVERED outcomes were recorded nonetheless); empty on success
 */
public record RecordedAttempt(
    Lease lease, Optional<QueuedMessage> message, boolean completed, Optional<LeaseLostException> leaseLost) {
  /**
   * Checks the result.
   *
   * @throws IllegalArgumentException unless exactly one of message and leaseLost is present, or
   *     when a lost lease is marked completed
   */
  public RecordedAttempt {
    Objects.requireNonNull(lease, "lease");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(leaseLost, "leaseLost");
    if (message.isPresent() == leaseLost.isPresent()) {
      throw new IllegalArgumentException("exactly one of message and leaseLost must be present");
    }
    if (completed && leaseLost.isPresent()) {
      throw new IllegalArgumentException("a message whose lease was lost cannot be completed");
    }
  }

  /**
   * A recorded attempt.
   *
   * @param lease the lease
   * @param message the message after the update
   * @param completed whether it was removed
   * @return the result
   */
  public static RecordedAttempt recorded(Lease lease, QueuedMessage message, boolean completed) {
    return new RecordedAttempt(lease, Optional.of(message), completed, Optional.empty());
  }

  /**
   * A lost lease.
   *
   * @param lease the lease
   * @param e the failure
   * @return the result
   */
  public static RecordedAttempt lost(Lease lease, LeaseLostException e) {
    return new RecordedAttempt(lease, Optional.empty(), false, Optional.of(e));
  }
}
