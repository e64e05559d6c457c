package org.relaymail.protocol;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.relaymail.protocol.internal.CanonicalChecker;

/**
 * Frames message content as {@code BDAT} chunks (RFC 3030 section 2): each chunk goes out as a
 * {@code BDAT n} command line followed by exactly {@code n} octets, the last one as
 * {@code BDAT n LAST}. Content is buffered up to the chunk size; a chunk is sent once more content
 * follows it, so the final chunk is never empty unless the whole message is.
 *
 * <p>A chunk's length is declared before its bytes, so content cannot be repaired on the way:
 * unless the stream was created for {@code BODY=BINARYMIME}, every chunk is checked before its
 * {@code BDAT} line is written, and a bare CR or LF throws {@link BareLineEndingException} and a line
 * over {@value #MAX_LINE_LENGTH} octets throws {@link LineTooLongException}. After either, the stream
 * refuses further writes and never sends {@code LAST}: the caller aborts the transaction with
 * {@code RSET} once the replies to the chunks already sent have been read. Canonical content (see
 * {@link MessageNormalizer}) never fails. {@code BINARYMIME} content is sent exactly as given.
 *
 * <p>The replies to the {@code BDAT} commands are not read here; that is the session's job
 * (RFC 3030 allows them to be pipelined, RFC 2920).
 *
 * <p>{@link #close()} does not send {@code LAST} (an interrupted copy must never look like a
 * complete message) and does not close the wrapped stream, which belongs to the SMTP session.
 *
 * <p>Not thread-safe: one message, one thread.
 */
public final class BdatOutputStream extends OutputStream {
  /** The longest text line allowed, in octets without CRLF (RFC 5321 section 4.5.3.1.6). */
  public static final int MAX_LINE_LENGTH = 998;

  /** The chunk size used by {@link #BdatOutputStream(OutputStream, boolean)}: 64 KiB. */
  public static final int DEFAULT_CHUNK_SIZE = 64 * 1024;

  private final OutputStream out;
  private final byte[] chunk;
  private final CanonicalChecker checker;
  private final byte[] single = new byte[1];
  private int filled;
  private long contentBytes;
  private long wireBytes;
  private int chunks;
  private boolean failed;
  private boolean finished;
  private boolean closed;

  /**
   * Wraps {@code out} with chunks of {@value #DEFAULT_CHUNK_SIZE} octets.
   *
   * @param out the connection's output stream
   * @param binaryMime true for {@code BODY=BINARYMIME} content, which is neither checked nor changed
   */
  public BdatOutputStream(OutputStream out, boolean binaryMime) {
    this(out, DEFAULT_CHUNK_SIZE, binaryMime);
  }

  /**
   * Wraps {@code out}.
   *
   * @param out the connection's output stream
   * @param chunkSize the largest chunk in octets, at least 1
   * @param binaryMime true for {@code BODY=BINARYMIME} content, which is neither checked nor changed
   * @throws IllegalArgumentException if {@code chunkSize} is less than 1
   */
  public BdatOutputStream(OutputStream out, int chunkSize, boolean binaryMime) {
    this.out = Objects.requireNonNull(out, "out");
    if (chunkSize < 1) {
      throw new IllegalArgumentException("chunkSize must be at least 1, was " + chunkSize);
    }
    this.chunk = new byte[chunkSize];
    this.checker = binaryMime ? null : new CanonicalChecker(MAX_LINE_LENGTH);
  }

  /**
   * Wraps {@code out} for content sent with {@code BODY=bodyType}: only
   * {@link BodyType#BINARY_MIME} content is sent unchecked.
   *
   * @param out the connection's output stream
   * @param chunkSize the largest chunk in octets, at least 1
   * @param bodyType the {@code BODY} parameter of the transaction's {@code MAIL} command
   * @throws IllegalArgumentException if {@code chunkSize} is less than 1
   */
  public BdatOutputStream(OutputStream out, int chunkSize, BodyType bodyType) {
    this(out, chunkSize, Objects.requireNonNull(bodyType, "bodyType") == BodyType.BINARY_MIME);
  }

  /**
   * Returns the command line that announces a chunk: {@code BDAT n CRLF} or
   * {@code BDAT n LAST CRLF} (RFC 3030 section 2).
   *
   * @param size the chunk's length in octets, 0 or more
   * @param last whether this chunk ends the message
   * @return the command line in US-ASCII, with CRLF
   * @throws IllegalArgumentException if {@code size} is negative
   */
  public static byte[] header(long size, boolean last) {
    if (size < 0) {
      throw new IllegalArgumentException("a BDAT chunk size must be 0 or more, was " + size);
    }
    return ("BDAT " + size + (last ? " LAST\r\n" : "\r\n")).getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * Writes one byte of content.
   *
   * @param b the byte (low 8 bits)
   * @throws IOException from the wrapped stream
   * @throws BareLineEndingException when a chunk about to be sent is not canonical
   * @throws LineTooLongException when a chunk about to be sent has a line that is too long
   * @throws IllegalStateException after {@link #finish()}, {@link #close()} or a failure
   */
  @Override
  public void write(int b) throws IOException {
    single[0] = (byte) b;
    write(single, 0, 1);
  }

  /**
   * Writes content; full chunks are checked and sent as more content arrives.
   *
   * @param b the content
   * @param off the start offset in {@code b}
   * @param len the number of bytes
   * @throws IOException from the wrapped stream
   * @throws BareLineEndingException when a chunk about to be sent is not canonical
   * @throws LineTooLongException when a chunk about to be sent has a line that is too long
   * @throws IllegalStateException after {@link #finish()}, {@link #close()} or a failure
   */
  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    checkWritable();
    int i = off;
    int end = off + len;
    while (i < end) {
      if (filled == chunk.length) {
        sendChunk(false);
      }
      int n = Math.min(end - i, chunk.length - filled);
      System.arraycopy(b, i, chunk, filled, n);
      filled += n;
      i += n;
    }
    contentBytes += len;
  }

  /**
   * Sends what is buffered as the last chunk, {@code BDAT n LAST}, and flushes the wrapped stream.
   * Calling it again does nothing.
   *
   * @throws IOException from the wrapped stream
   * @throws BareLineEndingException when the last chunk is not canonical (nothing is sent)
   * @throws LineTooLongException when the last chunk has a line that is too long (nothing is sent)
   * @throws IllegalStateException after {@link #close()} or a failure
   */
  public void finish() throws IOException {
    if (finished) {
      return;
    }
    checkWritable();
    sendChunk(true);
    finished = true;
    out.flush();
  }

  private void sendChunk(boolean last) throws IOException {
    if (checker != null) {
      try {
        checker.check(chunk, 0, filled);
        if (last) {
          checker.finish();
        }
      } catch (SmtpProtocolException e) {
        failed = true;
        throw e;
      }
    }
    byte[] line = header(filled, last);
    out.write(line);
    out.write(chunk, 0, filled);
    wireBytes += line.length + filled;
    chunks++;
    filled = 0;
  }

  private void checkWritable() {
    if (failed) {
      throw new IllegalStateException(
          "the content was refused (not canonical); the message must not be ended, send RSET");
    }
    if (finished) {
      throw new IllegalStateException("the message was already finished with BDAT LAST");
    }
    if (closed) {
      throw new IllegalStateException("the stream is closed");
    }
  }

  /**
   * Returns how many {@code BDAT} commands were written.
   *
   * @return the number of chunks sent
   */
  public int chunksSent() {
    return chunks;
  }

  /**
   * Returns how many content bytes were accepted through {@code write}.
   *
   * @return the content octets
   */
  public long contentBytes() {
    return contentBytes;
  }

  /**
   * Returns how many bytes went to the wrapped stream: {@code BDAT} lines and chunk content.
   *
   * @return the octets written to the wire
   */
  public long bytesWritten() {
    return wireBytes;
  }

  /**
   * Returns whether {@link #finish()} has sent the {@code LAST} chunk.
   *
   * @return true once finished
   */
  public boolean isFinished() {
    return finished;
  }

  /**
   * Flushes the wrapped stream (buffered content that does not yet fill a chunk stays buffered).
   *
   * @throws IOException from the wrapped stream
   */
  @Override
  public void flush() throws IOException {
    out.flush();
  }

  /**
   * Releases this stream without sending {@code LAST} and without closing the wrapped stream. Call
   * {@link #finish()} first to complete the message.
   */
  @Override
  public void close() {
    closed = true;
  }
}
