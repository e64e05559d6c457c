package org.relaymail.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.UnsupportedCharsetException;
import java.security.SecureRandom;
import java.time.DateTimeException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.relaymail.protocol.internal.Mime;
import org.relaymail.protocol.internal.Text;

/**
 * A delivery status notification (DSN, "bounce"): an RFC 3462 {@code multipart/report} message with
 * {@code report-type=delivery-status} (RFC 3464), built by a sending MTA and parsed back by anyone.
 *
 * <p>The message has three parts: a human-readable {@code text/plain} explanation, the
 * machine-readable {@code message/delivery-status} part (per message: {@code Reporting-MTA},
 * {@code Original-Envelope-Id}, {@code Arrival-Date}; per recipient: see {@link RecipientStatus}),
 * and optionally the original message's header ({@code text/rfc822-headers}) or the whole original
 * message ({@code message/rfc822}). Its header carries {@code Auto-Submitted: auto-replied}
 * (RFC 3834) so that no one answers a bounce with a bounce.
 *
 * <p>{@link Builder#build()} returns the report as bytes: canonical CRLF lines, 7-bit (the
 * human-readable text goes quoted-printable when it is not ASCII, and non-ASCII characters in a
 * diagnostic reply become {@code ?}), except for two cases. A <em>global</em> report (RFC 6533,
 * for SMTPUTF8 messages, {@link Builder#global(boolean)}) uses {@code message/global-delivery-status},
 * {@code message/global-headers} and {@code message/global}, and carries UTF-8 as it is. And original
 * content with 8-bit octets is returned as it is, its part labelled
 * {@code Content-Transfer-Encoding: 8bit}; send such a report with {@code BODY=8BITMIME}.
 *
 * <p>{@link #parse(byte[])} reads a report back into this value; for a report built here, every
 * value given to the builder comes back equal (dates to the second; text with CRLF line endings).
 * Instances are immutable and thread-safe; the builder is not thread-safe.
 */
public final class DeliveryStatusReport {

  /** What of the original message a report returns (RFC 3461 section 4.3, {@code RET}). */
  public enum ReturnedContent {
    /** Nothing is returned. */
    NONE,
    /** The original header section ({@code text/rfc822-headers}, RFC 3462 section 3). */
    HEADERS,
    /** The whole original message ({@code message/rfc822}). */
    MESSAGE
  }

  private final Optional<Mailbox> from;
  private final Optional<Mailbox> to;
  private final String subject;
  private final Optional<OffsetDateTime> date;
  private final Optional<String> messageId;
  private final String humanReadableText;
  private final String reportingMta;
  private final Optional<String> originalEnvelopeId;
  private final Optional<OffsetDateTime> arrivalDate;
  private final List<RecipientStatus> recipients;
  private final ReturnedContent returnedContent;
  private final byte[] returned;
  private final boolean global;
  private final String boundary;

  private DeliveryStatusReport(Optional<Mailbox> from, Optional<Mailbox> to, String subject,
      Optional<OffsetDateTime> date, Optional<String> messageId, String humanReadableText,
      String reportingMta, Optional<String> originalEnvelopeId, Optional<OffsetDateTime> arrivalDate,
      List<RecipientStatus> recipients, ReturnedContent returnedContent, byte[] returned,
      boolean global, String boundary) {
    this.from = from;
    this.to = to;
    this.subject = subject;
    this.date = date;
    this.messageId = messageId;
    this.humanReadableText = humanReadableText;
    this.reportingMta = reportingMta;
    this.originalEnvelopeId = originalEnvelopeId;
    this.arrivalDate = arrivalDate;
    this.recipients = List.copyOf(recipients);
    this.returnedContent = returnedContent;
    this.returned = returned.clone();
    this.global = global;
    this.boundary = boundary;
  }

  /**
   * Starts a builder.
   *
   * @return a new builder; not thread-safe
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns a builder holding every value of this report, e.g. to rebuild it.
   *
   * @return a new builder; not thread-safe
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    from.ifPresent(b::from);
    to.ifPresent(b::to);
    b.subject(subject);
    date.ifPresent(b::date);
    messageId.ifPresent(b::messageId);
    b.humanReadableText(humanReadableText);
    b.reportingMta(reportingMta);
    originalEnvelopeId.ifPresent(b::originalEnvelopeId);
    arrivalDate.ifPresent(b::arrivalDate);
    recipients.forEach(b::addRecipient);
    b.returnedContent = returnedContent;
    b.returned = returned.clone();
    b.global(global);
    b.boundary(boundary);
    return b;
  }

  /** @return the report's {@code From} (the reporting postmaster), if present */
  public Optional<Mailbox> from() {
    return from;
  }

  /** @return the report's {@code To} (the original envelope sender), if present */
  public Optional<Mailbox> to() {
    return to;
  }

  /** @return the report's {@code Subject}, as it stands in the header */
  public String subject() {
    return subject;
  }

  /** @return the report's {@code Date}, if present */
  public Optional<OffsetDateTime> date() {
    return date;
  }

  /** @return the report's {@code Message-ID} without angle brackets, if present */
  public Optional<String> messageId() {
    return messageId;
  }

  /** @return the human-readable part's text, decoded, with CRLF line endings */
  public String humanReadableText() {
    return humanReadableText;
  }

  /** @return the host name in {@code Reporting-MTA} (RFC 3464 section 2.2.2) */
  public String reportingMta() {
    return reportingMta;
  }

  /** @return {@code Original-Envelope-Id}, the sender's {@code ENVID} (RFC 3464 section 2.2.1) */
  public Optional<String> originalEnvelopeId() {
    return originalEnvelopeId;
  }

  /** @return {@code Arrival-Date}, when the reporting MTA received the message (section 2.2.5) */
  public Optional<OffsetDateTime> arrivalDate() {
    return arrivalDate;
  }

  /** @return the per-recipient statuses, at least one, in report order */
  public List<RecipientStatus> recipients() {
    return recipients;
  }

  /** @return what of the original message the report returns */
  public ReturnedContent returnedContent() {
    return returnedContent;
  }

  /** @return a copy of the returned original header section or message; empty for NONE */
  public byte[] returned() {
    return returned.clone();
  }

  /** @return whether this is an RFC 6533 global report ({@code message/global-delivery-status}) */
  public boolean isGlobal() {
    return global;
  }

  /** @return the MIME boundary of the {@code multipart/report} */
  public String boundary() {
    return boundary;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DeliveryStatusReport r && from.equals(r.from) && to.equals(r.to)
        && subject.equals(r.subject) && date.equals(r.date) && messageId.equals(r.messageId)
        && humanReadableText.equals(r.humanReadableText) && reportingMta.equals(r.reportingMta)
        && originalEnvelopeId.equals(r.originalEnvelopeId) && arrivalDate.equals(r.arrivalDate)
        && recipients.equals(r.recipients) && returnedContent == r.returnedContent
        && Arrays.equals(returned, r.returned) && global == r.global && boundary.equals(r.boundary);
  }

  @Override
  public int hashCode() {
    return Objects.hash(from, to, subject, date, messageId, reportingMta, recipients, global);
  }

  /** @return a one-line summary: reporting MTA and each recipient's action and status */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("DeliveryStatusReport[").append(reportingMta);
    for (RecipientStatus r : recipients) {
      b.append(", ").append(r.finalRecipient()).append(' ').append(r.action().keyword()).append(' ')
          .append(r.status());
    }
    return b.append(']').toString();
  }

  // ------------------------------------------------------------------------------------- builder

  /**
   * Builds the bytes of a delivery status report. {@link #reportingMta(String)},
   * {@link #from(Mailbox)} and at least one recipient are required. Not thread-safe.
   */
  public static final class Builder {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern BOUNDARY = Pattern.compile("[0-9A-Za-z'()+_,\\-./:=? ]{0,69}[0-9A-Za-z'()+_,\\-./:=?]");

    private Mailbox from;
    private Mailbox to;
    private String subject;
    private OffsetDateTime date;
    private String messageId;
    private String humanReadableText;
    private String reportingMta;
    private String originalEnvelopeId;
    private OffsetDateTime arrivalDate;
    private final List<RecipientStatus> recipients = new ArrayList<>();
    private ReturnedContent returnedContent = ReturnedContent.NONE;
    private byte[] returned = new byte[0];
    private boolean global;
    private String boundary;

    private Builder() {}

    /**
     * Sets the report's {@code From}: the postmaster of the reporting host. Required.
     *
     * @param from the address
     * @return this builder
     */
    public Builder from(Mailbox from) {
      this.from = Objects.requireNonNull(from, "from");
      return this;
    }

    /**
     * Sets the report's {@code To}: the original envelope sender.
     *
     * @param to the address
     * @return this builder
     */
    public Builder to(Mailbox to) {
      this.to = Objects.requireNonNull(to, "to");
      return this;
    }

    /**
     * Sets the {@code Subject}; by default it says what happened ("Undelivered Mail Returned to
     * Sender", "Delayed Mail (still being retried)" or "Successful Mail Delivery Report").
     *
     * @param subject the text, without CR, LF or other control characters
     * @return this builder
     * @throws IllegalArgumentException if the text has control characters
     */
    public Builder subject(String subject) {
      this.subject = checkText("subject", subject);
      return this;
    }

    /**
     * Sets the {@code Date}; by default the time of {@link #build()}. Kept to the second.
     *
     * @param date the time
     * @return this builder
     */
    public Builder date(OffsetDateTime date) {
      this.date = Objects.requireNonNull(date, "date").truncatedTo(ChronoUnit.SECONDS);
      return this;
    }

    /**
     * Sets the {@code Message-ID}, without angle brackets, e.g. {@code 1234.abc@mx.example.org}.
     *
     * @param messageId the id
     * @return this builder
     * @throws IllegalArgumentException if it contains spaces, angle brackets or control characters
     */
    public Builder messageId(String messageId) {
      Objects.requireNonNull(messageId, "messageId");
      if (messageId.isEmpty() || !messageId.chars().allMatch(c -> c > ' ' && c < 0x7f && c != '<' && c != '>')) {
        throw new IllegalArgumentException("Message-ID " + Text.quote(messageId)
            + " must be printable ASCII without spaces or angle brackets (RFC 5322 section 3.6.4)");
      }
      this.messageId = messageId;
      return this;
    }

    /**
     * Sets the human-readable explanation; by default one is written from the recipients. Line
     * endings are made CRLF and the text ends with CRLF.
     *
     * @param text the explanation; any Unicode text without NUL
     * @return this builder
     */
    public Builder humanReadableText(String text) {
      Objects.requireNonNull(text, "text");
      if (text.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("the human-readable text must not contain NUL");
      }
      this.humanReadableText = text;
      return this;
    }

    /**
     * Sets the reporting MTA's host name ({@code Reporting-MTA: dns; name}). Required.
     *
     * @param hostName e.g. {@code mx.example.org}
     * @return this builder
     * @throws IllegalArgumentException if it is not a printable ASCII name without spaces
     */
    public Builder reportingMta(String hostName) {
      Objects.requireNonNull(hostName, "hostName");
      RecipientStatus.checkHostName(hostName);
      this.reportingMta = hostName;
      return this;
    }

    /**
     * Sets {@code Original-Envelope-Id}: the sender's {@code ENVID} (RFC 3461 section 4.4),
     * decoded from xtext.
     *
     * @param envelopeId the id, printable text without control characters
     * @return this builder
     * @throws IllegalArgumentException if it is empty or has control characters
     */
    public Builder originalEnvelopeId(String envelopeId) {
      this.originalEnvelopeId = checkText("envelope id", envelopeId).trim();
      if (this.originalEnvelopeId.isEmpty()) {
        throw new IllegalArgumentException("the envelope id must not be empty");
      }
      return this;
    }

    /**
     * Sets {@code Arrival-Date}. Kept to the second.
     *
     * @param arrivalDate when the message was received
     * @return this builder
     */
    public Builder arrivalDate(OffsetDateTime arrivalDate) {
      this.arrivalDate = Objects.requireNonNull(arrivalDate, "arrivalDate").truncatedTo(ChronoUnit.SECONDS);
      return this;
    }

    /**
     * Adds a recipient's status.
     *
     * @param recipient the status
     * @return this builder
     */
    public Builder addRecipient(RecipientStatus recipient) {
      recipients.add(Objects.requireNonNull(recipient, "recipient"));
      return this;
    }

    /**
     * Returns the original message's header section ({@code text/rfc822-headers}); everything
     * from the first empty line on is left out. The bytes are made canonical (CRLF).
     *
     * @param originalMessageOrHeaders the original message, or just its header section
     * @return this builder
     * @throws LineTooLongException if a line is longer than 998 octets
     */
    public Builder returnHeaders(byte[] originalMessageOrHeaders) {
      byte[] canonical = MessageNormalizer.normalize(originalMessageOrHeaders);
      int end = headerSectionLength(canonical);
      this.returned = Arrays.copyOf(canonical, end);
      this.returnedContent = ReturnedContent.HEADERS;
      return this;
    }

    /**
     * Returns the whole original message ({@code message/rfc822}). The bytes are made canonical.
     *
     * @param originalMessage the original message
     * @return this builder
     * @throws LineTooLongException if a line is longer than 998 octets
     */
    public Builder returnMessage(byte[] originalMessage) {
      this.returned = MessageNormalizer.normalize(originalMessage);
      this.returnedContent = ReturnedContent.MESSAGE;
      return this;
    }

    /**
     * Returns nothing of the original message (the default).
     *
     * @return this builder
     */
    public Builder returnNothing() {
      this.returned = new byte[0];
      this.returnedContent = ReturnedContent.NONE;
      return this;
    }

    /**
     * Makes this a global report (RFC 6533) for a message sent with SMTPUTF8: UTF-8 in addresses,
     * header and text is kept. Needed when any address needs SMTPUTF8.
     *
     * @param global whether to build a global report
     * @return this builder
     */
    public Builder global(boolean global) {
      this.global = global;
      return this;
    }

    /**
     * Sets the MIME boundary; by default a random one that does not occur in the content.
     *
     * @param boundary 1 to 70 characters allowed by RFC 2046 section 5.1.1, not ending in space
     * @return this builder
     * @throws IllegalArgumentException if it is not a valid boundary
     */
    public Builder boundary(String boundary) {
      Objects.requireNonNull(boundary, "boundary");
      if (!BOUNDARY.matcher(boundary).matches()) {
        throw new IllegalArgumentException("boundary " + Text.quote(boundary)
            + " must be 1-70 characters of RFC 2046 section 5.1.1 bchars, not ending in a space");
      }
      this.boundary = boundary;
      return this;
    }

    /**
     * Returns the report as bytes, ready to be queued and sent.
     *
     * @return the report: canonical CRLF; 7-bit unless global or returning 8-bit content
     * @throws IllegalStateException if a required value is missing, an address needs SMTPUTF8 in a
     *     report that is not global, the subject is not ASCII in a report that is not global, or
     *     the boundary set occurs in the content
     */
    public byte[] build() {
      if (reportingMta == null) {
        throw new IllegalStateException("reportingMta is required (RFC 3464 section 2.2.2)");
      }
      if (from == null) {
        throw new IllegalStateException("from (the reporting postmaster) is required");
      }
      if (recipients.isEmpty()) {
        throw new IllegalStateException("a report needs at least one recipient (RFC 3464 section 2.1)");
      }
      String theSubject = subject != null ? subject : defaultSubject();
      if (!global && !Text.isAscii(theSubject)) {
        throw new IllegalStateException("subject " + Text.quote(theSubject)
            + " is not ASCII; only a global report (RFC 6533) may carry UTF-8 in its header");
      }
      if (!global && originalEnvelopeId != null && !Text.isAscii(originalEnvelopeId)) {
        throw new IllegalStateException("envelope id " + Text.quote(originalEnvelopeId)
            + " is not ASCII; only a global report (RFC 6533) may carry UTF-8");
      }
      OffsetDateTime theDate = date != null ? date
          : OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS);
      byte[] text = MessageNormalizer.normalize(
          (humanReadableText != null ? humanReadableText : defaultText()).getBytes(StandardCharsets.UTF_8),
          Integer.MAX_VALUE);

      StringBuilder status = new StringBuilder();
      status.append("Reporting-MTA: dns; ").append(reportingMta).append("\r\n");
      if (originalEnvelopeId != null) {
        status.append("Original-Envelope-Id: ").append(originalEnvelopeId).append("\r\n");
      }
      if (arrivalDate != null) {
        status.append("Arrival-Date: ").append(Mime.formatDate(arrivalDate)).append("\r\n");
      }
      for (RecipientStatus r : recipients) {
        status.append("\r\n");
        r.originalRecipient().ifPresent(
            m -> status.append("Original-Recipient: ").append(typedAddress(m)).append("\r\n"));
        status.append("Final-Recipient: ").append(typedAddress(r.finalRecipient())).append("\r\n");
        status.append("Action: ").append(r.action().keyword()).append("\r\n");
        status.append("Status: ").append(r.status()).append("\r\n");
        r.remoteMta().ifPresent(m -> status.append("Remote-MTA: dns; ").append(m).append("\r\n"));
        r.diagnosticCode().ifPresent(d -> status.append(diagnostic(d)));
        r.lastAttemptDate().ifPresent(
            d -> status.append("Last-Attempt-Date: ").append(Mime.formatDate(d)).append("\r\n"));
        r.willRetryUntil().ifPresent(
            d -> status.append("Will-Retry-Until: ").append(Mime.formatDate(d)).append("\r\n"));
      }
      byte[] statusBytes = status.toString().getBytes(StandardCharsets.UTF_8);

      String textPartHeader;
      byte[] textBody;
      boolean ascii = isAscii(text);
      boolean shortLines = MessageNormalizer.isCanonical(text);
      if (ascii && shortLines) {
        textPartHeader = "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n";
        textBody = text;
      } else if (global && shortLines) {
        textPartHeader = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n";
        textBody = text;
      } else {
        textPartHeader = "Content-Type: text/plain; charset=" + (ascii ? "us-ascii" : "utf-8")
            + "\r\nContent-Transfer-Encoding: quoted-printable\r\n";
        textBody = Mime.encodeQuotedPrintable(text).getBytes(StandardCharsets.US_ASCII);
      }

      String theBoundary = boundary;
      if (theBoundary == null) {
        do {
          byte[] r = new byte[12];
          RANDOM.nextBytes(r);
          theBoundary = "=_relaymail_" + HexFormat.of().formatHex(r);
        } while (contains(textBody, theBoundary) || contains(statusBytes, theBoundary)
            || contains(returned, theBoundary));
      } else if (contains(textBody, theBoundary) || contains(statusBytes, theBoundary)
          || contains(returned, theBoundary)) {
        throw new IllegalStateException("boundary " + Text.quote(theBoundary) + " occurs in the content");
      }

      ByteArrayOutputStream out = new ByteArrayOutputStream(
          1024 + textBody.length + statusBytes.length + returned.length);
      StringBuilder h = new StringBuilder();
      h.append("From: Mail Delivery System <").append(headerAddress(from)).append(">\r\n");
      if (to != null) {
        h.append("To: <").append(headerAddress(to)).append(">\r\n");
      }
      h.append("Subject: ").append(theSubject).append("\r\n");
      h.append("Date: ").append(Mime.formatDate(theDate)).append("\r\n");
      if (messageId != null) {
        h.append("Message-ID: <").append(messageId).append(">\r\n");
      }
      h.append("MIME-Version: 1.0\r\n");
      h.append("Auto-Submitted: auto-replied\r\n");
      h.append("Content-Type: multipart/report; report-type=")
          .append(global ? "global-delivery-status" : "delivery-status").append(";\r\n");
      h.append("\tboundary=\"").append(theBoundary).append("\"\r\n");
      h.append("\r\n");
      h.append("This is a MIME-encapsulated message: a delivery status notification (RFC 3464).\r\n");
      h.append("\r\n--").append(theBoundary).append("\r\n");
      h.append("Content-Description: Notification\r\n").append(textPartHeader).append("\r\n");
      writeUtf8(out, h);
      out.writeBytes(textBody);

      h.setLength(0);
      h.append("\r\n--").append(theBoundary).append("\r\n");
      h.append("Content-Description: Delivery report\r\n");
      h.append("Content-Type: message/").append(global ? "global-delivery-status" : "delivery-status")
          .append("\r\n");
      if (global && !isAscii(statusBytes)) {
        h.append("Content-Transfer-Encoding: 8bit\r\n");
      }
      h.append("\r\n");
      writeUtf8(out, h);
      out.writeBytes(statusBytes);

      if (returnedContent != ReturnedContent.NONE) {
        h.setLength(0);
        h.append("\r\n--").append(theBoundary).append("\r\n");
        boolean headers = returnedContent == ReturnedContent.HEADERS;
        h.append("Content-Description: ")
            .append(headers ? "Undelivered message headers" : "Undelivered message").append("\r\n");
        h.append("Content-Type: ").append(headers
            ? (global ? "message/global-headers" : "text/rfc822-headers")
            : (global ? "message/global" : "message/rfc822")).append("\r\n");
        if (!isAscii(returned)) {
          h.append("Content-Transfer-Encoding: 8bit\r\n");
        }
        h.append("\r\n");
        writeUtf8(out, h);
        out.writeBytes(returned);
      }
      writeUtf8(out, new StringBuilder("\r\n--").append(theBoundary).append("--\r\n"));
      return out.toByteArray();
    }

    private String typedAddress(Mailbox m) {
      if (m.needsSmtpUtf8()) {
        if (!global) {
          throw new IllegalStateException("address " + m + " needs SMTPUTF8; build a global report"
              + " (RFC 6533) for it with global(true)");
        }
        return "utf-8; " + m.address();
      }
      return "rfc822; " + stripBrackets(m.toPath());
    }

    private String headerAddress(Mailbox m) {
      if (m.needsSmtpUtf8()) {
        if (!global) {
          throw new IllegalStateException("address " + m + " needs SMTPUTF8; build a global report"
              + " (RFC 6533) for it with global(true)");
        }
        return m.address();
      }
      return stripBrackets(m.toPath());
    }

    private String diagnostic(SmtpReply reply) {
      StringBuilder b = new StringBuilder("Diagnostic-Code: smtp; ");
      List<String> lines = reply.lines();
      for (int i = 0; i < lines.size(); i++) {
        if (i > 0) {
          b.append("\r\n ");
        }
        String line = lines.get(i);
        if (!global) {
          line = line.replaceAll("[^\\x20-\\x7e]", "?");
        }
        b.append(reply.code()).append(i + 1 < lines.size() ? "-" : (line.isEmpty() ? "" : " "))
            .append(line);
      }
      return b.append("\r\n").toString();
    }

    private String defaultSubject() {
      if (recipients.stream().anyMatch(r -> r.action() == RecipientStatus.Action.FAILED)) {
        return "Undelivered Mail Returned to Sender";
      }
      if (recipients.stream().anyMatch(r -> r.action() == RecipientStatus.Action.DELAYED)) {
        return "Delayed Mail (still being retried)";
      }
      return "Successful Mail Delivery Report";
    }

    private String defaultText() {
      StringBuilder b = new StringBuilder();
      b.append("This is the mail system at host ").append(reportingMta).append(".\r\n\r\n");
      b.append("This report concerns your message to the recipients below.\r\n\r\n");
      for (RecipientStatus r : recipients) {
        b.append("<").append(global ? r.finalRecipient().address() : stripBrackets(r.finalRecipient().toPath()))
            .append(">: ");
        switch (r.action()) {
          case FAILED:
            b.append("delivery failed");
            break;
          case DELAYED:
            b.append("delivery is delayed and will be retried");
            r.willRetryUntil().ifPresent(d -> b.append(" until ").append(Mime.formatDate(d)));
            break;
          case DELIVERED:
            b.append("delivered");
            break;
          case RELAYED:
            b.append("relayed to a system that sends no further notifications");
            break;
          default:
            b.append("expanded to its members");
        }
        b.append(" (").append(r.status()).append(")");
        r.remoteMta().ifPresent(m -> b.append("; host ").append(m));
        r.diagnosticCode().ifPresent(d -> b.append(" said: ").append(d.code()).append(' ').append(d.text()));
        b.append("\r\n");
      }
      return b.toString();
    }

    private static String checkText(String what, String s) {
      Objects.requireNonNull(s, what);
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c < ' ' || c == 0x7f) {
          throw new IllegalArgumentException(what + " " + Text.quote(s)
              + " must not contain CR, LF or other control characters");
        }
      }
      return s;
    }
  }

  private static String stripBrackets(String path) {
    return path.substring(1, path.length() - 1);
  }

  private static int headerSectionLength(byte[] canonical) {
    if (canonical.length >= 2 && canonical[0] == '\r' && canonical[1] == '\n') {
      return 0;
    }
    for (int i = 0; i + 3 < canonical.length; i++) {
      if (canonical[i] == '\r' && canonical[i + 1] == '\n' && canonical[i + 2] == '\r'
          && canonical[i + 3] == '\n') {
        return i + 2;
      }
    }
    return canonical.length;
  }

  private static boolean isAscii(byte[] b) {
    for (byte x : b) {
      if (x < 0) {
        return false;
      }
    }
    return true;
  }

  private static boolean contains(byte[] haystack, String boundary) {
    byte[] needle = ("--" + boundary).getBytes(StandardCharsets.US_ASCII);
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  private static void writeUtf8(ByteArrayOutputStream out, CharSequence s) {
    out.writeBytes(s.toString().getBytes(StandardCharsets.UTF_8));
  }

  // -------------------------------------------------------------------------------------- parser

  /**
   * Parses a delivery status report (RFC 3464 in RFC 3462 {@code multipart/report}, or its RFC 6533
   * global form). Unknown fields and extra parts are ignored; a {@code Diagnostic-Code} of a type
   * other than {@code smtp} is left out, and so are the report's own {@code From}, {@code To} and
   * {@code Date} when they cannot be read (they are not part of RFC 3464's machine-readable data).
   *
   * @param message the whole report message, header included
   * @return the report's values
   * @throws MalformedReportException naming what is missing or malformed; never anything else for
   *     any input
   */
  public static DeliveryStatusReport parse(byte[] message) {
    Objects.requireNonNull(message, "message");
    try {
      return new Parser(message).parse();
    } catch (MalformedReportException e) {
      throw e;
    } catch (IllegalArgumentException | DateTimeException e) {
      throw new MalformedReportException("not a valid delivery status report: " + e.getMessage(), e);
    }
  }

  private static final class Part {
    final List<Mime.Field> headers;
    final byte[] body;

    Part(List<Mime.Field> headers, byte[] body) {
      this.headers = headers;
      this.body = body;
    }

    String header(String name) {
      return Parser.find(headers, name);
    }

    String contentType() {
      String ct = header("Content-Type");
      return ct == null ? "text/plain" : Mime.mediaType(ct);
    }

    byte[] decodedBody() {
      String cte = header("Content-Transfer-Encoding");
      String encoding = cte == null ? "7bit" : cte.trim().toLowerCase(Locale.ROOT);
      if (encoding.equals("quoted-printable")) {
        return Mime.decodeQuotedPrintable(body);
      }
      if (encoding.equals("base64")) {
        return Base64.getMimeDecoder().decode(body);
      }
      return body;
    }
  }

  private static final class Parser {
    private static final Pattern REPLY_LINE = Pattern.compile("([2-5][0-9][0-9])([- ]|$)(.*)", Pattern.DOTALL);

    private final byte[] m;

    Parser(byte[] message) {
      this.m = message;
    }

    static String find(List<Mime.Field> fields, String name) {
      for (Mime.Field f : fields) {
        if (f.name().equalsIgnoreCase(name)) {
          return f.value();
        }
      }
      return null;
    }

    static Mime.Field findField(List<Mime.Field> fields, String name) {
      for (Mime.Field f : fields) {
        if (f.name().equalsIgnoreCase(name)) {
          return f;
        }
      }
      return null;
    }

    /** @return the index just past the empty line that ends the header section at {@code from} */
    private int headerEnd(int from, int to) {
      int i = from;
      while (i < to) {
        int eol = i;
        while (eol < to && m[eol] != '\n') {
          eol++;
        }
        int contentEnd = eol > i && m[eol - 1] == '\r' ? eol - 1 : eol;
        if (contentEnd == i) {
          return Math.min(eol + 1, to);
        }
        i = eol + 1;
      }
      return to;
    }

    private List<Mime.Field> headers(int from, int to) {
      int end = headerEnd(from, to);
      List<String> lines = Mime.lines(m, from, end, true);
      while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
        lines.remove(lines.size() - 1);
      }
      return Mime.fields(lines);
    }

    DeliveryStatusReport parse() {
      int bodyStart = headerEnd(0, m.length);
      List<Mime.Field> top = headers(0, bodyStart);
      String contentType = find(top, "Content-Type");
      if (contentType == null || !Mime.mediaType(contentType).equals("multipart/report")) {
        throw new MalformedReportException("the message is not multipart/report (RFC 3462): Content-Type "
            + (contentType == null ? "missing" : Text.quote(contentType)));
      }
      String boundary = Mime.parameter(contentType, "boundary");
      if (boundary == null || boundary.isEmpty()) {
        throw new MalformedReportException("multipart/report without a boundary parameter: "
            + Text.quote(contentType));
      }
      List<Part> parts = parts(bodyStart, boundary);

      Part statusPart = null;
      int statusIndex = -1;
      for (int i = 0; i < parts.size(); i++) {
        String type = parts.get(i).contentType();
        if (type.equals("message/delivery-status") || type.equals("message/global-delivery-status")) {
          statusPart = parts.get(i);
          statusIndex = i;
          break;
        }
      }
      if (statusPart == null) {
        throw new MalformedReportException(
            "no message/delivery-status part (RFC 3464 section 2) among " + parts.size() + " parts");
      }
      boolean global = statusPart.contentType().equals("message/global-delivery-status");

      String text = "";
      if (statusIndex > 0) {
        Part human = parts.get(0);
        text = new String(human.decodedBody(), charset(human.header("Content-Type")));
      }

      ReturnedContent returnedContent = ReturnedContent.NONE;
      byte[] returned = new byte[0];
      for (int i = statusIndex + 1; i < parts.size(); i++) {
        String type = parts.get(i).contentType();
        if (type.equals("text/rfc822-headers") || type.equals("message/global-headers")) {
          returnedContent = ReturnedContent.HEADERS;
        } else if (type.equals("message/rfc822") || type.equals("message/global")) {
          returnedContent = ReturnedContent.MESSAGE;
        } else {
          continue;
        }
        returned = parts.get(i).decodedBody();
        break;
      }

      List<List<String>> groups = groups(statusPart.decodedBody());
      if (groups.size() < 2) {
        throw new MalformedReportException("the delivery-status part needs per-message fields and at"
            + " least one per-recipient group (RFC 3464 section 2.1), found " + groups.size() + " group(s)");
      }
      List<Mime.Field> perMessage = Mime.fields(groups.get(0));
      String reportingMta = find(perMessage, "Reporting-MTA");
      if (reportingMta == null) {
        throw new MalformedReportException("Reporting-MTA is missing (RFC 3464 section 2.2.2)");
      }
      String envid = find(perMessage, "Original-Envelope-Id");
      String arrival = find(perMessage, "Arrival-Date");
      List<RecipientStatus> recipients = new ArrayList<>();
      for (int g = 1; g < groups.size(); g++) {
        recipients.add(recipient(Mime.fields(groups.get(g))));
      }

      String from = find(top, "From");
      String to = find(top, "To");
      String date = find(top, "Date");
      String messageId = find(top, "Message-ID");
      String subject = find(top, "Subject");
      return new DeliveryStatusReport(
          Optional.ofNullable(from).flatMap(Parser::headerMailbox),
          Optional.ofNullable(to).flatMap(Parser::headerMailbox),
          subject == null ? "" : subject,
          Optional.ofNullable(date).flatMap(Parser::headerDate),
          Optional.ofNullable(messageId).map(Parser::stripAngles),
          text,
          name(reportingMta, "Reporting-MTA"),
          Optional.ofNullable(envid),
          Optional.ofNullable(arrival).map(Mime::parseDate),
          recipients,
          returnedContent,
          returned,
          global,
          boundary);
    }

    private List<Part> parts(int bodyStart, String boundary) {
      byte[] dash = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
      List<int[]> delimiters = new ArrayList<>(); // {line start, content start, closing?}
      int i = bodyStart;
      while (i < m.length) {
        int eol = i;
        while (eol < m.length && m[eol] != '\n') {
          eol++;
        }
        if (startsWith(i, eol, dash)) {
          int k = i + dash.length;
          boolean close = k + 1 < eol && m[k] == '-' && m[k + 1] == '-';
          if (close) {
            k += 2;
          }
          boolean rest = true;
          for (int j = k; j < eol; j++) {
            if (m[j] != ' ' && m[j] != '\t' && m[j] != '\r') {
              rest = false;
              break;
            }
          }
          if (rest) {
            delimiters.add(new int[] {i, Math.min(eol + 1, m.length), close ? 1 : 0});
            if (close) {
              break;
            }
          }
        }
        i = eol + 1;
      }
      if (delimiters.isEmpty()) {
        throw new MalformedReportException("no part delimiter --" + Text.quote(boundary) + " in the body");
      }
      List<Part> parts = new ArrayList<>();
      for (int d = 0; d + 1 < delimiters.size(); d++) {
        if (delimiters.get(d)[2] == 1) {
          break;
        }
        int start = delimiters.get(d)[1];
        int end = delimiters.get(d + 1)[0];
        // the line break before a delimiter belongs to the delimiter (RFC 2046 section 5.1.1)
        if (end > start && m[end - 1] == '\n') {
          end--;
          if (end > start && m[end - 1] == '\r') {
            end--;
          }
        }
        end = Math.max(start, end);
        int bodyAt = headerEnd(start, end);
        List<Mime.Field> headers = bodyAt == start ? List.of() : headers(start, bodyAt);
        if (bodyAt > start && (m[start] == '\r' || m[start] == '\n')) {
          headers = List.of();
        }
        parts.add(new Part(headers, Arrays.copyOfRange(m, bodyAt, end)));
      }
      return parts;
    }

    private boolean startsWith(int from, int to, byte[] prefix) {
      if (to - from < prefix.length) {
        return false;
      }
      for (int j = 0; j < prefix.length; j++) {
        if (m[from + j] != prefix[j]) {
          return false;
        }
      }
      return true;
    }

    private static List<List<String>> groups(byte[] body) {
      List<List<String>> groups = new ArrayList<>();
      List<String> current = new ArrayList<>();
      for (String line : Mime.lines(body, 0, body.length, true)) {
        if (line.isBlank()) {
          if (!current.isEmpty()) {
            groups.add(current);
            current = new ArrayList<>();
          }
        } else {
          current.add(line);
        }
      }
      if (!current.isEmpty()) {
        groups.add(current);
      }
      return groups;
    }

    private static RecipientStatus recipient(List<Mime.Field> fields) {
      String finalRecipient = find(fields, "Final-Recipient");
      String action = find(fields, "Action");
      String status = find(fields, "Status");
      if (finalRecipient == null || action == null || status == null) {
        throw new MalformedReportException("a per-recipient group lacks "
            + (finalRecipient == null ? "Final-Recipient" : action == null ? "Action" : "Status")
            + " (RFC 3464 section 2.3)");
      }
      String statusCode = status.replaceAll("\\([^)]*\\)", " ").trim().split("\\s+")[0];
      RecipientStatus.Builder b = RecipientStatus.builder(typedMailbox(finalRecipient),
          RecipientStatus.Action.parse(action), EnhancedStatus.parse(statusCode));
      String original = find(fields, "Original-Recipient");
      if (original != null) {
        b.originalRecipient(typedMailbox(original));
      }
      String remote = find(fields, "Remote-MTA");
      if (remote != null) {
        b.remoteMta(name(remote, "Remote-MTA"));
      }
      Mime.Field diagnostic = findField(fields, "Diagnostic-Code");
      if (diagnostic != null) {
        diagnostic(diagnostic).ifPresent(b::diagnosticCode);
      }
      String last = find(fields, "Last-Attempt-Date");
      if (last != null) {
        b.lastAttemptDate(Mime.parseDate(last));
      }
      String until = find(fields, "Will-Retry-Until");
      if (until != null) {
        b.willRetryUntil(Mime.parseDate(until));
      }
      return b.build();
    }

    /** Reads {@code smtp; 550-5.1.1 a CRLF WSP 550 5.1.1 b}: one reply line per folded line. */
    private static Optional<SmtpReply> diagnostic(Mime.Field field) {
      List<String> physical = field.lines();
      String first = physical.get(0);
      int semi = first.indexOf(';');
      if (semi < 0 || !first.substring(0, semi).trim().equalsIgnoreCase("smtp")) {
        return Optional.empty();
      }
      List<String> segments = new ArrayList<>();
      segments.add(first.substring(semi + 1).trim());
      for (int i = 1; i < physical.size(); i++) {
        segments.add(physical.get(i).trim());
      }
      Matcher head = REPLY_LINE.matcher(segments.get(0));
      if (!head.matches()) {
        return Optional.empty();
      }
      String code = head.group(1);
      List<String> lines = new ArrayList<>();
      StringBuilder current = new StringBuilder(head.group(3));
      boolean more = head.group(2).equals("-");
      for (int i = 1; i < segments.size(); i++) {
        String s = segments.get(i);
        Matcher next = REPLY_LINE.matcher(s);
        if (more && next.matches() && next.group(1).equals(code)) {
          lines.add(current.toString());
          current = new StringBuilder(next.group(3));
          more = next.group(2).equals("-");
        } else if (!s.isEmpty()) {
          if (current.length() > 0) {
            current.append(' ');
          }
          current.append(s);
        }
      }
      lines.add(current.toString());
      return Optional.of(SmtpReply.of(Integer.parseInt(code), lines));
    }

    private static Mailbox typedMailbox(String value) {
      int semi = value.indexOf(';');
      if (semi < 0) {
        throw new MalformedReportException("address field " + Text.quote(value)
            + " lacks its address type, e.g. rfc822; (RFC 3464 section 2.3.2)");
      }
      String address = value.substring(semi + 1).trim();
      if (address.startsWith("<") && address.endsWith(">")) {
        address = address.substring(1, address.length() - 1);
      }
      return Mailbox.parse(address);
    }

    /** The report's own From/To: a foreign form that cannot be read (a group, say) is left out. */
    private static Optional<Mailbox> headerMailbox(String value) {
      String v = value.replaceAll("\\([^)]*\\)", " ").trim();
      int lt = v.lastIndexOf('<');
      int gt = v.lastIndexOf('>');
      String inner = lt >= 0 && gt > lt ? v.substring(lt + 1, gt).trim() : v;
      if (inner.isEmpty()) {
        return Optional.of(Mailbox.NULL);
      }
      try {
        return Optional.of(Mailbox.parse(inner));
      } catch (InvalidAddressException e) {
        // documented: the report's own header is not RFC 3464 data; an unreadable one is left out
        return Optional.empty();
      }
    }

    /** The report's own Date: a foreign form that cannot be read is left out. */
    private static Optional<OffsetDateTime> headerDate(String value) {
      try {
        return Optional.of(Mime.parseDate(value));
      } catch (DateTimeException e) {
        // documented: the report's own header is not RFC 3464 data; an unreadable one is left out
        return Optional.empty();
      }
    }

    private static String stripAngles(String id) {
      String t = id.trim();
      return t.startsWith("<") && t.endsWith(">") && t.length() >= 2 ? t.substring(1, t.length() - 1) : t;
    }

    private static String name(String typed, String field) {
      int semi = typed.indexOf(';');
      String name = (semi < 0 ? typed : typed.substring(semi + 1)).trim();
      try {
        RecipientStatus.checkHostName(name);
      } catch (IllegalArgumentException e) {
        throw new MalformedReportException(field + " " + Text.quote(typed) + ": " + e.getMessage(), e);
      }
      return name;
    }

    private static Charset charset(String contentType) {
      String name = contentType == null ? null : Mime.parameter(contentType, "charset");
      if (name == null) {
        return StandardCharsets.US_ASCII;
      }
      try {
        return Charset.forName(name.trim());
      } catch (IllegalCharsetNameException | UnsupportedCharsetException e) {
        // an unknown charset still leaves the text readable byte for byte
        return StandardCharsets.ISO_8859_1;
      }
    }
  }
}
