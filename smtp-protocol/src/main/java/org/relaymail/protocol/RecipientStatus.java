package org.relaymail.protocol;

import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.relaymail.protocol.internal.Text;

/**
 * The per-recipient part of a delivery status notification (RFC 3464 section 2.3): what happened to
 * one recipient of the original message.
 *
 * <p>Dates are kept to the second, as the report carries them (RFC 5322 date-time). The action and
 * the status class must agree (RFC 3464 section 2.3.3): {@code failed} needs a 5.x.x status,
 * {@code delayed} a 4.x.x, and {@code delivered}, {@code relayed} and {@code expanded} a 2.x.x.
 * {@code Will-Retry-Until} is only meaningful for {@code delayed}.
 *
 * <p>Build with {@link #builder(Mailbox, Action, EnhancedStatus)}. Immutable and thread-safe.
 *
 * @param finalRecipient the recipient as this MTA saw it ({@code Final-Recipient}, section 2.3.2)
 * @param originalRecipient the recipient as first given, from {@code ORCPT} (RFC 3461 section 4.2;
 *     {@code Original-Recipient}, section 2.3.1), if known
 * @param action what happened ({@code Action}, section 2.3.3)
 * @param status the enhanced status code ({@code Status}, section 2.3.4; RFC 3463)
 * @param remoteMta the host name of the MTA that gave the result ({@code Remote-MTA}, section
 *     2.3.5), if any
 * @param diagnosticCode the SMTP reply that gave the result ({@code Diagnostic-Code: smtp; ...},
 *     section 2.3.6), if any
 * @param lastAttemptDate when delivery was last attempted ({@code Last-Attempt-Date}, section 2.3.7)
 * @param willRetryUntil when retries stop, for a delayed recipient ({@code Will-Retry-Until},
 *     section 2.3.9)
 */
public record RecipientStatus(
    Mailbox finalRecipient,
    Optional<Mailbox> originalRecipient,
    Action action,
    EnhancedStatus status,
    Optional<String> remoteMta,
    Optional<SmtpReply> diagnosticCode,
    Optional<OffsetDateTime> lastAttemptDate,
    Optional<OffsetDateTime> willRetryUntil) {

  /** The longest diagnostic reply line kept, so that the report's lines stay within 998 octets. */
  public static final int MAX_DIAGNOSTIC_LINE = 900;

  /** The {@code Action} field's values (RFC 3464 section 2.3.3). */
  public enum Action {
    /** The message could not be delivered to the recipient; no further attempts will be made. */
    FAILED,
    /** Delivery has not succeeded yet and will be retried. */
    DELAYED,
    /** The message was delivered to the recipient. */
    DELIVERED,
    /** The message was relayed to a system that does not return DSNs. */
    RELAYED,
    /** The recipient was an alias or list; the message went to its members. */
    EXPANDED;

    /**
     * Returns the field value, e.g. {@code failed}.
     *
     * @return the lower-case keyword
     */
    public String keyword() {
      return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a field value, case-insensitively.
     *
     * @param keyword the value, e.g. {@code "failed"}
     * @return the action
     * @throws IllegalArgumentException naming the value if it is not one of the five
     */
    public static Action parse(String keyword) {
      Objects.requireNonNull(keyword, "keyword");
      for (Action a : values()) {
        if (a.keyword().equalsIgnoreCase(keyword.trim())) {
          return a;
        }
      }
      throw new IllegalArgumentException("Action " + Text.quote(keyword)
          + " is not one of failed, delayed, delivered, relayed, expanded (RFC 3464 section 2.3.3)");
    }

    int expectedStatusClass() {
      switch (this) {
        case FAILED:
          return 5;
        case DELAYED:
          return 4;
        default:
          return 2;
      }
    }
  }

  /**
   * Checks the values and puts them in the form a report carries: dates truncated to seconds, and
   * each line of the diagnostic reply stripped of leading and trailing blanks and cut at
   * {@value #MAX_DIAGNOSTIC_LINE} characters.
   *
   * @throws NullPointerException if any argument is null
   * @throws IllegalArgumentException if the status class does not fit the action, or the remote MTA
   *     name is empty or contains spaces, control characters or non-ASCII characters
   */
  public RecipientStatus {
    Objects.requireNonNull(finalRecipient, "finalRecipient");
    Objects.requireNonNull(originalRecipient, "originalRecipient");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(remoteMta, "remoteMta");
    Objects.requireNonNull(diagnosticCode, "diagnosticCode");
    Objects.requireNonNull(lastAttemptDate, "lastAttemptDate");
    Objects.requireNonNull(willRetryUntil, "willRetryUntil");
    if (finalRecipient.isNull()) {
      throw new IllegalArgumentException("the final recipient cannot be the null path <>");
    }
    if (status.statusClass() != action.expectedStatusClass()) {
      throw new IllegalArgumentException("Action " + action.keyword() + " needs a status of class "
          + action.expectedStatusClass() + ", not " + status + " (RFC 3464 section 2.3.3)");
    }
    remoteMta.ifPresent(RecipientStatus::checkHostName);
    diagnosticCode = diagnosticCode.map(RecipientStatus::asReported);
    lastAttemptDate = lastAttemptDate.map(d -> d.truncatedTo(ChronoUnit.SECONDS));
    willRetryUntil = willRetryUntil.map(d -> d.truncatedTo(ChronoUnit.SECONDS));
  }

  /** The form a report can carry: each line stripped of surrounding blanks, at most 900 characters. */
  private static SmtpReply asReported(SmtpReply reply) {
    List<String> lines = new ArrayList<>(reply.lines().size());
    boolean changed = false;
    for (String line : reply.lines()) {
      String t = line.strip();
      if (t.length() > MAX_DIAGNOSTIC_LINE) {
        t = t.substring(0, MAX_DIAGNOSTIC_LINE);
      }
      changed |= !t.equals(line);
      lines.add(t);
    }
    return changed ? SmtpReply.of(reply.code(), lines) : reply;
  }

  static void checkHostName(String name) {
    if (name.isEmpty()) {
      throw new IllegalArgumentException("an MTA name must not be empty");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c <= ' ' || c >= 0x7f || c == ';') {
        throw new IllegalArgumentException("MTA name " + Text.quote(name)
            + " must be a host name: printable ASCII without spaces or ';' (RFC 3464 section 2.3.5)");
      }
    }
  }

  /**
   * Starts a builder with the three required values.
   *
   * @param finalRecipient the recipient as this MTA saw it
   * @param action what happened
   * @param status the enhanced status code; its class must fit the action
   * @return a builder; not thread-safe
   */
  public static Builder builder(Mailbox finalRecipient, Action action, EnhancedStatus status) {
    return new Builder(finalRecipient, action, status);
  }

  /**
   * Builds a {@link RecipientStatus}. Not thread-safe.
   */
  public static final class Builder {
    private final Mailbox finalRecipient;
    private final Action action;
    private final EnhancedStatus status;
    private Mailbox originalRecipient;
    private String remoteMta;
    private SmtpReply diagnosticCode;
    private OffsetDateTime lastAttemptDate;
    private OffsetDateTime willRetryUntil;

    private Builder(Mailbox finalRecipient, Action action, EnhancedStatus status) {
      this.finalRecipient = Objects.requireNonNull(finalRecipient, "finalRecipient");
      this.action = Objects.requireNonNull(action, "action");
      this.status = Objects.requireNonNull(status, "status");
    }

    /**
     * Sets the original recipient (from {@code ORCPT}).
     *
     * @param originalRecipient the address
     * @return this builder
     */
    public Builder originalRecipient(Mailbox originalRecipient) {
      this.originalRecipient = Objects.requireNonNull(originalRecipient, "originalRecipient");
      return this;
    }

    /**
     * Sets the host name of the remote MTA.
     *
     * @param remoteMta a host name such as {@code mx.example.net}
     * @return this builder
     */
    public Builder remoteMta(String remoteMta) {
      this.remoteMta = Objects.requireNonNull(remoteMta, "remoteMta");
      return this;
    }

    /**
     * Sets the SMTP reply that gave the result.
     *
     * @param diagnosticCode the reply
     * @return this builder
     */
    public Builder diagnosticCode(SmtpReply diagnosticCode) {
      this.diagnosticCode = Objects.requireNonNull(diagnosticCode, "diagnosticCode");
      return this;
    }

    /**
     * Sets when delivery was last attempted.
     *
     * @param lastAttemptDate the time (kept to the second)
     * @return this builder
     */
    public Builder lastAttemptDate(OffsetDateTime lastAttemptDate) {
      this.lastAttemptDate = Objects.requireNonNull(lastAttemptDate, "lastAttemptDate");
      return this;
    }

    /**
     * Sets when retries stop (for a delayed recipient).
     *
     * @param willRetryUntil the time (kept to the second)
     * @return this builder
     */
    public Builder willRetryUntil(OffsetDateTime willRetryUntil) {
      this.willRetryUntil = Objects.requireNonNull(willRetryUntil, "willRetryUntil");
      return this;
    }

    /**
     * Returns the recipient status.
     *
     * @return the value
     * @throws IllegalArgumentException as the record's constructor
     */
    public RecipientStatus build() {
      return new RecipientStatus(finalRecipient, Optional.ofNullable(originalRecipient), action,
          status, Optional.ofNullable(remoteMta), Optional.ofNullable(diagnosticCode),
          Optional.ofNullable(lastAttemptDate), Optional.ofNullable(willRetryUntil));
    }
  }
}
