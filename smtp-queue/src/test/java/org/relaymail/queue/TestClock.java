package org.relaymail.queue;

import java.time.Duration;
import java.time.Instant;

/** A clock that moves only when told to. Thread-safe. */
public final class TestClock {
  private Instant now;

  /**
   * Creates a clock.
   *
   * @param start the start time
   */
  public TestClock(Instant start) {
    this.now = start;
  }

  /** @return the current time */
  public synchronized Instant now() {
    return now;
  }

  /**
   * Moves the clock forward.
   *
   * @param d how far, not negative
   * @return the new time
   */
  public synchronized Instant advance(Duration d) {
    if (d.isNegative()) {
      throw new IllegalArgumentException("a test clock only moves forward: " + d);
    }
    now = now.plus(d);
    return now;
  }
}
