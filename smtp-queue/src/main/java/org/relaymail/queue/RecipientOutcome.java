package org.relaymail.queue;

import java.util.Objects;
import java.util.Optional;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.SmtpReply;
import org.relaymail.queue.internal.Checks;

/**
 * The result of one delivery attempt for one recipient, as the relay reports it to
 * {@link QueueStore#recordAttempt}. Built with the static factories; the constructor rejects
 * impossible combinations.
 *
 * <p>Thread-safe (immutable).
 *
 * @param recipient the recipient the outcome is for
 * @param state the new state: never {@link RecipientState#PENDING}
 * @param reply the reply that decided it (RFC 5321 section 4.2), or a synthetic one for failures
 *     without a reply; required for {@link RecipientState#DELIVERED} and then positive (2yz); never
 *     positive for the other states
 * @param remoteMta the host that gave the reply (RFC 3464 section 2.3.5 Remote-MTA), if any
 * @param failureClass why it did not succeed; {@link FailureClass#NONE} exactly when delivered
 */
public record RecipientOutcome(
    Mailbox recipient, RecipientState state, Optional<SmtpReply> reply, Optional<String> remoteMta,
    FailureClass failureClass) {

  /**
   * Checks the outcome.
   *
   * @throws IllegalArgumentException on an impossible combination (named in the message)
   */
  public RecipientOutcome {
    Objects.requireNonNull(recipient, "recipient");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(reply, "reply");
    Objects.requireNonNull(remoteMta, "remoteMta");
    Objects.requireNonNull(failureClass, "failureClass");
    remoteMta.ifPresent(m -> Checks.printable("remote MTA", m, 255, false));
    switch (state) {
      case PENDING -> throw new IllegalArgumentException("an outcome cannot move " + recipient + " back to PENDING");
      case DELIVERED -> {
        if (reply.isEmpty() || !reply.get().isPositive()) {
          throw new IllegalArgumentException(
              "DELIVERED needs a positive (2yz) reply for " + recipient + ", got " + reply.map(String::valueOf).orElse("none"));
        }
        if (failureClass != FailureClass.NONE) {
          throw new IllegalArgumentException("DELIVERED cannot carry failure class " + failureClass);
        }
      }
      default -> {
        if (reply.isPresent() && reply.get().isPositive()) {
          throw new IllegalArgumentException(state + " cannot carry a positive reply: " + reply.get());
        }
        if (failureClass == FailureClass.NONE) {
          throw new IllegalArgumentException(state + " for " + recipient + " needs a failure class other than NONE");
        }
      }
    }
  }

  /**
   * The recipient was accepted.
   *
   * @param recipient the recipient
   * @param reply the positive reply to the end of data (or to RCPT for LMTP-like routes)
   * @param remoteMta the host that accepted it, or null
   * @return the outcome
   */
  public static RecipientOutcome delivered(Mailbox recipient, SmtpReply reply, String remoteMta) {
    return new RecipientOutcome(recipient, RecipientState.DELIVERED, Optional.of(reply), Optional.ofNullable(remoteMta),
        FailureClass.NONE);
  }

  /**
   * The attempt failed transiently; the recipient is retried at the attempt's next attempt time.
   *
   * @param recipient the recipient
   * @param reply the reply, or null when there was none (connection failure)
   * @param remoteMta the host, or null
   * @param failureClass why
   * @return the outcome
   */
  public static RecipientOutcome deferred(Mailbox recipient, SmtpReply reply, String remoteMta, FailureClass failureClass) {
    return new RecipientOutcome(recipient, RecipientState.DEFERRED, Optional.ofNullable(reply),
        Optional.ofNullable(remoteMta), failureClass);
  }

  /**
   * The recipient failed permanently (RFC 5321 5yz, or a permanent local reason).
   *
   * @param recipient the recipient
   * @param reply the reply, or null
   * @param remoteMta the host, or null
   * @param failureClass why
   * @return the outcome
   */
  public static RecipientOutcome failed(Mailbox recipient, SmtpReply reply, String remoteMta, FailureClass failureClass) {
    return new RecipientOutcome(recipient, RecipientState.FAILED, Optional.ofNullable(reply),
        Optional.ofNullable(remoteMta), failureClass);
  }

  /**
   * The retry policy gave up on the recipient (RFC 5321 section 4.5.4.1).
   *
   * @param recipient the recipient
   * @param reply the last reply, or null
   * @param remoteMta the host, or null
   * @param failureClass the last failure's class
   * @return the outcome
   */
  public static RecipientOutcome expired(Mailbox recipient, SmtpReply reply, String remoteMta, FailureClass failureClass) {
    return new RecipientOutcome(recipient, RecipientState.EXPIRED, Optional.ofNullable(reply),
        Optional.ofNullable(remoteMta), failureClass);
  }
}
