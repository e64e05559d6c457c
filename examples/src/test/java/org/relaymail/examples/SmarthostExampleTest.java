package org.relaymail.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.relaymail.client.ConnectionSettings;
import org.relaymail.client.TransactionResult;
import org.relaymail.testsupport.ReceivedMessage;
import org.relaymail.testsupport.ScriptedSmtpServer;
import org.relaymail.testsupport.TestCertificate;

/** Runs {@link SmarthostExample} against a scripted smarthost with STARTTLS and AUTH on loopback. */
class SmarthostExampleTest {
  private static final TestCertificate CERT = TestCertificate.shared();

  @Test
  void sendsOverStartTlsWithAuthAndPrintsEachRecipient() throws Exception {
    try (ScriptedSmtpServer smarthost = ScriptedSmtpServer.builder()
        .hostname("localhost")
        .startTls(CERT)
        .authMechanisms("PLAIN", "LOGIN")
        .user("app", "s3cret")
        .authRequiresTls(true)
        .requireAuth(true)
        .start()) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ConnectionSettings trustTestCa = ConnectionSettings.builder().sslContext(CERT.clientContext()).build();

      TransactionResult result = SmarthostExample.send("localhost", smarthost.port(), "app", "s3cret",
          trustTestCa, new PrintStream(out, true, StandardCharsets.UTF_8));

      assertTrue(result.allAccepted(), result.toString());
      List<ReceivedMessage> got = smarthost.awaitMessages(1, Duration.ofSeconds(30));
      ReceivedMessage m = got.get(0);
      assertTrue(m.tls(), "the message went over TLS");
      assertEquals("app", m.authenticatedUser().orElseThrow());
      assertEquals(List.of("alice@example.org", "bob@example.org"), m.recipients());
      assertTrue(m.contentAsString().contains("Subject: Hello from relaymail"), m.contentAsString());
      String printed = out.toString(StandardCharsets.UTF_8);
      assertTrue(printed.contains("alice@example.org: ACCEPTED 250"), printed);
      assertTrue(printed.contains("bob@example.org: ACCEPTED 250"), printed);
    }
  }
}
