package org.relaymail.testsupport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScriptedSmtpServerTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void defaultConversationRecordsTheUnstuffedMessageAndTheExactBytes() throws Exception {
    try (ScriptedSmtpServer server = ScriptedSmtpServer.start();
        RawClient c = RawClient.connect(server)) {
      assertEquals(220, c.code());
      c.send("EHLO client.test\r\n");
      List<String> ehlo = c.reply();
      assertTrue(ehlo.contains("250-PIPELINING"), ehlo.toString());
      assertTrue(ehlo.contains("250-CHUNKING") || ehlo.contains("250 CHUNKING"), ehlo.toString());
      assertEquals(250, c.cmd("MAIL FROM:<a@example.test> SIZE=100"));
      assertEquals(250, c.cmd("RCPT TO:<b@example.test>"));
      assertEquals(354, c.cmd("DATA"));
      c.send("Subject: x\r\n\r\n..leading dot\r\n.\r\n");
      String last = c.lastLine();
      assertTrue(last.startsWith("250 2.0.0 Ok: queued as "), last);
      assertEquals(221, c.cmd("QUIT"));
      ReceivedMessage m = server.awaitMessages(1, WAIT).get(0);
      assertEquals("a@example.test", m.sender());
      assertEquals(List.of("b@example.test"), m.recipients());
      assertEquals("100", m.mailParameters().get("SIZE"));
      assertEquals("Subject: x\r\n\r\n.leading dot\r\n", m.contentAsString());
      assertEquals(last.substring(last.lastIndexOf(' ') + 1), m.queueId());
      assertEquals("client.test", m.heloName());
      assertFalse(m.chunked());
      server.awaitNoOpenConnections(WAIT);
      SessionRecord s = server.session(1);
      assertEquals("EHLO client.test\r\nMAIL FROM:<a@example.test> SIZE=100\r\n"
          + "RCPT TO:<b@example.test>\r\nDATA\r\nSubject: x\r\n\r\n..leading dot\r\n.\r\nQUIT\r\n",
          s.receivedText());
      assertTrue(s.sentText().startsWith("220 mx.relaymail.test ESMTP"), s.sentText());
      assertEquals(1, server.connectionCount());
    }
  }

  @Test
  void pipelinedGroupGetsRepliesInOrderAndDotAloneOnBareLfDoesNotEndData() throws Exception {
    try (ScriptedSmtpServer server = ScriptedSmtpServer.builder()
            .rejectRecipient("nobody@example.test").start();
        RawClient c = RawClient.connect(server)) {
      c.code();
      c.cmd("EHLO client.test");
      c.send("MAIL FROM:<> BODY=8BITMIME\r\nRCPT TO:<nobody@example.test>\r\n"
          + "RCPT TO:<x@example.test>\r\nDATA\r\n");
      assertEquals(250, c.code());
      assertEquals("550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown",
          c.lastLine());
      assertEquals(250, c.code());
      assertEquals(354, c.code());
      // RFC 2920 section 3.1: the content, the dot and the next transaction in one write
      c.send("caf\u00e9\n.\n.still body\r\n.\r\nMAIL FROM:<a@example.test>\r\n"
          + "RCPT TO:<y@example.test>\r\nDATA\r\n");
      assertEquals(250, c.code());
      assertEquals(250, c.code());
      assertEquals(250, c.code());
      assertEquals(354, c.code());
      c.send(".\r\n");
      assertEquals(250, c.code());
      List<ReceivedMessage> got = server.awaitMessages(2, WAIT);
      assertEquals("", got.get(0).sender());
      assertEquals(List.of("x@example.test"), got.get(0).recipients());
      assertArrayEquals("caf\u00e9\n.\n.still body\r\n".getBytes(StandardCharsets.UTF_8),
          got.get(0).content());
      assertEquals(0, got.get(1).content().length);
    }
  }

  @Test
  void strictModeRefusesPipeliningWhenNotOfferedAndDisconnects() throws Exception {
    try (ScriptedSmtpServer server = ScriptedSmtpServer.builder().pipelining(false).start();
        RawClient c = RawClient.connect(server)) {
      c.code();
      c.send("EHLO client.test\r\n");
      assertFalse(c.reply().contains("250-PIPELINING"));
      c.send("MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\n");
      assertEquals("554 5.5.0 Error: SMTP protocol synchronization", c.lastLine());
      assertTrue(c.atEof());
      server.awaitNoOpenConnections(WAIT);
    }
  }

  @Test
  void strictModeRefusesCommandsAfterDataInTheSameGroupEvenWithPipelining() throws Exception {
    try (ScriptedSmtpServer server = ScriptedSmtpServer.start();
        RawClient c = RawClient.connect(server)) {
      c.code();
      c.cmd("EHLO client.test");
      c.send("MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\nbody\r\n.\r\n");
      assertEquals(250, c.code());
      assertEquals(250, c.code());
      assertEquals(554, c.code());
      assertTrue(c.atEof());
      assertTrue(server.messages().isEmpty());
    }
  }

  @Test
  void strictModeRefusesUnadvertisedParametersAnd8BitContentWithoutBody() throws Exception {
    try (ScriptedSmtpServer server = ScriptedSmtpServer.builder()
            .smtpUtf8(false).eightBitMime(false).dsn(false).chunking(false).start();
        RawClient c = RawClient.connect(server)) {
      c.code();
      c.cmd("EHLO client.test");
      assertEquals(555, c.cmd("MAIL FROM:<a@example.test> SMTPUTF8"));
      assertEquals(555, c.cmd("MAIL FROM:<a@example.test> BODY=8BITMIME"));
      assertEquals(555, c.cmd("MAIL FROM:<a@example.test> RET=HDRS"));
      assertEquals(553, c.cmd("MAIL FROM:<j\u00f6rg@example.test>"));
      assertEquals(250, c.cmd("MAIL FROM:<a@example.test>"));
      assertEquals(555, c.cmd("RCPT TO:<b@example.test> NOTIFY=NEVER"));
      assertEquals(250, c.cmd("RCPT TO:<b@example.test>"));
      assertEquals(354, c.cmd("DATA"));
      c.send("caf\u00e9\r\n.\r\n");
      assertEquals("554 5.6.1 Error: 8-bit content without BODY=8BITMIME", c.lastLine());
      assertEquals(502, c.cmd("BDAT 3 LAST\r\nabc"));
      assertTrue(server.messages().isEmpty());
    }
  }

  @Test
  void sequenceErrorsAreRefused() throws Exception {
    try (ScriptedSmtpServer server = ScriptedSmtpServer.start();
        RawClient c = RawClient.connect(server)) {
      c.code();
      assertEquals(503, c.cmd("MAIL FROM:<a@example.test>"));
      assertEquals(250, c.cmd("HELO client.test"));
      assertEquals(555, c.cmd("MAIL FROM:<a@example.test> SIZE=10"));
      assertEquals(250, c.cmd("MAIL FROM:<a@example.test>"));
      assertEquals(503, c.cmd("MAIL FROM:<a@example.test>"));
      assertEquals(554, c.cmd("DATA"));
      assertEquals(250, c.cmd("RSET"));
      assertEquals(503, c.cmd("RCPT TO:<b@example.test>"));
      assertEquals(502, c.cmd("FOO bar"));
      assertEquals(501, c.cmd("MAIL FROM:a@example.test"));
      assertEquals(250, c.cmd("NOOP"));
      assertEquals(221, c.cmd("QUIT"));
    }
  }

  @Test
  void bdatReadsExactlyTheAnnouncedBytesEvenThoseThatLookLikeCommands() throws Exception {
    try (ScriptedSmtpServer server = ScriptedSmtpServer.start();
        RawClient c = RawClient.connect(server)) {
      c.code();
      c.cmd("EHLO client.test");
      String chunk1 = "line\r\n.\r\nQUIT\r\n";
      byte[] chunk2 = {'a', (byte) 0xff, '\r', '\n'};
      ByteArrayOutputStream w = new ByteArrayOutputStream();
      w.writeBytes(("MAIL FROM:<a@example.test> BODY=BINARYMIME\r\n").getBytes(
          StandardCharsets.US_ASCII));
      c.send(w.toByteArray());
      assertEquals(555, c.code()); // BINARYMIME not offered
      w.reset();
      w.writeBytes(("MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nBDAT "
          + chunk1.length() + "\r\n" + chunk1 + "BDAT 4 LAST\r\n").getBytes(
              StandardCharsets.US_ASCII));
      w.writeBytes(chunk2);
      c.send(w.toByteArray());
      assertEquals(250, c.code());
      assertEquals(250, c.code());
      assertEquals("250 2.0.0 Ok: 15 octets", c.lastLine());
      assertEquals(250, c.code());
      ReceivedMessage m = server.awaitMessages(1, WAIT).get(0);
      ByteArrayOutputStream expected = new ByteArrayOutputStream();
      expected.writeBytes(chunk1.getBytes(StandardCharsets.US_ASCII));
      expected.writeBytes(chunk2);
      assertArrayEquals(expected.toByteArray(), m.content());
      assertTrue(m.chunked());
      // BDAT after a refused MAIL: answered, its bytes discarded, the session still in sync
      c.send("MAIL FROM:<a@example.test> FOO=1\r\nRCPT TO:<b@example.test>\r\n"
          + "BDAT 6 LAST\r\nNOOP\r\nNOOP\r\n");
      assertEquals(555, c.code());
      assertEquals(503, c.code());
      assertEquals(503, c.code()); // BDAT refused, its 6 bytes "NOOP\r\n" discarded
      assertEquals(250, c.code()); // the NOOP after them
      assertEquals(250, c.cmd("NOOP"));
      assertEquals(List.of("NOOP", "NOOP"), server.session(1).commands().subList(
          server.session(1).commands().size() - 2, server.session(1).commands().size()));
      assertEquals(1, server.messages().size());
    }
  }

  @Test
  void greylistingCountsAttemptsPerSenderAndRecipientAcrossSessions() throws Exception {
    try (ScriptedSmtpServer server = ScriptedSmtpServer.builder().greylist(2).start()) {
      for (int attempt = 1; attempt <= 3; attempt++) {
        try (RawClient c = RawClient.connect(server)) {
          c.code();
          c.cmd("EHLO client.test");
          c.cmd("MAIL FROM:<a@example.test>");
          assertEquals(attempt <= 2 ? 450 : 250, c.cmd("RCPT TO:<B@Example.test>"));
          assertEquals(attempt <= 2 ? 450 : 250, c.cmd("RCPT TO:<other@example.test>"),
              "other recipient, attempt " + attempt);
          c.cmd("RSET");
          c.cmd("MAIL FROM:<z@example.test>");
          assertEquals(450, c.cmd("RCPT TO:<b" + attempt + "@example.test>"));
        }
      }
      assertEquals(3, server.connectionCount());
    }
  }

  @Test
  void maxRecipientsAnswers452() throws Exception {
    try (ScriptedSmtpServer server = ScriptedSmtpServer.builder().maxRecipients(2).start();
        RawClient c = RawClient.connect(server)) {
      c.code();
      c.cmd("EHLO client.test");
      c.send("MAIL FROM:<a@example.test>\r\nRCPT TO:<1@example.test>\r\n"
          + "RCPT TO:<2@example.test>\r\nRCPT TO:<3@example.test>\r\n");
      assertEquals(250, c.code());
      assertEquals(250, c.code());
      assertEquals(250, c.code());
      assertEquals("452 4.5.3 Error: too many recipients", c.lastLine());
    }
  }

  @Test
  void faultsAtAnyStage() throws Exception {
    try (ScriptedSmtpServer server = ScriptedSmtpServer.builder()
        .rule(Rule.atNth(Stage.MAIL, 1, Response.reply(421, "4.3.2 shutting down")))
        .rule(Rule.atNth(Stage.RCPT, 1, Response.disconnect()))
        .rule(Rule.atNth(Stage.DATA, 1, Response.garbage()))
        .rule(Rule.atNth(Stage.NOOP, 1, Response.delayed(Duration.ofMillis(50),
            Response.overlongLine(5000))))
        .start()) {
      try (RawClient c = RawClient.connect(server)) {
        c.code();
        c.cmd("EHLO client.test");
        assertEquals(421, c.cmd("MAIL FROM:<a@example.test>"));
        assertTrue(c.atEof(), "421 closes the connection");
      }
      try (RawClient c = RawClient.connect(server)) {
        c.code();
        c.cmd("EHLO client.test");
        c.cmd("MAIL FROM:<a@example.test>");
        assertEquals(-1, c.cmd("RCPT TO:<b@example.test>"));
      }
      try (RawClient c = RawClient.connect(server)) {
        c.code();
        c.cmd("EHLO client.test");
        c.cmd("MAIL FROM:<a@example.test>");
        c.cmd("RCPT TO:<b@example.test>");
        c.send("DATA\r\n");
        assertTrue(c.readLine().startsWith("garbage"));
        c.send("NOOP\r\n");
        assertEquals(5002, c.readLine().length());
        assertEquals(250, c.cmd("NOOP"));
      }
      server.awaitNoOpenConnections(WAIT);
      assertEquals(3, server.connectionCount());
    }
  }

  @Test
  void greetingCanRefuseService() throws Exception {
    try (ScriptedSmtpServer server = ScriptedSmtpServer.builder()
            .greeting(Response.reply(554, "5.3.2 no service")).start();
        RawClient c = RawClient.connect(server)) {
      assertEquals(554, c.code());
      assertEquals(503, c.cmd("EHLO client.test"));
      assertEquals(221, c.cmd("QUIT"));
    }
  }

  @Test
  void overlongCommandLineIsRefused() throws Exception {
    try (ScriptedSmtpServer server = ScriptedSmtpServer.start();
        RawClient c = RawClient.connect(server)) {
      c.code();
      assertEquals(500, c.cmd("EHLO " + "x".repeat(3000)));
      assertEquals(250, c.cmd("HELO ok.test"));
    }
  }

  @Test
  void awaitMessagesTimesOutWithADescription() throws Exception {
    try (ScriptedSmtpServer server = ScriptedSmtpServer.start()) {
      AssertionError e = assertThrows(AssertionError.class,
          () -> server.awaitMessages(1, Duration.ofMillis(20)));
      assertTrue(e.getMessage().contains("expected 1 messages"), e.getMessage());
    }
  }

  @Test
  void closeEndsEveryThreadEvenWithClientsConnected() throws Exception {
    ScriptedSmtpServer server = ScriptedSmtpServer.builder().address(Loopback.v4(2)).start();
    String prefix = "scripted-smtp-" + server.port() + "-";
    try (RawClient a = RawClient.connect(server); RawClient b = RawClient.connect(server)) {
      a.code();
      b.code();
      server.close();
      assertTrue(a.atEof());
      assertTrue(b.atEof());
    }
    assertFalse(Thread.getAllStackTraces().keySet().stream().anyMatch(
        t -> t.isAlive() && (t.getName().startsWith(prefix)
            || t.getName().equals("scripted-smtp-accept-" + server.port()))),
        "threads left");
    assertEquals(0, server.openConnections());
  }

  @Test
  void builderRejectsBadValues() {
    assertThrows(IllegalArgumentException.class,
        () -> ScriptedSmtpServer.builder().address(java.net.InetAddress.getByName("192.0.2.1")));
    assertThrows(IllegalArgumentException.class, () -> ScriptedSmtpServer.builder().port(70000));
    assertThrows(IllegalArgumentException.class,
        () -> ScriptedSmtpServer.builder().authMechanisms("GSSAPI"));
    assertThrows(IllegalStateException.class,
        () -> ScriptedSmtpServer.builder().authMechanisms("PLAIN").start());
    assertThrows(IllegalArgumentException.class, () -> Response.reply(600, "x"));
    assertThrows(IllegalArgumentException.class, () -> Response.reply(250, "a\r\nb"));
  }
}
