package org.relaymail.protocol;

/**
 * The class of an SMTP reply, given by the first digit of its code (RFC 5321 section 4.2.1).
 *
 * <p>Thread-safe (enum).
 */
public enum ReplyType {
  /** 2yz: the requested action was completed. */
  POSITIVE_COMPLETION,
  /** 3yz: accepted, waiting for more information (e.g. 354 after DATA, 334 during AUTH). */
  POSITIVE_INTERMEDIATE,
  /** 4yz: not accepted, but the condition is temporary; try again later. */
  TRANSIENT_NEGATIVE,
  /** 5yz: not accepted, and repeating the same request will not help. */
  PERMANENT_NEGATIVE;

  /**
   * The type of a reply code.
   *
   * @param code a three-digit reply code, 200-599
   * @return the type given by its first digit
   * @throws IllegalArgumentException if {@code code} is not in 200-599
   */
  public static ReplyType of(int code) {
    return switch (code / 100) {
      case 2 -> POSITIVE_COMPLETION;
      case 3 -> POSITIVE_INTERMEDIATE;
      case 4 -> TRANSIENT_NEGATIVE;
      case 5 -> PERMANENT_NEGATIVE;
      default ->
          throw new IllegalArgumentException(
              "reply code " + code + " is not in 200-599 (RFC 5321 section 4.2)");
    };
  }
}
