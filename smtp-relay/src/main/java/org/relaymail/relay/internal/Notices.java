package org.relaymail.relay.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.relaymail.protocol.SmtpReply;
import org.relaymail.queue.QueuedMessage;
import org.relaymail.queue.RecipientRecord;
import org.relaymail.queue.ReturnOption;
import org.relaymail.queue.FailureClass;

/**
 * Composes delivery status notifications (RFC 3464): a {@code multipart/report} with a human
 * part, the machine-readable {@code message/delivery-status} (or {@code
 * message/global-delivery-status} for SMTPUTF8 messages, RFC 6533) and the original header
 * section, or the whole message when RET=FULL asked for it and it is not larger than the cap. The
 * notice carries {@code Auto-Submitted: auto-replied} (RFC 3834) and comes from the postmaster of
 * the HELO name; remote reply text is folded to 7-bit. Thread-safe.
 */
public final class Notices {
  /** What a notice reports. */
  public enum Kind {
    /** Permanent failure or expiry: {@code Action: failed}. */
    FAILED("Undelivered Mail Returned to Sender", "failed"),
    /** Still being retried: {@code Action: delayed}. */
    DELAYED("Delayed Mail (still being retried)", "delayed"),
    /** Handed to a next hop without DSN support: {@code Action: relayed}. */
    RELAYED("Successful Mail Delivery Report", "relayed");

    final String subject;
    final String action;

    Kind(String subject, String action) {
      this.subject = subject;
      this.action = action;
    }
  }

  private final String reportingMta;
  private final Clock clock;
  private final long fullReturnCap;

  /**
   * Creates the composer.
   *
   * @param reportingMta the relay's HELO name
   * @param clock for Date fields
   * @param fullReturnCap the largest message returned whole (RET=FULL); larger ones return headers only
   */
  public Notices(String reportingMta, Clock clock, long fullReturnCap) {
    this.reportingMta = Objects.requireNonNull(reportingMta, "reportingMta");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.fullReturnCap = fullReturnCap;
  }

  /**
   * Composes a notice about some recipients of a message.
   *
   * @param kind what it reports
   * @param message the original message's queue record
   * @param recipients the recipients it covers, with their last replies
   * @param classes the failure class of each recipient, same order (null entries allowed)
   * @param content opens the original content
   * @param willRetryUntil for DELAYED, the give-up time
   * @return the notice, CRLF line endings
   * @throws IOException if the original content cannot be read
   */
  public byte[] compose(
      Kind kind,
      QueuedMessage message,
      List<RecipientRecord> recipients,
      List<FailureClass> classes,
      ContentOpener content,
      Optional<Instant> willRetryUntil)
      throws IOException {
    String boundary = "=_relaymail_" + MessagePreparer.randomId();
    boolean global = message.smtpUtf8();
    StringBuilder h = new StringBuilder();
    Instant now = clock.instant();
    header(h, "From", "Mail Delivery System <MAILER-DAEMON@" + reportingMta + ">");
    header(h, "To", message.sender().isNull() ? "undisclosed-recipients:;" : "<" + message.sender().address() + ">");
    header(h, "Subject", kind.subject);
    header(h, "Date", MessagePreparer.formatDate(now.atZone(ZoneOffset.UTC)));
    header(h, "Message-ID", "<" + MessagePreparer.randomId() + "@" + reportingMta + ">");
    header(h, "Auto-Submitted", "auto-replied");
    header(h, "MIME-Version", "1.0");
    header(h, "Content-Type", "multipart/report; report-type=delivery-status;\r\n\tboundary=\"" + boundary + "\"");
    h.append("\r\n");
    h.append("This is a MIME-encapsulated message.\r\n\r\n");

    // 1. human readable part
    h.append("--").append(boundary).append("\r\n");
    header(h, "Content-Description", "Notification");
    header(h, "Content-Type", "text/plain; charset=us-ascii");
    h.append("\r\n");
    h.append("This is the mail system at host ").append(reportingMta).append(".\r\n\r\n");
    switch (kind) {
      case FAILED -> h.append("I'm sorry to have to inform you that your message could not\r\n"
          + "be delivered to one or more recipients. It's attached below.\r\n");
      case DELAYED -> h.append("Your message could not be delivered for some time. It will be\r\n"
          + "retried until " + willRetryUntil.map(t -> MessagePreparer.formatDate(t.atZone(ZoneOffset.UTC)))
              .orElse("it expires") + "; you need not resend it.\r\n");
      case RELAYED -> h.append("Your message was handed to a server that does not report\r\n"
          + "delivery; no further notification is to be expected.\r\n");
    }
    h.append("\r\n");
    for (int i = 0; i < recipients.size(); i++) {
      RecipientRecord r = recipients.get(i);
      FailureClass c = classes.get(i);
      h.append("<").append(ascii(r.mailbox().address())).append(">");
      if (c != null) {
        h.append(": ").append(c.description());
      }
      r.lastReply().ifPresent(rep -> h.append(": ").append(fold(rep.code() + " " + String.join(" ", rep.lines()))));
      h.append("\r\n");
    }
    h.append("\r\n");

    // 2. machine readable part (RFC 3464 section 2)
    h.append("--").append(boundary).append("\r\n");
    header(h, "Content-Description", "Delivery report");
    header(h, "Content-Type", global ? "message/global-delivery-status" : "message/delivery-status");
    h.append("\r\n");
    header(h, "Reporting-MTA", "dns; " + reportingMta);
    message.envId().ifPresent(e -> header(h, "Original-Envelope-Id", e));
    header(h, "Arrival-Date", MessagePreparer.formatDate(message.arrivalTime().atZone(ZoneOffset.UTC)));
    for (RecipientRecord r : recipients) {
      h.append("\r\n");
      r.orcpt().ifPresent(o -> header(h, "Original-Recipient", o.contains(";") ? o : "rfc822; " + o));
      header(h, "Final-Recipient", (global && r.mailbox().needsSmtpUtf8() ? "utf-8; " : "rfc822; ")
          + (global ? r.mailbox().address() : ascii(r.mailbox().address())));
      header(h, "Action", kind.action);
      header(h, "Status", status(kind, r.lastReply()));
      r.remoteMta().ifPresent(m -> header(h, "Remote-MTA", "dns; " + hostOf(m)));
      r.lastReply()
          .filter(rep -> !rep.text().startsWith("relaymail:") || rep.code() >= 400)
          .ifPresent(rep -> header(h, "Diagnostic-Code", "smtp; " + fold(rep.code() + " " + String.join(" ", rep.lines()))));
      r.lastAttemptAt().ifPresent(t -> header(h, "Last-Attempt-Date", MessagePreparer.formatDate(t.atZone(ZoneOffset.UTC))));
      if (kind == Kind.DELAYED) {
        willRetryUntil.ifPresent(t -> header(h, "Will-Retry-Until", MessagePreparer.formatDate(t.atZone(ZoneOffset.UTC))));
      }
    }
    h.append("\r\n");

    // 3. the original message or its header section
    boolean full = message.ret().orElse(ReturnOption.HDRS) == ReturnOption.FULL && message.size() <= fullReturnCap;
    h.append("--").append(boundary).append("\r\n");
    header(h, "Content-Description", full ? "Undelivered Message" : "Undelivered Message Headers");
    header(h, "Content-Type", full ? (global ? "message/global" : "message/rfc822")
        : (global ? "message/global-headers" : "text/rfc822-headers"));
    h.append("\r\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(h.toString().getBytes(global ? StandardCharsets.UTF_8 : StandardCharsets.US_ASCII));
    byte[] original = readOriginal(content, full);
    out.write(original);
    if (original.length > 0 && (original.length < 2 || original[original.length - 2] != '\r'
        || original[original.length - 1] != '\n')) {
      out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    out.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  /** Opens a message's stored content. */
  @FunctionalInterface
  public interface ContentOpener {
    /**
     * @return the content stream
     * @throws IOException if it cannot be read
     */
    InputStream open() throws IOException;
  }

  private byte[] readOriginal(ContentOpener content, boolean full) throws IOException {
    try (InputStream in = content.open()) {
      if (full) {
        return in.readAllBytes();
      }
      // the header section: up to and including the CRLF CRLF (headers end at the first empty line)
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      int state = 0;
      int b;
      while ((b = in.read()) >= 0) {
        out.write(b);
        state = switch (state) {
          case 0 -> b == '\r' ? 1 : 0;
          case 1 -> b == '\n' ? 2 : (b == '\r' ? 1 : 0);
          case 2 -> b == '\r' ? 3 : 0;
          case 3 -> b == '\n' ? 4 : (b == '\r' ? 1 : 0);
          default -> state;
        };
        if (state == 4 || out.size() > fullReturnCap) {
          break;
        }
      }
      return out.toByteArray();
    }
  }

  private static String status(Kind kind, Optional<SmtpReply> reply) {
    if (reply.isPresent() && reply.get().enhancedStatus().isPresent()) {
      String s = reply.get().enhancedStatus().get().toString();
      if (kind == Kind.DELAYED && s.startsWith("5")) {
        return "4" + s.substring(1);
      }
      return kind == Kind.RELAYED ? "2.0.0" : s;
    }
    return switch (kind) {
      case FAILED -> reply.map(r -> r.isTransient() ? "4.0.0" : "5.0.0").orElse("5.0.0");
      case DELAYED -> "4.0.0";
      case RELAYED -> "2.0.0";
    };
  }

  private static String hostOf(String remoteMta) {
    int b = remoteMta.indexOf('[');
    return ascii(b > 0 ? remoteMta.substring(0, b) : remoteMta);
  }

  private static void header(StringBuilder sb, String name, String value) {
    sb.append(name).append(": ").append(value).append("\r\n");
  }

  /** Folds text to printable 7-bit ASCII on one logical line, at most 900 characters. */
  static String fold(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length() && sb.length() < 900; i++) {
      char c = s.charAt(i);
      sb.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return sb.toString();
  }

  private static String ascii(String s) {
    return fold(s);
  }
}
