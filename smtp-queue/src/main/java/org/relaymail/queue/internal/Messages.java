package org.relaymail.queue.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.HashMap;
import java.util.HashSet;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.SmtpReply;
import org.relaymail.queue.DeliveryAttempt;
import org.relaymail.queue.MessageStatus;
import org.relaymail.queue.NewMessage;
import org.relaymail.queue.Notification;
import org.relaymail.queue.QueueCounts;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.QueuedMessage;
import org.relaymail.queue.RecipientOutcome;
import org.relaymail.queue.RecipientRecord;
import org.relaymail.queue.RecipientState;
import org.relaymail.queue.NewRecipient;

/** State transitions shared by the shipped stores, so that they behave the same. Stateless. */
public final class Messages {
  private Messages() {}

  /** The reply recorded for an administrative bounce. */
  public static SmtpReply adminBounceReply() {
    return SmtpReply.of(554, "5.0.0 Message bounced by the queue administrator");
  }

  /**
   * The snapshot of a message just enqueued.
   *
   * @param id its id
   * @param m the request
   * @param size the content size
   * @param now the arrival time
   * @return the snapshot
   */
  public static QueuedMessage fresh(QueueId id, NewMessage m, long size, Instant now) {
    List<RecipientRecord> rs = new ArrayList<>();
    for (NewRecipient r : m.recipients()) {
      rs.add(RecipientRecord.pending(r));
    }
    return new QueuedMessage(id, m.sender(), rs, m.envId(), m.ret(), m.body(), m.smtpUtf8(), now, size, m.tenant(),
        m.tags(), m.idempotencyKey(), now, false, Optional.empty());
  }

  /**
   * Copies a snapshot with new mutable parts.
   *
   * @param m the message
   * @param recipients the recipients
   * @param nextAttemptAt the due time
   * @param held the hold flag
   * @param leasedUntil the live lease's end, if any
   * @return the copy
   */
  public static QueuedMessage with(QueuedMessage m, List<RecipientRecord> recipients, Instant nextAttemptAt,
      boolean held, Optional<Instant> leasedUntil) {
    return new QueuedMessage(m.id(), m.sender(), recipients, m.envId(), m.ret(), m.body(), m.smtpUtf8(),
        m.arrivalTime(), m.size(), m.tenant(), m.tags(), m.idempotencyKey(), nextAttemptAt, held, leasedUntil);
  }

  /** The result of applying an attempt. */
  public record Applied(QueuedMessage message, List<Mailbox> changed) {}

  /**
   * Applies an attempt's outcomes.
   *
   * @param m the message (leasedUntil as stored)
   * @param attempt the attempt
   * @param now the attempt's time
   * @param forwardOnly true when the lease is stale: only DELIVERED outcomes apply and the due time stays
   * @return the new message and the recipients changed
   * @throws IllegalArgumentException if an outcome names an unknown recipient
   */
  public static Applied applyAttempt(QueuedMessage m, DeliveryAttempt attempt, Instant now, boolean forwardOnly) {
    Map<Mailbox, RecipientOutcome> byRcpt = new HashMap<>();
    for (RecipientOutcome o : attempt.outcomes()) {
      if (m.recipient(o.recipient()).isEmpty()) {
        throw new IllegalArgumentException("message " + m.id() + " has no recipient " + o.recipient());
      }
      byRcpt.put(o.recipient(), o);
    }
    List<RecipientRecord> out = new ArrayList<>();
    List<Mailbox> changed = new ArrayList<>();
    for (RecipientRecord r : m.recipients()) {
      RecipientOutcome o = byRcpt.get(r.mailbox());
      if (o != null && r.state().canMoveTo(o.state()) && (!forwardOnly || o.state() == RecipientState.DELIVERED)) {
        out.add(r.apply(o, now));
        changed.add(r.mailbox());
      } else {
        out.add(r);
      }
    }
    Instant next = forwardOnly ? m.nextAttemptAt() : attempt.nextAttemptAt().orElse(m.nextAttemptAt());
    return new Applied(with(m, out, next, m.held(), m.leasedUntil()), changed);
  }

  /**
   * Applies a notification flag.
   *
   * @param m the message
   * @param kind the notification
   * @param recipients the recipients
   * @return the new message and the recipients changed
   */
  public static Applied applyNotified(QueuedMessage m, Notification kind, java.util.Collection<Mailbox> recipients) {
    Set<Mailbox> set = new HashSet<>(recipients);
    for (Mailbox r : set) {
      if (m.recipient(r).isEmpty()) {
        throw new IllegalArgumentException("message " + m.id() + " has no recipient " + r);
      }
    }
    List<RecipientRecord> out = new ArrayList<>();
    List<Mailbox> changed = new ArrayList<>();
    for (RecipientRecord r : m.recipients()) {
      if (set.contains(r.mailbox())) {
        out.add(r.withNotification(kind));
        changed.add(r.mailbox());
      } else {
        out.add(r);
      }
    }
    return new Applied(with(m, out, m.nextAttemptAt(), m.held(), m.leasedUntil()), changed);
  }

  /**
   * Fails every recipient not final and makes the message due now.
   *
   * @param m the message
   * @param now the current time
   * @return the new message
   */
  public static QueuedMessage forceBounce(QueuedMessage m, Instant now) {
    SmtpReply reply = adminBounceReply();
    List<RecipientRecord> out = new ArrayList<>();
    for (RecipientRecord r : m.recipients()) {
      out.add(r.forceFailed(reply));
    }
    return with(m, out, now, false, m.leasedUntil());
  }

  /** Accumulates {@link QueueCounts}. Not thread-safe. */
  public static final class Counter {
    private final Map<MessageStatus, Long> byStatus = new HashMap<>();
    private final Map<RecipientState, Long> byState = new HashMap<>();
    private long messages;

    /**
     * Counts one message.
     *
     * @param m the snapshot
     */
    public void add(QueuedMessage m) {
      messages++;
      byStatus.merge(m.status(), 1L, Long::sum);
      for (RecipientRecord r : m.recipients()) {
        byState.merge(r.state(), 1L, Long::sum);
      }
    }

    /**
     * The counts so far.
     *
     * @return the counts
     */
    public QueueCounts result() {
      return new QueueCounts(messages, byStatus, byState);
    }
  }
}
