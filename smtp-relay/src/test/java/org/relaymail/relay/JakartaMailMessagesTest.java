package org.relaymail.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.relaymail.testsupport.ReceivedMessage;
import org.relaymail.testsupport.ScriptedSmtpServer;

/** A Jakarta Mail MimeMessage sent through the relay. */
class JakartaMailMessagesTest {
  @Test
  void sendsAMimeMessageWithItsEnvelopeAndWithoutBcc() throws Exception {
    try (RelayHarness h = new RelayHarness()) {
      h.mx("example.test", 2);
      ScriptedSmtpServer mx = h.server(2, b -> {});
      RelayClient relay = h.start(h.relay());
      MimeMessage m = new MimeMessage(Session.getInstance(new Properties()));
      m.setFrom(new InternetAddress("app@example.net"));
      m.setRecipient(Message.RecipientType.TO, new InternetAddress("alice@example.test"));
      m.setRecipient(Message.RecipientType.BCC, new InternetAddress("hidden@example.test"));
      m.setSubject("jakarta");
      m.setText("Hello from Jakarta Mail\n");

      DeliveryReport report = relay.send(JakartaMailMessages.toOutgoingMessage(m)).outcome().get(60, TimeUnit.SECONDS);

      assertTrue(report.allDelivered(), report.toString());
      ReceivedMessage got = mx.awaitMessages(1, Duration.ofSeconds(10)).get(0);
      assertEquals("app@example.net", got.sender());
      assertEquals(List.of("alice@example.test", "hidden@example.test"), got.recipients());
      assertTrue(got.contentAsString().contains("Subject: jakarta"), got.contentAsString());
      assertTrue(got.contentAsString().contains("Hello from Jakarta Mail\r\n"), got.contentAsString());
      assertFalse(got.contentAsString().contains("hidden@example.test"), "Bcc removed: " + got.contentAsString());
    }
  }
}
