package org.relaymail.protocol;

/**
 * A text line of message content is longer than SMTP allows: RFC 5321 section 4.5.3.1.6 limits a
 * line to 1000 octets including the CRLF, so 998 octets of content (the dot added for transparency
 * is not counted).
 *
 * <p>Thrown by {@link MessageNormalizer} before a message is queued and, as a last guard, by
 * {@link DotStuffingOutputStream} and {@link BdatOutputStream} on the wire; the wire encoders never
 * write the end of the message after this exception, so the transaction must be aborted.
 *
 * <p>Thread-safe (immutable).
 */
public class LineTooLongException extends SmtpProtocolException {
  private static final long serialVersionUID = 1L;

  private final long lineNumber;
  private final long length;
  private final int limit;

  /**
   * Creates the exception.
   *
   * @param lineNumber the 1-based number of the offending line in the message content
   * @param length the length of the line in octets, without its line ending, as far as it was read
   *     (at least {@code limit + 1})
   * @param limit the maximum line length in octets, without the line ending
   */
  public LineTooLongException(long lineNumber, long length, int limit) {
    super("line " + lineNumber + " of the message content is " + length
        + " octets long (counted so far, without CRLF); RFC 5321 section 4.5.3.1.6 allows at most "
        + limit + " octets per line");
    this.lineNumber = lineNumber;
    this.length = length;
    this.limit = limit;
  }

  /**
   * Returns the 1-based number of the offending line.
   *
   * @return the line number
   */
  public long lineNumber() {
    return lineNumber;
  }

  /**
   * Returns the line's length in octets (without the line ending) as far as it had been read when
   * the limit was crossed.
   *
   * @return the length counted, greater than {@link #limit()}
   */
  public long length() {
    return length;
  }

  /**
   * Returns the limit that was exceeded.
   *
   * @return the maximum line length in octets, without the line ending
   */
  public int limit() {
    return limit;
  }
}
