package org.relaymail.client;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.relaymail.protocol.Mailbox;

/**
 * The SMTP envelope of one message: the reverse path (MAIL FROM) and the forward paths (RCPT TO),
 * RFC 5321 section 2.3.1, with optional DSN requests (RFC 3461) that are sent only when the server
 * offers DSN. With any DSN request, each RCPT also carries ORCPT (RFC 3461 section 4.2) naming
 * the recipient as given here (except an address that needs SMTPUTF8).
 *
 * <p>Thread-safe (immutable record).
 *
 * @param sender the reverse path; {@link Mailbox#NULL} for a bounce
 * @param recipients the recipients, at least one, no duplicates
 * @param dsnReturn RET= (FULL or HDRS), if requested
 * @param envelopeId ENVID=, if requested (printable ASCII, at most 100 characters)
 * @param notifyOn NOTIFY= for every recipient; empty for the server's default
 */
public record Envelope(
    Mailbox sender,
    List<Mailbox> recipients,
    Optional<DsnReturn> dsnReturn,
    Optional<String> envelopeId,
    Set<DsnNotify> notifyOn) {

  /** RET= of RFC 3461 section 4.3. */
  public enum DsnReturn {
    /** Return the full message in a DSN. */
    FULL,
    /** Return only the headers. */
    HDRS
  }

  /** NOTIFY= of RFC 3461 section 4.1. */
  public enum DsnNotify {
    /** Never send a DSN (exclusive with the others). */
    NEVER,
    /** On successful delivery. */
    SUCCESS,
    /** On failure. */
    FAILURE,
    /** On delay. */
    DELAY
  }

  /** Checks and copies the values. */
  public Envelope {
    Objects.requireNonNull(sender, "sender");
    Objects.requireNonNull(recipients, "recipients");
    Objects.requireNonNull(dsnReturn, "dsnReturn");
    Objects.requireNonNull(envelopeId, "envelopeId");
    Objects.requireNonNull(notifyOn, "notifyOn");
    recipients = List.copyOf(recipients);
    if (recipients.isEmpty()) {
      throw new IllegalArgumentException("an envelope needs at least one recipient");
    }
    if (recipients.stream().anyMatch(Mailbox::isNull)) {
      throw new IllegalArgumentException("a recipient cannot be the null path <>");
    }
    if (recipients.stream().distinct().count() != recipients.size()) {
      throw new IllegalArgumentException("duplicate recipients: " + recipients);
    }
    notifyOn = notifyOn.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(notifyOn));
    if (notifyOn.contains(DsnNotify.NEVER) && notifyOn.size() > 1) {
      throw new IllegalArgumentException(
          "NOTIFY=NEVER cannot be combined with other values (RFC 3461 section 4.1): " + notifyOn);
    }
    envelopeId.ifPresent(
        id -> {
          if (id.isEmpty()
              || id.length() > 100
              || id.chars().anyMatch(c -> c < 33 || c > 126)) {
            throw new IllegalArgumentException(
                "ENVID must be 1..100 printable ASCII characters (RFC 3461 section 4.4): '"
                    + id
                    + "'");
          }
        });
  }

  /**
   * An envelope without DSN requests.
   *
   * @param sender the reverse path
   * @param recipients the recipients
   * @return the envelope
   */
  public static Envelope of(Mailbox sender, List<Mailbox> recipients) {
    return new Envelope(sender, recipients, Optional.empty(), Optional.empty(), Set.of());
  }

  /**
   * An envelope from address strings ({@code local@domain}; an empty sender is {@code <>}).
   *
   * @param sender the sender address, or "" for the null path
   * @param recipients recipient addresses
   * @return the envelope
   * @throws org.relaymail.protocol.InvalidAddressException for a bad address
   */
  public static Envelope of(String sender, String... recipients) {
    List<Mailbox> list = new ArrayList<>();
    for (String r : recipients) {
      list.add(Mailbox.parse(r));
    }
    return of(sender.isEmpty() ? Mailbox.NULL : Mailbox.parse(sender), list);
  }

  /**
   * @param ret RET=
   * @param envid ENVID=, or null
   * @param notifyOn NOTIFY= values
   * @return a copy with these DSN requests
   */
  public Envelope withDsn(DsnReturn ret, String envid, Set<DsnNotify> notifyOn) {
    return new Envelope(
        sender, recipients, Optional.ofNullable(ret), Optional.ofNullable(envid), notifyOn);
  }

  /**
   * @param subset some of the recipients
   * @return the same envelope for fewer recipients
   */
  public Envelope withRecipients(List<Mailbox> subset) {
    return new Envelope(sender, subset, dsnReturn, envelopeId, notifyOn);
  }

  /** @return whether an address needs SMTPUTF8 (RFC 6531) */
  public boolean needsSmtpUtf8() {
    return sender.needsSmtpUtf8() || recipients.stream().anyMatch(Mailbox::needsSmtpUtf8);
  }
}
