package org.relaymail.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relaymail.queue.RecipientState;
import org.relaymail.testsupport.ReceivedMessage;
import org.relaymail.testsupport.ScriptedSmtpServer;

/** RelayClient delivering by MX to scripted peers on loopback, DNS from the test server. */
class RelayClientMxTest {
  private RelayHarness h;

  @BeforeEach
  void setUp() throws Exception {
    h = new RelayHarness();
  }

  @AfterEach
  void tearDown() throws Exception {
    h.close();
  }

  static OutgoingMessage message(String from, String subject, String... to) {
    OutgoingMessage.Builder b = OutgoingMessage.builder().sender(from);
    for (String t : to) {
      b.recipient(t);
    }
    String text = "From: <" + from + ">\r\nTo: " + String.join(", ", to) + "\r\nSubject: " + subject
        + "\r\n\r\nHello " + subject + ".\r\n";
    return b.content(text.getBytes(StandardCharsets.US_ASCII)).build();
  }

  @Test
  void deliversByMxEndToEnd() throws Exception {
    h.mx("example.test", 2);
    ScriptedSmtpServer mx = h.server(2, b -> {});
    RelayClient relay = h.start(h.relay());

    SendReceipt r = relay.send(message("app@example.net", "one", "alice@example.test", "bob@example.test"));
    RecordingListener.await("one attempt", Duration.ofSeconds(30), () -> !h.events.attempts.isEmpty());
    assertTrue(h.events.attempts.get(0).type() == DeliveryEvent.Type.DELIVERED, h.events.attempts + "\n"
        + mx.sessions().get(0).receivedText() + "\n----\n" + mx.sessions().get(0).sentText());
    DeliveryReport report = r.outcome().get(60, TimeUnit.SECONDS);
    h.clock.advance(Duration.ZERO);
    RecordingListener.await("one attempt", Duration.ofSeconds(30), () -> !h.events.attempts.isEmpty());
    assertTrue(report.allDelivered(), report + "\n" + mx.sessions().get(0).receivedText() + "\n----\n"
        + mx.sessions().get(0).sentText());
    assertEquals(r.queueId(), report.queueId());
    List<ReceivedMessage> got = mx.awaitMessages(1, Duration.ofSeconds(10));
    assertEquals(1, got.size(), "one transaction for both recipients of the domain");
    assertEquals(List.of("alice@example.test", "bob@example.test"), got.get(0).recipients());
    assertEquals("app@example.net", got.get(0).sender());
    String content = got.get(0).contentAsString();
    assertTrue(content.startsWith("Received: by relay.example.net"), content);
    assertTrue(content.contains("Message-ID: <"), content);
    assertTrue(content.contains("Hello one."), content);
    assertEquals("relay.example.net", got.get(0).heloName());
    RecipientReport alice = report.recipient(org.relaymail.protocol.Mailbox.parse("alice@example.test")).orElseThrow();
    assertEquals(RecipientState.DELIVERED, alice.state());
    assertEquals(250, alice.reply().orElseThrow().code());
    assertTrue(alice.remoteMta().orElseThrow().contains("[127.0.0.2]"), alice.remoteMta().toString());
    assertEquals(2, h.events.count(h.events.finals, e -> e.type() == DeliveryEvent.Type.DELIVERED));
    RecordingListener.await("queue empty", Duration.ofSeconds(10), () -> {
      try {
        return relay.counts().messages() == 0;
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
  }
}
