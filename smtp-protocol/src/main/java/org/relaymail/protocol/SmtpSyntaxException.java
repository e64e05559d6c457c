package org.relaymail.protocol;

import java.util.Objects;

/**
 * A command line a server received that is not a valid SMTP command; carries the reply the server
 * should send: 500 (command unrecognised or line malformed), 501 (syntax error in parameters) or
 * 555 (MAIL/RCPT parameter not recognised), RFC 5321 section 4.2.2 and 4.3.2.
 *
 * <p>The reply carries an enhanced status code (RFC 3463); a server that did not announce
 * ENHANCEDSTATUSCODES may send its own text instead.
 *
 * <p>Thread-safe (immutable).
 */
public class SmtpSyntaxException extends SmtpProtocolException {
  private static final long serialVersionUID = 1L;

  private final transient SmtpReply reply;

  /**
   * Creates the exception.
   *
   * @param reply the reply to send
   * @param message what is wrong, quoting the bad input
   */
  public SmtpSyntaxException(SmtpReply reply, String message) {
    super(message);
    this.reply = Objects.requireNonNull(reply, "reply");
  }

  /**
   * The reply a server should send.
   *
   * @return a 5xx reply
   */
  public SmtpReply reply() {
    return reply;
  }
}
