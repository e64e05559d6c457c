package org.relaymail.queue;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.relaymail.protocol.Mailbox;

/**
 * A snapshot of a message in the queue: envelope, DSN parameters (RFC 3461), metadata and the state
 * of every recipient. Content is read separately ({@link QueueStore#openContent}).
 *
 * <p>Thread-safe (immutable).
 *
 * @param id the queue id
 * @param sender the reverse path ({@link Mailbox#NULL} for bounces)
 * @param recipients every recipient with its state, in enqueue order
 * @param envId the ENVID, if given
 * @param ret the RET option, if given
 * @param body the BODY type
 * @param smtpUtf8 whether SMTPUTF8 is needed
 * @param arrivalTime when the message was enqueued (RFC 3464 Arrival-Date)
 * @param size the content size in bytes
 * @param tenant the tenant, if any
 * @param tags the tags
 * @param idempotencyKey the idempotency key it was enqueued with, if any
 * @param nextAttemptAt when it is due next (ignored while held or leased)
 * @param held whether an administrator holds it
 * @param leasedUntil when the current lease ends, if a lease is live at the snapshot
 */
public record QueuedMessage(
    QueueId id,
    Mailbox sender,
    List<RecipientRecord> recipients,
    Optional<String> envId,
    Optional<ReturnOption> ret,
    BodyKind body,
    boolean smtpUtf8,
    Instant arrivalTime,
    long size,
    Optional<String> tenant,
    Set<String> tags,
    Optional<String> idempotencyKey,
    Instant nextAttemptAt,
    boolean held,
    Optional<Instant> leasedUntil) {

  /**
   * Checks the snapshot.
   *
   * @throws IllegalArgumentException on no recipients, a negative size or a recipient listed twice
   */
  public QueuedMessage {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(sender, "sender");
    recipients = List.copyOf(recipients);
    if (recipients.isEmpty()) {
      throw new IllegalArgumentException("a queued message has at least one recipient: " + id);
    }
    if (recipients.stream().map(RecipientRecord::mailbox).distinct().count() != recipients.size()) {
      throw new IllegalArgumentException("recipient listed twice in " + id);
    }
    Objects.requireNonNull(envId, "envId");
    Objects.requireNonNull(ret, "ret");
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(arrivalTime, "arrivalTime");
    if (size < 0) {
      throw new IllegalArgumentException("size must be >= 0: " + size);
    }
    Objects.requireNonNull(tenant, "tenant");
    tags = Set.copyOf(tags);
    Objects.requireNonNull(idempotencyKey, "idempotencyKey");
    Objects.requireNonNull(nextAttemptAt, "nextAttemptAt");
    Objects.requireNonNull(leasedUntil, "leasedUntil");
  }

  /**
   * The message's status: HELD, ACTIVE (leased), FINISHED (all recipients final), DEFERRED (tried)
   * or QUEUED, in that order of precedence.
   *
   * @return the status
   */
  public MessageStatus status() {
    if (held) {
      return MessageStatus.HELD;
    }
    if (leasedUntil.isPresent()) {
      return MessageStatus.ACTIVE;
    }
    if (allFinal()) {
      return MessageStatus.FINISHED;
    }
    return recipients.stream().anyMatch(r -> r.attempts() > 0) ? MessageStatus.DEFERRED : MessageStatus.QUEUED;
  }

  /**
   * Whether every recipient is final.
   *
   * @return true if no recipient is pending or deferred
   */
  public boolean allFinal() {
    return recipients.stream().allMatch(r -> r.state().isFinal());
  }

  /**
   * The record of one recipient.
   *
   * @param mailbox the recipient
   * @return its record, if it is a recipient of this message
   */
  public Optional<RecipientRecord> recipient(Mailbox mailbox) {
    return recipients.stream().filter(r -> r.mailbox().equals(mailbox)).findFirst();
  }
}
