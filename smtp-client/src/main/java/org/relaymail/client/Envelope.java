package org.relaymail.client;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.relaymail.protocol.Mailbox;

/**
 * The SMTP envelope of one message: the reverse path (MAIL FROM) and the forward paths (RCPT TO),
 * RFC 5321 section 2.3.1, with optional DSN requests (RFC 3461) that are sent only when the server
 * offers DSN. NOTIFY and ORCPT can be given per recipient ({@link #withRecipientDsn}); a recipient
 * without its own NOTIFY uses the envelope's. With any DSN request, each RCPT also carries ORCPT
 * (RFC 3461 section 4.2, type {@code rfc822}): the recipient's given original address, or else the
 * recipient as given here (an address that needs SMTPUTF8 gets none).
 *
 * <p>Thread-safe (immutable record).
 *
 * @param sender the reverse path; {@link Mailbox#NULL} for a bounce
 * @param recipients the recipients, at least one, no duplicates
 * @param dsnReturn RET= (FULL or HDRS), if requested
 * @param envelopeId ENVID=, if requested (printable ASCII, at most 100 characters)
 * @param notifyOn NOTIFY= for every recipient without its own; empty for the server's default
 * @param recipientDsn per-recipient NOTIFY and ORCPT (RFC 3461 sections 4.1 and 4.2), keyed by
 *     recipient; every key must be one of the recipients
 */
public record Envelope(
    Mailbox sender,
    List<Mailbox> recipients,
    Optional<DsnReturn> dsnReturn,
    Optional<String> envelopeId,
    Set<DsnNotify> notifyOn,
    Map<Mailbox, RecipientDsn> recipientDsn) {

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

  /**
   * One recipient's DSN parameters (RFC 3461): NOTIFY and the original recipient (ORCPT).
   * Thread-safe (immutable record).
   *
   * @param notifyOn NOTIFY= for this recipient; empty to use the envelope's
   * @param originalRecipient the original recipient address sent as {@code ORCPT=rfc822;<xtext>}
   *     (RFC 3461 section 4.2); empty to name the recipient itself
   */
  public record RecipientDsn(Set<DsnNotify> notifyOn, Optional<String> originalRecipient) {
    /** Checks and copies the values. */
    public RecipientDsn {
      Objects.requireNonNull(notifyOn, "notifyOn");
      Objects.requireNonNull(originalRecipient, "originalRecipient");
      notifyOn = checkNotify(notifyOn);
      originalRecipient.ifPresent(
          o -> {
            if (o.isEmpty() || o.length() > 500 || o.chars().anyMatch(c -> c < 32 || c == 127)) {
              throw new IllegalArgumentException(
                  "ORCPT must be 1..500 characters without control characters (RFC 3461 section 4.2): '"
                      + o.replace("\r", "\\r").replace("\n", "\\n") + "'");
            }
          });
    }
  }

  /**
   * An envelope without per-recipient DSN parameters.
   *
   * @param sender the reverse path; {@link Mailbox#NULL} for a bounce
   * @param recipients the recipients, at least one, no duplicates
   * @param dsnReturn RET= (FULL or HDRS), if requested
   * @param envelopeId ENVID=, if requested
   * @param notifyOn NOTIFY= for every recipient; empty for the server's default
   */
  public Envelope(
      Mailbox sender,
      List<Mailbox> recipients,
      Optional<DsnReturn> dsnReturn,
      Optional<String> envelopeId,
      Set<DsnNotify> notifyOn) {
    this(sender, recipients, dsnReturn, envelopeId, notifyOn, Map.of());
  }

  private static Set<DsnNotify> checkNotify(Set<DsnNotify> notifyOn) {
    Set<DsnNotify> n = notifyOn.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(notifyOn));
    if (n.contains(DsnNotify.NEVER) && n.size() > 1) {
      throw new IllegalArgumentException(
          "NOTIFY=NEVER cannot be combined with other values (RFC 3461 section 4.1): " + n);
    }
    return n;
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
    notifyOn = checkNotify(notifyOn);
    Objects.requireNonNull(recipientDsn, "recipientDsn");
    for (Map.Entry<Mailbox, RecipientDsn> e : recipientDsn.entrySet()) {
      Objects.requireNonNull(e.getValue(), "recipientDsn value");
      if (!recipients.contains(e.getKey())) {
        throw new IllegalArgumentException(
            "DSN parameters for " + e.getKey() + ", which is not a recipient of this envelope");
      }
    }
    recipientDsn = Collections.unmodifiableMap(new LinkedHashMap<>(recipientDsn));
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
        sender, recipients, Optional.ofNullable(ret), Optional.ofNullable(envid), notifyOn, recipientDsn);
  }

  /**
   * Returns a copy with one recipient's own DSN parameters (RFC 3461 sections 4.1 and 4.2).
   *
   * @param recipient one of the recipients
   * @param notifyOn NOTIFY= for this recipient; empty to use the envelope's
   * @param originalRecipient the original recipient address for ORCPT, or null for none
   * @return the copy
   * @throws IllegalArgumentException if the recipient is not in this envelope or a value breaks
   *     RFC 3461
   */
  public Envelope withRecipientDsn(Mailbox recipient, Set<DsnNotify> notifyOn, String originalRecipient) {
    Map<Mailbox, RecipientDsn> m = new LinkedHashMap<>(recipientDsn);
    m.put(Objects.requireNonNull(recipient, "recipient"),
        new RecipientDsn(notifyOn, Optional.ofNullable(originalRecipient)));
    return new Envelope(sender, recipients, dsnReturn, envelopeId, this.notifyOn, m);
  }

  /**
   * Returns the NOTIFY values that apply to a recipient: its own, else the envelope's.
   *
   * @param recipient a recipient
   * @return the values, empty for the server's default
   */
  public Set<DsnNotify> notifyFor(Mailbox recipient) {
    RecipientDsn d = recipientDsn.get(recipient);
    return d != null && !d.notifyOn().isEmpty() ? d.notifyOn() : notifyOn;
  }

  /**
   * Returns the original recipient to send as ORCPT for a recipient when DSN parameters are sent:
   * its given original address, else its own address (none for an address that needs SMTPUTF8).
   *
   * @param recipient a recipient
   * @return the {@code rfc822} address, if any
   */
  public Optional<String> originalRecipientFor(Mailbox recipient) {
    RecipientDsn d = recipientDsn.get(recipient);
    if (d != null && d.originalRecipient().isPresent()) {
      return d.originalRecipient();
    }
    if (recipient.needsSmtpUtf8()) {
      return Optional.empty();
    }
    String path = recipient.toPath();
    return Optional.of(path.substring(1, path.length() - 1));
  }

  /**
   * Tells whether this envelope asks for any DSN parameter (RET, ENVID, or NOTIFY or ORCPT for
   * some recipient).
   *
   * @return true when DSN parameters are to be sent to a server that offers DSN
   */
  public boolean requestsDsn() {
    return !notifyOn.isEmpty() || dsnReturn.isPresent() || envelopeId.isPresent()
        || recipientDsn.values().stream()
            .anyMatch(d -> !d.notifyOn().isEmpty() || d.originalRecipient().isPresent());
  }

  /**
   * @param subset some of the recipients
   * @return the same envelope for fewer recipients
   */
  public Envelope withRecipients(List<Mailbox> subset) {
    Map<Mailbox, RecipientDsn> m = new LinkedHashMap<>(recipientDsn);
    m.keySet().retainAll(subset);
    return new Envelope(sender, subset, dsnReturn, envelopeId, notifyOn, m);
  }

  /** @return whether an address needs SMTPUTF8 (RFC 6531) */
  public boolean needsSmtpUtf8() {
    return sender.needsSmtpUtf8() || recipients.stream().anyMatch(Mailbox::needsSmtpUtf8);
  }
}
