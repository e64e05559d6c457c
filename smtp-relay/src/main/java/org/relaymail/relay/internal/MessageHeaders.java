package org.relaymail.relay.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The header section of a canonical (CRLF) RFC 5322 message: where each field starts and ends and
 * where the body begins. The section ends at the first empty line or, as Postfix's cleanup does,
 * at the first line that is neither a field nor a continuation line (then there is no separator).
 * Immutable and thread-safe.
 *
 * @param fields the header fields in order
 * @param headerEnd offset just after the last field's CRLF
 * @param bodyStart offset of the first body byte (after the empty line when there is one)
 * @param hasSeparator true when an empty line separates header and body
 */
public record MessageHeaders(List<Field> fields, int headerEnd, int bodyStart, boolean hasSeparator) {

  /**
   * One header field.
   *
   * @param name the field name as written
   * @param start offset of its first byte
   * @param end offset after its last CRLF (continuation lines included)
   */
  public record Field(String name, int start, int end) {
    /**
     * Tells whether this field has the given name (case-insensitive).
     *
     * @param other a field name
     * @return true on a match
     */
    public boolean is(String other) {
      return name.equalsIgnoreCase(other);
    }
  }

  /** Copies. */
  public MessageHeaders {
    fields = List.copyOf(fields);
  }

  /**
   * Parses the header section.
   *
   * @param c canonical message bytes (every line ends with CRLF)
   * @return the header layout
   */
  public static MessageHeaders parse(byte[] c) {
    List<Field> fields = new ArrayList<>();
    int pos = 0;
    int len = c.length;
    while (pos < len) {
      int eol = indexOfCrlf(c, pos);
      int lineEnd = eol < 0 ? len : eol;
      int next = eol < 0 ? len : eol + 2;
      if (lineEnd == pos) {
        return new MessageHeaders(fields, pos, next, true);
      }
      byte first = c[pos];
      if ((first == ' ' || first == '\t') && !fields.isEmpty()) {
        Field last = fields.remove(fields.size() - 1);
        fields.add(new Field(last.name(), last.start(), next));
        pos = next;
        continue;
      }
      int colon = fieldNameEnd(c, pos, lineEnd);
      if (colon < 0) {
        return new MessageHeaders(fields, pos, pos, false);
      }
      String name = new String(c, pos, colon - pos, StandardCharsets.US_ASCII).trim();
      fields.add(new Field(name, pos, next));
      pos = next;
    }
    return new MessageHeaders(fields, len, len, false);
  }

  /** Index of ':' ending a valid field name (printable ASCII, optional trailing WSP), or -1. */
  private static int fieldNameEnd(byte[] c, int from, int to) {
    int i = from;
    while (i < to && c[i] >= 33 && c[i] <= 126 && c[i] != ':') {
      i++;
    }
    if (i == from) {
      return -1;
    }
    while (i < to && (c[i] == ' ' || c[i] == '\t')) {
      i++; // obsolete syntax: WSP before the colon (RFC 5322 section 4.5)
    }
    return i < to && c[i] == ':' ? i : -1;
  }

  private static int indexOfCrlf(byte[] c, int from) {
    for (int i = from; i + 1 < c.length; i++) {
      if (c[i] == '\r' && c[i + 1] == '\n') {
        return i;
      }
    }
    return -1;
  }

  /**
   * Counts the fields with a name.
   *
   * @param name the field name (case-insensitive)
   * @return how many fields have it
   */
  public int count(String name) {
    return (int) fields.stream().filter(f -> f.is(name)).count();
  }

  /**
   * Returns the unfolded value of the first field with a name, decoded as UTF-8 (RFC 6532),
   * without leading and trailing white space.
   *
   * @param c the message bytes this layout was parsed from
   * @param name the field name (case-insensitive)
   * @return the value, empty when there is no such field
   */
  public Optional<String> value(byte[] c, String name) {
    for (Field f : fields) {
      if (f.is(name)) {
        String raw = new String(c, f.start(), f.end() - f.start(), StandardCharsets.UTF_8);
        String value = raw.substring(raw.indexOf(':') + 1).replace("\r\n", "");
        return Optional.of(value.trim());
      }
    }
    return Optional.empty();
  }

  /**
   * Tells whether any header byte is above 127 (UTF-8 header fields need SMTPUTF8, RFC 6532).
   *
   * @param c the message bytes this layout was parsed from
   * @return true when the header section is not ASCII
   */
  public boolean hasNonAsciiHeader(byte[] c) {
    for (int i = 0; i < headerEnd; i++) {
      if (c[i] < 0) {
        return true;
      }
    }
    return false;
  }

  static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }
}
