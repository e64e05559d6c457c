package org.relaymail.protocol;

/**
 * Message content received with {@code DATA} is larger than the receiver accepts (RFC 1870; a
 * server answers {@code 552 5.3.4}).
 *
 * <p>Thrown by {@link DotUnstuffingInputStream} before any byte beyond the limit is returned. The
 * stream is still positioned inside the message; {@link DotUnstuffingInputStream#discardRemaining()}
 * reads up to the end-of-data marker so that the session stays in step and the reply can be sent.
 *
 * <p>Thread-safe (immutable).
 */
public class MessageTooLargeException extends SmtpProtocolException {
  private static final long serialVersionUID = 1L;

  private final long maxSize;

  /**
   * Creates the exception.
   *
   * @param maxSize the maximum message size in octets that was exceeded
   */
  public MessageTooLargeException(long maxSize) {
    super("message content exceeds the maximum size of " + maxSize
        + " octets (RFC 1870: reply 552 5.3.4)");
    this.maxSize = maxSize;
  }

  /**
   * Returns the limit that was exceeded.
   *
   * @return the maximum size in octets
   */
  public long maxSize() {
    return maxSize;
  }
}
