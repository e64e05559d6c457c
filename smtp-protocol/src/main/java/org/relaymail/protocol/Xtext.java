package org.relaymail.protocol;

import java.util.Objects;
import org.relaymail.protocol.internal.Text;

/**
 * The xtext encoding of RFC 3461 section 4, used by the ENVID, ORCPT and AUTH= parameters: every
 * printable ASCII character from {@code !} to {@code ~} except {@code +} and {@code =} stands for
 * itself, every other octet is written {@code +XX} with two upper-case hex digits.
 *
 * <p>Thread-safe (stateless).
 */
public final class Xtext {
  private Xtext() {}

  /**
   * Encodes US-ASCII text as xtext.
   *
   * @param text the text; US-ASCII only
   * @return the xtext
   * @throws IllegalArgumentException naming the text if it holds a non-ASCII character
   */
  public static String encode(String text) {
    Objects.requireNonNull(text, "text");
    StringBuilder b = new StringBuilder(text.length() + 8);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= 0x80) {
        throw new IllegalArgumentException(
            "xtext can only carry US-ASCII, but " + Text.quote(text)
                + " is not ASCII (RFC 3461 section 4)");
      }
      if (c >= '!' && c <= '~' && c != '+' && c != '=') {
        b.append(c);
      } else {
        b.append('+').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return b.toString();
  }

  /**
   * Decodes xtext. Lower-case hex digits are accepted too.
   *
   * @param xtext the encoded text
   * @return the decoded US-ASCII text
   * @throws IllegalArgumentException naming the input if it is not xtext or decodes to a
   *     non-ASCII octet
   */
  public static String decode(String xtext) {
    Objects.requireNonNull(xtext, "xtext");
    StringBuilder b = new StringBuilder(xtext.length());
    for (int i = 0; i < xtext.length(); i++) {
      char c = xtext.charAt(i);
      if (c == '+') {
        int hi = i + 1 < xtext.length() ? hex(xtext.charAt(i + 1)) : -1;
        int lo = i + 2 < xtext.length() ? hex(xtext.charAt(i + 2)) : -1;
        if (hi < 0 || lo < 0) {
          throw new IllegalArgumentException(
              "invalid xtext " + Text.quote(xtext)
                  + ": '+' must be followed by two hex digits (RFC 3461 section 4)");
        }
        int v = hi * 16 + lo;
        if (v >= 0x80) {
          throw new IllegalArgumentException(
              "invalid xtext " + Text.quote(xtext)
                  + ": +" + xtext.substring(i + 1, i + 3) + " is not US-ASCII (RFC 3461 section 4)");
        }
        b.append((char) v);
        i += 2;
      } else if (c >= '!' && c <= '~' && c != '=') {
        b.append(c);
      } else {
        throw new IllegalArgumentException(
            "invalid xtext " + Text.quote(xtext) + ": " + Text.quote(String.valueOf(c))
                + " must be hex-encoded as +XX (RFC 3461 section 4)");
      }
    }
    return b.toString();
  }

  private static int hex(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    return -1;
  }
}
