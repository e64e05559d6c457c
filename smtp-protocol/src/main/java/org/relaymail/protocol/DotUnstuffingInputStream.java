package org.relaymail.protocol;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * Reads message content received after {@code DATA}: the server half of RFC 5321 section 4.5.2.
 *
 * <p>The content ends only at the end-of-data marker {@code CRLF.CRLF} (a line consisting of a single
 * dot, where lines end with CRLF; at the very start, right after the {@code DATA} line, {@code .CRLF}
 * ends an empty message). Bare-LF and bare-CR look-alikes such as {@code \n.\n}, {@code \r\n.\n} or
 * {@code \n.\r\n} do not end it (the "SMTP smuggling" defence): they are content. When a line starts
 * with a dot, that dot is removed. The marker itself is not part of the content; after it,
 * {@code read} returns -1.
 *
 * <p>The stream never consumes a byte past the marker, so the wrapped stream is positioned at the
 * next command: when the wrapped stream supports {@link InputStream#mark(int)} (for example a
 * {@link java.io.BufferedInputStream}) it reads in bulk and rewinds to the marker's end; otherwise it
 * reads one byte at a time.
 *
 * <p>At most {@code maxSize} content octets are returned; one more throws
 * {@link MessageTooLargeException} (RFC 1870, reply {@code 552 5.3.4}), after which
 * {@link #discardRemaining()} skips to the marker so the session can answer and go on. A connection
 * closed before the marker throws {@link EOFException}.
 *
 * <p>{@link #close()} does not close the wrapped stream, which belongs to the SMTP session.
 *
 * <p>Not thread-safe: one message, one thread.
 */
public final class DotUnstuffingInputStream extends InputStream {
  private static final byte CR = '\r';
  private static final byte LF = '\n';
  private static final byte DOT = '.';

  /** At the start of a line (after CRLF, or at the start of the content). */
  private static final int LINE_START = 0;
  /** Inside a line. */
  private static final int IN_LINE = 1;
  /** A CR inside a line has been returned; an LF next ends the line. */
  private static final int AFTER_CR = 2;
  /** A dot at the start of a line has been read and dropped. */
  private static final int DOT_SEEN = 3;
  /** A dot and a CR at the start of a line: an LF next ends the message; the CR is held back. */
  private static final int DOT_CR = 4;

  private final InputStream in;
  private final long maxSize;
  private final boolean bulk;
  private final byte[] buf;
  private final byte[] single = new byte[1];
  private int pos;
  private int limit;
  private int state = LINE_START;
  private long size;
  private long wireBytes;
  private boolean ended;
  private boolean tooLarge;
  private boolean closed;

  /**
   * Wraps the connection's input stream, positioned right after the {@code DATA} command line.
   *
   * @param in the connection's input stream; a mark-supporting one is read in bulk
   * @param maxSize the largest content accepted, in octets after unstuffing, at least 0
   * @throws IllegalArgumentException if {@code maxSize} is negative
   */
  public DotUnstuffingInputStream(InputStream in, long maxSize) {
    this.in = Objects.requireNonNull(in, "in");
    if (maxSize < 0) {
      throw new IllegalArgumentException("maxSize must be 0 or more, was " + maxSize);
    }
    this.maxSize = maxSize;
    this.bulk = in.markSupported();
    this.buf = new byte[bulk ? 8192 : 1];
  }

  /**
   * Reads one content byte.
   *
   * @return the byte, or -1 after the end-of-data marker
   * @throws IOException from the wrapped stream
   * @throws EOFException when the connection ends before the marker
   * @throws MessageTooLargeException when the content exceeds the maximum size
   */
  @Override
  public int read() throws IOException {
    int n = read(single, 0, 1);
    return n < 0 ? -1 : single[0] & 0xFF;
  }

  /**
   * Reads content bytes, unstuffed.
   *
   * @param b where the content goes
   * @param off the start offset in {@code b}
   * @param len the most bytes to read
   * @return the number of bytes read, or -1 after the end-of-data marker
   * @throws IOException from the wrapped stream
   * @throws EOFException when the connection ends before the marker
   * @throws MessageTooLargeException when the content exceeds the maximum size
   */
  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (closed) {
      throw new IOException("the stream is closed");
    }
    if (tooLarge) {
      throw new MessageTooLargeException(maxSize);
    }
    if (len == 0) {
      return 0;
    }
    if (ended) {
      return -1;
    }
    long allowed = maxSize - size;
    // one byte beyond the limit is enough to know the content is too large
    int room = allowed >= len ? len : (int) allowed + 1;
    int n = decode(b, off, room);
    if (n < 0) {
      return -1;
    }
    if (n > allowed) {
      tooLarge = true;
      throw new MessageTooLargeException(maxSize);
    }
    size += n;
    return n;
  }

  /**
   * Reads and drops the rest of the content up to and including the end-of-data marker, ignoring
   * the size limit. Use it after {@link MessageTooLargeException} (or to refuse a message) so that
   * the session stays in step with the client.
   *
   * @return the number of content bytes dropped
   * @throws IOException from the wrapped stream
   * @throws EOFException when the connection ends before the marker
   */
  public long discardRemaining() throws IOException {
    if (closed) {
      throw new IOException("the stream is closed");
    }
    byte[] scratch = new byte[8192];
    long dropped = 0;
    for (int n; (n = decode(scratch, 0, scratch.length)) >= 0; ) {
      dropped += n;
    }
    return dropped;
  }

  /** Runs the state machine until {@code len} bytes are produced or the marker is found. */
  private int decode(byte[] b, int off, int len) throws IOException {
    if (ended) {
      return -1;
    }
    int produced = 0;
    while (produced < len) {
      if (pos == limit) {
        if (produced > 0) {
          break;
        }
        refill();
      }
      switch (state) {
        case IN_LINE: {
          int start = pos;
          int stop = Math.min(limit, pos + (len - produced));
          while (pos < stop && buf[pos] != CR) {
            pos++;
          }
          int n = pos - start;
          System.arraycopy(buf, start, b, off + produced, n);
          produced += n;
          if (pos < stop) {
            b[off + produced++] = CR;
            pos++;
            state = AFTER_CR;
          }
          break;
        }
        case AFTER_CR:
          if (buf[pos] == LF) {
            b[off + produced++] = LF;
            pos++;
            state = LINE_START;
          } else {
            state = IN_LINE;
          }
          break;
        case LINE_START:
          if (buf[pos] == DOT) {
            pos++;
            state = DOT_SEEN;
          } else {
            state = IN_LINE;
          }
          break;
        case DOT_SEEN:
          // RFC 5321 section 4.5.2: a leading dot followed by more text is deleted
          if (buf[pos] == CR) {
            pos++;
            state = DOT_CR;
          } else {
            state = IN_LINE;
          }
          break;
        case DOT_CR:
          if (buf[pos] == LF) {
            pos++;
            endOfData();
            return produced > 0 ? produced : -1;
          }
          // ".\r" then something else: the CR is content
          b[off + produced++] = CR;
          state = AFTER_CR;
          break;
        default:
          throw new IllegalStateException("unknown state " + state);
      }
    }
    return produced;
  }

  private void refill() throws IOException {
    int n;
    if (bulk) {
      do {
        // a read of 0 bytes (allowed by some streams) would leave nothing to decode: read again
        in.mark(buf.length);
        n = in.read(buf, 0, buf.length);
      } while (n == 0);
    } else {
      int c = in.read();
      n = c < 0 ? -1 : 1;
      buf[0] = (byte) c;
    }
    if (n < 0) {
      throw new EOFException("the connection ended after " + wireBytes
          + " octets of message content, before the end-of-data marker CRLF.CRLF");
    }
    pos = 0;
    limit = n;
    wireBytes += n;
  }

  private void endOfData() throws IOException {
    ended = true;
    int unread = limit - pos;
    if (bulk && unread > 0) {
      // give back what lies past the marker: rewind to the mark and skip what was used
      in.reset();
      skipFully(pos);
      wireBytes -= unread;
    }
    pos = limit;
  }

  private void skipFully(long n) throws IOException {
    while (n > 0) {
      long skipped = in.skip(n);
      if (skipped <= 0) {
        if (in.read() < 0) {
          throw new EOFException("the connection ended while skipping to the end-of-data marker");
        }
        skipped = 1;
      }
      n -= skipped;
    }
  }

  /**
   * Returns the number of content bytes returned so far (after unstuffing).
   *
   * @return the content size so far
   */
  public long size() {
    return size;
  }

  /**
   * Returns the number of bytes consumed from the wrapped stream, the marker included.
   *
   * @return the octets read from the wire
   */
  public long bytesRead() {
    return wireBytes;
  }

  /**
   * Returns whether the end-of-data marker has been read.
   *
   * @return true once the message is complete
   */
  public boolean isEnded() {
    return ended;
  }

  /** Marks this stream closed; the wrapped stream stays open. */
  @Override
  public void close() {
    closed = true;
  }
}
