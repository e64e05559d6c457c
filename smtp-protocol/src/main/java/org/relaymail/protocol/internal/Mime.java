package org.relaymail.protocol.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Small MIME helpers for delivery status reports: RFC 5322 dates, header blocks, quoted-printable
 * (RFC 2045 section 6.7). Stateless and thread-safe.
 */
public final class Mime {
  private static final DateTimeFormatter DATE =
      DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss xx", Locale.ENGLISH);
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private Mime() {}

  /** @return the RFC 5322 section 3.3 form, e.g. {@code Wed, 25 Nov 2026 01:54:24 +0000} */
  public static String formatDate(OffsetDateTime t) {
    return DATE.format(t);
  }

  /**
   * Parses an RFC 5322 date-time, ignoring comments.
   *
   * @throws java.time.DateTimeException if it is not one
   */
  public static OffsetDateTime parseDate(String s) {
    String t = s.replaceAll("\\([^)]*\\)", " ").trim().replaceAll("\\s+", " ");
    return OffsetDateTime.parse(t, DateTimeFormatter.RFC_1123_DATE_TIME);
  }

  /** One header field: name and value, unfolded, plus the physical lines of the value. */
  public record Field(String name, String value, List<String> lines) {}

  /**
   * Splits a header block (lines without their CRLF) into fields; a line starting with space or tab
   * continues the previous field.
   *
   * @throws IllegalArgumentException on a line that is neither a field nor a continuation
   */
  public static List<Field> fields(List<String> block) {
    List<Field> out = new ArrayList<>();
    String name = null;
    List<String> lines = null;
    for (String line : block) {
      if (!line.isEmpty() && (line.charAt(0) == ' ' || line.charAt(0) == '\t')) {
        if (name == null) {
          throw new IllegalArgumentException(
              "continuation line without a field: " + Text.quote(line));
        }
        lines.add(line);
        continue;
      }
      if (name != null) {
        out.add(field(name, lines));
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("not a header field (no name and colon): " + Text.quote(line));
      }
      name = line.substring(0, colon).trim();
      lines = new ArrayList<>();
      lines.add(line.substring(colon + 1));
    }
    if (name != null) {
      out.add(field(name, lines));
    }
    return out;
  }

  private static Field field(String name, List<String> lines) {
    return new Field(name, String.join("", lines).trim(), List.copyOf(lines));
  }

  /**
   * Returns the value of parameter {@code param} of a structured field such as Content-Type, or
   * null; quoted values are unquoted.
   */
  public static String parameter(String value, String param) {
    String[] parts = value.split(";");
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i].trim();
      int eq = p.indexOf('=');
      if (eq > 0 && p.substring(0, eq).trim().equalsIgnoreCase(param)) {
        String v = p.substring(eq + 1).trim();
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
          v = v.substring(1, v.length() - 1);
        }
        return v;
      }
    }
    return null;
  }

  /** @return the media type of a Content-Type value, lower-cased, without parameters */
  public static String mediaType(String contentType) {
    int semi = contentType.indexOf(';');
    return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
  }

  /** Encodes canonical CRLF text as quoted-printable, keeping its line breaks. */
  public static String encodeQuotedPrintable(byte[] text) {
    StringBuilder out = new StringBuilder(text.length + text.length / 8);
    int column = 0;
    for (int i = 0; i < text.length; i++) {
      int b = text[i] & 0xFF;
      if (b == '\r' && i + 1 < text.length && text[i + 1] == '\n') {
        out.append("\r\n");
        i++;
        column = 0;
        continue;
      }
      boolean atLineEnd = i + 1 == text.length || text[i + 1] == '\r';
      boolean literal = (b >= 33 && b <= 126 && b != '=') || ((b == ' ' || b == '\t') && !atLineEnd);
      int width = literal ? 1 : 3;
      if (column + width > 75) {
        out.append("=\r\n");
        column = 0;
      }
      if (literal) {
        out.append((char) b);
      } else {
        out.append('=').append(HEX[b >> 4]).append(HEX[b & 0xF]);
      }
      column += width;
    }
    return out.toString();
  }

  /** Decodes quoted-printable; malformed escapes are kept as they are (RFC 2045 section 6.7 note). */
  public static byte[] decodeQuotedPrintable(byte[] in) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
    for (int i = 0; i < in.length; i++) {
      byte b = in[i];
      if (b == '=') {
        if (i + 2 < in.length && in[i + 1] == '\r' && in[i + 2] == '\n') {
          i += 2;
          continue;
        }
        if (i + 2 < in.length) {
          int hi = Character.digit(in[i + 1], 16);
          int lo = Character.digit(in[i + 2], 16);
          if (hi >= 0 && lo >= 0) {
            out.write(hi << 4 | lo);
            i += 2;
            continue;
          }
        }
      }
      out.write(b);
    }
    return out.toByteArray();
  }

  /** Splits bytes at CRLF (and bare LF, leniently) into ISO-8859-1 or UTF-8 lines. */
  public static List<String> lines(byte[] b, int from, int to, boolean utf8) {
    List<String> out = new ArrayList<>();
    int start = from;
    for (int i = from; i < to; i++) {
      if (b[i] == '\n') {
        int end = i > start && b[i - 1] == '\r' ? i - 1 : i;
        out.add(new String(b, start, end - start,
            utf8 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1));
        start = i + 1;
      }
    }
    if (start < to) {
      out.add(new String(b, start, to - start, utf8 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1));
    }
    return out;
  }
}
