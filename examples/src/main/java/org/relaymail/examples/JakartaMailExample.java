package org.relaymail.examples;

import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.relaymail.queue.FileQueueStore;
import org.relaymail.queue.QueueStore;
import org.relaymail.relay.DeliveryReport;
import org.relaymail.relay.OutgoingMessage;
import org.relaymail.relay.RelayClient;
import org.relaymail.relay.Routing;
import org.relaymail.relay.Smarthost;
import org.relaymail.relay.TlsPolicy;

/**
 * Sends a Jakarta Mail {@link MimeMessage} (built as an application already builds it) through
 * {@link RelayClient}, here routed through a smarthost: the envelope comes from the message's From,
 * To, Cc and Bcc, and the Bcc field is left out of the content, as {@code sendmail -t} does.
 * No Jakarta Mail transport is involved: Jakarta Mail only writes the MIME bytes.
 */
public final class JakartaMailExample {
  private JakartaMailExample() {}

  /**
   * Turns a {@link MimeMessage} into an {@link OutgoingMessage}: sender from {@code From} (or
   * {@code Sender}), recipients from To, Cc and Bcc, content written without the Bcc field.
   *
   * @param message the message; {@link MimeMessage#saveChanges()} is called
   * @return the message for {@link RelayClient#send}
   * @throws MessagingException if the message has no From or no recipient
   * @throws IOException if its content cannot be written
   */
  // tag::jakarta[]
  public static OutgoingMessage fromMimeMessage(MimeMessage message) throws MessagingException, IOException {
    message.saveChanges();                                   // Message-ID, MIME-Version, encodings
    Address[] from = message.getFrom();
    if (from == null || from.length == 0) {
      throw new MessagingException("the message has no From field");
    }
    Address sender = message.getSender() != null ? message.getSender() : from[0];
    Address[] rcpts = message.getAllRecipients();            // To, Cc and Bcc
    if (rcpts == null || rcpts.length == 0) {
      throw new MessagingException("the message has no To, Cc or Bcc recipient");
    }
    Set<String> unique = new LinkedHashSet<>();
    for (Address a : rcpts) {
      unique.add(((InternetAddress) a).getAddress());
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    message.writeTo(bytes, new String[] {"Bcc"});            // Bcc stays out of the content
    OutgoingMessage.Builder b = OutgoingMessage.builder()
        .sender(((InternetAddress) sender).getAddress())
        .content(bytes.toByteArray());
    unique.forEach(b::recipient);
    return b.build();
  }
  // end::jakarta[]

  /**
   * Builds a multipart message with Jakarta Mail and relays it through a smarthost.
   *
   * @param spool the spool directory
   * @param smarthostHost the smarthost
   * @param smarthostPort its port
   * @return the outcome
   * @throws Exception on failure
   */
  public static DeliveryReport run(Path spool, String smarthostHost, int smarthostPort)
      throws IOException, MessagingException, ExecutionException, TimeoutException, InterruptedException {
    Session session = Session.getInstance(new Properties());
    MimeMessage message = new MimeMessage(session);
    message.setFrom(new InternetAddress("app@example.com", "Example App", "UTF-8"));
    message.setRecipients(MimeMessage.RecipientType.TO, "alice@example.org");
    message.setRecipients(MimeMessage.RecipientType.BCC, "audit@example.com");
    message.setSubject("Grüße aus Jakarta Mail", "UTF-8");
    MimeBodyPart text = new MimeBodyPart();
    text.setText("Hello from a MimeMessage.\n", "UTF-8");
    MimeBodyPart attachment = new MimeBodyPart();
    attachment.setContent("id,total\n1,42\n".getBytes(StandardCharsets.US_ASCII), "text/csv");
    attachment.setFileName("orders.csv");
    message.setContent(new MimeMultipart(text, attachment));

    try (QueueStore store = FileQueueStore.open(spool);
        RelayClient relay = RelayClient.builder()
            .store(store)
            .heloName("mail.example.com")
            .routing(Routing.builder()
                .smarthost(Smarthost.of(smarthostHost, smarthostPort).withTls(TlsPolicy.NONE))
                .build())
            .build()) {
      return relay.send(fromMimeMessage(message)).outcome().get(2, TimeUnit.MINUTES);
    }
  }

  /**
   * Command-line entry.
   *
   * @param args spool directory, smarthost host, smarthost port
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: JakartaMailExample SPOOL_DIR SMARTHOST PORT");
      System.exit(2);
    }
    DeliveryReport r = run(Path.of(args[0]), args[1], Integer.parseInt(args[2]));
    System.out.println(r.allDelivered() ? "delivered" : "not delivered: " + r.undelivered());
  }
}
