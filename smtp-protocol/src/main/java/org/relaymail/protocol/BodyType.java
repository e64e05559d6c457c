package org.relaymail.protocol;

import java.util.Locale;

/**
 * The BODY parameter of MAIL FROM: how the message content is encoded.
 *
 * <p>Thread-safe (enum).
 */
public enum BodyType {
  /** {@code BODY=7BIT}: lines of US-ASCII only (RFC 6152 section 2). */
  SEVEN_BIT("7BIT"),
  /** {@code BODY=8BITMIME}: 8-bit content in lines (RFC 6152 section 2). */
  EIGHT_BIT_MIME("8BITMIME"),
  /** {@code BODY=BINARYMIME}: arbitrary octets; requires BDAT (RFC 3030 section 3). */
  BINARY_MIME("BINARYMIME");

  private final String keyword;

  BodyType(String keyword) {
    this.keyword = keyword;
  }

  /**
   * The value as written on the wire.
   *
   * @return e.g. {@code "8BITMIME"}
   */
  public String keyword() {
    return keyword;
  }

  /**
   * The body type for a wire value, any case.
   *
   * @param value e.g. {@code "8bitmime"}
   * @return the body type
   * @throws IllegalArgumentException naming the value if it is none of 7BIT, 8BITMIME, BINARYMIME
   */
  public static BodyType fromKeyword(String value) {
    String v = value.toUpperCase(Locale.ROOT);
    for (BodyType t : values()) {
      if (t.keyword.equals(v)) {
        return t;
      }
    }
    throw new IllegalArgumentException(
        "BODY=" + value + " is none of 7BIT, 8BITMIME, BINARYMIME (RFC 6152, RFC 3030)");
  }
}
