package org.relaymail.queue;

import java.util.Locale;

/**
 * The body type of a queued message, as declared with MAIL FROM's BODY parameter (RFC 6152 section 2,
 * RFC 3030 section 3). Stored as its ESMTP keyword; the relay maps it to the codec's parameter.
 *
 * <p>Thread-safe (immutable).
 */
public enum BodyKind {
  /** 7-bit data (the default, no BODY parameter). */
  SEVEN_BIT("7BIT"),
  /** 8-bit MIME (RFC 6152). */
  EIGHT_BIT_MIME("8BITMIME"),
  /** Binary MIME, needs CHUNKING (RFC 3030). */
  BINARY_MIME("BINARYMIME");

  private final String keyword;

  BodyKind(String keyword) {
    this.keyword = keyword;
  }

  /**
   * The ESMTP keyword.
   *
   * @return "7BIT", "8BITMIME" or "BINARYMIME"
   */
  public String keyword() {
    return keyword;
  }

  /**
   * Looks a body type up by its ESMTP keyword, ignoring case.
   *
   * @param keyword the keyword
   * @return the body type
   * @throws IllegalArgumentException if the keyword is none of the three
   */
  public static BodyKind fromKeyword(String keyword) {
    for (BodyKind t : values()) {
      if (t.keyword.equals(keyword.toUpperCase(Locale.ROOT))) {
        return t;
      }
    }
    throw new IllegalArgumentException("BODY must be 7BIT, 8BITMIME or BINARYMIME: \"" + keyword + "\"");
  }
}
