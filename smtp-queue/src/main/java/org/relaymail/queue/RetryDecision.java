package org.relaymail.queue;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link RetryPolicy} decided for a recipient whose attempt did not succeed.
 *
 * <p>Thread-safe (immutable).
 *
 * @param action retry, expire or fail
 * @param nextAttemptAt when to retry; present exactly for {@link Action#RETRY}
 */
public record RetryDecision(Action action, Optional<Instant> nextAttemptAt) {
  /** The three possible decisions. */
  public enum Action {
    /** Defer and try again at {@link RetryDecision#nextAttemptAt()} (record DEFERRED). */
    RETRY,
    /** Give up: the message is too old (record EXPIRED and bounce). */
    EXPIRE,
    /** The failure is permanent: never retried (record FAILED and bounce). */
    FAIL
  }

  /**
   * Checks the decision.
   *
   * @throws IllegalArgumentException if a time is given for anything but RETRY, or missing for RETRY
   */
  public RetryDecision {
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(nextAttemptAt, "nextAttemptAt");
    if ((action == Action.RETRY) != nextAttemptAt.isPresent()) {
      throw new IllegalArgumentException("a next attempt time is given exactly for RETRY, not " + action + " with "
          + nextAttemptAt);
    }
  }

  /**
   * Retry at a time.
   *
   * @param at the time
   * @return the decision
   */
  public static RetryDecision retryAt(Instant at) {
    return new RetryDecision(Action.RETRY, Optional.of(at));
  }

  /** @return the decision to give up because the message is too old */
  public static RetryDecision expire() {
    return new RetryDecision(Action.EXPIRE, Optional.empty());
  }

  /** @return the decision to fail permanently */
  public static RetryDecision fail() {
    return new RetryDecision(Action.FAIL, Optional.empty());
  }
}
