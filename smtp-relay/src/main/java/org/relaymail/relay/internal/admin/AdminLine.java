package org.relaymail.relay.internal.admin;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One line of the admin protocol: a word, then {@code key=value} fields separated by single spaces.
 * The word and the keys are ASCII letters, digits, {@code -}, {@code .} and {@code _}; values are percent-escaped UTF-8 in which every byte outside
 * {@code 0x21..0x7E}, and {@code %} itself, is written {@code %XX}, so a value can hold anything
 * (spaces, CR, LF, any Unicode) and a line is always printable US-ASCII without CR or LF. A key may
 * repeat (a list). Immutable and thread-safe.
 *
 * @param word what the line is (a request's operation, a response line's kind)
 * @param fields the fields in order
 */
public record AdminLine(String word, List<Map.Entry<String, String>> fields) {

  /**
   * Checks the line.
   *
   * @throws IllegalArgumentException if the word or a key is empty, longer than 64 characters or
   *     holds another character
   */
  public AdminLine {
    requireWord(word, "word");
    fields = List.copyOf(fields);
    for (Map.Entry<String, String> f : fields) {
      requireWord(f.getKey(), "key");
      Objects.requireNonNull(f.getValue(), "value");
    }
  }

  private static void requireWord(String w, String what) {
    Objects.requireNonNull(w, what);
    if (w.isEmpty() || w.length() > 64) {
      throw new IllegalArgumentException("an admin protocol " + what + " must be 1 to 64 characters: \"" + w + "\"");
    }
    for (int i = 0; i < w.length(); i++) {
      char c = w.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
          || (c >= 'A' && c <= 'Z'))) {
        throw new IllegalArgumentException("an admin protocol " + what + " holds only letters, digits, '-', '.' and '_': \""
            + escape(w) + "\"");
      }
    }
  }

  /**
   * Starts building a line.
   *
   * @param word the line's word
   * @return a builder (not thread-safe)
   */
  public static Builder of(String word) {
    return new Builder(word);
  }

  /**
   * The first value of a key.
   *
   * @param key the key
   * @return its value, or empty when the line does not have it
   */
  public Optional<String> get(String key) {
    for (Map.Entry<String, String> f : fields) {
      if (f.getKey().equals(key)) {
        return Optional.of(f.getValue());
      }
    }
    return Optional.empty();
  }

  /**
   * The value of a key the line must have.
   *
   * @param key the key
   * @return its value
   * @throws IllegalArgumentException if the line does not have it
   */
  public String require(String key) {
    return get(key).orElseThrow(() -> new IllegalArgumentException("'" + word + "' needs the field " + key + "="));
  }

  /**
   * Every value of a repeated key, in order.
   *
   * @param key the key
   * @return the values, empty when none
   */
  public List<String> all(String key) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, String> f : fields) {
      if (f.getKey().equals(key)) {
        out.add(f.getValue());
      }
    }
    return out;
  }

  /**
   * The line as sent, without its line feed.
   *
   * @return printable US-ASCII
   */
  public String encode() {
    StringBuilder sb = new StringBuilder(word);
    for (Map.Entry<String, String> f : fields) {
      sb.append(' ').append(f.getKey()).append('=').append(escape(f.getValue()));
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return encode();
  }

  /**
   * Parses a line as received (without its line feed).
   *
   * @param line the line
   * @return the parsed line
   * @throws IllegalArgumentException naming what is wrong: a character outside printable US-ASCII,
   *     an empty field, a field without {@code =}, a bad escape or bytes that are not UTF-8
   */
  public static AdminLine parse(String line) {
    Objects.requireNonNull(line, "line");
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        throw new IllegalArgumentException("an admin protocol line holds printable US-ASCII only; found U+"
            + String.format("%04X", (int) c) + " at index " + i);
      }
    }
    String[] parts = line.split(" ", -1);
    List<Map.Entry<String, String>> fields = new ArrayList<>(parts.length - 1);
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i];
      int eq = p.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("field " + i + " of an admin protocol line is not key=value: \"" + p + "\"");
      }
      fields.add(Map.entry(p.substring(0, eq), unescape(p.substring(eq + 1))));
    }
    return new AdminLine(parts[0], fields);
  }

  /**
   * Percent-escapes a value: UTF-8, every byte outside {@code 0x21..0x7E} and {@code %} as {@code %XX}.
   *
   * @param value any text
   * @return printable US-ASCII without spaces
   */
  public static String escape(String value) {
    byte[] b = value.getBytes(StandardCharsets.UTF_8);
    StringBuilder sb = new StringBuilder(b.length + 8);
    for (byte x : b) {
      int c = x & 0xff;
      if (c > 0x20 && c < 0x7f && c != '%') {
        sb.append((char) c);
      } else {
        sb.append('%').append(HEX[c >> 4]).append(HEX[c & 15]);
      }
    }
    return sb.toString();
  }

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  /**
   * Reverses {@link #escape}.
   *
   * @param text escaped text
   * @return the value
   * @throws IllegalArgumentException on a truncated or non-hex escape, or bytes that are not UTF-8
   */
  public static String unescape(String text) {
    if (text.indexOf('%') < 0) {
      return text;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c != '%') {
        out.write(c);
        continue;
      }
      if (i + 2 >= text.length()) {
        throw new IllegalArgumentException("truncated %-escape at index " + i + " of \"" + text + "\"");
      }
      int hi = Character.digit(text.charAt(i + 1), 16);
      int lo = Character.digit(text.charAt(i + 2), 16);
      if (hi < 0 || lo < 0) {
        throw new IllegalArgumentException("bad %-escape \"" + text.substring(i, i + 3) + "\" at index " + i);
      }
      out.write(hi << 4 | lo);
      i += 2;
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(out.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("an escaped value is not UTF-8: \"" + text + "\"", e);
    }
  }

  /** Builds an {@link AdminLine}. Not thread-safe. */
  public static final class Builder {
    private final String word;
    private final List<Map.Entry<String, String>> fields = new ArrayList<>();

    private Builder(String word) {
      this.word = word;
    }

    /**
     * Adds a field.
     *
     * @param key the key
     * @param value the value (any text)
     * @return this
     */
    public Builder put(String key, Object value) {
      fields.add(Map.entry(key, String.valueOf(Objects.requireNonNull(value, key))));
      return this;
    }

    /**
     * Adds a field when the value is present.
     *
     * @param key the key
     * @param value the value, if any
     * @return this
     */
    public Builder put(String key, Optional<?> value) {
      value.ifPresent(v -> put(key, v));
      return this;
    }

    /**
     * Builds the line.
     *
     * @return the line
     */
    public AdminLine build() {
      return new AdminLine(word, fields);
    }
  }
}
