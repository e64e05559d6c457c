package org.relaymail.client;

import java.util.Objects;
import org.relaymail.protocol.SmtpReply;

/**
 * The server refused something outside a mail transaction (the greeting, EHLO/HELO, STARTTLS, AUTH)
 * or closed the session with 421: the connection cannot be used. Carries the reply, so callers can
 * classify it: {@link #isTransient()} (4xx, try again later) or permanent (5xx).
 *
 * <p>Refusals inside a transaction (MAIL, RCPT, DATA, the final reply) are values in a
 * {@link TransactionResult}, not this exception. Thread-safe (immutable).
 */
public class SmtpReplyException extends SmtpClientException {
  private static final long serialVersionUID = 1L;

  /** Where in the session the reply came. */
  public enum Stage {
    /** The 220 greeting (RFC 5321 section 4.3.1). */
    GREETING,
    /** EHLO or HELO. */
    EHLO,
    /** STARTTLS (RFC 3207). */
    STARTTLS,
    /** AUTH (RFC 4954). */
    AUTH,
    /** A reply inside or between transactions that ended the session (421). */
    SESSION
  }

  private final transient SmtpReply reply;
  private final Stage stage;

  /**
   * Creates the exception.
   *
   * @param host the server
   * @param port the port
   * @param stage where it happened
   * @param reply the server's reply
   */
  public SmtpReplyException(String host, int port, Stage stage, SmtpReply reply) {
    super(host, port, stage + " refused: " + reply, null);
    this.stage = Objects.requireNonNull(stage, "stage");
    this.reply = Objects.requireNonNull(reply, "reply");
  }

  /** @return the server's reply */
  public SmtpReply reply() {
    return reply;
  }

  /** @return where in the session the reply came */
  public Stage stage() {
    return stage;
  }

  /** @return whether the reply is 4xx (try again later); otherwise it is permanent */
  public boolean isTransient() {
    return reply.code() < 500;
  }
}
