package org.relaymail.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.relaymail.protocol.Mailbox;
import org.relaymail.queue.FailureClass;
import org.relaymail.relay.DeliveryReport;
import org.relaymail.relay.DnsSettings;
import org.relaymail.relay.RecipientReport;
import org.relaymail.testsupport.DnsTestServer;
import org.relaymail.testsupport.Loopback;
import org.relaymail.testsupport.ReceivedMessage;
import org.relaymail.testsupport.ScriptedSmtpServer;

/**
 * Runs {@link RelayExample} with DNS from a loopback DNS server: example.org's MX on 127.0.0.2
 * refuses nobody@, example.com's MX on 127.0.0.3 receives the bounce.
 */
class RelayExampleTest {
  @Test
  void deliversOneRecipientAndBouncesTheUnknownOneToTheSender(@TempDir Path spool) throws Exception {
    int port = Loopback.freePort(Loopback.v4(2));
    try (DnsTestServer dns = DnsTestServer.start();
        ScriptedSmtpServer orgMx = ScriptedSmtpServer.builder().address(Loopback.v4(2)).port(port)
            .hostname("mx.example.org").rejectRecipient("nobody@example.org").start();
        ScriptedSmtpServer comMx = ScriptedSmtpServer.builder().address(Loopback.v4(3)).port(port)
            .hostname("mx.example.com").start()) {
      dns.mx("example.org", 10, "mx.example.org").address("mx.example.org", "127.0.0.2");
      dns.mx("example.com", 10, "mx.example.com").address("mx.example.com", "127.0.0.3");
      ByteArrayOutputStream out = new ByteArrayOutputStream();

      DeliveryReport report = RelayExample.run(spool,
          DnsSettings.builder().server(dns.socketAddress()).build(), port,
          new PrintStream(out, true, StandardCharsets.UTF_8));

      RecipientReport alice = report.recipient(Mailbox.parse("alice@example.org")).orElseThrow();
      RecipientReport nobody = report.recipient(Mailbox.parse("nobody@example.org")).orElseThrow();
      assertTrue(alice.delivered(), alice.toString());
      assertEquals(FailureClass.UNKNOWN_RECIPIENT, nobody.failureClass().orElseThrow());
      assertEquals(List.of("alice@example.org"), orgMx.awaitMessages(1, Duration.ofSeconds(30)).get(0).recipients());

      ReceivedMessage bounce = comMx.awaitMessages(1, Duration.ofSeconds(60)).get(0);
      assertEquals("", bounce.sender(), "a bounce has the null sender");
      assertEquals(List.of("app@example.com"), bounce.recipients());
      assertTrue(bounce.contentAsString().contains("nobody@example.org"), bounce.contentAsString());

      String printed = out.toString(StandardCharsets.UTF_8);
      assertTrue(printed.contains("queued as "), printed);
      assertTrue(printed.contains("delivered alice@example.org by mx.example.org[127.0.0.2]"), printed);
      assertTrue(printed.contains("bounced nobody@example.org (unknown recipient): 550"), printed);
      assertTrue(printed.contains("done: 1 delivered, 1 returned to the sender"), printed);
    }
  }
}
