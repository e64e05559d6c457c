package org.relaymail.relay;

import java.util.Objects;
import java.util.Optional;
import org.relaymail.protocol.EnhancedStatus;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.SmtpReply;
import org.relaymail.queue.FailureClass;
import org.relaymail.queue.RecipientState;

/**
 * The final outcome for one recipient of a message.
 *
 * <p>Thread-safe (immutable record).
 *
 * @param recipient the recipient
 * @param state {@link RecipientState#DELIVERED}, {@link RecipientState#FAILED} or {@link
 *     RecipientState#EXPIRED}
 * @param reply the deciding reply (the next hop's, or one made up by the relay with text starting
 *     {@code relaymail:})
 * @param failureClass why it failed; empty when delivered
 * @param remoteMta the server that gave the reply, when one did
 * @param attempts how many attempts were made
 */
public record RecipientReport(
    Mailbox recipient,
    RecipientState state,
    Optional<SmtpReply> reply,
    Optional<FailureClass> failureClass,
    Optional<String> remoteMta,
    int attempts) {

  /** Validates. */
  public RecipientReport {
    Objects.requireNonNull(recipient, "recipient");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(reply, "reply");
    Objects.requireNonNull(failureClass, "failureClass");
    Objects.requireNonNull(remoteMta, "remoteMta");
    if (!state.isFinal()) {
      throw new IllegalArgumentException("a report holds final states only, not " + state + " for " + recipient);
    }
    if ((state == RecipientState.DELIVERED) != failureClass.isEmpty()) {
      throw new IllegalArgumentException("a failure class is given exactly when not delivered: " + recipient);
    }
  }

  /**
   * Returns the RFC 3463 enhanced status of the deciding reply.
   *
   * @return the status, when the reply carries one
   */
  public Optional<EnhancedStatus> enhancedStatus() {
    return reply.flatMap(SmtpReply::enhancedStatus);
  }

  /**
   * Tells whether the recipient was delivered.
   *
   * @return true when delivered
   */
  public boolean delivered() {
    return state == RecipientState.DELIVERED;
  }
}
