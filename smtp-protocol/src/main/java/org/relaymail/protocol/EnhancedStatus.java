package org.relaymail.protocol;

import java.util.Objects;
import java.util.Optional;
import org.relaymail.protocol.internal.Text;

/**
 * An enhanced mail system status code, {@code class.subject.detail} (RFC 3463 section 2), such as
 * {@code 5.1.1} (bad destination mailbox address).
 *
 * <p>Immutable and thread-safe.
 *
 * @param statusClass 2 (success), 4 (persistent transient failure) or 5 (permanent failure)
 * @param subject 0-999
 * @param detail 0-999
 */
public record EnhancedStatus(int statusClass, int subject, int detail) {
  /** 2.0.0: other or undefined success. */
  public static final EnhancedStatus OK = new EnhancedStatus(2, 0, 0);

  /** 4.0.0: other or undefined transient failure. */
  public static final EnhancedStatus TRANSIENT_FAILURE = new EnhancedStatus(4, 0, 0);

  /** 5.0.0: other or undefined permanent failure. */
  public static final EnhancedStatus PERMANENT_FAILURE = new EnhancedStatus(5, 0, 0);

  /**
   * Checks the parts.
   *
   * @param statusClass 2, 4 or 5
   * @param subject 0-999
   * @param detail 0-999
   * @throws IllegalArgumentException if the class is not 2, 4 or 5, or subject or detail is not in
   *     0-999 (RFC 3463 section 2)
   */
  public EnhancedStatus {
    if (statusClass != 2 && statusClass != 4 && statusClass != 5) {
      throw new IllegalArgumentException(
          "enhanced status class " + statusClass + " is not 2, 4 or 5 (RFC 3463 section 2)");
    }
    if (subject < 0 || subject > 999 || detail < 0 || detail > 999) {
      throw new IllegalArgumentException(
          "enhanced status "
              + statusClass
              + "."
              + subject
              + "."
              + detail
              + ": subject and detail must be 0-999 (RFC 3463 section 2)");
    }
  }

  /**
   * Returns the status {@code statusClass.subject.detail}.
   *
   * @param statusClass 2, 4 or 5
   * @param subject 0-999
   * @param detail 0-999
   * @return the status
   * @throws IllegalArgumentException if a part is out of range
   */
  public static EnhancedStatus of(int statusClass, int subject, int detail) {
    return new EnhancedStatus(statusClass, subject, detail);
  }

  /**
   * Parses {@code class.subject.detail}, e.g. {@code "5.1.1"}; each of subject and detail has one
   * to three digits.
   *
   * @param s the text
   * @return the status
   * @throws IllegalArgumentException naming the text if it is not an enhanced status code
   */
  public static EnhancedStatus parse(String s) {
    Objects.requireNonNull(s, "s");
    return tryParse(s)
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "not an enhanced status code: "
                        + Text.quote(s)
                        + "; expected class.subject.detail such as 5.1.1 (RFC 3463 section 2)"));
  }

  /**
   * Parses {@code class.subject.detail} like {@link #parse(String)}, returning empty instead of
   * throwing.
   *
   * @param s the text
   * @return the status, or empty if {@code s} is not exactly an enhanced status code
   */
  public static Optional<EnhancedStatus> tryParse(String s) {
    if (s == null || s.length() < 5 || s.length() > 9) {
      return Optional.empty();
    }
    char c = s.charAt(0);
    if ((c != '2' && c != '4' && c != '5') || s.charAt(1) != '.') {
      return Optional.empty();
    }
    int dot = s.indexOf('.', 2);
    if (dot < 0) {
      return Optional.empty();
    }
    int subject = digits(s, 2, dot);
    int detail = digits(s, dot + 1, s.length());
    if (subject < 0 || detail < 0) {
      return Optional.empty();
    }
    return Optional.of(new EnhancedStatus(c - '0', subject, detail));
  }

  /** Value of 1-3 ASCII digits in s[from, to), or -1. */
  private static int digits(String s, int from, int to) {
    if (to - from < 1 || to - from > 3) {
      return -1;
    }
    int v = 0;
    for (int i = from; i < to; i++) {
      char d = s.charAt(i);
      if (d < '0' || d > '9') {
        return -1;
      }
      v = v * 10 + (d - '0');
    }
    return v;
  }

  /**
   * Whether this is a success (class 2).
   *
   * @return true for 2.x.x
   */
  public boolean isSuccess() {
    return statusClass == 2;
  }

  /**
   * Whether this is a persistent transient failure (class 4).
   *
   * @return true for 4.x.x
   */
  public boolean isTransient() {
    return statusClass == 4;
  }

  /**
   * Whether this is a permanent failure (class 5).
   *
   * @return true for 5.x.x
   */
  public boolean isPermanent() {
    return statusClass == 5;
  }

  /** The code as written on the wire, e.g. {@code "5.1.1"}. */
  @Override
  public String toString() {
    return statusClass + "." + subject + "." + detail;
  }
}
