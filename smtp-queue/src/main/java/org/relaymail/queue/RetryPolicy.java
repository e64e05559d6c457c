package org.relaymail.queue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;
import org.relaymail.queue.internal.Checks;

/**
 * Decides, per recipient, when an attempt that failed transiently is retried, when the queue gives
 * up (the recipient expires and the sender gets a bounce), and when a delay warning is due. A
 * permanent failure (RFC 5321 section 4.2.1, 5yz) is never retried; only pending and deferred
 * recipients are.
 *
 * <ul>
 *   <li>{@link #defaultPolicy()}: the mission's rule: retry every 15 minutes, give up after 4 hours.
 *   <li>{@link #rfc5321()}: RFC 5321 section 4.5.4.1: retries at least 30 minutes apart, growing
 *       (30 min, 1 h, 2 h, then every 3 h), a delay warning after 4 hours, give up after 5 days.
 *   <li>{@link #builder()}: a fixed interval, a list of delays (the last repeats) or exponential
 *       growth with a cap; a give-up age; an optional delay warning; jitter.
 * </ul>
 *
 * <p>Jitter only lengthens a delay (by up to the given fraction), so a minimum interval still holds
 * while a backlog does not retry in lock step. The last retry is moved to the give-up time, so a
 * message is tried once more at its deadline and then expires.
 *
 * <p>Thread-safe (immutable) when its random generator is (the default uses {@link ThreadLocalRandom};
 * a seeded {@link java.util.Random} is thread-safe too).
 */
public final class RetryPolicy {
  private final List<Duration> delays;
  private final Duration cap;
  private final double factor;
  private final Duration giveUpAfter;
  private final Optional<Duration> delayWarningAfter;
  private final double jitter;
  private final RandomGenerator random;

  private RetryPolicy(Builder b) {
    this.delays = List.copyOf(b.delays);
    this.factor = b.factor;
    this.cap = b.cap;
    this.giveUpAfter = b.giveUpAfter;
    this.delayWarningAfter = Optional.ofNullable(b.delayWarningAfter);
    this.jitter = b.jitter;
    this.random = b.random;
  }

  /**
   * The mission's policy: retry every 15 minutes; after 4 hours give up and bounce; no delay warning.
   *
   * @return the policy
   */
  public static RetryPolicy defaultPolicy() {
    return builder().fixedDelay(Duration.ofMinutes(15)).giveUpAfter(Duration.ofHours(4)).build();
  }

  /**
   * The RFC 5321 section 4.5.4.1 profile: 30 min, 1 h, 2 h, then every 3 h; a delay warning after
   * 4 hours; give up after 5 days; 10% jitter.
   *
   * @return the policy
   */
  public static RetryPolicy rfc5321() {
    return builder()
        .delays(List.of(Duration.ofMinutes(30), Duration.ofHours(1), Duration.ofHours(2), Duration.ofHours(3)))
        .delayWarningAfter(Duration.ofHours(4))
        .giveUpAfter(Duration.ofDays(5))
        .jitter(0.1)
        .build();
  }

  /**
   * Starts a custom policy (defaults: every 15 minutes, give up after 4 hours, no warning, no jitter).
   *
   * @return a builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The delay after the given number of failed attempts, before jitter.
   *
   * @param attemptsMade attempts made so far, at least 1
   * @return the delay
   */
  public Duration baseDelay(int attemptsMade) {
    if (attemptsMade < 1) {
      throw new IllegalArgumentException("attemptsMade must be >= 1: " + attemptsMade);
    }
    if (cap != null) {
      double millis = delays.get(0).toMillis() * Math.pow(factor, attemptsMade - 1);
      return millis >= cap.toMillis() ? cap : Duration.ofMillis((long) millis);
    }
    return delays.get(Math.min(attemptsMade, delays.size()) - 1);
  }

  /**
   * Decides what happens to a recipient after a failed attempt.
   *
   * @param arrivalTime when the message was enqueued
   * @param attemptsMade attempts made for the recipient, including the one that just failed (at least 1)
   * @param permanent whether the failure was permanent (5yz or a permanent local reason)
   * @param now the time of the failure
   * @return FAIL for a permanent failure, EXPIRE once the message is as old as the give-up age, else
   *     RETRY at {@code now + delay (+ jitter)}, at the latest at the give-up time
   */
  public RetryDecision decide(Instant arrivalTime, int attemptsMade, boolean permanent, Instant now) {
    Objects.requireNonNull(arrivalTime, "arrivalTime");
    Objects.requireNonNull(now, "now");
    if (permanent) {
      return RetryDecision.fail();
    }
    Instant deadline = arrivalTime.plus(giveUpAfter);
    if (!now.isBefore(deadline)) {
      return RetryDecision.expire();
    }
    Duration delay = baseDelay(attemptsMade);
    if (jitter > 0) {
      delay = delay.plusMillis((long) (delay.toMillis() * jitter * random.nextDouble()));
    }
    Instant next = now.plus(delay);
    return RetryDecision.retryAt(next.isAfter(deadline) ? deadline : next);
  }

  /**
   * Whether a delay warning (RFC 3464 action=delayed) is due for a recipient still not delivered.
   *
   * @param arrivalTime when the message was enqueued
   * @param alreadySent whether one was sent already
   * @param now the current time
   * @return true once, after the warning age, when the policy has one
   */
  public boolean delayWarningDue(Instant arrivalTime, boolean alreadySent, Instant now) {
    return !alreadySent && delayWarningAfter.isPresent() && !now.isBefore(arrivalTime.plus(delayWarningAfter.get()));
  }

  /** @return how long after arrival the queue gives up */
  public Duration giveUpAfter() {
    return giveUpAfter;
  }

  /** @return how long after arrival a delay warning is sent, if ever */
  public Optional<Duration> delayWarningAfter() {
    return delayWarningAfter;
  }

  @Override
  public String toString() {
    return "RetryPolicy[" + (cap != null ? "exponential " + delays.get(0) + " x" + factor + " cap " + cap : "delays " + delays)
        + ", giveUpAfter " + giveUpAfter + ", warn " + delayWarningAfter.map(Duration::toString).orElse("never")
        + ", jitter " + jitter + "]";
  }

  /** Builds a {@link RetryPolicy}; each setter checks its value at once. Not thread-safe. */
  public static final class Builder {
    private List<Duration> delays = List.of(Duration.ofMinutes(15));
    private double factor = 1;
    private Duration cap;
    private Duration giveUpAfter = Duration.ofHours(4);
    private Duration delayWarningAfter;
    private double jitter;
    private RandomGenerator random = new ThreadLocalRandomGenerator();

    private Builder() {}

    /**
     * Retries at a fixed interval.
     *
     * @param delay the interval, positive
     * @return this
     */
    public Builder fixedDelay(Duration delay) {
      return delays(List.of(delay));
    }

    /**
     * Retries after these delays in turn; the last one repeats.
     *
     * @param delays at least one positive delay
     * @return this
     */
    public Builder delays(List<Duration> delays) {
      if (delays.isEmpty()) {
        throw new IllegalArgumentException("at least one retry delay is needed");
      }
      delays.forEach(d -> Checks.positive("retry delay", d));
      this.delays = List.copyOf(delays);
      this.cap = null;
      this.factor = 1;
      return this;
    }

    /**
     * Retries after {@code initial}, then multiplies the delay by {@code factor} up to {@code cap}.
     *
     * @param initial the first delay, positive
     * @param factor the growth, at least 1
     * @param cap the longest delay, at least {@code initial}
     * @return this
     */
    public Builder exponential(Duration initial, double factor, Duration cap) {
      Checks.positive("initial retry delay", initial);
      Checks.positive("retry delay cap", cap);
      if (!(factor >= 1) || Double.isInfinite(factor)) {
        throw new IllegalArgumentException("exponential factor must be a finite number >= 1: " + factor);
      }
      if (cap.compareTo(initial) < 0) {
        throw new IllegalArgumentException("retry delay cap " + cap + " is below the initial delay " + initial);
      }
      this.delays = List.of(initial);
      this.factor = factor;
      this.cap = cap;
      return this;
    }

    /**
     * Sets the age (since arrival) after which a recipient expires (RFC 5321 section 4.5.4.1 suggests
     * at least 4 to 5 days; the mission asks for 4 hours).
     *
     * @param age positive
     * @return this
     */
    public Builder giveUpAfter(Duration age) {
      this.giveUpAfter = Checks.positive("giveUpAfter", age);
      return this;
    }

    /**
     * Sends a delay warning once a recipient has waited this long.
     *
     * @param age positive
     * @return this
     */
    public Builder delayWarningAfter(Duration age) {
      this.delayWarningAfter = Checks.positive("delayWarningAfter", age);
      return this;
    }

    /**
     * Sends no delay warning (the default).
     *
     * @return this
     */
    public Builder noDelayWarning() {
      this.delayWarningAfter = null;
      return this;
    }

    /**
     * Lengthens every delay by a random part of up to {@code fraction} of it.
     *
     * @param fraction 0 (none, the default) to 1
     * @return this
     */
    public Builder jitter(double fraction) {
      if (!(fraction >= 0 && fraction <= 1)) {
        throw new IllegalArgumentException("jitter must be between 0 and 1: " + fraction);
      }
      this.jitter = fraction;
      return this;
    }

    /**
     * Sets the random source for jitter (seeded in tests). Must be thread-safe if the policy is shared.
     *
     * @param random the generator
     * @return this
     */
    public Builder random(RandomGenerator random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /**
     * Builds the policy.
     *
     * @return the policy
     * @throws IllegalArgumentException if the delay warning comes after the give-up age
     */
    public RetryPolicy build() {
      if (delayWarningAfter != null && delayWarningAfter.compareTo(giveUpAfter) >= 0) {
        throw new IllegalArgumentException("delay warning after " + delayWarningAfter
            + " never comes before giving up after " + giveUpAfter);
      }
      return new RetryPolicy(this);
    }
  }

  /** Delegates to the calling thread's {@link ThreadLocalRandom}. */
  private static final class ThreadLocalRandomGenerator implements RandomGenerator {
    @Override
    public long nextLong() {
      return ThreadLocalRandom.current().nextLong();
    }
  }
}
