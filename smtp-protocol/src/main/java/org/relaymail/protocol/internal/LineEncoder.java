package org.relaymail.protocol.internal;

import java.io.IOException;
import java.io.OutputStream;
import org.relaymail.protocol.LineTooLongException;

/**
 * The streaming core of {@code DotStuffingOutputStream} and {@code MessageNormalizer}: turns every
 * bare CR and bare LF into CRLF, optionally doubles a dot at the start of a line (RFC 5321 section
 * 4.5.2), and enforces a maximum line length.
 *
 * <p>It works on whole arrays: canonical input without leading dots goes to the wrapped stream in
 * a single {@code write(b, off, len)} per call; only a line ending that must be repaired or a dot
 * that must be doubled splits the run. Not thread-safe.
 */
public final class LineEncoder {
  private static final byte CR = '\r';
  private static final byte LF = '\n';
  private static final byte DOT = '.';
  private static final byte[] CRLF = {CR, LF};
  private static final byte[] LF_ONLY = {LF};
  private static final byte[] DOT_ONLY = {DOT};

  /** At the start of a line: nothing of it has been seen yet. */
  private static final int LINE_START = 0;
  /** Inside a line that has at least one content byte. */
  private static final int IN_LINE = 1;
  /** A CR has been written; an LF that follows belongs to it, anything else makes it bare. */
  private static final int AFTER_CR = 2;

  private final OutputStream out;
  private final int maxLineLength;
  private final boolean stuffDots;

  private int state = LINE_START;
  private long lineLength;
  private long lineNumber = 1;
  private long contentBytes;
  private long wireBytes;
  private boolean failed;

  /**
   * Creates an encoder.
   *
   * @param out where the encoded bytes go
   * @param maxLineLength the longest line allowed, in octets without CRLF
   * @param stuffDots whether to double a dot at the start of every line
   */
  public LineEncoder(OutputStream out, int maxLineLength, boolean stuffDots) {
    this.out = out;
    this.maxLineLength = maxLineLength;
    this.stuffDots = stuffDots;
  }

  /**
   * Encodes {@code len} bytes of content.
   *
   * @param b the content
   * @param off where it starts
   * @param len how many bytes
   * @throws IOException from the wrapped stream
   * @throws LineTooLongException when a line crosses the limit; the encoder is then failed
   */
  public void write(byte[] b, int off, int len) throws IOException {
    if (failed) {
      throw new IllegalStateException("the encoder failed earlier (line too long); abort the transaction");
    }
    final int end = off + len;
    int i = off;
    int run = off;
    while (i < end) {
      if (state == AFTER_CR) {
        state = LINE_START;
        if (b[i] == LF) {
          i++;
          continue;
        }
        // a bare CR was written as part of the run: complete it to CRLF
        emit(b, run, i - run);
        emit(LF_ONLY, 0, 1);
        run = i;
      }
      if (state == LINE_START) {
        if (stuffDots && b[i] == DOT) {
          emit(b, run, i - run);
          emit(DOT_ONLY, 0, 1);
          run = i;
        }
        state = IN_LINE;
        lineLength = 0;
      }
      int start = i;
      while (i < end) {
        byte c = b[i];
        if (c == CR || c == LF) {
          break;
        }
        i++;
      }
      lineLength += i - start;
      if (lineLength > maxLineLength) {
        failed = true;
        throw new LineTooLongException(lineNumber, lineLength, maxLineLength);
      }
      if (i == end) {
        break;
      }
      lineNumber++;
      if (b[i] == CR) {
        i++;
        state = AFTER_CR;
      } else {
        // a bare LF: write CRLF in its place
        emit(b, run, i - run);
        emit(CRLF, 0, 2);
        i++;
        run = i;
        state = LINE_START;
      }
    }
    emit(b, run, end - run);
    contentBytes += len;
  }

  /**
   * Completes the last line: a pending CR gets its LF, and a line without an ending gets CRLF.
   * Content that is empty or already ends with a line ending is left as it is.
   *
   * @throws IOException from the wrapped stream
   */
  public void endLastLine() throws IOException {
    if (failed) {
      throw new IllegalStateException("the encoder failed earlier (line too long); abort the transaction");
    }
    if (state == AFTER_CR) {
      emit(LF_ONLY, 0, 1);
    } else if (state == IN_LINE) {
      emit(CRLF, 0, 2);
      lineNumber++;
    }
    state = LINE_START;
  }

  /**
   * Writes bytes that are not content (the end-of-data marker) and counts them.
   *
   * @param b the bytes
   * @throws IOException from the wrapped stream
   */
  public void writeRaw(byte[] b) throws IOException {
    emit(b, 0, b.length);
  }

  private void emit(byte[] b, int off, int len) throws IOException {
    if (len > 0) {
      out.write(b, off, len);
      wireBytes += len;
    }
  }

  /** @return the content bytes accepted so far */
  public long contentBytes() {
    return contentBytes;
  }

  /** @return the bytes written to the wrapped stream so far */
  public long wireBytes() {
    return wireBytes;
  }

  /** @return whether a line was too long */
  public boolean failed() {
    return failed;
  }
}
