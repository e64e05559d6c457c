package org.relaymail.relay.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.relaymail.protocol.DeliveryStatusReport;
import org.relaymail.protocol.DsnReturn;
import org.relaymail.protocol.EnhancedStatus;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.RecipientStatus;
import org.relaymail.protocol.SmtpReply;
import org.relaymail.queue.FailureClass;
import org.relaymail.relay.Recipient;

/**
 * Builds the delivery status notifications the relay sends back to a message's envelope sender
 * (RFC 3464, with smtp-protocol's {@link DeliveryStatusReport}): failure reports (bounces), delay
 * warnings and success ("delivered" or "relayed") notices. Each is a message with the null
 * envelope sender, {@code From: postmaster@<helo name>}, {@code Auto-Submitted: auto-replied} (RFC
 * 3834), the remote reply folded to 7-bit, the classification in the human-readable text, and a
 * global report ({@code message/global-delivery-status}, RFC 6533) for SMTPUTF8 messages.
 *
 * <p>Never a notice for a message with the null sender (no bounce for a bounce), and only for the
 * recipients whose NOTIFY asks for it (RFC 3461 section 4.1). Failure reports return the whole
 * message only with {@code RET=FULL} and when it is at most the size cap (50 KB by default);
 * otherwise the header section. Thread-safe when its id supplier is.
 */
public final class BounceBuilder {
  /** The default cap on returned content: 50 KB. */
  public static final int DEFAULT_MAX_RETURNED = 50 * 1024;

  private final String heloName;
  private final Clock clock;
  private final int maxReturned;
  private final Supplier<String> uniqueIds;

  /**
   * What happened to one recipient.
   *
   * @param recipient the recipient with its DSN options
   * @param status the RFC 3463 status (5.x.x failed, 4.x.x delayed, 2.x.x delivered/relayed)
   * @param reply the remote SMTP reply, if one decided the outcome
   * @param remoteMta the host that gave the reply, if any
   * @param failureClass the classification (ignored for successes)
   * @param detail a human-readable reason when there is no reply (DNS failure, expiry, ...)
   * @param lastAttempt when delivery was last attempted
   */
  public record RecipientReport(
      Recipient recipient,
      EnhancedStatus status,
      Optional<SmtpReply> reply,
      Optional<String> remoteMta,
      FailureClass failureClass,
      String detail,
      Instant lastAttempt) {
    /** Validates. */
    public RecipientReport {
      Objects.requireNonNull(recipient, "recipient");
      Objects.requireNonNull(status, "status");
      Objects.requireNonNull(reply, "reply");
      Objects.requireNonNull(remoteMta, "remoteMta");
      Objects.requireNonNull(failureClass, "failureClass");
      Objects.requireNonNull(detail, "detail");
      Objects.requireNonNull(lastAttempt, "lastAttempt");
    }
  }

  /**
   * A notice to queue: envelope sender {@code <>}, one recipient (the original sender).
   *
   * @param recipient the original envelope sender
   * @param content the report message, canonical CRLF
   * @param smtpUtf8 true when it must be sent with SMTPUTF8 (a global report)
   * @param eightBit true when it must be sent with BODY=8BITMIME
   */
  public record Notice(Mailbox recipient, byte[] content, boolean smtpUtf8, boolean eightBit) {
    /** Validates. */
    public Notice {
      Objects.requireNonNull(recipient, "recipient");
      Objects.requireNonNull(content, "content");
    }

    /**
     * Returns the envelope sender of every notice.
     *
     * @return {@link Mailbox#NULL}
     */
    public Mailbox sender() {
      return Mailbox.NULL;
    }
  }

  /** Opens the original message's stored content. */
  @FunctionalInterface
  public interface ContentOpener {
    /**
     * Opens the content.
     *
     * @return a new stream over the whole message
     * @throws IOException if it cannot be read
     */
    InputStream open() throws IOException;
  }

  /**
   * What a notice needs of the original message. The content is opened only when the notice is
   * built, and read whole only when it is returned whole (RET=FULL, at most the cap); otherwise only
   * its header section is read (at most the cap as well).
   *
   * @param sender the original envelope sender (the notice's recipient)
   * @param smtpUtf8 true when the message needed SMTPUTF8 (the notice is a global report, RFC 6533)
   * @param size the content's size in octets
   * @param dsnReturn the RET parameter, if given
   * @param envelopeId the ENVID parameter, if given
   * @param content opens the content
   */
  public record Original(
      Mailbox sender,
      boolean smtpUtf8,
      long size,
      Optional<DsnReturn> dsnReturn,
      Optional<String> envelopeId,
      ContentOpener content) {
    /** Validates. */
    public Original {
      Objects.requireNonNull(sender, "sender");
      Objects.requireNonNull(dsnReturn, "dsnReturn");
      Objects.requireNonNull(envelopeId, "envelopeId");
      Objects.requireNonNull(content, "content");
    }

    /**
     * The original as prepared by {@code send()}.
     *
     * @param p the prepared message
     * @return its view for notices
     */
    public static Original of(PreparedMessage p) {
      byte[] c = p.content();
      return new Original(p.sender(), p.smtpUtf8(), c.length, p.dsnReturn(), p.envelopeId(),
          () -> new ByteArrayInputStream(c));
    }
  }

  /**
   * Creates the builder.
   *
   * @param heloName the relay's fully qualified name (Reporting-MTA and From postmaster@)
   * @param clock the time for Date
   * @param maxReturned the largest original message returned whole, in octets
   * @param uniqueIds the local part of report Message-IDs
   */
  public BounceBuilder(String heloName, Clock clock, int maxReturned, Supplier<String> uniqueIds) {
    this.heloName = HostNames.requireFqdn(heloName, "HELO name");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (maxReturned < 0) {
      throw new IllegalArgumentException("maxReturned must not be negative: " + maxReturned);
    }
    this.maxReturned = maxReturned;
    this.uniqueIds = Objects.requireNonNull(uniqueIds, "uniqueIds");
  }

  /**
   * Builds the failure report for recipients that failed permanently (or expired).
   *
   * @param original the message as queued
   * @param arrival when it was accepted
   * @param failed the failed recipients (5.x.x statuses)
   * @return the bounce, or empty for a null sender or when no recipient wants one
   */
  public Optional<Notice> failure(PreparedMessage original, Instant arrival, List<RecipientReport> failed) {
    try {
      return failure(Original.of(original), arrival, failed);
    } catch (IOException e) {
      throw new IllegalStateException("reading an in-memory message failed", e);
    }
  }

  /**
   * Builds the failure report for recipients that failed permanently (or expired).
   *
   * @param original the message as queued
   * @param arrival when it was accepted
   * @param failed the failed recipients (5.x.x statuses)
   * @return the bounce, or empty for a null sender or when no recipient wants one
   * @throws IOException if the original content cannot be read
   */
  public Optional<Notice> failure(Original original, Instant arrival, List<RecipientReport> failed)
      throws IOException {
    return build(original, arrival, failed, Recipient::wantsFailureReport, RecipientStatus.Action.FAILED, null);
  }

  /**
   * Builds a delay warning for recipients still being retried.
   *
   * @param original the message as queued
   * @param arrival when it was accepted
   * @param delayed the delayed recipients (4.x.x statuses)
   * @param willRetryUntil when the relay gives up
   * @return the warning, or empty for a null sender or when no recipient wants one
   */
  public Optional<Notice> delay(
      PreparedMessage original, Instant arrival, List<RecipientReport> delayed, Instant willRetryUntil) {
    try {
      return delay(Original.of(original), arrival, delayed, willRetryUntil);
    } catch (IOException e) {
      throw new IllegalStateException("reading an in-memory message failed", e);
    }
  }

  /**
   * Builds a delay warning for recipients still being retried.
   *
   * @param original the message as queued
   * @param arrival when it was accepted
   * @param delayed the delayed recipients (4.x.x statuses)
   * @param willRetryUntil when the relay gives up
   * @return the warning, or empty for a null sender or when no recipient wants one
   * @throws IOException if the original content cannot be read
   */
  public Optional<Notice> delay(
      Original original, Instant arrival, List<RecipientReport> delayed, Instant willRetryUntil) throws IOException {
    Objects.requireNonNull(willRetryUntil, "willRetryUntil");
    return build(original, arrival, delayed, Recipient::wantsDelayReport, RecipientStatus.Action.DELAYED, willRetryUntil);
  }

  /**
   * Builds a success notice for recipients that asked for one (NOTIFY=SUCCESS): "delivered", or
   * "relayed" when the next hop did not offer DSN (RFC 3461 section 5.2.2.1).
   *
   * @param original the message as queued
   * @param arrival when it was accepted
   * @param delivered the recipients (2.x.x statuses)
   * @param relayed true when the next hop lacked DSN
   * @return the notice, or empty for a null sender or when no recipient asked
   */
  public Optional<Notice> success(
      PreparedMessage original, Instant arrival, List<RecipientReport> delivered, boolean relayed) {
    try {
      return success(Original.of(original), arrival, delivered, relayed);
    } catch (IOException e) {
      throw new IllegalStateException("reading an in-memory message failed", e);
    }
  }

  /**
   * Builds a success notice for recipients that asked for one (NOTIFY=SUCCESS): "delivered", or
   * "relayed" when the next hop did not offer DSN (RFC 3461 section 5.2.2.1).
   *
   * @param original the message as queued
   * @param arrival when it was accepted
   * @param delivered the recipients (2.x.x statuses)
   * @param relayed true when the next hop lacked DSN
   * @return the notice, or empty for a null sender or when no recipient asked
   * @throws IOException if the original content cannot be read
   */
  public Optional<Notice> success(Original original, Instant arrival, List<RecipientReport> delivered, boolean relayed)
      throws IOException {
    return build(
        original, arrival, delivered, Recipient::wantsSuccessReport,
        relayed ? RecipientStatus.Action.RELAYED : RecipientStatus.Action.DELIVERED, null);
  }

  private Optional<Notice> build(
      Original original,
      Instant arrival,
      List<RecipientReport> reports,
      Predicate<Recipient> wants,
      RecipientStatus.Action action,
      Instant willRetryUntil) throws IOException {
    if (original.sender().isNull()) {
      return Optional.empty(); // never a notice about a notice (RFC 3461 section 6.2)
    }
    List<RecipientReport> selected = new ArrayList<>();
    for (RecipientReport r : reports) {
      if (wants.test(r.recipient())) {
        selected.add(r);
      }
    }
    if (selected.isEmpty()) {
      return Optional.empty();
    }
    OffsetDateTime now = OffsetDateTime.now(clock);
    boolean global = original.smtpUtf8();
    DeliveryStatusReport.Builder b =
        DeliveryStatusReport.builder()
            .from(Mailbox.of("postmaster", heloName))
            .to(original.sender())
            .date(now)
            .messageId(uniqueIds.get() + "@" + heloName)
            .reportingMta(heloName)
            .arrivalDate(OffsetDateTime.ofInstant(arrival, clock.getZone()))
            .global(global)
            .humanReadableText(text(action, selected, willRetryUntil, now));
    original.envelopeId().ifPresent(b::originalEnvelopeId);
    for (RecipientReport r : selected) {
      RecipientStatus.Builder s = RecipientStatus.builder(r.recipient().mailbox(), action, r.status())
          .lastAttemptDate(OffsetDateTime.ofInstant(r.lastAttempt(), clock.getZone()));
      r.recipient().originalRecipient().flatMap(BounceBuilder::orcpt).ifPresent(s::originalRecipient);
      r.remoteMta().ifPresent(s::remoteMta);
      r.reply().ifPresent(reply -> s.diagnosticCode(global ? reply : sevenBit(reply)));
      if (willRetryUntil != null) {
        s.willRetryUntil(OffsetDateTime.ofInstant(willRetryUntil, clock.getZone()));
      }
      b.addRecipient(s.build());
    }
    boolean full =
        action == RecipientStatus.Action.FAILED
            && original.dsnReturn().orElse(DsnReturn.HDRS) == DsnReturn.FULL
            && original.size() <= maxReturned;
    try (InputStream in = original.content().open()) {
      if (full) {
        b.returnMessage(in.readAllBytes());
      } else {
        b.returnHeaders(headerSection(in, maxReturned));
      }
    }
    byte[] report = b.build();
    return Optional.of(new Notice(original.sender(), report, global, hasEightBit(report)));
  }

  /** Reads up to and including the empty line that ends the header section, at most {@code cap} octets. */
  static byte[] headerSection(InputStream in, int cap) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int state = 0; // 0 in a line, 1 after CR, 2 at a line start, 3 after CR at a line start
    int b;
    while (out.size() < cap && (b = in.read()) >= 0) {
      out.write(b);
      state = switch (state) {
        case 0 -> b == '\r' ? 1 : 0;
        case 1 -> b == '\n' ? 2 : b == '\r' ? 1 : 0;
        case 2 -> b == '\r' ? 3 : 0;
        default -> b == '\n' ? 4 : b == '\r' ? 1 : 0;
      };
      if (state == 4) {
        break;
      }
    }
    if (state != 4 && state != 2) {
      // cut inside a line: end the returned section on a whole line
      byte[] all = out.toByteArray();
      int end = all.length;
      while (end > 0 && all[end - 1] != '\n') {
        end--;
      }
      return java.util.Arrays.copyOf(all, end);
    }
    return out.toByteArray();
  }

  private static Optional<Mailbox> orcpt(String address) {
    String a = address.regionMatches(true, 0, "rfc822;", 0, 7) ? address.substring(7).strip() : address;
    try {
      return Optional.of(Mailbox.parse(a));
    } catch (IllegalArgumentException e) {
      return Optional.empty(); // an ORCPT that is not a mailbox is simply not reported
    }
  }

  private String text(
      RecipientStatus.Action action, List<RecipientReport> reports, Instant until, OffsetDateTime now) {
    StringBuilder sb = new StringBuilder();
    sb.append("This is the mail system at host ").append(heloName).append(".\n\n");
    switch (action) {
      case FAILED:
        sb.append("I'm sorry to have to inform you that your message could not\n")
            .append("be delivered to one or more recipients. It's attached below.\n\n")
            .append("For further assistance, please send mail to postmaster.\n\n")
            .append("If you do so, please include this problem report. You can\n")
            .append("delete your own text from the attached returned message.\n\n");
        break;
      case DELAYED:
        sb.append("####################################################################\n")
            .append("# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n")
            .append("####################################################################\n\n")
            .append("Your message could not be delivered yet. The mail system will keep\n")
            .append("trying until ").append(MessagePreparer.formatDate(
                until.atZone(now.getOffset()))).append(".\n\n");
        break;
      default:
        sb.append("Your message was successfully ")
            .append(action == RecipientStatus.Action.RELAYED ? "relayed to a system that does not send\n"
                + "delivery notifications" : "delivered")
            .append(" for the recipients below.\n\n");
        break;
    }
    for (RecipientReport r : reports) {
      sb.append('<').append(r.recipient().mailbox().address()).append(">: ");
      if (action == RecipientStatus.Action.FAILED || action == RecipientStatus.Action.DELAYED) {
        sb.append(r.failureClass().description()).append(" (").append(r.status()).append(")");
        if (r.reply().isPresent()) {
          sb.append(": host ").append(r.remoteMta().orElse("(unknown)")).append(" said: ")
              .append(sevenBitText(r.reply().get().code() + " " + String.join(" ", r.reply().get().lines())));
        }
        if (!r.detail().isEmpty()) {
          sb.append(r.reply().isPresent() ? " (" : ": ").append(sevenBitText(r.detail()))
              .append(r.reply().isPresent() ? ")" : "");
        }
      } else {
        sb.append(r.remoteMta().map(h -> action.keyword() + " to " + h).orElse(action.keyword()));
      }
      sb.append("\n");
    }
    return sb.toString();
  }

  /**
   * Folds text to printable 7-bit ASCII on one line of at most 900 characters, for logs and
   * synthetic replies.
   *
   * @param s the text
   * @return the folded text
   */
  static String fold(String s) {
    String t = sevenBitText(s);
    return t.length() > 900 ? t.substring(0, 900) : t;
  }

  /** Folds text to printable 7-bit ASCII: other characters become '?'. */
  static String sevenBitText(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      sb.append(c >= 0x20 && c < 0x7f ? c : (c == '\t' ? ' ' : '?'));
    }
    return sb.toString();
  }

  private static SmtpReply sevenBit(SmtpReply reply) {
    List<String> lines = new ArrayList<>();
    for (String l : reply.lines()) {
      lines.add(sevenBitText(l));
    }
    return SmtpReply.of(reply.code(), lines);
  }

  private static boolean hasEightBit(byte[] c) {
    for (byte x : c) {
      if (x < 0) {
        return true;
      }
    }
    return false;
  }

  static String ascii(byte[] b) {
    return new String(b, StandardCharsets.US_ASCII);
  }
}
