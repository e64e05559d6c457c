package org.relaymail.protocol;

/**
 * Content that must already be canonical contains a CR not followed by LF, or an LF not preceded by
 * CR (RFC 5321 section 2.3.8: lines end with CRLF, and a bare CR or LF must not be sent).
 *
 * <p>Thrown by {@link BdatOutputStream} (and {@link MessageNormalizer#checkCanonical(byte[])}):
 * a {@code BDAT} chunk's length is declared before its bytes, so the content cannot be repaired on
 * the wire; the chunk carrying {@code LAST} is never sent after this exception and the caller must
 * abort the transaction (RSET). Run {@link MessageNormalizer} before queueing to avoid it.
 *
 * <p>Thread-safe (immutable).
 */
public class BareLineEndingException extends SmtpProtocolException {
  private static final long serialVersionUID = 1L;

  private final long offset;
  private final long lineNumber;

  /**
   * Creates the exception.
   *
   * @param bareByte the offending byte, {@code '\r'} or {@code '\n'}
   * @param offset the 0-based offset of the offending byte in the content
   * @param lineNumber the 1-based number of the line it ends
   */
  public BareLineEndingException(int bareByte, long offset, long lineNumber) {
    super("bare " + (bareByte == '\r' ? "CR" : "LF") + " at offset " + offset + " (line "
        + lineNumber + ") of the message content: lines must end with CRLF (RFC 5321 section 2.3.8);"
        + " normalise the content with MessageNormalizer before sending it with BDAT");
    this.offset = offset;
    this.lineNumber = lineNumber;
  }

  /**
   * Creates the exception with a message of the caller's (for example, content that does not end
   * with CRLF).
   *
   * @param message what is wrong and where
   * @param offset the 0-based offset in the content where the problem is
   * @param lineNumber the 1-based line number where the problem is
   */
  public BareLineEndingException(String message, long offset, long lineNumber) {
    super(message);
    this.offset = offset;
    this.lineNumber = lineNumber;
  }

  /**
   * Returns the 0-based offset of the bare CR or LF in the content.
   *
   * @return the offset
   */
  public long offset() {
    return offset;
  }

  /**
   * Returns the 1-based number of the line that the bare CR or LF ends.
   *
   * @return the line number
   */
  public long lineNumber() {
    return lineNumber;
  }
}
