package org.relaymail.queue.internal;

import java.time.Duration;
import java.util.Objects;

/** Argument checks shared by the queue's value types; each message names the value and the rule. */
public final class Checks {
  private Checks() {}

  /**
   * Checks printable US-ASCII text (0x21..0x7E, or 0x20..0x7E when spaces are allowed).
   *
   * @param what the name of the value in the message
   * @param value the value
   * @param max the maximum length
   * @param spaces whether spaces are allowed
   * @return the value
   */
  public static String printable(String what, String value, int max, boolean spaces) {
    Objects.requireNonNull(value, what);
    if (value.isEmpty() || value.length() > max) {
      throw new IllegalArgumentException(what + " must be 1 to " + max + " characters: \"" + value + "\"");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c > 0x7e || c < 0x20 || (c == ' ' && !spaces)) {
        throw new IllegalArgumentException(
            what + " must be printable US-ASCII" + (spaces ? "" : " without spaces")
                + ", found U+" + String.format("%04X", (int) c) + " at index " + i + ": \"" + value + "\"");
      }
    }
    return value;
  }

  /**
   * Checks a positive duration.
   *
   * @param what the name of the value
   * @param d the duration
   * @return d
   */
  public static Duration positive(String what, Duration d) {
    Objects.requireNonNull(d, what);
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(what + " must be positive: " + d);
    }
    return d;
  }
}
