package org.relaymail.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.relaymail.protocol.internal.Text;

/**
 * An SMTP reply: a three-digit code and one or more lines of text (RFC 5321 section 4.2), with the
 * enhanced status code of RFC 3463 / RFC 2034 when the first line starts with one that agrees with
 * the code's class.
 *
 * <p>{@link #lines()} hold the text after the code and its separator, exactly as sent (the enhanced
 * code included). A reply line with no text ({@code 250}) is legal and is kept as an empty line.
 * Lines never contain CR, LF or NUL. Codes are accepted from 200 to 599.
 *
 * <p>A 4xx/5xx reply is a value, not an exception. Immutable and thread-safe.
 */
public final class SmtpReply {
  private final int code;
  private final List<String> lines;
  private final EnhancedStatus enhancedStatus;
  private final int statusPrefixLength;

  private SmtpReply(int code, List<String> lines) {
    if (code < 200 || code > 599) {
      throw new IllegalArgumentException(
          "reply code " + code + " is not in 200-599 (RFC 5321 section 4.2)");
    }
    List<String> copy = new ArrayList<>(Math.max(1, lines.size()));
    for (String line : lines) {
      Objects.requireNonNull(line, "reply line");
      if (Text.hasCrLfNul(line)) {
        throw new IllegalArgumentException(
            "reply line " + Text.quote(line) + " contains CR, LF or NUL (RFC 5321 section 4.2)");
      }
      copy.add(line);
    }
    if (copy.isEmpty()) {
      copy.add("");
    }
    this.code = code;
    this.lines = List.copyOf(copy);
    String first = copy.get(0);
    int sp = first.indexOf(' ');
    String candidate = sp < 0 ? first : first.substring(0, sp);
    EnhancedStatus status = EnhancedStatus.tryParse(candidate).orElse(null);
    if (status != null && status.statusClass() != code / 100) {
      status = null;
    }
    this.enhancedStatus = status;
    this.statusPrefixLength = status == null ? 0 : candidate.length();
  }

  /**
   * Creates a reply.
   *
   * @param code the reply code, 200-599
   * @param lines the text of each line, without code and separator; none means one empty line
   * @return the reply
   * @throws IllegalArgumentException if the code is out of range or a line contains CR, LF or NUL
   */
  public static SmtpReply of(int code, String... lines) {
    return new SmtpReply(code, List.of(lines));
  }

  /**
   * Creates a reply.
   *
   * @param code the reply code, 200-599
   * @param lines the text of each line, without code and separator; empty means one empty line
   * @return the reply
   * @throws IllegalArgumentException if the code is out of range or a line contains CR, LF or NUL
   */
  public static SmtpReply of(int code, List<String> lines) {
    return new SmtpReply(code, lines);
  }

  /**
   * Creates a reply whose every line starts with an enhanced status code (RFC 2034 section 4), as
   * a server that announced ENHANCEDSTATUSCODES sends it.
   *
   * @param code the reply code, 200-599
   * @param status the enhanced status; its class must be the code's first digit
   * @param lines the text of each line after the status code
   * @return the reply
   * @throws IllegalArgumentException if the status class does not match the code, or as {@link
   *     #of(int, String...)}
   */
  public static SmtpReply of(int code, EnhancedStatus status, String... lines) {
    Objects.requireNonNull(status, "status");
    if (status.statusClass() != code / 100) {
      throw new IllegalArgumentException(
          "enhanced status " + status + " does not match reply code " + code
              + " (RFC 3463 section 2: the class must equal the code's first digit)");
    }
    List<String> prefixed = new ArrayList<>();
    for (String line : lines.length == 0 ? new String[] {""} : lines) {
      Objects.requireNonNull(line, "reply line");
      prefixed.add(line.isEmpty() ? status.toString() : status + " " + line);
    }
    return new SmtpReply(code, prefixed);
  }

  /**
   * The three-digit reply code.
   *
   * @return 200-599
   */
  public int code() {
    return code;
  }

  /**
   * The text of each line after the code and separator, as sent (enhanced code included).
   *
   * @return an unmodifiable, non-empty list
   */
  public List<String> lines() {
    return lines;
  }

  /**
   * The enhanced status code at the start of the first line, when present and of the same class as
   * the reply code (RFC 3463 section 2, RFC 2034 section 4).
   *
   * @return the status, or empty
   */
  public Optional<EnhancedStatus> enhancedStatus() {
    return Optional.ofNullable(enhancedStatus);
  }

  /**
   * The text of all lines joined with a space, with the enhanced status code removed from every
   * line that starts with it.
   *
   * @return the human-readable text, possibly empty
   */
  public String text() {
    StringBuilder b = new StringBuilder();
    String prefix = enhancedStatus == null ? null : lines.get(0).substring(0, statusPrefixLength);
    for (String line : lines) {
      String t = line;
      if (prefix != null
          && t.startsWith(prefix)
          && (t.length() == prefix.length() || t.charAt(prefix.length()) == ' ')) {
        t = t.substring(Math.min(t.length(), prefix.length() + 1));
      }
      if (b.length() > 0 && !t.isEmpty()) {
        b.append(' ');
      }
      b.append(t);
    }
    return b.toString();
  }

  /**
   * The class of the reply (RFC 5321 section 4.2.1).
   *
   * @return the type given by the first digit
   */
  public ReplyType type() {
    return ReplyType.of(code);
  }

  /**
   * Whether this is a positive completion reply (2xx).
   *
   * @return true for 2xx
   */
  public boolean isPositive() {
    return code / 100 == 2;
  }

  /**
   * Whether this is a positive intermediate reply (3xx), e.g. 354 or 334.
   *
   * @return true for 3xx
   */
  public boolean isIntermediate() {
    return code / 100 == 3;
  }

  /**
   * Whether this is a transient negative reply (4xx).
   *
   * @return true for 4xx
   */
  public boolean isTransient() {
    return code / 100 == 4;
  }

  /**
   * Whether this is a permanent negative reply (5xx).
   *
   * @return true for 5xx
   */
  public boolean isPermanent() {
    return code / 100 == 5;
  }

  /**
   * The wire form, UTF-8: {@code 250-first\r\n250 last\r\n}; a last line without text is sent as
   * {@code 250\r\n} (RFC 5321 section 4.2).
   *
   * @return a new array
   */
  public byte[] encode() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      boolean last = i == lines.size() - 1;
      out.writeBytes(Integer.toString(code).getBytes(StandardCharsets.US_ASCII));
      if (!last) {
        out.write('-');
      } else if (!line.isEmpty()) {
        out.write(' ');
      }
      out.writeBytes(line.getBytes(StandardCharsets.UTF_8));
      out.write('\r');
      out.write('\n');
    }
    return out.toByteArray();
  }

  /** Equal when code and lines are equal. */
  @Override
  public boolean equals(Object o) {
    return o instanceof SmtpReply r && code == r.code && lines.equals(r.lines);
  }

  @Override
  public int hashCode() {
    return code * 31 + lines.hashCode();
  }

  /** One line: the code and the lines joined with a space, e.g. {@code 250 2.0.0 Ok}. */
  @Override
  public String toString() {
    return code + (lines.size() == 1 && lines.get(0).isEmpty() ? "" : " " + String.join(" ", lines));
  }
}
