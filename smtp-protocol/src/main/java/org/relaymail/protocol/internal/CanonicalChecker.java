package org.relaymail.protocol.internal;

import org.relaymail.protocol.BareLineEndingException;
import org.relaymail.protocol.LineTooLongException;

/**
 * Checks, without changing anything, that content is canonical: every CR is followed by LF, every
 * LF is preceded by CR, and no line is longer than the limit. Used where content cannot be repaired
 * because its length is already declared ({@code BDAT}, RFC 3030). Works across calls, so a CRLF
 * split between two chunks is fine. Not thread-safe.
 */
public final class CanonicalChecker {
  private static final byte CR = '\r';
  private static final byte LF = '\n';

  private final int maxLineLength;
  private boolean afterCr;
  private long lineLength;
  private long lineNumber = 1;
  private long offset;

  /**
   * Creates a checker.
   *
   * @param maxLineLength the longest line allowed, in octets without CRLF
   */
  public CanonicalChecker(int maxLineLength) {
    this.maxLineLength = maxLineLength;
  }

  /**
   * Checks the next bytes of content.
   *
   * @param b the content
   * @param off where it starts
   * @param len how many bytes
   * @throws BareLineEndingException on a bare CR or LF
   * @throws LineTooLongException on a line longer than the limit
   */
  public void check(byte[] b, int off, int len) {
    final int end = off + len;
    int i = off;
    while (i < end) {
      if (afterCr) {
        if (b[i] != LF) {
          throw new BareLineEndingException(CR, offset + (i - off) - 1, lineNumber - 1);
        }
        afterCr = false;
        i++;
        continue;
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
        throw new LineTooLongException(lineNumber, lineLength, maxLineLength);
      }
      if (i == end) {
        break;
      }
      if (b[i] == LF) {
        throw new BareLineEndingException(LF, offset + (i - off), lineNumber);
      }
      afterCr = true;
      lineLength = 0;
      lineNumber++;
      i++;
    }
    offset += len;
  }

  /**
   * Checks the end of the content: it must not end with a bare CR.
   *
   * @throws BareLineEndingException when the last byte is a CR
   */
  public void finish() {
    if (afterCr) {
      throw new BareLineEndingException(CR, offset - 1, lineNumber - 1);
    }
  }

  /** @return the 1-based number of the line being checked */
  public long lineNumber() {
    return lineNumber;
  }
}
