package org.relaymail.protocol;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.relaymail.protocol.internal.Text;

/**
 * Incremental decoder of SMTP replies as a client reads them (RFC 5321 section 4.2): feed it bytes
 * in any chunking, get whole replies out, multi-line replies joined.
 *
 * <p>Rules:
 *
 * <ul>
 *   <li>A line is a three-digit code (first digit 2-5), then {@code '-'} (more lines follow), or
 *       {@code ' '} and text, or nothing (a bare {@code 250} is legal and ends the reply). All
 *       lines of one reply carry the same code.
 *   <li>Lines end with CRLF. A bare LF is also accepted as a line end, since some servers send it
 *       and it is unambiguous on the reply channel; a CR not followed by LF is an error.
 *   <li>Text is decoded as UTF-8 (RFC 6531 servers may send it); malformed sequences become
 *       U+FFFD. A NUL byte is an error.
 *   <li>A line longer than {@code maxLineLength} octets (without its line end), or a reply longer
 *       than {@code maxReplyBytes} octets (with line ends), is an error as soon as the limit is
 *       passed: the decoder never buffers more than the limits allow.
 * </ul>
 *
 * <p>Every error is a {@link SmtpProtocolException} quoting the offending line (control characters
 * escaped, shortened). After an error the decoder is unusable: every later {@link #feed} throws
 * {@link SmtpProtocolException} again, since the stream position is lost; close the connection.
 *
 * <p>Not thread-safe: use one decoder per connection, from one thread at a time.
 */
public final class ReplyDecoder {
  /** Default maximum line length in octets, without the line end. */
  public static final int DEFAULT_MAX_LINE_LENGTH = 2048;

  /** Default maximum reply size in octets, line ends included (64 KiB). */
  public static final int DEFAULT_MAX_REPLY_BYTES = 64 * 1024;

  private final int maxLineLength;
  private final int maxReplyBytes;
  private byte[] line = new byte[128];
  private int lineLength;
  private boolean sawCr;
  private int replyBytes;
  private int replyCode = -1;
  private final List<String> replyLines = new ArrayList<>();
  private String failure;

  /** A decoder with {@link #DEFAULT_MAX_LINE_LENGTH} and {@link #DEFAULT_MAX_REPLY_BYTES}. */
  public ReplyDecoder() {
    this(DEFAULT_MAX_LINE_LENGTH, DEFAULT_MAX_REPLY_BYTES);
  }

  /**
   * A decoder with the given limits.
   *
   * @param maxLineLength the longest line accepted, in octets without the line end; at least 3
   * @param maxReplyBytes the largest reply accepted, in octets with line ends; at least {@code
   *     maxLineLength + 2}
   * @throws IllegalArgumentException if a limit is too small
   */
  public ReplyDecoder(int maxLineLength, int maxReplyBytes) {
    if (maxLineLength < 3) {
      throw new IllegalArgumentException("maxLineLength " + maxLineLength + " is below 3");
    }
    if (maxReplyBytes < maxLineLength + 2L) {
      throw new IllegalArgumentException(
          "maxReplyBytes "
              + maxReplyBytes
              + " is smaller than one line of maxLineLength "
              + maxLineLength
              + " plus CRLF");
    }
    this.maxLineLength = maxLineLength;
    this.maxReplyBytes = maxReplyBytes;
  }

  /**
   * Feeds bytes read from the server.
   *
   * @param buf the buffer
   * @param off where the new bytes start
   * @param len how many bytes
   * @return the replies completed by these bytes, in order; empty if none
   * @throws SmtpProtocolException if the bytes are not a valid reply stream or break a limit
   * @throws IndexOutOfBoundsException if {@code off}/{@code len} are outside {@code buf}
   */
  public List<SmtpReply> feed(byte[] buf, int off, int len) {
    Objects.checkFromIndexSize(off, len, buf.length);
    if (failure != null) {
      throw new SmtpProtocolException("reply decoder is unusable after an earlier error: " + failure);
    }
    List<SmtpReply> out = null;
    int end = off + len;
    for (int i = off; i < end; i++) {
      byte b = buf[i];
      if (++replyBytes > maxReplyBytes) {
        fail("reply is longer than " + maxReplyBytes + " octets");
      }
      if (sawCr) {
        if (b != '\n') {
          fail("bare CR in reply line (lines end with CRLF, RFC 5321 section 2.3.8)");
        }
        sawCr = false;
        SmtpReply r = endLine();
        if (r != null) {
          (out == null ? out = new ArrayList<>(2) : out).add(r);
        }
      } else if (b == '\r') {
        sawCr = true;
      } else if (b == '\n') {
        SmtpReply r = endLine();
        if (r != null) {
          (out == null ? out = new ArrayList<>(2) : out).add(r);
        }
      } else if (b == 0) {
        append(b);
        fail("NUL byte in reply line");
      } else {
        if (lineLength >= maxLineLength) {
          append(b);
          fail("reply line is longer than " + maxLineLength + " octets");
        }
        append(b);
      }
    }
    return out == null ? List.of() : out;
  }

  /**
   * Whether bytes of an unfinished reply are buffered: true if the stream ended now, a reply would
   * be cut off.
   *
   * @return true while a reply is incomplete
   */
  public boolean hasPartialReply() {
    return failure == null && (lineLength > 0 || sawCr || !replyLines.isEmpty());
  }

  private void append(byte b) {
    if (lineLength == line.length) {
      line = Arrays.copyOf(line, Math.min(Math.max(16, line.length * 2), maxLineLength + 1));
    }
    line[lineLength++] = b;
  }

  private SmtpReply endLine() {
    if (lineLength < 3) {
      fail("reply line is shorter than a three-digit code (RFC 5321 section 4.2)");
    }
    byte d0 = line[0];
    byte d1 = line[1];
    byte d2 = line[2];
    if (d0 < '2' || d0 > '5' || d1 < '0' || d1 > '9' || d2 < '0' || d2 > '9') {
      fail("reply line does not start with a code 200-599 (RFC 5321 section 4.2)");
    }
    int code = (d0 - '0') * 100 + (d1 - '0') * 10 + (d2 - '0');
    boolean more = false;
    if (lineLength > 3) {
      byte sep = line[3];
      if (sep == '-') {
        more = true;
      } else if (sep != ' ') {
        fail("reply code is followed by neither ' ' nor '-' (RFC 5321 section 4.2)");
      }
    }
    if (replyCode >= 0 && code != replyCode) {
      fail("line of a multi-line reply has code " + code + " instead of " + replyCode
          + " (RFC 5321 section 4.2)");
    }
    String text =
        lineLength > 4 ? new String(line, 4, lineLength - 4, StandardCharsets.UTF_8) : "";
    replyCode = code;
    replyLines.add(text);
    lineLength = 0;
    if (line.length > 4096) {
      line = new byte[128];
    }
    if (more) {
      return null;
    }
    SmtpReply reply = SmtpReply.of(code, replyLines);
    replyLines.clear();
    replyCode = -1;
    replyBytes = 0;
    return reply;
  }

  private void fail(String why) {
    failure = why + ": " + Text.quote(line, 0, lineLength);
    lineLength = 0;
    replyLines.clear();
    throw new SmtpProtocolException("Malformed SMTP reply, " + failure);
  }
}
