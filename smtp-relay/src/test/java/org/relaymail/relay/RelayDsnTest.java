package org.relaymail.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relaymail.protocol.DsnNotify;
import org.relaymail.protocol.Mailbox;
import org.relaymail.testsupport.ScriptedSmtpServer;

/** DSN requests (RFC 3461) travel from send() through the queue to the next hop's RCPT lines. */
class RelayDsnTest {
  private RelayHarness h;

  @BeforeEach
  void setUp() throws Exception {
    h = new RelayHarness();
  }

  @AfterEach
  void tearDown() throws Exception {
    h.close();
  }

  @Test
  void eachRecipientsNotifyAndOrcptReachTheWire() throws Exception {
    h.mx("example.test", 2);
    ScriptedSmtpServer mx = h.server(2, b -> b.strict(true).dsn(true));
    RelayClient relay = h.start(h.relay());
    OutgoingMessage m = OutgoingMessage.builder()
        .sender("app@example.net")
        .recipient(new Recipient(Mailbox.parse("alice@example.test"), EnumSet.of(DsnNotify.FAILURE, DsnNotify.DELAY),
            Optional.of("alice+old@example.org")))
        .recipient(Mailbox.parse("bob@example.test"), Set.of(DsnNotify.NEVER))
        .recipient("carol@example.test")
        .content("From: app@example.net\r\nSubject: dsn\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII))
        .build();

    DeliveryReport report = relay.send(m).outcome().get(60, TimeUnit.SECONDS);

    assertTrue(report.allDelivered(), report.toString());
    assertEquals(1, mx.awaitMessages(1, Duration.ofSeconds(30)).size());
    String wire = mx.sessions().get(0).receivedText();
    assertTrue(wire.contains(
        "RCPT TO:<alice@example.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;alice+2Bold@example.org\r\n"), wire);
    assertTrue(wire.contains("RCPT TO:<bob@example.test> NOTIFY=NEVER ORCPT=rfc822;bob@example.test\r\n"), wire);
    assertTrue(wire.contains("RCPT TO:<carol@example.test> ORCPT=rfc822;carol@example.test\r\n"), wire);
    List<String> rcpts = mx.messages().get(0).recipients();
    assertEquals(List.of("alice@example.test", "bob@example.test", "carol@example.test"), rcpts);
  }
}
