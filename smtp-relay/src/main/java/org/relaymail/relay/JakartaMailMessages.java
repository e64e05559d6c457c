package org.relaymail.relay;

import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Objects;
import org.relaymail.protocol.Mailbox;

/**
 * Turns a Jakarta Mail {@link MimeMessage} into an {@link OutgoingMessage}. Jakarta Mail is an
 * optional dependency of this module: this class is the only one that refers to it, so the JVM
 * loads Jakarta Mail only when an application calls it (add {@code jakarta.mail-api} and an
 * implementation such as Eclipse Angus Mail to use it).
 *
 * <p>The envelope sender is the {@code Sender} field's address, else the first {@code From}
 * address; the recipients are every To, Cc and Bcc address ({@link MimeMessage#getAllRecipients()}).
 * The content is the message as {@link MimeMessage#writeTo} writes it, with {@code Bcc} removed
 * (RFC 5322 section 3.6.3), read once at once; the relay prepares it like any other content.
 *
 * <p>Stateless and thread-safe (a {@code MimeMessage} itself is not: do not change it meanwhile).
 */
public final class JakartaMailMessages {
  private JakartaMailMessages() {}

  /**
   * Converts a message, taking the envelope from its header fields.
   *
   * @param message the message
   * @return the outgoing message
   * @throws IllegalArgumentException if it has no sender or no recipient, or an address is invalid
   * @throws IOException if it cannot be written out
   */
  public static OutgoingMessage toOutgoingMessage(MimeMessage message) throws IOException {
    Objects.requireNonNull(message, "message");
    try {
      Address sender = message.getSender();
      if (sender == null) {
        Address[] from = message.getFrom();
        sender = from == null || from.length == 0 ? null : from[0];
      }
      if (!(sender instanceof InternetAddress)) {
        throw new IllegalArgumentException("the MimeMessage has no Sender or From address to use as the envelope sender");
      }
      Address[] all = message.getAllRecipients();
      if (all == null || all.length == 0) {
        throw new IllegalArgumentException("the MimeMessage has no To, Cc or Bcc recipient");
      }
      OutgoingMessage.Builder b = OutgoingMessage.builder()
          .sender(Mailbox.parse(((InternetAddress) sender).getAddress()));
      for (Address a : all) {
        if (!(a instanceof InternetAddress ia)) {
          throw new IllegalArgumentException("not an Internet mail address: " + a);
        }
        b.recipient(Mailbox.parse(ia.getAddress()));
      }
      MimeMessage copy = new MimeMessage(message);
      copy.removeHeader("Bcc");
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      copy.writeTo(out);
      return b.content(out.toByteArray()).build();
    } catch (MessagingException e) {
      throw new IOException("cannot read the MimeMessage: " + e.getMessage(), e);
    }
  }
}
