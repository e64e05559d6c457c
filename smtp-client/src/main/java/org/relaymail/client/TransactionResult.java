package org.relaymail.client;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.relaymail.protocol.SmtpReply;

/**
 * The outcome of sending one message (one {@link Envelope}) on a connection: a result per recipient,
 * the final reply and the server's queue id when the final reply names one. When the recipients
 * needed several SMTP transactions (more than the per-transaction cap, or a {@code 452 4.5.3}),
 * {@link #finalReplies()} holds one final reply per transaction.
 *
 * <p>Thread-safe (immutable record).
 *
 * @param envelope the envelope sent
 * @param recipients one result per recipient, in envelope order
 * @param finalReplies the replies after the data (or to BDAT LAST), one per transaction that got
 *     that far
 */
public record TransactionResult(
    Envelope envelope, List<RecipientResult> recipients, List<SmtpReply> finalReplies) {

  private static final Pattern QUEUE_ID =
      Pattern.compile(
          "(?i)(?:queued as|queue id|id=|ok:? queued as|message accepted for delivery:?)\\s*<?([A-Za-z0-9._@-]{3,})>?");

  /** Checks and copies. */
  public TransactionResult {
    Objects.requireNonNull(envelope, "envelope");
    recipients = List.copyOf(recipients);
    finalReplies = List.copyOf(finalReplies);
    if (recipients.size() != envelope.recipients().size()) {
      throw new IllegalArgumentException(
          "one result per recipient needed: " + recipients.size() + " results for "
              + envelope.recipients().size() + " recipients");
    }
    for (int i = 0; i < recipients.size(); i++) {
      if (!recipients.get(i).recipient().equals(envelope.recipients().get(i))) {
        throw new IllegalArgumentException(
            "results must follow the envelope's order: result " + i + " is for "
                + recipients.get(i).recipient() + ", the envelope has "
                + envelope.recipients().get(i));
      }
    }
  }

  /** @return the first transaction's final reply, if the transaction got that far */
  public Optional<SmtpReply> finalReply() {
    return finalReplies.isEmpty() ? Optional.empty() : Optional.of(finalReplies.get(0));
  }

  /**
   * The server's queue id from the first positive final reply, such as Postfix's {@code 250 2.0.0
   * Ok: queued as 4Xyz} (a heuristic: servers word it differently).
   *
   * @return the queue id, if the reply names one
   */
  public Optional<String> queueId() {
    for (SmtpReply r : finalReplies) {
      if (r.isPositive()) {
        Matcher m = QUEUE_ID.matcher(r.text());
        if (m.find()) {
          return Optional.of(m.group(1));
        }
      }
    }
    return Optional.empty();
  }

  /** @return whether every recipient was accepted */
  public boolean allAccepted() {
    return recipients.stream().allMatch(RecipientResult::accepted);
  }

  /** @return the accepted recipients' results */
  public List<RecipientResult> accepted() {
    return recipients.stream().filter(RecipientResult::accepted).toList();
  }

  /** @return the results of recipients with a transient failure */
  public List<RecipientResult> transientFailures() {
    return recipients.stream()
        .filter(r -> r.status() == RecipientResult.Status.TRANSIENT)
        .toList();
  }

  /** @return the results of recipients with a permanent failure */
  public List<RecipientResult> permanentFailures() {
    return recipients.stream()
        .filter(r -> r.status() == RecipientResult.Status.PERMANENT)
        .toList();
  }
}
