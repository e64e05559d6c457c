package org.relaymail.protocol.internal;

import java.nio.charset.StandardCharsets;

/** Small text helpers shared by the codec: quoting bad input in messages, octet lengths. */
public final class Text {
  /** How many characters of bad input an error message quotes before shortening it. */
  public static final int QUOTE_LIMIT = 80;

  private Text() {}

  /**
   * Quotes {@code s} for an error message: in double quotes, control characters escaped
   * ({@code \r}, {@code \n}, {@code \0}, {@code \xNN}, {@code \\uNNNN}), shortened with "..." after
   * {@link #QUOTE_LIMIT} characters so that an attacker cannot flood the logs.
   */
  public static String quote(CharSequence s) {
    if (s == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder(Math.min(s.length(), QUOTE_LIMIT) + 8).append('"');
    int n = Math.min(s.length(), QUOTE_LIMIT);
    for (int i = 0; i < n; i++) {
      appendEscaped(b, s.charAt(i));
    }
    if (s.length() > n) {
      b.append("...");
    }
    return b.append('"').toString();
  }

  /** Quotes raw bytes (decoded as ISO-8859-1, so every byte is visible) like {@link #quote}. */
  public static String quote(byte[] buf, int off, int len) {
    StringBuilder b = new StringBuilder(Math.min(len, QUOTE_LIMIT) + 8).append('"');
    int n = Math.min(len, QUOTE_LIMIT);
    for (int i = 0; i < n; i++) {
      int c = buf[off + i] & 0xff;
      if (c >= 0x7f) {
        b.append(String.format("\\x%02X", c));
      } else {
        appendEscaped(b, (char) c);
      }
    }
    if (len > n) {
      b.append("...");
    }
    return b.append('"').toString();
  }

  private static void appendEscaped(StringBuilder b, char c) {
    switch (c) {
      case '\r' -> b.append("\\r");
      case '\n' -> b.append("\\n");
      case '\t' -> b.append("\\t");
      case '\0' -> b.append("\\0");
      case '"' -> b.append("\\\"");
      case '\\' -> b.append("\\\\");
      default -> {
        if (c < 0x20 || c == 0x7f) {
          b.append(String.format("\\x%02X", (int) c));
        } else if (Character.isISOControl(c)
            || Character.isSurrogate(c)
            || c == '\u2028'
            || c == '\u2029') {
          b.append(String.format("\\u%04X", (int) c));
        } else {
          b.append(c);
        }
      }
    }
  }

  /** Number of octets of {@code s} in UTF-8. */
  public static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  /** Whether {@code s} contains CR, LF or NUL: the characters no command parameter may carry. */
  public static boolean hasCrLfNul(CharSequence s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\r' || c == '\n' || c == '\0') {
        return true;
      }
    }
    return false;
  }

  /** Whether every character of {@code s} is US-ASCII. */
  public static boolean isAscii(CharSequence s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  /** Encodes {@code s} as UTF-8. */
  public static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
