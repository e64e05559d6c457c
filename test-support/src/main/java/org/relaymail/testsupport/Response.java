package org.relaymail.testsupport;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What the {@link ScriptedSmtpServer} does at one point of a session: send a reply, send raw
 * bytes, stay silent, wait, or drop the connection, or a sequence of these. Immutable and
 * thread-safe.
 *
 * <p>Replies are encoded by this class itself (RFC 5321 section 4.2: {@code code-text} for every
 * line but the last, {@code code SP text} for the last), independently of the codec under test.
 */
public final class Response {

  /** The kind of one step. */
  enum Kind {
    REPLY,
    RAW,
    SILENCE,
    DELAY,
    DISCONNECT
  }

  /** One step of a response. */
  record Step(Kind kind, int code, List<String> lines, byte[] raw, Duration delay) {}

  private final List<Step> steps;

  private Response(List<Step> steps) {
    this.steps = List.copyOf(steps);
  }

  /**
   * A reply with the given code and text lines (RFC 5321 section 4.2). Include an enhanced status
   * code (RFC 3463) in the text when wanted, e.g. {@code reply(550, "5.1.1 no such user")}.
   *
   * @param code a reply code, 200 to 599
   * @param lines the text of each line; none gives a single line with the code only
   * @return the response
   * @throws IllegalArgumentException if the code is out of range or a line contains CR or LF
   */
  public static Response reply(int code, String... lines) {
    if (code < 200 || code > 599) {
      throw new IllegalArgumentException("reply code must be 200..599: " + code);
    }
    List<String> list = new ArrayList<>(Arrays.asList(lines));
    for (String line : list) {
      Objects.requireNonNull(line, "line");
      if (line.indexOf('\r') >= 0 || line.indexOf('\n') >= 0) {
        throw new IllegalArgumentException("reply line must not contain CR or LF: " + line);
      }
    }
    if (list.isEmpty()) {
      list.add("");
    }
    return new Response(List.of(new Step(Kind.REPLY, code, List.copyOf(list), null, null)));
  }

  /**
   * Raw bytes sent as they are: garbage, a malformed reply, a reply without CRLF.
   *
   * @param bytes the bytes
   * @return the response
   */
  public static Response raw(byte[] bytes) {
    return new Response(List.of(new Step(Kind.RAW, 0, List.of(), bytes.clone(), null)));
  }

  /**
   * Raw text sent as UTF-8, exactly as given (include the CRLF yourself).
   *
   * @param text the text
   * @return the response
   */
  public static Response raw(String text) {
    return raw(text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A line of {@code length} 'x' characters (no reply code) followed by CRLF: longer than any
   * reply line a client should accept (RFC 5321 section 4.5.3.1.5 allows 512 octets).
   *
   * @param length the number of characters before CRLF
   * @return the response
   */
  public static Response overlongLine(int length) {
    if (length < 1) {
      throw new IllegalArgumentException("length must be positive: " + length);
    }
    byte[] b = new byte[length + 2];
    Arrays.fill(b, (byte) 'x');
    b[length] = '\r';
    b[length + 1] = '\n';
    return raw(b);
  }

  /**
   * Bytes that are not an SMTP reply: {@code "garbage\u0000\u00ff not a reply\r\n"}.
   *
   * @return the response
   */
  public static Response garbage() {
    return raw(new byte[] {'g', 'a', 'r', 'b', 'a', 'g', 'e', 0, (byte) 0xff, ' ', 'n', 'o', 't',
        ' ', 'a', ' ', 'r', 'e', 'p', 'l', 'y', '\r', '\n'});
  }

  /**
   * Nothing is sent and the session goes on reading commands: the client waits for a reply that
   * never comes (to test its timeouts).
   *
   * @return the response
   */
  public static Response silence() {
    return new Response(List.of(new Step(Kind.SILENCE, 0, List.of(), null, null)));
  }

  /**
   * The connection is closed without a reply.
   *
   * @return the response
   */
  public static Response disconnect() {
    return new Response(List.of(new Step(Kind.DISCONNECT, 0, List.of(), null, null)));
  }

  /**
   * The given response after a delay.
   *
   * @param delay how long to wait first, not negative
   * @param then what to do after the delay
   * @return the response
   */
  public static Response delayed(Duration delay, Response then) {
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay must not be negative: " + delay);
    }
    List<Step> list = new ArrayList<>();
    list.add(new Step(Kind.DELAY, 0, List.of(), null, delay));
    list.addAll(then.steps);
    return new Response(list);
  }

  /**
   * This response followed by another, e.g. {@code reply(421, "4.3.2 bye").then(disconnect())}.
   *
   * @param next what follows
   * @return the combined response
   */
  public Response then(Response next) {
    List<Step> list = new ArrayList<>(steps);
    list.addAll(next.steps);
    return new Response(list);
  }

  /**
   * This response, then the connection is closed.
   *
   * @return the combined response
   */
  public Response thenDisconnect() {
    return then(disconnect());
  }

  /**
   * The code of the first reply in this response, or 0 when it holds no reply.
   *
   * @return the code or 0
   */
  public int code() {
    for (Step s : steps) {
      if (s.kind() == Kind.REPLY) {
        return s.code();
      }
    }
    return 0;
  }

  /**
   * Whether this response closes the connection.
   *
   * @return true if it ends with or contains a disconnect
   */
  public boolean disconnects() {
    return steps.stream().anyMatch(s -> s.kind() == Kind.DISCONNECT);
  }

  List<Step> steps() {
    return steps;
  }

  /**
   * Encodes a reply's lines the way RFC 5321 section 4.2 says.
   *
   * @param code the code
   * @param lines the lines
   * @return the wire bytes
   */
  static byte[] encode(int code, List<String> lines) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < lines.size(); i++) {
      sb.append(code).append(i == lines.size() - 1 ? ' ' : '-').append(lines.get(i)).append("\r\n");
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The wire form of this response's replies and raw bytes (delays, silences and disconnects
   * produce no bytes).
   *
   * @return the bytes
   */
  public byte[] encode() {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (Step s : steps) {
      if (s.kind() == Kind.REPLY) {
        out.writeBytes(encode(s.code(), s.lines()));
      } else if (s.kind() == Kind.RAW) {
        out.writeBytes(s.raw());
      }
    }
    return out.toByteArray();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Response[");
    for (Step s : steps) {
      if (sb.length() > 9) {
        sb.append(", ");
      }
      switch (s.kind()) {
        case REPLY -> sb.append(s.code()).append(' ').append(String.join(" / ", s.lines()));
        case RAW -> sb.append("raw ").append(s.raw().length).append(" bytes");
        case DELAY -> sb.append("delay ").append(s.delay());
        default -> sb.append(s.kind().name().toLowerCase(java.util.Locale.ROOT));
      }
    }
    return sb.append(']').toString();
  }
}
