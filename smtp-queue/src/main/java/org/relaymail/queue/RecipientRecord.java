package org.relaymail.queue;

import java.time.Instant;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.SmtpReply;
import org.relaymail.queue.internal.Checks;

/**
 * The stored state of one recipient of a queued message: what bounces and delay warnings
 * (RFC 3464 section 2.3) need to say about it.
 *
 * <p>Thread-safe (immutable).
 *
 * @param mailbox the recipient
 * @param notifyOn the NOTIFY conditions (RFC 3461 section 4.1); empty when not given
 * @param orcpt the ORCPT parameter (RFC 3461 section 4.2), if given
 * @param state the delivery state
 * @param attempts how many attempts were made for this recipient
 * @param firstAttemptAt when the first attempt was made, if any
 * @param lastAttemptAt when the last attempt was made, if any
 * @param lastReply the last reply (code, enhanced status, text), if any
 * @param remoteMta the host that gave the last reply, if any
 * @param failureClass the class of the last failure, {@link FailureClass#NONE} if none
 * @param delayWarningSent whether a delay warning DSN was sent for it
 * @param bounceSent whether a failure DSN (bounce) was sent for it
 */
public record RecipientRecord(
    Mailbox mailbox,
    Set<NotifyCondition> notifyOn,
    Optional<String> orcpt,
    RecipientState state,
    int attempts,
    Optional<Instant> firstAttemptAt,
    Optional<Instant> lastAttemptAt,
    Optional<SmtpReply> lastReply,
    Optional<String> remoteMta,
    FailureClass failureClass,
    boolean delayWarningSent,
    boolean bounceSent) {

  /**
   * Checks the record.
   *
   * @throws IllegalArgumentException on an impossible combination, such as a pending recipient with
   *     attempts, a delivered one without any, or a bounce sent for a recipient not failed or expired
   */
  public RecipientRecord {
    Objects.requireNonNull(mailbox, "mailbox");
    notifyOn = notifyOn.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(notifyOn));
    Objects.requireNonNull(orcpt, "orcpt");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(firstAttemptAt, "firstAttemptAt");
    Objects.requireNonNull(lastAttemptAt, "lastAttemptAt");
    Objects.requireNonNull(lastReply, "lastReply");
    Objects.requireNonNull(remoteMta, "remoteMta");
    Objects.requireNonNull(failureClass, "failureClass");
    remoteMta.ifPresent(m -> Checks.printable("remote MTA", m, 255, false));
    if (attempts < 0) {
      throw new IllegalArgumentException("attempts must be >= 0: " + attempts);
    }
    if ((attempts == 0) != firstAttemptAt.isEmpty() || (attempts == 0) != lastAttemptAt.isEmpty()) {
      throw new IllegalArgumentException("first and last attempt times are present exactly when attempts > 0 ("
          + attempts + " attempts, first " + firstAttemptAt + ", last " + lastAttemptAt + ")");
    }
    if (attempts > 0 && lastAttemptAt.get().isBefore(firstAttemptAt.get())) {
      throw new IllegalArgumentException("last attempt " + lastAttemptAt.get() + " before first " + firstAttemptAt.get());
    }
    switch (state) {
      case PENDING -> {
        if (attempts != 0 || failureClass != FailureClass.NONE) {
          throw new IllegalArgumentException("a PENDING recipient has no attempts and no failure: " + mailbox);
        }
      }
      case DEFERRED, DELIVERED -> {
        if (attempts == 0) {
          throw new IllegalArgumentException("a " + state + " recipient needs at least one attempt: " + mailbox);
        }
      }
      default -> { }
    }
    if (state == RecipientState.DELIVERED && (failureClass != FailureClass.NONE || lastReply.isEmpty()
        || !lastReply.get().isPositive())) {
      throw new IllegalArgumentException("a DELIVERED recipient needs a positive last reply and no failure class: " + mailbox);
    }
    if ((state == RecipientState.FAILED || state == RecipientState.EXPIRED || state == RecipientState.DEFERRED)
        && failureClass == FailureClass.NONE) {
      throw new IllegalArgumentException("a " + state + " recipient needs a failure class: " + mailbox);
    }
    if (bounceSent && state != RecipientState.FAILED && state != RecipientState.EXPIRED) {
      throw new IllegalArgumentException("a bounce can only have been sent for a FAILED or EXPIRED recipient, "
          + mailbox + " is " + state);
    }
  }

  /**
   * The record of a recipient just enqueued.
   *
   * @param r the recipient
   * @return a PENDING record
   */
  public static RecipientRecord pending(NewRecipient r) {
    return new RecipientRecord(r.mailbox(), r.notifyOn(), r.orcpt(), RecipientState.PENDING, 0, Optional.empty(),
        Optional.empty(), Optional.empty(), Optional.empty(), FailureClass.NONE, false, false);
  }

  /**
   * Applies an outcome recorded at {@code at}: one more attempt, the new state, reply, remote MTA and
   * failure class.
   *
   * @param outcome the outcome, for this recipient
   * @param at the time of the attempt
   * @return the new record
   * @throws IllegalArgumentException if the outcome is for another recipient
   * @throws IllegalStateException if the move is backwards ({@link RecipientState#canMoveTo})
   */
  public RecipientRecord apply(RecipientOutcome outcome, Instant at) {
    if (!outcome.recipient().equals(mailbox)) {
      throw new IllegalArgumentException("outcome for " + outcome.recipient() + " applied to " + mailbox);
    }
    if (!state.canMoveTo(outcome.state())) {
      throw new IllegalStateException("recipient " + mailbox + " cannot move from " + state + " to " + outcome.state());
    }
    Instant first = firstAttemptAt.orElse(at);
    Instant last = lastAttemptAt.isPresent() && lastAttemptAt.get().isAfter(at) ? lastAttemptAt.get() : at;
    if (first.isAfter(last)) {
      first = last;
    }
    return new RecipientRecord(mailbox, notifyOn, orcpt, outcome.state(), attempts + 1, Optional.of(first),
        Optional.of(last), outcome.reply().or(() -> lastReply), outcome.remoteMta(), outcome.failureClass(),
        delayWarningSent, bounceSent);
  }

  /**
   * Marks a notification as sent.
   *
   * @param kind what was sent
   * @return the new record
   * @throws IllegalStateException for a bounce on a recipient not failed or expired, or a delay warning
   *     on a final recipient
   */
  public RecipientRecord withNotification(Notification kind) {
    return switch (kind) {
      case BOUNCE -> {
        if (state != RecipientState.FAILED && state != RecipientState.EXPIRED) {
          throw new IllegalStateException("cannot mark a bounce sent for " + mailbox + " in state " + state);
        }
        yield new RecipientRecord(mailbox, notifyOn, orcpt, state, attempts, firstAttemptAt, lastAttemptAt, lastReply,
            remoteMta, failureClass, delayWarningSent, true);
      }
      case DELAY_WARNING -> {
        if (state.isFinal() && !delayWarningSent) {
          throw new IllegalStateException("cannot mark a delay warning sent for " + mailbox + " in final state " + state);
        }
        yield new RecipientRecord(mailbox, notifyOn, orcpt, state, attempts, firstAttemptAt, lastAttemptAt, lastReply,
            remoteMta, failureClass, true, bounceSent);
      }
    };
  }

  /**
   * Forces the recipient to FAILED without an attempt (administrative bounce); final recipients stay.
   *
   * @param reply the reply to record
   * @return the new record
   */
  public RecipientRecord forceFailed(SmtpReply reply) {
    if (state.isFinal()) {
      return this;
    }
    return new RecipientRecord(mailbox, notifyOn, orcpt, RecipientState.FAILED, attempts, firstAttemptAt, lastAttemptAt,
        Optional.of(reply), remoteMta, FailureClass.ADMINISTRATIVE, delayWarningSent, bounceSent);
  }
}
