package org.relaymail.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relaymail.protocol.Mailbox;
import org.relaymail.queue.FailureClass;
import org.relaymail.queue.QueuedMessage;
import org.relaymail.queue.RecipientState;
import org.relaymail.queue.RetryPolicy;
import org.relaymail.testsupport.ReceivedMessage;
import org.relaymail.testsupport.Response;
import org.relaymail.testsupport.ScriptedSmtpServer;
import org.relaymail.testsupport.Stage;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
    assertTrue(report.allDelivered(), report.toString());
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

  private static Mailbox mb(String a) {
    return Mailbox.parse(a);
  }

  /** Waits until n attempt events were seen and nothing is in delivery. */
  private void awaitAttempts(RelayClient relay, int n) throws InterruptedException {
    RecordingListener.await(n + " attempt events", Duration.ofSeconds(60),
        () -> h.events.attempts.size() >= n && relay.deliveriesInFlight() == 0);
  }

  private void later(RelayClient relay, Duration d) {
    h.clock.advance(d);
    relay.wakeUp();
  }

  @Test
  void failsOverToTheSecondMxWhenTheFirstIsDead() throws Exception {
    h.dns.mx("example.test", 10, "mx1.example.test");
    h.dns.address("mx1.example.test", "127.0.0.2");
    h.dns.mx("example.test", 20, "mx2.example.test");
    h.dns.address("mx2.example.test", "127.0.0.3");
    ScriptedSmtpServer second = h.server(3, b -> {});
    RelayClient relay = h.start(h.relay());

    RouteDecision route = relay.explainRoute("example.test");
    assertEquals("mx1.example.test", route.hosts().get(0).name(), route.toString());
    assertEquals("mx2.example.test", route.hosts().get(1).name(), route.toString());

    DeliveryReport report = relay.send(message("app@example.net", "failover", "alice@example.test"))
        .outcome().get(60, TimeUnit.SECONDS);

    assertTrue(report.allDelivered(), report.toString());
    RecipientReport r = report.recipients().get(0);
    assertEquals(1, r.attempts(), "the dead first MX costs no extra attempt");
    assertTrue(r.remoteMta().orElseThrow().startsWith("mx2.example.test[127.0.0.3]"), r.toString());
    assertEquals(1, second.messages().size());
  }

  @Test
  void greylistedRecipientIsRetriedAfterTheRetryDelay() throws Exception {
    h.mx("example.test", 2);
    ScriptedSmtpServer mx = h.server(2, b -> b.greylist(1));
    RelayClient relay = h.start(h.relay());

    SendReceipt receipt = relay.send(message("app@example.net", "grey", "alice@example.test"));
    awaitAttempts(relay, 1);
    DeliveryEvent first = h.events.attempts.get(0);
    assertEquals(DeliveryEvent.Type.DEFERRED, first.type());
    assertEquals(450, first.reply().orElseThrow().code());
    assertEquals(FailureClass.THROTTLED, first.failureClass().orElseThrow());
    assertFalse(receipt.outcome().isDone());
    QueuedMessage queued = relay.inspect(receipt.queueId()).orElseThrow();
    assertEquals(RecipientState.DEFERRED, queued.recipients().get(0).state());
    assertEquals(RelayHarness.START.plus(Duration.ofMinutes(15)), queued.nextAttemptAt());
    assertEquals(0, mx.messages().size());

    later(relay, Duration.ofMinutes(15));
    DeliveryReport report = receipt.outcome().get(60, TimeUnit.SECONDS);
    assertTrue(report.allDelivered(), report.toString());
    assertEquals(2, report.recipients().get(0).attempts());
    assertEquals(1, mx.messages().size());
  }

  @Test
  void partialDeliveryBouncesTheRefusedAndRetriesOnlyTheDeferred() throws Exception {
    h.mx("example.test", 2).mx("example.net", 4);
    AtomicInteger carolTries = new AtomicInteger();
    ScriptedSmtpServer mx = h.server(2, b -> b.rejectRecipient("bob@example.test")
        .rule((s, c) -> c.stage() == Stage.RCPT && "carol@example.test".equalsIgnoreCase(c.path())
            && carolTries.incrementAndGet() == 1 ? Response.reply(451, "4.2.1 <carol@example.test>: mailbox busy") : null));
    ScriptedSmtpServer senderMx = h.server(4, b -> {});
    RelayClient relay = h.start(h.relay());

    SendReceipt receipt = relay.send(
        message("app@example.net", "partial", "alice@example.test", "bob@example.test", "carol@example.test"));
    awaitAttempts(relay, 3);
    assertEquals(List.of("alice@example.test"), mx.messages().get(0).recipients());

    // bob's bounce goes out at once, not at expiry
    ReceivedMessage bounce = senderMx.awaitMessages(1, Duration.ofSeconds(60)).get(0);
    assertEquals("", bounce.sender(), "a bounce has the null reverse path");
    assertEquals(List.of("app@example.net"), bounce.recipients());
    String dsn = bounce.contentAsString();
    assertTrue(dsn.contains("multipart/report; report-type=delivery-status"), dsn);
    assertTrue(dsn.contains("Auto-Submitted: auto-replied"), dsn);
    assertTrue(dsn.contains("postmaster@relay.example.net"), "From the postmaster of the HELO name: " + dsn);
    assertTrue(dsn.contains("<bob@example.test>: unknown recipient (5.1.1)"), "the class in the human text: " + dsn);
    assertTrue(dsn.contains("Final-Recipient: rfc822; bob@example.test"), dsn);
    assertTrue(dsn.contains("Action: failed"), dsn);
    assertTrue(dsn.contains("Status: 5.1.1"), dsn);
    assertTrue(dsn.contains("Diagnostic-Code: smtp; 550 5.1.1"), dsn);
    assertTrue(dsn.contains("Subject: partial"), "the original headers come back: " + dsn);
    assertFalse(dsn.contains("carol@example.test>: mailbox busy"), dsn);
    assertFalse(dsn.contains("Final-Recipient: rfc822; alice"), dsn);
    assertFalse(dsn.contains("Final-Recipient: rfc822; carol"), dsn);

    later(relay, Duration.ofMinutes(15));
    DeliveryReport report = receipt.outcome().get(60, TimeUnit.SECONDS);
    assertEquals(2, mx.messages().size());
    assertEquals(List.of("carol@example.test"), mx.messages().get(1).recipients(), "only the deferred one again");
    RecipientReport alice = report.recipient(mb("alice@example.test")).orElseThrow();
    RecipientReport bob = report.recipient(mb("bob@example.test")).orElseThrow();
    RecipientReport carol = report.recipient(mb("carol@example.test")).orElseThrow();
    assertEquals(RecipientState.DELIVERED, alice.state());
    assertEquals(1, alice.attempts());
    assertEquals(RecipientState.FAILED, bob.state());
    assertEquals(FailureClass.UNKNOWN_RECIPIENT, bob.failureClass().orElseThrow());
    assertEquals("5.1.1", bob.enhancedStatus().orElseThrow().toString());
    assertEquals(RecipientState.DELIVERED, carol.state());
    assertEquals(2, carol.attempts());
    assertEquals(1, senderMx.messages().size(), "one bounce");
  }

  @Test
  void nullMxAndNxdomainBounceTogetherAndTheBounceArrives() throws Exception {
    h.dns.nullMx("nomail.test");
    h.mx("example.net", 4);
    ScriptedSmtpServer senderMx = h.server(4, b -> {});
    RelayClient relay = h.start(h.relay());

    DeliveryReport report = relay.send(message("app@example.net", "nowhere", "a@nomail.test", "b@nx.test"))
        .outcome().get(60, TimeUnit.SECONDS);

    assertFalse(report.allDelivered());
    RecipientReport a = report.recipient(mb("a@nomail.test")).orElseThrow();
    RecipientReport b = report.recipient(mb("b@nx.test")).orElseThrow();
    assertEquals(RecipientState.FAILED, a.state());
    assertEquals("5.1.10", a.enhancedStatus().orElseThrow().toString());
    assertEquals(FailureClass.DNS_FAILURE, a.failureClass().orElseThrow());
    assertEquals(RecipientState.FAILED, b.state());
    assertEquals("5.1.2", b.enhancedStatus().orElseThrow().toString());

    List<ReceivedMessage> bounces = senderMx.awaitMessages(1, Duration.ofSeconds(60));
    assertEquals(1, bounces.size(), "recipients failed in one attempt share one bounce");
    String dsn = bounces.get(0).contentAsString();
    assertTrue(dsn.contains("Final-Recipient: rfc822; a@nomail.test"), dsn);
    assertTrue(dsn.contains("Status: 5.1.10"), dsn);
    assertTrue(dsn.contains("Final-Recipient: rfc822; b@nx.test"), dsn);
    assertTrue(dsn.contains("Status: 5.1.2"), dsn);
    assertEquals(2, h.events.count(h.events.finals, e -> e.type() == DeliveryEvent.Type.BOUNCED));
  }

  @Test
  void anUndeliverableBounceIsDroppedNeverBounced() throws Exception {
    h.mx("example.net", 4);
    ScriptedSmtpServer senderMx = h.server(4, b -> {});
    RelayClient relay = h.start(h.relay());

    OutgoingMessage bounceLike = OutgoingMessage.builder().sender(Mailbox.NULL).recipient("x@nx.test")
        .content("From: MAILER-DAEMON@example.net\r\nSubject: a bounce\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII))
        .build();
    DeliveryReport report = relay.send(bounceLike).outcome().get(60, TimeUnit.SECONDS);
    assertEquals(RecipientState.FAILED, report.recipients().get(0).state());
    RecordingListener.await("drop event", Duration.ofSeconds(30),
        () -> h.events.count(h.events.finals, e -> e.type() == DeliveryEvent.Type.BOUNCE_DROPPED) == 1);
    assertEquals(0, relay.counts().messages(), "nothing queued: no bounce of a bounce");
    assertEquals(0, senderMx.connectionCount());
  }

  @Test
  void expiryBouncesEveryFailedRecipientAfterADelayWarning() throws Exception {
    h.mx("example.test", 2).mx("example.net", 4);
    h.server(2, b -> b.rule((s, c) -> c.stage() == Stage.RCPT ? Response.reply(451, "4.3.0 try again later") : null));
    ScriptedSmtpServer senderMx = h.server(4, b -> {});
    RelayClient relay = h.start(h.relay().retryPolicy(RetryPolicy.builder().fixedDelay(Duration.ofMinutes(15))
        .giveUpAfter(Duration.ofHours(1)).delayWarningAfter(Duration.ofMinutes(30)).build()));

    SendReceipt receipt = relay.send(message("app@example.net", "expire", "a@example.test", "b@example.test"));
    int attempts = 0;
    while (!receipt.outcome().isDone()) {
      attempts++;
      awaitAttempts(relay, 2 * attempts);
      if (attempts > 10) {
        throw new AssertionError("not expired after 10 attempts: " + h.events.attempts);
      }
      if (!receipt.outcome().isDone()) {
        later(relay, Duration.ofMinutes(15));
      }
    }
    assertEquals(5, attempts, "tried at 0, 15, 30, 45 and 60 minutes, then given up");
    DeliveryReport report = receipt.outcome().get();
    for (RecipientReport r : report.recipients()) {
      assertEquals(RecipientState.EXPIRED, r.state(), r.toString());
      assertEquals(451, r.reply().orElseThrow().code());
    }
    assertEquals(2, h.events.warnings.size(), "one delay warning per recipient");
    List<ReceivedMessage> notices = senderMx.awaitMessages(2, Duration.ofSeconds(60));
    String delay = notices.get(0).contentAsString();
    assertTrue(delay.contains("Action: delayed"), delay);
    assertTrue(delay.contains("Will-Retry-Until: "), delay);
    String bounce = notices.get(1).contentAsString();
    assertTrue(bounce.contains("Action: failed"), bounce);
    assertTrue(bounce.contains("Final-Recipient: rfc822; a@example.test"), bounce);
    assertTrue(bounce.contains("Final-Recipient: rfc822; b@example.test"), bounce);
    assertEquals(2, h.events.count(h.events.finals, e -> e.type() == DeliveryEvent.Type.EXPIRED));
  }

  @Test
  void badInputThrowsAndQueuesNothing() throws Exception {
    RelayClient relay = h.start(h.relay());
    OutgoingMessage noFrom = OutgoingMessage.builder().sender("app@example.net").recipient("a@example.test")
        .content("Subject: no from\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)).build();
    assertThrows(InvalidMessageException.class, () -> relay.send(noFrom));
    OutgoingMessage longLine = OutgoingMessage.builder().sender("app@example.net").recipient("a@example.test")
        .content(("From: a@example.net\r\n\r\n" + "x".repeat(1200) + "\r\n").getBytes(StandardCharsets.US_ASCII)).build();
    assertThrows(InvalidMessageException.class, () -> relay.send(longLine));
    OutgoingMessage unreadable = OutgoingMessage.builder().sender("app@example.net").recipient("a@example.test")
        .content(() -> {
          throw new java.io.IOException("gone");
        }).build();
    assertThrows(java.io.IOException.class, () -> relay.send(unreadable));
    assertThrows(IllegalArgumentException.class, () -> RelayClient.builder().heloName("localhost"));
    assertEquals(0, relay.counts().messages());
  }

  @Test
  void aThrowingListenerDoesNotBreakDelivery() throws Exception {
    h.mx("example.test", 2);
    ScriptedSmtpServer mx = h.server(2, b -> {});
    RelayClient relay = h.start(h.relay().listener(new RelayListener() {
      @Override
      public void onAttempt(DeliveryEvent event) {
        throw new IllegalStateException("listener bug");
      }

      @Override
      public void onCompleted(DeliveryReport report) {
        throw new IllegalStateException("listener bug");
      }
    }));
    DeliveryReport report = relay.send(message("app@example.net", "listener", "alice@example.test"))
        .outcome().get(60, TimeUnit.SECONDS);
    assertTrue(report.allDelivered());
    assertEquals(1, mx.messages().size());
  }
}
