package org.relaymail.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.relaymail.relay.DeliveryReport;
import org.relaymail.testsupport.ReceivedMessage;
import org.relaymail.testsupport.ScriptedSmtpServer;

/** Runs {@link JakartaMailExample} through a scripted smarthost on loopback. */
class JakartaMailExampleTest {
  @Test
  void relaysAMimeMessageToToAndBccWithoutTheBccField(@TempDir Path spool) throws Exception {
    try (ScriptedSmtpServer smarthost = ScriptedSmtpServer.start()) {
      DeliveryReport report = JakartaMailExample.run(spool, "127.0.0.1", smarthost.port());

      assertTrue(report.allDelivered(), report.toString());
      ReceivedMessage m = smarthost.awaitMessages(1, Duration.ofSeconds(30)).get(0);
      assertEquals("app@example.com", m.sender());
      assertEquals(java.util.List.of("alice@example.org", "audit@example.com"), m.recipients());
      String content = m.contentAsString();
      assertFalse(content.contains("audit@example.com"), "Bcc is not in the content:\n" + content);
      assertTrue(content.contains("Subject: =?UTF-8?"), content);
      assertTrue(content.contains("filename=orders.csv"), content);
      assertTrue(content.contains("Message-ID: <"), content);
    }
  }

  @Test
  void refusesAMessageWithoutRecipients() throws Exception {
    MimeMessage m = new MimeMessage(Session.getInstance(new Properties()));
    m.setFrom("app@example.com");
    m.setText("no one to send to");
    MessagingException e = assertThrows(MessagingException.class, () -> JakartaMailExample.fromMimeMessage(m));
    assertTrue(e.getMessage().contains("no To, Cc or Bcc"), e.getMessage());
  }
}
