package org.relaymail.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.relaymail.client.RecipientResult.Status;
import org.relaymail.protocol.Mailbox;
import org.relaymail.testsupport.ReceivedMessage;
import org.relaymail.testsupport.Response;
import org.relaymail.testsupport.Rule;
import org.relaymail.testsupport.ScriptedSmtpServer;
import org.relaymail.testsupport.Stage;
import org.relaymail.testsupport.TestCertificate;

/** The conversation against the scripted peer: happy paths, refusals, faults at every stage. */
class ScriptedPeerTest {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final byte[] BODY =
      "Subject: hi\r\nFrom: a@example.test\r\n\r\nHello.\r\n.leading dot\r\n"
          .getBytes(StandardCharsets.US_ASCII);

  static ConnectionSettings.Builder settings() {
    return ConnectionSettings.builder().timeouts(SmtpTimeouts.all(Duration.ofSeconds(20)));
  }

  static Route route(ScriptedSmtpServer s) {
    return Route.builder(s.address().getHostAddress(), s.port())
        .tlsMode(TlsMode.NONE)
        .heloName("client.example.test")
        .build();
  }

  static SmtpConnection open(ScriptedSmtpServer s) throws IOException {
    return SmtpConnection.open(route(s), settings().build());
  }

  static void noLeak(ScriptedSmtpServer s) throws InterruptedException {
    s.awaitNoOpenConnections(WAIT);
  }

  @Test
  void sendsWithChunkingAndPipeliningAndReportsQueueId() throws Exception {
    try (ScriptedSmtpServer s = ScriptedSmtpServer.start()) {
      try (SmtpConnection c = open(s)) {
        assertTrue(c.capabilities().chunking());
        TransactionResult r =
            c.send(Envelope.of("a@example.test", "b@example.test", "c@example.test"),
                MessageContent.of(BODY));
        assertTrue(r.allAccepted(), r.toString());
        ReceivedMessage m = s.awaitMessages(1, WAIT).get(0);
        assertTrue(m.chunked(), "BDAT used");
        assertEquals(List.of("b@example.test", "c@example.test"), m.recipients());
        assertEquals(new String(BODY, StandardCharsets.US_ASCII), m.contentAsString());
        assertEquals(m.queueId(), r.queueId().orElseThrow());
        assertEquals(String.valueOf(BODY.length), m.mailParameters().get("SIZE"));
      }
      noLeak(s);
      String received = s.sessions().get(0).receivedText();
      assertTrue(received.contains("QUIT\r\n"), received);
    }
  }

  @Test
  void sendsWithDataAndDotStuffingWhenChunkingIsOff() throws Exception {
    try (ScriptedSmtpServer s = ScriptedSmtpServer.builder().chunking(false).start()) {
      try (SmtpConnection c = open(s)) {
        TransactionResult r =
            c.send(Envelope.of("a@example.test", "b@example.test"), MessageContent.of(BODY));
        assertTrue(r.allAccepted(), r.toString());
      }
      ReceivedMessage m = s.awaitMessages(1, WAIT).get(0);
      assertFalse(m.chunked());
      assertEquals(new String(BODY, StandardCharsets.US_ASCII), m.contentAsString());
      String wire = s.sessions().get(0).receivedText();
      assertTrue(wire.contains("\r\n..leading dot\r\n"), "dot doubled on the wire");
      // MAIL, RCPT and DATA went in one write: the server saw them before answering MAIL
      assertTrue(wire.contains("MAIL FROM:<a@example.test>"), wire);
      noLeak(s);
    }
  }

  @Test
  void lockstepWithoutPipelining() throws Exception {
    try (ScriptedSmtpServer s =
        ScriptedSmtpServer.builder().pipelining(false).chunking(false).strict(true)
            .rule(Rule.rejectRecipient("x@example.test")).start()) {
      try (SmtpConnection c = open(s)) {
        TransactionResult r =
            c.send(Envelope.of("a@example.test", "x@example.test", "b@example.test"),
                MessageContent.of(BODY));
        assertEquals(Status.PERMANENT, r.recipients().get(0).status());
        assertEquals("5.1.1", r.recipients().get(0).enhancedStatus().orElseThrow().toString());
        assertEquals(Status.ACCEPTED, r.recipients().get(1).status());
        // all refused: no DATA, and the session is reset before the next message
        TransactionResult r2 =
            c.send(Envelope.of("a@example.test", "x@example.test"), MessageContent.of(BODY));
        assertEquals(Status.PERMANENT, r2.recipients().get(0).status());
        TransactionResult r3 =
            c.send(Envelope.of("a@example.test", "b@example.test"), MessageContent.of(BODY));
        assertTrue(r3.allAccepted());
      }
      assertEquals(2, s.awaitMessages(2, WAIT).size());
      noLeak(s);
    }
  }

  @Test
  void rejectedRecipientsAndAllRefusedButDataAccepted() throws Exception {
    // every RCPT refused but DATA answered 354 (RFC 2920 section 3.1): an empty message ends it
    try (ScriptedSmtpServer s =
        ScriptedSmtpServer.builder().chunking(false)
            .rule(Rule.at(Stage.RCPT, Response.reply(550, "5.1.1 no such user")))
            .rule(Rule.at(Stage.DATA, Response.reply(354, "go ahead")))
            .start()) {
      try (SmtpConnection c = open(s)) {
        TransactionResult r =
            c.send(Envelope.of("a@example.test", "b@example.test"), MessageContent.of(BODY));
        assertEquals(Status.PERMANENT, r.recipients().get(0).status());
        assertTrue(c.isUsable());
        assertTrue(c.noop().isPositive());
      }
      noLeak(s);
    }
  }

  @Test
  void mailRefusedIsPerRecipientValueAndNextTransactionIsClean() throws Exception {
    for (boolean chunking : new boolean[] {true, false}) {
      try (ScriptedSmtpServer s =
          ScriptedSmtpServer.builder().chunking(chunking)
              .rule(Rule.atNth(Stage.MAIL, 1, Response.reply(451, "4.3.0 try later")))
              .start()) {
        try (SmtpConnection c = open(s)) {
          CompletableFuture<TransactionResult> f1 =
              c.submit(Envelope.of("a@example.test", "b@example.test"), MessageContent.of(BODY));
          CompletableFuture<TransactionResult> f2 =
              c.submit(Envelope.of("a@example.test", "c@example.test"), MessageContent.of(BODY));
          c.flush();
          TransactionResult r1 = f1.get();
          assertEquals(Status.TRANSIENT, r1.recipients().get(0).status(), r1.toString());
          assertEquals(451, r1.recipients().get(0).reply().code());
          assertTrue(f2.get().allAccepted(), "chunking=" + chunking + " " + f2.get());
        }
        List<ReceivedMessage> got = s.awaitMessages(1, WAIT);
        assertEquals(List.of("c@example.test"), got.get(0).recipients());
        assertEquals(1, s.messages().size(), "the refused message never became a message");
        noLeak(s);
      }
    }
  }

  @Test
  void dataRefusedResetsTheTransaction() throws Exception {
    try (ScriptedSmtpServer s =
        ScriptedSmtpServer.builder().chunking(false)
            .rule(Rule.atNth(Stage.DATA, 1, Response.reply(554, "5.5.1 Error: no valid recipients")))
            .start()) {
      try (SmtpConnection c = open(s)) {
        TransactionResult r1 =
            c.send(Envelope.of("a@example.test", "b@example.test"), MessageContent.of(BODY));
        assertEquals(Status.PERMANENT, r1.recipients().get(0).status());
        TransactionResult r2 =
            c.send(Envelope.of("a@example.test", "c@example.test"), MessageContent.of(BODY));
        assertTrue(r2.allAccepted(), r2.toString());
      }
      String wire = s.sessions().get(0).receivedText();
      assertTrue(wire.contains("RSET\r\n"), "RSET after the transaction that DATA refused: " + wire);
      assertEquals(List.of("c@example.test"), s.awaitMessages(1, WAIT).get(0).recipients());
      noLeak(s);
    }
  }

  @Test
  void finalReplyRefusalIsPerRecipient() throws Exception {
    for (boolean chunking : new boolean[] {true, false}) {
      try (ScriptedSmtpServer s =
          ScriptedSmtpServer.builder().chunking(chunking)
              .rule(Rule.at(Stage.MESSAGE, Response.reply(552, "5.3.4 too big")))
              .start()) {
        try (SmtpConnection c = open(s)) {
          TransactionResult r =
              c.send(Envelope.of("a@example.test", "b@example.test"), MessageContent.of(BODY));
          assertEquals(Status.PERMANENT, r.recipients().get(0).status());
          assertEquals(552, r.finalReply().orElseThrow().code());
          assertTrue(r.queueId().isEmpty());
          assertTrue(c.isUsable());
        }
        noLeak(s);
      }
    }
  }

  @Test
  void recipientCapSplitsAndTooManyRecipientsGoesAgain() throws Exception {
    try (ScriptedSmtpServer s =
        ScriptedSmtpServer.builder().rule(Rule.maxRecipients(3)).start()) {
      List<Mailbox> rcpts = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        rcpts.add(Mailbox.parse("r" + i + "@example.test"));
      }
      try (SmtpConnection c =
          SmtpConnection.open(route(s), settings().maxRecipientsPerTransaction(5).build())) {
        TransactionResult r =
            c.send(Envelope.of(Mailbox.parse("a@example.test"), rcpts), MessageContent.of(BODY));
        assertTrue(r.allAccepted(), r.toString());
        assertTrue(r.finalReplies().size() >= 4, "several transactions: " + r.finalReplies());
      }
      List<String> all = new ArrayList<>();
      for (ReceivedMessage m : s.messages()) {
        assertTrue(m.recipients().size() <= 3);
        all.addAll(m.recipients());
      }
      assertEquals(12, all.size());
      assertEquals(12, all.stream().distinct().count(), "each recipient exactly once");
      noLeak(s);
    }
  }

  @Test
  void refusesLocallyBeforeSendingAnything() throws Exception {
    try (ScriptedSmtpServer s =
        ScriptedSmtpServer.builder().maxSize(50).smtpUtf8(false).eightBitMime(false).start()) {
      try (SmtpConnection c = open(s)) {
        TransactionResult big =
            c.send(Envelope.of("a@example.test", "b@example.test"), MessageContent.of(new byte[100]));
        assertEquals("5.3.4", big.recipients().get(0).enhancedStatus().orElseThrow().toString());
        TransactionResult utf8Addr =
            c.send(Envelope.of("a@example.test", "jörg@example.test"),
                MessageContent.of("S: x\r\n\r\nx\r\n".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("5.6.9", utf8Addr.recipients().get(0).enhancedStatus().orElseThrow().toString());
        TransactionResult utf8Header =
            c.send(Envelope.of("a@example.test", "b@example.test"),
                MessageContent.of("S: ü\r\n\r\nx\r\n".getBytes(StandardCharsets.UTF_8)));
        assertEquals("5.6.9",
            utf8Header.recipients().get(0).enhancedStatus().orElseThrow().toString());
        TransactionResult eightBit =
            c.send(Envelope.of("a@example.test", "b@example.test"),
                MessageContent.of("S: u\r\n\r\nü\r\n".getBytes(StandardCharsets.UTF_8)));
        assertEquals("5.6.3", eightBit.recipients().get(0).enhancedStatus().orElseThrow().toString());
        assertTrue(eightBit.recipients().get(0).reply().text().startsWith("relaymail:"));
      }
      String wire = s.sessions().get(0).receivedText();
      assertFalse(wire.contains("MAIL FROM"), "nothing was sent: " + wire);
      noLeak(s);
    }
  }

  @Test
  void smtpUtf8AndEightBitParametersAreFilledIn() throws Exception {
    try (ScriptedSmtpServer s = ScriptedSmtpServer.builder().strict(true).start()) {
      try (SmtpConnection c = open(s)) {
        TransactionResult r =
            c.send(Envelope.of("a@example.test", "jörg@bücher.example"),
                MessageContent.of("Subject: grüße\r\n\r\nü\r\n".getBytes(StandardCharsets.UTF_8)));
        assertTrue(r.allAccepted(), r.toString());
      }
      ReceivedMessage m = s.awaitMessages(1, WAIT).get(0);
      assertTrue(m.mailParameters().containsKey("SMTPUTF8"), m.mailParameters().toString());
      assertEquals("8BITMIME", m.mailParameters().get("BODY"));
      noLeak(s);
    }
  }

  @Test
  void greetingRefusalsAreClassified() throws Exception {
    for (int code : new int[] {421, 554}) {
      try (ScriptedSmtpServer s =
          ScriptedSmtpServer.builder()
              .greeting(Response.reply(code, (code == 421 ? "4.3.2" : "5.7.1") + " go away"))
              .start()) {
        SmtpReplyException e = assertThrows(SmtpReplyException.class, () -> open(s));
        assertEquals(SmtpReplyException.Stage.GREETING, e.stage());
        assertEquals(code == 421, e.isTransient());
        assertEquals(s.port(), e.port());
        noLeak(s);
      }
    }
  }

  @Test
  void ehloRefusedFallsBackToHelo() throws Exception {
    try (ScriptedSmtpServer s = ScriptedSmtpServer.builder().ehlo(false).chunking(false).start()) {
      try (SmtpConnection c = open(s)) {
        assertFalse(c.isExtended());
        assertTrue(c.send(Envelope.of("a@example.test", "b@example.test"),
            MessageContent.of(BODY)).allAccepted());
      }
      noLeak(s);
    }
  }

  /** A fault at each stage of the session: the expected outcome, no leaked connection. */
  @Test
  void faultsAtEveryStage() throws Exception {
    Stage[] stages = {Stage.EHLO, Stage.MAIL, Stage.RCPT, Stage.DATA, Stage.MESSAGE};
    Response[] faults = {
      Response.disconnect(),
      Response.reply(421, "4.3.2 shutting down"),
      Response.garbage(),
      Response.overlongLine(5000),
      Response.silence()
    };
    for (boolean chunking : new boolean[] {false, true}) {
      for (Stage stage : stages) {
        if (chunking && stage == Stage.DATA) {
          continue;
        }
        for (Response fault : faults) {
          String what = stage + "/" + fault + "/chunking=" + chunking;
          try (ScriptedSmtpServer s =
              ScriptedSmtpServer.builder().chunking(chunking).rule(Rule.at(stage, fault)).start()) {
            ConnectionSettings cfg =
                settings().timeouts(SmtpTimeouts.all(Duration.ofSeconds(20))
                    .withMail(Duration.ofSeconds(2)).withRcpt(Duration.ofSeconds(2))
                    .withData(Duration.ofSeconds(2)).withFinalDot(Duration.ofSeconds(2))
                    .withCommand(Duration.ofSeconds(2))).build();
            if (stage == Stage.EHLO) {
              IOException e = assertThrows(IOException.class,
                  () -> SmtpConnection.open(route(s), cfg), what);
              if (fault.code() == 421) {
                assertInstanceOf(SmtpReplyException.class, e, what);
              }
            } else {
              SmtpConnection c = SmtpConnection.open(route(s), cfg);
              try {
                TransactionResult r = c.send(
                    Envelope.of("a@example.test", "b@example.test"), MessageContent.of(BODY));
                assertEquals(Status.TRANSIENT, r.recipients().get(0).status(), what + " " + r);
                if (fault.code() == 421) {
                  assertEquals(421, r.recipients().get(0).reply().code(), what);
                }
                assertFalse(c.isUsable(), what);
              } catch (IOException e) {
                // the connection broke before the message was written: also "not delivered"
                assertFalse(c.isUsable(), what + " " + e);
              } finally {
                c.close();
              }
            }
            assertTrue(s.messages().isEmpty() || stage != Stage.MESSAGE || fault.code() == 0,
                what);
            noLeak(s);
          }
        }
      }
    }
  }

  @Test
  void delayedRepliesStillMatchInOrder() throws Exception {
    try (ScriptedSmtpServer s =
        ScriptedSmtpServer.builder()
            .rule(Rule.at(Stage.RCPT,
                Response.delayed(Duration.ofMillis(50), Response.reply(250, "2.1.5 Ok"))))
            .start()) {
      try (SmtpConnection c = open(s)) {
        List<CompletableFuture<TransactionResult>> fs = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          fs.add(c.submit(Envelope.of("a@example.test", "r" + i + "@example.test"),
              MessageContent.of(BODY)));
        }
        c.flush();
        for (CompletableFuture<TransactionResult> f : fs) {
          assertTrue(f.get().allAccepted(), f.get().toString());
        }
      }
      List<ReceivedMessage> got = s.awaitMessages(20, WAIT);
      for (int i = 0; i < 20; i++) {
        assertEquals(List.of("r" + i + "@example.test"), got.get(i).recipients());
      }
      noLeak(s);
    }
  }

  /**
   * Faults at every position of a full window of CHUNKING transactions: everything before the
   * fault is delivered and reported so; nothing from the fault on is reported delivered.
   */
  @Test
  void faultsAtEveryPositionInTheWindow() throws Exception {
    int n = 8;
    Response[] faults = {Response.disconnect(), Response.reply(421, "4.3.2 bye")};
    for (boolean chunking : new boolean[] {true, false}) {
      for (Response fault : faults) {
        for (int pos = 1; pos <= n; pos++) {
          String what = "chunking=" + chunking + " fault=" + fault + " at message " + pos;
          try (ScriptedSmtpServer s =
              ScriptedSmtpServer.builder().chunking(chunking)
                  .rule(Rule.atNth(Stage.MESSAGE, pos, fault)).start()) {
            List<CompletableFuture<TransactionResult>> fs = new ArrayList<>();
            try (SmtpConnection c = SmtpConnection.open(route(s), settings().build())) {
              for (int i = 0; i < n; i++) {
                fs.add(c.submit(Envelope.of("a@example.test", "r" + i + "@example.test"),
                    MessageContent.of(BODY)));
              }
              c.flush();
              assertFalse(c.isUsable(), what);
            }
            int delivered = 0;
            for (int i = 0; i < n; i++) {
              TransactionResult r;
              try {
                r = fs.get(i).get(30, TimeUnit.SECONDS);
              } catch (ExecutionException e) {
                assertTrue(i >= pos - 1, what + ": message " + i + " failed early: " + e);
                continue;
              }
              if (r.allAccepted()) {
                delivered++;
                assertTrue(i < pos - 1, what + ": message " + i + " reported delivered");
              } else {
                assertEquals(Status.TRANSIENT, r.recipients().get(0).status(), what);
              }
            }
            List<ReceivedMessage> got = s.messages();
            assertTrue(got.size() <= pos - 1, what + ": the faulty message was not accepted");
            // reported delivered implies accepted by the server; with a whole window in flight
            // the server may have accepted a message whose 250 was lost with the connection:
            // that one is reported TRANSIENT (at least once), never the other way round
            assertTrue(delivered <= got.size(), what + ": " + delivered + " > " + got.size());
            for (int i = 0; i < delivered; i++) {
              assertEquals(List.of("r" + i + "@example.test"), got.get(i).recipients(), what);
            }
            if (!chunking) {
              assertEquals(pos - 1, delivered, what + ": DATA mode reads each final reply");
            }
            noLeak(s);
          }
        }
      }
    }
  }

  @Test
  void vrfyExpnHelpNoopRset() throws Exception {
    try (ScriptedSmtpServer s = ScriptedSmtpServer.start()) {
      try (SmtpConnection c = open(s)) {
        assertTrue(c.noop().isPositive());
        assertTrue(c.rset().isPositive());
        assertTrue(c.vrfy("postmaster").code() >= 200);
        assertTrue(c.expn("list").code() >= 200);
        assertTrue(c.help(null).code() >= 200);
        assertThrows(IllegalArgumentException.class, () -> c.vrfy("x\r\nRCPT TO:<evil@x>"));
      }
      noLeak(s);
    }
  }
}
