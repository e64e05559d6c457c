package org.relaymail.relay.internal;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.relaymail.protocol.DsnReturn;
import org.relaymail.protocol.Mailbox;
import org.relaymail.relay.Recipient;

/**
 * A message as it will be stored and sent: canonical CRLF content with the relay's header fields
 * added, and what the transaction needs to know about it.
 *
 * @param sender the envelope sender
 * @param recipients the envelope recipients with DSN options
 * @param content the bytes to store and send (CRLF, not dot-stuffed); do not modify
 * @param smtpUtf8 true when an address or a header field needs SMTPUTF8 (RFC 6531, RFC 6532)
 * @param eightBit true when the content has octets above 127 (BODY=8BITMIME, RFC 6152)
 * @param messageId the Message-ID (found or added), without angle brackets; empty if none
 * @param dsnReturn the RET option
 * @param envelopeId the ENVID option
 */
public record PreparedMessage(
    Mailbox sender,
    List<Recipient> recipients,
    byte[] content,
    boolean smtpUtf8,
    boolean eightBit,
    Optional<String> messageId,
    Optional<DsnReturn> dsnReturn,
    Optional<String> envelopeId) {
  /** Validates. */
  public PreparedMessage {
    Objects.requireNonNull(sender, "sender");
    recipients = List.copyOf(recipients);
    Objects.requireNonNull(content, "content");
    Objects.requireNonNull(messageId, "messageId");
    Objects.requireNonNull(dsnReturn, "dsnReturn");
    Objects.requireNonNull(envelopeId, "envelopeId");
  }

  @Override
  public String toString() {
    return "PreparedMessage{from=" + sender.toPath() + ", rcpts=" + recipients.size() + ", size="
        + content.length + ", smtpUtf8=" + smtpUtf8 + ", 8bit=" + eightBit + ", id=" + messageId.orElse("-") + "}";
  }
}
