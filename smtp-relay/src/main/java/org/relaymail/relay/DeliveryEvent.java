package org.relaymail.relay;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.relaymail.protocol.EnhancedStatus;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.SmtpReply;
import org.relaymail.queue.FailureClass;
import org.relaymail.queue.QueueId;

/**
 * What happened to one recipient of one queued message, as told to a {@link RelayListener}.
 *
 * <p>Every failure carries a reply: the remote server's (RCPT, MAIL, the final reply after the
 * data, the greeting), or a reply the relay made up for a local reason (DNS, connection, TLS,
 * expiry), whose text starts with {@code relaymail:}, in the manner of Postfix's {@code dsn=} and
 * {@code status=} fields. The enhanced status code (RFC 3463) comes from that reply when it has
 * one, else from the class of the reply code.
 *
 * <p>Thread-safe (immutable record).
 *
 * @param type what happened
 * @param queueId the message's queue id
 * @param sender the message's envelope sender ({@link Mailbox#NULL} for a bounce)
 * @param recipient the recipient
 * @param reply the deciding reply; empty only for {@link Type#DELAY_WARNING} without a last reply
 * @param enhancedStatus the RFC 3463 status
 * @param failureClass why it failed; empty for {@link Type#DELIVERED}
 * @param relay the server that answered, as {@code host[address]:port}; empty when none did
 * @param attempts delivery attempts made for this recipient, this one included
 * @param time when it happened (the relay's clock)
 * @param delay the time since the message was queued
 */
public record DeliveryEvent(
    Type type,
    QueueId queueId,
    Mailbox sender,
    Mailbox recipient,
    Optional<SmtpReply> reply,
    Optional<EnhancedStatus> enhancedStatus,
    Optional<FailureClass> failureClass,
    Optional<String> relay,
    int attempts,
    Instant time,
    Duration delay) {

  /** The kinds of events. */
  public enum Type {
    /** Accepted by the next hop (RFC 5321 section 4.2.5: it took responsibility); final. */
    DELIVERED,
    /** Not delivered this time (4xx, connection or DNS trouble); it will be retried. */
    DEFERRED,
    /** Refused permanently (5xx, or a permanent local reason); final; a bounce is queued when wanted. */
    BOUNCED,
    /** Still not delivered when the retry policy gave up; final; a bounce is queued when wanted. */
    EXPIRED,
    /** Still not delivered after the policy's warning time; a delay notice was queued (RFC 3464 action=delayed). */
    DELAY_WARNING,
    /**
     * A bounce (null sender) that could not be delivered: it is dropped, never bounced itself
     * (RFC 5321 section 4.5.5); final.
     */
    BOUNCE_DROPPED
  }

  /** Validates. */
  public DeliveryEvent {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(queueId, "queueId");
    Objects.requireNonNull(sender, "sender");
    Objects.requireNonNull(recipient, "recipient");
    Objects.requireNonNull(reply, "reply");
    Objects.requireNonNull(enhancedStatus, "enhancedStatus");
    Objects.requireNonNull(failureClass, "failureClass");
    Objects.requireNonNull(relay, "relay");
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(delay, "delay");
    if ((type == Type.DELIVERED) != failureClass.isEmpty()) {
      throw new IllegalArgumentException(
          "a failure class is given exactly for events other than DELIVERED: " + type + " " + failureClass);
    }
  }

  /**
   * Tells whether this event ends the recipient's delivery (delivered, bounced, expired, dropped).
   *
   * @return true for a final event
   */
  public boolean isFinal() {
    return type == Type.DELIVERED || type == Type.BOUNCED || type == Type.EXPIRED || type == Type.BOUNCE_DROPPED;
  }
}
