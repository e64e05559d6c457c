package org.relaymail.queue;

import java.util.Objects;

/**
 * A message claimed by {@link QueueStore#claimDue}: its snapshot at the claim and the lease.
 *
 * <p>Thread-safe (immutable).
 *
 * @param lease the lease
 * @param message the message as it was when claimed
 */
public record ClaimedMessage(Lease lease, QueuedMessage message) {
  /**
   * Checks that the lease is for the message.
   *
   * @throws IllegalArgumentException if the ids differ
   */
  public ClaimedMessage {
    Objects.requireNonNull(lease, "lease");
    Objects.requireNonNull(message, "message");
    if (!lease.id().equals(message.id())) {
      throw new IllegalArgumentException("lease for " + lease.id() + " paired with message " + message.id());
    }
  }
}
