package org.relaymail.client;

import java.util.Objects;
import java.util.Optional;
import org.relaymail.protocol.EnhancedStatus;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.SmtpReply;

/**
 * The outcome for one recipient of a transaction, and the reply that decided it: the final reply
 * (after the data) when the recipient was accepted, otherwise the reply that refused it (MAIL, RCPT,
 * DATA or the final reply). A recipient is {@link Status#ACCEPTED} only when both its RCPT and the
 * final reply were positive (RFC 5321 section 4.2.5: the server then took responsibility).
 *
 * <p>Thread-safe (immutable record).
 *
 * @param recipient the recipient
 * @param status accepted, transient or permanent failure
 * @param reply the deciding reply (possibly synthetic when the client refused before sending: its
 *     text then starts with "relaymail:")
 */
public record RecipientResult(Mailbox recipient, Status status, SmtpReply reply) {

  /** What happened to a recipient. */
  public enum Status {
    /** The server accepted responsibility for delivery (2xx to RCPT and to the data). */
    ACCEPTED,
    /** Not delivered, try again later (4xx, or the session ended before a final reply). */
    TRANSIENT,
    /** Not delivered and will not be by retrying (5xx). */
    PERMANENT
  }

  /** Checks that status and reply agree. */
  public RecipientResult {
    Objects.requireNonNull(recipient, "recipient");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(reply, "reply");
    if ((status == Status.ACCEPTED) != reply.isPositive()) {
      throw new IllegalArgumentException(
          "status " + status + " does not match reply " + reply + " for " + recipient);
    }
    if (status == Status.PERMANENT && !reply.isPermanent()) {
      throw new IllegalArgumentException("PERMANENT needs a 5xx reply, got " + reply);
    }
  }

  /**
   * Classifies a reply: 2xx accepted, 5xx permanent, anything else transient.
   *
   * @param recipient the recipient
   * @param reply the deciding reply
   * @return the result
   */
  public static RecipientResult of(Mailbox recipient, SmtpReply reply) {
    Status s =
        reply.isPositive()
            ? Status.ACCEPTED
            : reply.isPermanent() ? Status.PERMANENT : Status.TRANSIENT;
    return new RecipientResult(recipient, s, reply);
  }

  /** @return the enhanced status code of the deciding reply, when it has one (RFC 3463) */
  public Optional<EnhancedStatus> enhancedStatus() {
    return reply.enhancedStatus();
  }

  /** @return whether the recipient was accepted */
  public boolean accepted() {
    return status == Status.ACCEPTED;
  }
}
