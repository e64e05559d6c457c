package org.relaymail.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.SmtpReply;
import org.relaymail.queue.FailureClass;
import org.relaymail.queue.MessageStatus;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.QueueQuery;
import org.relaymail.queue.RecipientState;
import org.relaymail.testsupport.ScriptedSmtpServer;

/** The hooks (transform, limiter, local delivery) and queue administration through the client. */
class RelayClientHooksTest {
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
  void transformRunsOnceBeforeEnqueueAndItsOutputIsSent() throws Exception {
    h.mx("example.test", 2);
    ScriptedSmtpServer mx = h.server(2, b -> {});
    AtomicInteger calls = new AtomicInteger();
    RelayClient relay = h.start(h.relay().transform((sender, rcpts, message) -> {
      calls.incrementAndGet();
      byte[] header = ("DKIM-Signature: v=1; d=example.net; s=test; b=" + rcpts.size() + "\r\n")
          .getBytes(StandardCharsets.US_ASCII);
      byte[] out = new byte[header.length + message.length];
      System.arraycopy(header, 0, out, 0, header.length);
      System.arraycopy(message, 0, out, header.length, message.length);
      return out;
    }));
    DeliveryReport r = relay.send(RelayClientMxTest.message("app@example.net", "signed", "a@example.test"))
        .outcome().get(60, TimeUnit.SECONDS);
    assertTrue(r.allDelivered());
    assertTrue(mx.messages().get(0).contentAsString().startsWith("DKIM-Signature: v=1; d=example.net; s=test; b=1\r\n"));
    assertEquals(1, calls.get());
  }

  @Test
  void limiterRefusalDefersWithoutConnecting() throws Exception {
    h.mx("example.test", 2);
    ScriptedSmtpServer mx = h.server(2, b -> {});
    AtomicInteger asked = new AtomicInteger();
    RelayClient relay = h.start(h.relay().limiter(new DeliveryLimiter() {
      @Override
      public Decision beforeConnection(Destination destination, InetSocketAddress address) {
        return asked.incrementAndGet() == 1 ? Decision.defer("quota for " + destination.name() + " used up") : Decision.ALLOW;
      }
    }));
    SendReceipt receipt = relay.send(RelayClientMxTest.message("app@example.net", "limited", "a@example.test"));
    RecordingListener.await("the deferral", Duration.ofSeconds(30),
        () -> !h.events.attempts.isEmpty() && relay.deliveriesInFlight() == 0);
    DeliveryEvent e = h.events.attempts.get(0);
    assertEquals(DeliveryEvent.Type.DEFERRED, e.type());
    assertEquals(FailureClass.THROTTLED, e.failureClass().orElseThrow());
    assertEquals("4.7.0", e.enhancedStatus().orElseThrow().toString());
    assertEquals(0, mx.connectionCount());

    h.clock.advance(Duration.ofMinutes(15));
    relay.wakeUp();
    assertTrue(receipt.outcome().get(60, TimeUnit.SECONDS).allDelivered());
    assertEquals(1, mx.messages().size());
  }

  @Test
  void localDomainsGoToTheApplicationCallback() throws Exception {
    Map<String, String> delivered = new HashMap<>();
    LocalDelivery local = (Mailbox sender, List<Mailbox> rcpts, InputStream content) -> {
      String text = new String(content.readAllBytes(), StandardCharsets.US_ASCII);
      Map<Mailbox, SmtpReply> replies = new HashMap<>();
      for (Mailbox m : rcpts) {
        if (m.localPart().equals("nobody")) {
          replies.put(m, SmtpReply.of(550, "5.1.1 no such user"));
        } else {
          synchronized (delivered) {
            delivered.put(m.address(), text);
          }
          replies.put(m, SmtpReply.of(250, "2.0.0 stored"));
        }
      }
      return replies;
    };
    RelayClient relay = h.start(h.relay().routing(Routing.builder().mxPort(h.mxPort)
        .localDomain("local.test").localDelivery(local).build()));
    DeliveryReport r = relay.send(RelayClientMxTest.message(
            "app@local.test", "local", "someone@local.test", "nobody@local.test"))
        .outcome().get(60, TimeUnit.SECONDS);
    assertEquals(RecipientState.DELIVERED, r.recipient(Mailbox.parse("someone@local.test")).orElseThrow().state());
    assertEquals(RecipientState.FAILED, r.recipient(Mailbox.parse("nobody@local.test")).orElseThrow().state());
    assertTrue(delivered.get("someone@local.test").contains("Subject: local"));
    // the bounce for nobody@ goes to app@local.test: locally as well
    RecordingListener.await("the bounce, delivered locally", Duration.ofSeconds(30),
        () -> {
          synchronized (delivered) {
            return delivered.containsKey("app@local.test");
          }
        });
    assertTrue(delivered.get("app@local.test").contains("Final-Recipient: rfc822; nobody@local.test"));
  }

  @Test
  void holdReleaseAndBounceThroughTheClient() throws Exception {
    h.mx("example.test", 2).mx("example.net", 4);
    h.server(2, b -> b.greylist(100));
    ScriptedSmtpServer senderMx = h.server(4, b -> {});
    RelayClient relay = h.start(h.relay());
    SendReceipt receipt = relay.send(RelayClientMxTest.message("app@example.net", "admin", "a@example.test"));
    QueueId id = receipt.queueId();
    RecordingListener.await("first attempt", Duration.ofSeconds(30),
        () -> h.events.attempts.size() == 1 && relay.deliveriesInFlight() == 0);

    assertTrue(relay.hold(id));
    assertEquals(MessageStatus.HELD, relay.inspect(id).orElseThrow().status());
    assertEquals(1, relay.list(QueueQuery.builder().status(MessageStatus.HELD).build()).messages().size());
    h.clock.advance(Duration.ofMinutes(30));
    relay.wakeUp();
    assertTrue(relay.release(id));
    assertTrue(relay.retryNow(id));
    RecordingListener.await("second attempt", Duration.ofSeconds(30),
        () -> h.events.attempts.size() == 2 && relay.deliveriesInFlight() == 0);
    assertFalse(receipt.outcome().isDone());

    assertTrue(relay.bounce(id));
    DeliveryReport r = receipt.outcome().get(60, TimeUnit.SECONDS);
    assertEquals(RecipientState.FAILED, r.recipients().get(0).state());
    String dsn = senderMx.awaitMessages(1, Duration.ofSeconds(60)).get(0).contentAsString();
    assertTrue(dsn.contains("Final-Recipient: rfc822; a@example.test"), dsn);
    assertTrue(dsn.contains("Status: 5.0.0"), dsn);
    assertFalse(relay.inspect(id).isPresent());
    assertFalse(relay.delete(id), "already gone");
  }
}
