package org.relaymail.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relaymail.protocol.DeliveryStatusReport;
import org.relaymail.protocol.DsnNotify;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.RecipientStatus;
import org.relaymail.queue.QueuedMessage;
import org.relaymail.queue.RecipientState;
import org.relaymail.testsupport.ReceivedMessage;
import org.relaymail.testsupport.Response;
import org.relaymail.testsupport.ScriptedSmtpServer;
import org.relaymail.testsupport.Stage;

/** Paths of the delivery engine that only a real conversation reaches. */
class RelayEdgeCasesTest {
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
  void closePastItsTimeoutAbortsTheTransactionInFlightWhichIsSentAgainLater() throws Exception {
    h.mx("example.test", 2);
    CountDownLatch dotSeen = new CountDownLatch(1);
    AtomicInteger ends = new AtomicInteger();
    // the first final dot is never answered: the transaction hangs after the content went out
    ScriptedSmtpServer mx = h.server(2, b -> b.rule((s, c) -> {
      if (c.stage() == Stage.MESSAGE && ends.incrementAndGet() == 1) {
        dotSeen.countDown();
        return Response.silence();
      }
      return null;
    }));
    RelayClient first = h.start(h.relay().closeTimeout(Duration.ofMillis(500)));
    SendReceipt receipt = first.send(RelayClientMxTest.message("app@example.net", "dup", "alice@example.test"));
    assertTrue(dotSeen.await(60, TimeUnit.SECONDS), "the content and its final dot reached the MX");

    first.close(); // waits its 500 ms for the 250 that never comes, then aborts the connection

    assertTrue(receipt.outcome().isCompletedExceptionally(), "the future does not claim an outcome");
    QueuedMessage left = first.inspect(receipt.queueId()).orElseThrow();
    assertNotEquals(RecipientState.DELIVERED, left.recipients().get(0).state(), "not recorded as delivered");
    assertEquals(0, mx.messages().size(), "the MX never confirmed the first transfer");

    // a new client on the same store sends it again: the documented possible duplicate
    h.clock.advance(Duration.ofMinutes(15));
    RelayClient second = h.start(h.relay());
    List<ReceivedMessage> got = mx.awaitMessages(1, Duration.ofSeconds(60));
    assertEquals(List.of("alice@example.test"), got.get(0).recipients());
    assertEquals(2, ends.get(), "the MX saw the whole message twice");
    RecordingListener.await("delivered and dequeued", Duration.ofSeconds(30), () -> {
      try {
        return second.counts().messages() == 0;
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
  }

  @Test
  void notifySuccessToANextHopWithoutDsnGetsARelayedNotice() throws Exception {
    h.mx("example.test", 2).mx("example.net", 4);
    ScriptedSmtpServer mx = h.server(2, b -> b.dsn(false));
    ScriptedSmtpServer senderMx = h.server(4, b -> {});
    RelayClient relay = h.start(h.relay());
    OutgoingMessage m = OutgoingMessage.builder()
        .sender("app@example.net")
        .recipient(Mailbox.parse("alice@example.test"), Set.of(DsnNotify.SUCCESS, DsnNotify.FAILURE))
        .recipient("bob@example.test")
        .content("From: app@example.net\r\nSubject: relayed\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII))
        .build();

    DeliveryReport report = relay.send(m).outcome().get(60, TimeUnit.SECONDS);
    assertTrue(report.allDelivered(), report.toString());
    assertFalse(mx.sessions().get(0).receivedText().contains("NOTIFY="), "no DSN parameters without DSN");

    ReceivedMessage notice = senderMx.awaitMessages(1, Duration.ofSeconds(60)).get(0);
    assertEquals("", notice.sender());
    assertEquals(List.of("app@example.net"), notice.recipients());
    DeliveryStatusReport dsn = DeliveryStatusReport.parse(notice.content());
    assertEquals(1, dsn.recipients().size(), "only the recipient that asked for success: " + dsn);
    RecipientStatus alice = dsn.recipients().get(0);
    assertEquals(Mailbox.parse("alice@example.test"), alice.finalRecipient());
    assertEquals(RecipientStatus.Action.RELAYED, alice.action());
    assertEquals("2.0.0", alice.status().toString());
    assertTrue(notice.contentAsString().contains("Auto-Submitted: auto-replied"), notice.contentAsString());
  }

  @Test
  void anSmtpUtf8MessageBouncesWithAGlobalDeliveryStatus() throws Exception {
    h.mx("example.test", 2).mx("example.net", 4);
    h.server(2, b -> b.rejectRecipient("jörg@example.test"));
    ScriptedSmtpServer senderMx = h.server(4, b -> {});
    RelayClient relay = h.start(h.relay());
    OutgoingMessage m = OutgoingMessage.builder()
        .sender("app@example.net")
        .recipient("jörg@example.test")
        .content("From: app@example.net\r\nTo: jörg@example.test\r\nSubject: grüße\r\n\r\nbody\r\n"
            .getBytes(StandardCharsets.UTF_8))
        .build();

    DeliveryReport report = relay.send(m).outcome().get(60, TimeUnit.SECONDS);
    assertEquals(RecipientState.FAILED, report.recipients().get(0).state(), report.toString());

    ReceivedMessage bounce = senderMx.awaitMessages(1, Duration.ofSeconds(60)).get(0);
    String text = new String(bounce.content(), StandardCharsets.UTF_8);
    assertTrue(text.contains("Content-Type: message/global-delivery-status"), text);
    assertTrue(text.contains("jörg@example.test"), "the UTF-8 address is reported as is: " + text);
    assertEquals("", bounce.sender());
    assertTrue(bounce.mailParameters().containsKey("SMTPUTF8"), "a global report travels with SMTPUTF8: "
        + bounce.mailParameters());
    DeliveryStatusReport dsn = DeliveryStatusReport.parse(bounce.content());
    assertTrue(dsn.isGlobal(), dsn.toString());
    assertEquals(RecipientStatus.Action.FAILED, dsn.recipients().get(0).action());
  }

  @Test
  void anMxRefusingServiceInItsGreetingMovesToTheNextMx() throws Exception {
    h.dns.mx("example.test", 10, "mx1.example.test");
    h.dns.address("mx1.example.test", "127.0.0.2");
    h.dns.mx("example.test", 20, "mx2.example.test");
    h.dns.address("mx2.example.test", "127.0.0.3");
    ScriptedSmtpServer refusing = h.server(2, b -> b.greeting(Response.reply(554, "5.3.2 no SMTP service here")));
    ScriptedSmtpServer second = h.server(3, b -> {});
    RelayClient relay = h.start(h.relay());

    DeliveryReport report = relay.send(RelayClientMxTest.message("app@example.net", "greeting", "alice@example.test"))
        .outcome().get(60, TimeUnit.SECONDS);

    assertTrue(report.allDelivered(), report.toString());
    RecipientReport r = report.recipients().get(0);
    assertEquals(1, r.attempts(), "a 554 greeting on a non-final MX is not a failure of the message");
    assertTrue(r.remoteMta().orElseThrow().startsWith("mx2.example.test[127.0.0.3]"), r.toString());
    assertEquals(1, refusing.connectionCount(), "the first MX was tried");
    assertEquals(0, refusing.messages().size());
    assertEquals(1, second.messages().size());
  }
}
