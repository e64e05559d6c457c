package org.relaymail.queue;

/**
 * The delivery state of one recipient of a queued message. States only move forward:
 * {@link #PENDING} to {@link #DEFERRED} (any number of times) to one of the final states
 * {@link #DELIVERED}, {@link #FAILED} or {@link #EXPIRED}; a final state never changes.
 *
 * <p>Thread-safe (immutable).
 */
public enum RecipientState {
  /** Not tried yet. */
  PENDING,
  /** Tried; the last attempt failed transiently (RFC 5321 section 4.2.1, 4yz) and it will be retried. */
  DEFERRED,
  /** Accepted by the remote MTA (a 250 to the end of data, RFC 5321 section 4.1.1.4). Final. */
  DELIVERED,
  /** Permanently refused (5yz) or given up for another permanent reason. Final. */
  FAILED,
  /** Still undeliverable when the retry policy gave up (RFC 5321 section 4.5.4.1). Final. */
  EXPIRED;

  /**
   * Whether this state is final (delivered, failed or expired).
   *
   * @return true for {@link #DELIVERED}, {@link #FAILED} and {@link #EXPIRED}
   */
  public boolean isFinal() {
    return this == DELIVERED || this == FAILED || this == EXPIRED;
  }

  /**
   * Whether a recipient in this state may move to {@code next}: forward only, a final state never
   * changes, {@link #DEFERRED} may repeat.
   *
   * @param next the proposed state
   * @return true if the move is allowed
   */
  public boolean canMoveTo(RecipientState next) {
    if (isFinal()) {
      return false;
    }
    return next != PENDING;
  }
}
