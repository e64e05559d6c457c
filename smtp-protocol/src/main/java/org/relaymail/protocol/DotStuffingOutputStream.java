package org.relaymail.protocol;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;
import org.relaymail.protocol.internal.LineEncoder;

/**
 * Writes message content for the SMTP {@code DATA} command: the client half of RFC 5321 section
 * 4.5.2 (transparency).
 *
 * <ul>
 *   <li>A dot at the start of a line, the first line included, is doubled.
 *   <li>A bare CR and a bare LF each become CRLF, so no end-of-data look-alike ({@code \n.\n},
 *       {@code \r.\r}, {@code \r\n.\n}, ... the "SMTP smuggling" sequences) can leave through this
 *       stream: every line that starts with a dot goes out stuffed.
 *   <li>{@link #finish()} appends the end-of-data marker {@code .CRLF}, after a CRLF when the content
 *       did not end with one.
 *   <li>Lines longer than {@value #MAX_LINE_LENGTH} octets (RFC 5321 section 4.5.3.1.6; the
 *       stuffed dot is not counted) throw {@link LineTooLongException}. This is a last guard: content
 *       should be made canonical once, before it is queued, with {@link MessageNormalizer}. After the
 *       exception the stream refuses all further writes and {@link #finish()}, so the end-of-data
 *       marker is never written; the caller must abort the transaction by closing the connection.
 * </ul>
 *
 * <p>Content goes to the wrapped stream in bulk: canonical content without leading dots leaves in
 * one {@code write(b, off, len)} per call. Wrap a buffered stream when writing a few bytes at a time.
 *
 * <p>{@link #close()} does not write the end-of-data marker (an interrupted copy must never look like
 * a complete message) and does not close the wrapped stream, which belongs to the SMTP session.
 *
 * <p>Not thread-safe: one message, one thread.
 */
public final class DotStuffingOutputStream extends OutputStream {
  /** The longest text line allowed, in octets without CRLF (RFC 5321 section 4.5.3.1.6). */
  public static final int MAX_LINE_LENGTH = 998;

  private static final byte[] END_OF_DATA = {'.', '\r', '\n'};

  private final OutputStream out;
  private final LineEncoder encoder;
  private final byte[] single = new byte[1];
  private boolean finished;
  private boolean closed;

  /**
   * Wraps {@code out} with the line limit of RFC 5321, {@value #MAX_LINE_LENGTH} octets.
   *
   * @param out the connection's output stream
   */
  public DotStuffingOutputStream(OutputStream out) {
    this(out, MAX_LINE_LENGTH);
  }

  /**
   * Wraps {@code out} with another line limit (for tests, or a peer known to accept longer lines).
   *
   * @param out the connection's output stream
   * @param maxLineLength the longest line allowed in octets without CRLF, at least 1
   * @throws IllegalArgumentException if {@code maxLineLength} is less than 1
   */
  public DotStuffingOutputStream(OutputStream out, int maxLineLength) {
    this.out = Objects.requireNonNull(out, "out");
    if (maxLineLength < 1) {
      throw new IllegalArgumentException("maxLineLength must be at least 1, was " + maxLineLength);
    }
    this.encoder = new LineEncoder(out, maxLineLength, true);
  }

  /**
   * Writes one byte of content.
   *
   * @param b the byte (low 8 bits)
   * @throws IOException from the wrapped stream
   * @throws LineTooLongException when the current line becomes too long
   * @throws IllegalStateException after {@link #finish()}, {@link #close()} or a line-length failure
   */
  @Override
  public void write(int b) throws IOException {
    single[0] = (byte) b;
    write(single, 0, 1);
  }

  /**
   * Writes content, stuffing dots and repairing line endings.
   *
   * @param b the content
   * @param off the start offset in {@code b}
   * @param len the number of bytes
   * @throws IOException from the wrapped stream
   * @throws LineTooLongException when a line becomes too long (nothing more is written afterwards)
   * @throws IllegalStateException after {@link #finish()}, {@link #close()} or a line-length failure
   */
  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    checkWritable();
    encoder.write(b, off, len);
  }

  /**
   * Ends the message: completes the last line with CRLF if needed, writes {@code .CRLF} and flushes
   * the wrapped stream. Calling it again does nothing.
   *
   * @throws IOException from the wrapped stream
   * @throws IllegalStateException after {@link #close()} or a line-length failure
   */
  public void finish() throws IOException {
    if (finished) {
      return;
    }
    checkWritable();
    encoder.endLastLine();
    encoder.writeRaw(END_OF_DATA);
    finished = true;
    out.flush();
  }

  private void checkWritable() {
    if (encoder.failed()) {
      throw new IllegalStateException(
          "a line was too long; the message must not be ended, abort the transaction");
    }
    if (finished) {
      throw new IllegalStateException("the message was already finished with CRLF.CRLF");
    }
    if (closed) {
      throw new IllegalStateException("the stream is closed");
    }
  }

  /**
   * Returns how many bytes went to the wrapped stream: content, stuffed dots, repaired line endings
   * and, once finished, the end-of-data marker.
   *
   * @return the octets written to the wire
   */
  public long bytesWritten() {
    return encoder.wireBytes();
  }

  /**
   * Returns how many content bytes were accepted through {@code write}.
   *
   * @return the content octets before stuffing
   */
  public long contentBytes() {
    return encoder.contentBytes();
  }

  /**
   * Returns whether {@link #finish()} has written the end-of-data marker.
   *
   * @return true once finished
   */
  public boolean isFinished() {
    return finished;
  }

  /**
   * Flushes the wrapped stream.
   *
   * @throws IOException from the wrapped stream
   */
  @Override
  public void flush() throws IOException {
    out.flush();
  }

  /**
   * Releases this stream without writing the end-of-data marker and without closing the wrapped
   * stream. Call {@link #finish()} first to complete the message.
   */
  @Override
  public void close() {
    closed = true;
  }
}
