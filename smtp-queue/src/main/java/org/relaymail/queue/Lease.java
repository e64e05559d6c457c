package org.relaymail.queue;

import java.time.Instant;
import java.util.Objects;
import org.relaymail.queue.internal.Checks;

/**
 * The right of one worker to deliver one message until {@link #expiresAt()}. Every change a worker
 * makes is conditional on its lease: once the lease expired, or another worker claimed the message,
 * the store answers with {@link LeaseLostException}.
 *
 * <p>Thread-safe (immutable).
 *
 * @param id the leased message
 * @param token the store's unique token for this lease
 * @param expiresAt when the lease ends unless renewed
 */
public record Lease(QueueId id, String token, Instant expiresAt) {
  /**
   * Checks the lease.
   *
   * @throws IllegalArgumentException if the token is empty or not printable ASCII of at most 128 characters
   */
  public Lease {
    Objects.requireNonNull(id, "id");
    Checks.printable("lease token", token, 128, false);
    Objects.requireNonNull(expiresAt, "expiresAt");
  }

  /**
   * Whether the lease is still within its time at {@code now} (the store decides whether it is still
   * the current one).
   *
   * @param now the current time
   * @return true if {@code now} is before the expiry
   */
  public boolean isLiveAt(Instant now) {
    return now.isBefore(expiresAt);
  }
}
