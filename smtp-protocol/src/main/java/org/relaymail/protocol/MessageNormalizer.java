package org.relaymail.protocol;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Objects;
import org.relaymail.protocol.internal.CanonicalChecker;
import org.relaymail.protocol.internal.LineEncoder;

/**
 * Makes message content canonical once, before it is queued, so that the bytes stored are the bytes
 * sent: {@code SIZE} and {@code BDAT n} are exact and a DKIM signature made over them holds.
 *
 * <p>Canonical means: every line ends with CRLF (a bare CR or bare LF becomes CRLF, RFC 5321 section
 * 2.3.8), non-empty content ends with CRLF (one is appended if missing, which is what {@code DATA}
 * would add on the wire anyway), and no line is longer than {@value #MAX_LINE_LENGTH} octets without
 * its CRLF (RFC 5321 section 4.5.3.1.6) - a longer line throws {@link LineTooLongException} naming
 * the line, since splitting it would change the message. Dots are not stuffed here; that happens on
 * the wire ({@link DotStuffingOutputStream}).
 *
 * <p>{@code BODY=BINARYMIME} content (RFC 3030) is never normalised: it is sent as it is with
 * {@code BDAT}. Do not pass it to this class.
 *
 * <p>Thread-safe (stateless); the streams it returns are not.
 */
public final class MessageNormalizer {
  /** The longest text line allowed, in octets without CRLF (RFC 5321 section 4.5.3.1.6). */
  public static final int MAX_LINE_LENGTH = 998;

  private MessageNormalizer() {}

  /**
   * Returns the canonical form of {@code content} as a new array.
   *
   * @param content the message (header and body), in any line-ending convention
   * @return the canonical content; equal to the input when it was already canonical
   * @throws LineTooLongException when a line is longer than {@value #MAX_LINE_LENGTH} octets
   */
  public static byte[] normalize(byte[] content) {
    return normalize(content, MAX_LINE_LENGTH);
  }

  /**
   * Returns the content to store for a message sent with {@code BODY=bodyType}: for
   * {@link BodyType#BINARY_MIME} an unchanged copy (binary content is never normalised, RFC 3030
   * section 3), otherwise {@link #normalize(byte[])}.
   *
   * @param content the message (header and body)
   * @param bodyType the {@code BODY} parameter the message will be sent with
   * @return a new array: canonical, or the unchanged binary content
   * @throws LineTooLongException when text content has a line longer than {@value #MAX_LINE_LENGTH}
   *     octets
   */
  public static byte[] normalize(byte[] content, BodyType bodyType) {
    Objects.requireNonNull(content, "content");
    Objects.requireNonNull(bodyType, "bodyType");
    return bodyType == BodyType.BINARY_MIME ? content.clone() : normalize(content);
  }

  /**
   * Returns the canonical form of {@code content} as a new array, with another line limit.
   *
   * @param content the message (header and body), in any line-ending convention
   * @param maxLineLength the longest line allowed in octets without CRLF, at least 1
   * @return the canonical content; equal to the input when it was already canonical
   * @throws LineTooLongException when a line is longer than {@code maxLineLength} octets
   * @throws IllegalArgumentException if {@code maxLineLength} is less than 1
   */
  public static byte[] normalize(byte[] content, int maxLineLength) {
    Objects.requireNonNull(content, "content");
    checkLimit(maxLineLength);
    if (isCanonical(content, maxLineLength)) {
      return content.clone();
    }
    ByteArrayOutputStream buffer = new ByteArrayOutputStream(content.length + content.length / 16 + 2);
    LineEncoder encoder = new LineEncoder(buffer, maxLineLength, false);
    try {
      encoder.write(content, 0, content.length);
      encoder.endLastLine();
    } catch (IOException e) {
      throw new UncheckedIOException("ByteArrayOutputStream cannot fail", e);
    }
    return buffer.toByteArray();
  }

  /**
   * Tells whether {@code content} is canonical: only CRLF line endings, ending with CRLF unless
   * empty, no line longer than {@value #MAX_LINE_LENGTH} octets.
   *
   * @param content the message
   * @return true when {@link #normalize(byte[])} would return equal bytes
   */
  public static boolean isCanonical(byte[] content) {
    return isCanonical(content, MAX_LINE_LENGTH);
  }

  private static boolean isCanonical(byte[] content, int maxLineLength) {
    try {
      checkCanonical(content, maxLineLength);
      return true;
    } catch (BareLineEndingException | LineTooLongException e) {
      return false;
    }
  }

  /**
   * Checks that {@code content} is canonical and says where it is not.
   *
   * @param content the message
   * @throws BareLineEndingException naming the offset and line of the first bare CR or LF, or when
   *     non-empty content does not end with CRLF
   * @throws LineTooLongException naming the first line longer than {@value #MAX_LINE_LENGTH} octets
   */
  public static void checkCanonical(byte[] content) {
    checkCanonical(content, MAX_LINE_LENGTH);
  }

  private static void checkCanonical(byte[] content, int maxLineLength) {
    Objects.requireNonNull(content, "content");
    CanonicalChecker checker = new CanonicalChecker(maxLineLength);
    checker.check(content, 0, content.length);
    checker.finish();
    int n = content.length;
    if (n > 0 && (n < 2 || content[n - 2] != '\r' || content[n - 1] != '\n')) {
      throw new BareLineEndingException("the message content does not end with CRLF (its last line "
          + "has no line ending, at offset " + n + "); canonical content ends with CRLF", n,
          checker.lineNumber());
    }
  }

  /**
   * Copies {@code in} to {@code out}, normalising on the way, and completes the last line. Neither
   * stream is closed.
   *
   * @param in the content in any line-ending convention
   * @param out where the canonical content goes
   * @return the number of bytes written to {@code out}
   * @throws IOException from either stream
   * @throws LineTooLongException when a line is longer than {@value #MAX_LINE_LENGTH} octets
   */
  public static long normalize(InputStream in, OutputStream out) throws IOException {
    Objects.requireNonNull(in, "in");
    LineEncoder encoder = new LineEncoder(Objects.requireNonNull(out, "out"), MAX_LINE_LENGTH, false);
    byte[] buffer = new byte[16384];
    for (int n; (n = in.read(buffer)) >= 0; ) {
      encoder.write(buffer, 0, n);
    }
    encoder.endLastLine();
    return encoder.wireBytes();
  }

  /**
   * Returns a stream that normalises what is written to it into {@code out}. Its {@code close()}
   * completes the last line and then closes {@code out}.
   *
   * @param out where the canonical content goes
   * @return a normalising stream; not thread-safe
   */
  public static OutputStream normalizingStream(OutputStream out) {
    return normalizingStream(out, MAX_LINE_LENGTH);
  }

  /**
   * Returns a stream that normalises what is written to it into {@code out}, with another line
   * limit. Its {@code close()} completes the last line and then closes {@code out}.
   *
   * @param out where the canonical content goes
   * @param maxLineLength the longest line allowed in octets without CRLF, at least 1
   * @return a normalising stream; not thread-safe
   * @throws IllegalArgumentException if {@code maxLineLength} is less than 1
   */
  public static OutputStream normalizingStream(OutputStream out, int maxLineLength) {
    Objects.requireNonNull(out, "out");
    checkLimit(maxLineLength);
    LineEncoder encoder = new LineEncoder(out, maxLineLength, false);
    return new OutputStream() {
      private final byte[] single = new byte[1];
      private boolean closed;

      @Override
      public void write(int b) throws IOException {
        single[0] = (byte) b;
        write(single, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (closed) {
          throw new IOException("the normalising stream is closed");
        }
        encoder.write(b, off, len);
      }

      @Override
      public void flush() throws IOException {
        out.flush();
      }

      @Override
      public void close() throws IOException {
        if (closed) {
          return;
        }
        closed = true;
        try {
          if (!encoder.failed()) {
            encoder.endLastLine();
          }
        } finally {
          out.close();
        }
      }
    };
  }

  private static void checkLimit(int maxLineLength) {
    if (maxLineLength < 1) {
      throw new IllegalArgumentException("maxLineLength must be at least 1, was " + maxLineLength);
    }
  }
}
