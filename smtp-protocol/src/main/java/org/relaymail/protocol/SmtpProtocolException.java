package org.relaymail.protocol;

/**
 * The one exception the codec's decoders throw on bytes that are not valid SMTP: a reply line that
 * is malformed, too long, or a reply that is too large. The message quotes the offending line
 * (shortened and with control characters escaped).
 *
 * <p>Thread-safe (immutable).
 */
public class SmtpProtocolException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what is wrong, quoting the bad input
   */
  public SmtpProtocolException(String message) {
    super(message);
  }
}
