package org.relaymail.relay;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.relaymail.protocol.Mailbox;
import org.relaymail.queue.QueueId;

/**
 * The final outcome of a message: every recipient delivered, bounced or expired. The result of
 * {@link SendReceipt#outcome()}.
 *
 * <p>Thread-safe (immutable record).
 *
 * @param queueId the message's queue id
 * @param sender the envelope sender
 * @param recipients one report per recipient, in envelope order
 * @param completedAt when the last recipient became final (the relay's clock)
 */
public record DeliveryReport(
    QueueId queueId, Mailbox sender, List<RecipientReport> recipients, Instant completedAt) {

  /** Validates and copies. */
  public DeliveryReport {
    Objects.requireNonNull(queueId, "queueId");
    Objects.requireNonNull(sender, "sender");
    recipients = List.copyOf(recipients);
    Objects.requireNonNull(completedAt, "completedAt");
    if (recipients.isEmpty()) {
      throw new IllegalArgumentException("a report covers at least one recipient: " + queueId);
    }
  }

  /**
   * Tells whether every recipient was delivered.
   *
   * @return true when none failed or expired
   */
  public boolean allDelivered() {
    return recipients.stream().allMatch(RecipientReport::delivered);
  }

  /**
   * Returns the recipients that were delivered.
   *
   * @return their reports
   */
  public List<RecipientReport> delivered() {
    return recipients.stream().filter(RecipientReport::delivered).toList();
  }

  /**
   * Returns the recipients that failed or expired.
   *
   * @return their reports
   */
  public List<RecipientReport> undelivered() {
    return recipients.stream().filter(r -> !r.delivered()).toList();
  }

  /**
   * Returns one recipient's report.
   *
   * @param recipient the recipient
   * @return its report, if it is one of the message's recipients
   */
  public Optional<RecipientReport> recipient(Mailbox recipient) {
    return recipients.stream().filter(r -> r.recipient().equals(recipient)).findFirst();
  }
}
