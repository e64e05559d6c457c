package org.relaymail.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.EnumSet;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.relaymail.client.Envelope.DsnNotify;
import org.relaymail.client.Envelope.DsnReturn;
import org.relaymail.protocol.SmtpReply;
import org.relaymail.testsupport.Loopback;
import org.relaymail.testsupport.ReceivedMessage;
import org.relaymail.testsupport.Response;
import org.relaymail.testsupport.ScriptedSmtpServer;
import org.relaymail.testsupport.Stage;
import org.relaymail.testsupport.TestCertificate;

/**
 * Parts of the conversation the other tests leave out: the greeting and EHLO classification, HELO
 * fallback, the simple commands on the wire, DSN parameters (RFC 3461) only when offered, the local
 * bind address, and TLS failures reported as such.
 */
class ConversationGapsTest {
  private static final Duration WAIT = ScriptedPeerTest.WAIT;

  private static SmtpConnection open(ScriptedSmtpServer s) throws IOException {
    return ScriptedPeerTest.open(s);
  }

  @Test
  void greetingFailuresAreClassified() throws Exception {
    Object[][] cases = {
      {Response.reply(421, "4.3.2 busy"), true},
      {Response.reply(450, "4.7.1 try later"), true},
      {Response.reply(554, "5.7.1 no SMTP service here"), false},
      {Response.reply(521, "5.3.2 does not accept mail"), false},
    };
    for (Object[] c : cases) {
      Response greeting = (Response) c[0];
      try (ScriptedSmtpServer s = ScriptedSmtpServer.builder().greeting(greeting).start()) {
        SmtpReplyException e = assertThrows(SmtpReplyException.class, () -> open(s),
            greeting.toString());
        assertEquals(SmtpReplyException.Stage.GREETING, e.stage());
        assertEquals(greeting.code(), e.reply().code());
        assertEquals(c[1], e.isTransient(), greeting.toString());
        assertEquals(s.address().getHostAddress(), e.host());
        ScriptedPeerTest.noLeak(s);
        String wire = s.sessions().get(0).receivedText();
        assertFalse(wire.contains("EHLO"), "nothing after a refused greeting but QUIT: " + wire);
      }
    }
    // no greeting at all: dropped, or silent past the greeting timeout
    try (ScriptedSmtpServer s =
        ScriptedSmtpServer.builder().greeting(Response.disconnect()).start()) {
      SmtpClientException e = assertThrows(SmtpClientException.class, () -> open(s));
      assertFalse(e instanceof SmtpReplyException, e.toString());
      ScriptedPeerTest.noLeak(s);
    }
    try (ScriptedSmtpServer s = ScriptedSmtpServer.builder().greeting(Response.silence()).start()) {
      ConnectionSettings cfg = ScriptedPeerTest.settings()
          .timeouts(SmtpTimeouts.all(Duration.ofSeconds(20)).withGreeting(Duration.ofSeconds(1))
              .withConnect(Duration.ofSeconds(1)))
          .build();
      assertThrows(SmtpTimeoutException.class,
          () -> SmtpConnection.open(ScriptedPeerTest.route(s), cfg));
      ScriptedPeerTest.noLeak(s);
    }
  }

  @Test
  void heloFallbackAfterEhlo500Or502ButNotAfter4xx() throws Exception {
    for (int code : new int[] {500, 502}) {
      try (ScriptedSmtpServer s = ScriptedSmtpServer.builder().strict(true)
          .replyAt(Stage.EHLO, Response.reply(code, "5.5.1 Error: command not recognized"))
          .start()) {
        try (SmtpConnection c = open(s)) {
          assertFalse(c.isExtended(), "HELO after EHLO " + code);
          assertFalse(c.capabilities().pipelining());
          assertTrue(c.capabilities().authMechanisms().isEmpty());
          // lockstep and no ESMTP parameter: the strict peer would refuse either
          TransactionResult r = c.send(Envelope.of("a@example.test", "b@example.test", "c@example.test"),
              MessageContent.of(ScriptedPeerTest.BODY));
          assertTrue(r.allAccepted(), r.toString());
        }
        ReceivedMessage m = s.awaitMessages(1, WAIT).get(0);
        assertEquals("client.example.test", m.heloName());
        assertTrue(m.mailParameters().isEmpty(), m.mailParameters().toString());
        String wire = s.sessions().get(0).receivedText();
        assertTrue(wire.startsWith("EHLO client.example.test\r\nHELO client.example.test\r\n"),
            wire);
        ScriptedPeerTest.noLeak(s);
      }
    }
    // 4xx to EHLO is not "EHLO unknown": no HELO, a transient failure
    for (Response r : new Response[] {Response.reply(451, "4.3.0 try later"),
        Response.reply(421, "4.3.2 closing").thenDisconnect()}) {
      try (ScriptedSmtpServer s = ScriptedSmtpServer.builder().replyAt(Stage.EHLO, r).start()) {
        SmtpReplyException e = assertThrows(SmtpReplyException.class, () -> open(s));
        assertEquals(SmtpReplyException.Stage.EHLO, e.stage());
        assertTrue(e.isTransient());
        ScriptedPeerTest.noLeak(s);
        assertFalse(s.sessions().get(0).receivedText().contains("HELO"));
      }
    }
    // HELO refused as well: the HELO reply is the reported one
    try (ScriptedSmtpServer s = ScriptedSmtpServer.builder().ehlo(false)
        .replyAt(Stage.HELO, Response.reply(550, "5.7.1 go away")).start()) {
      SmtpReplyException e = assertThrows(SmtpReplyException.class, () -> open(s));
      assertEquals(550, e.reply().code());
      ScriptedPeerTest.noLeak(s);
    }
  }

  @Test
  void simpleCommandsOnTheWire() throws Exception {
    try (ScriptedSmtpServer s = ScriptedSmtpServer.builder()
        .replyAt(Stage.EXPN, Response.reply(250, "2.1.5 a@example.test", "2.1.5 b@example.test"))
        .replyAt(Stage.HELP, Response.reply(214, "2.0.0 commands: HELO EHLO MAIL", "2.0.0 end"))
        .start()) {
      SmtpConnection c = open(s);
      try {
        SmtpReply v = c.vrfy("postmaster");
        assertEquals(252, v.code());
        SmtpReply x = c.expn("staff");
        assertEquals(250, x.code());
        assertEquals(2, x.lines().size(), "multi-line reply kept: " + x);
        assertEquals(214, c.help(null).code());
        assertEquals(214, c.help("MAIL").code());
        assertEquals(250, c.noop().code());
        assertEquals(250, c.rset().code());
        for (String bad : new String[] {"", "a\rb", "a\nb", "x\u0000"}) {
          assertThrows(IllegalArgumentException.class, () -> c.vrfy(bad));
          assertThrows(IllegalArgumentException.class, () -> c.expn(bad));
          assertThrows(IllegalArgumentException.class, () -> c.help(bad));
        }
        // with a message queued, a simple command would be out of order
        CompletableFuture<TransactionResult> f =
            c.submit(Envelope.of("a@example.test", "b@example.test"),
                MessageContent.of(ScriptedPeerTest.BODY));
        assertThrows(IllegalStateException.class, c::noop);
        c.flush();
        assertTrue(f.get().allAccepted());
        assertEquals(250, c.noop().code());
      } finally {
        c.close();
      }
      c.close(); // idempotent
      assertFalse(c.isUsable());
      assertThrows(SmtpClientException.class, c::noop);
      assertThrows(IllegalStateException.class,
          () -> c.submit(Envelope.of("a@example.test", "b@example.test"),
              MessageContent.of(ScriptedPeerTest.BODY)));
      ScriptedPeerTest.noLeak(s);
      String wire = s.sessions().get(0).receivedText();
      String expected = "VRFY postmaster\r\nEXPN staff\r\nHELP\r\nHELP MAIL\r\nNOOP\r\nRSET\r\n";
      assertTrue(wire.contains(expected), wire);
      assertTrue(wire.endsWith("NOOP\r\nQUIT\r\n"), wire);
      assertEquals(1, wire.split("QUIT", -1).length - 1, "one QUIT: " + wire);
    }
  }

  @Test
  void dsnParametersOnlyWhenOffered() throws Exception {
    Envelope env = Envelope.of("a@example.test", "b@example.test", "c@example.test")
        .withDsn(DsnReturn.HDRS, "env+id=1", EnumSet.of(DsnNotify.SUCCESS, DsnNotify.FAILURE));
    for (boolean dsn : new boolean[] {true, false}) {
      for (boolean chunking : new boolean[] {true, false}) {
        try (ScriptedSmtpServer s =
            ScriptedSmtpServer.builder().strict(true).dsn(dsn).chunking(chunking).start()) {
          try (SmtpConnection c = open(s)) {
            assertEquals(dsn, c.capabilities().dsn());
            assertTrue(c.send(env, MessageContent.of(ScriptedPeerTest.BODY)).allAccepted());
          }
          ReceivedMessage m = s.awaitMessages(1, WAIT).get(0);
          String wire = s.sessions().get(0).receivedText();
          String what = "dsn=" + dsn + " chunking=" + chunking + ": " + wire;
          if (dsn) {
            assertEquals("HDRS", m.mailParameters().get("RET"), what);
            assertEquals("env+2Bid+3D1", m.mailParameters().get("ENVID"), "xtext: " + what);
            assertTrue(wire.contains("RCPT TO:<b@example.test> NOTIFY=SUCCESS,FAILURE"
                + " ORCPT=rfc822;b@example.test\r\n"), what);
            assertTrue(wire.contains("RCPT TO:<c@example.test> NOTIFY=SUCCESS,FAILURE"
                + " ORCPT=rfc822;c@example.test\r\n"), what);
          } else {
            for (String p : new String[] {"RET=", "ENVID=", "NOTIFY=", "ORCPT="}) {
              assertFalse(wire.contains(p), p + " without DSN: " + what);
            }
            assertTrue(wire.contains("RCPT TO:<b@example.test>\r\n"), what);
          }
          ScriptedPeerTest.noLeak(s);
        }
      }
    }
    // no DSN request: no DSN parameter either, even where DSN is offered
    try (ScriptedSmtpServer s = ScriptedSmtpServer.builder().strict(true).start()) {
      try (SmtpConnection c = open(s)) {
        assertTrue(c.send(Envelope.of("a@example.test", "b@example.test"),
            MessageContent.of(ScriptedPeerTest.BODY)).allAccepted());
      }
      String wire = s.sessions().get(0).receivedText();
      for (String p : new String[] {"RET=", "ENVID=", "NOTIFY=", "ORCPT="}) {
        assertFalse(wire.contains(p), wire);
      }
      ScriptedPeerTest.noLeak(s);
    }
  }

  @Test
  void bindsTheLocalAddress() throws Exception {
    InetAddress local = Loopback.v4(5);
    try (ScriptedSmtpServer s = ScriptedSmtpServer.start()) {
      Route r = ScriptedPeerTest.route(s).toBuilder().localAddress(local).build();
      try (SmtpConnection c = SmtpConnection.open(r, ScriptedPeerTest.settings().build())) {
        assertTrue(c.send(Envelope.of("a@example.test", "b@example.test"),
            MessageContent.of(ScriptedPeerTest.BODY)).allAccepted());
      }
      try (SmtpClient client = SmtpClient.builder(s.address().getHostAddress(), s.port())
          .tlsMode(TlsMode.NONE).localAddress(Loopback.v4(6))
          .settings(ScriptedPeerTest.settings().build()).build()) {
        assertTrue(client.send(Envelope.of("a@example.test", "b@example.test"),
            MessageContent.of(ScriptedPeerTest.BODY)).allAccepted());
      }
      ScriptedPeerTest.noLeak(s);
      assertEquals(local, s.sessions().get(0).remoteAddress().getAddress(),
          "the peer sees the bound source address");
      assertEquals(Loopback.v4(6), s.sessions().get(1).remoteAddress().getAddress());
    }
  }

  @Test
  void tlsFailuresAreReportedAsTls() throws Exception {
    AuthAndSecretsTest.RecordingListener events = new AuthAndSecretsTest.RecordingListener();
    ConnectionSettings jdkTrust = ScriptedPeerTest.settings().listener(events).build();
    ConnectionSettings testTrust = ScriptedPeerTest.settings().listener(events)
        .sslContext(TestCertificate.shared().clientContext()).build();
    try (ScriptedSmtpServer s =
        ScriptedSmtpServer.builder().startTls(TestCertificate.shared()).start()) {
      Route verified = ScriptedPeerTest.route(s).toBuilder()
          .tlsMode(TlsMode.REQUIRED_VERIFIED).build();
      // an untrusted (self-signed test) certificate
      SmtpTlsException untrusted = assertThrows(SmtpTlsException.class,
          () -> SmtpConnection.open(verified, jdkTrust));
      assertTrue(untrusted.getMessage().contains("STARTTLS handshake failed"),
          untrusted.getMessage());
      assertTrue(events.events.stream().anyMatch(e -> e.startsWith("tlsFailed")), events.events
          .toString());
      assertTrue(events.events.stream().anyMatch(e -> e.startsWith("connectFailed")));
      // trusted: works, and the session is encrypted
      try (SmtpConnection c = SmtpConnection.open(verified, testTrust)) {
        assertTrue(c.isEncrypted());
        assertTrue(c.capabilities().chunking(), "EHLO again after STARTTLS");
        assertTrue(c.send(Envelope.of("a@example.test", "b@example.test"),
            MessageContent.of(ScriptedPeerTest.BODY)).allAccepted());
      }
      // unverified modes accept the same certificate with the JDK's trust
      try (SmtpConnection c = SmtpConnection.open(
          verified.toBuilder().tlsMode(TlsMode.REQUIRED).build(), jdkTrust)) {
        assertTrue(c.isEncrypted());
      }
      ScriptedPeerTest.noLeak(s);
      String wire = s.sessions().get(0).receivedText();
      assertFalse(wire.contains("MAIL FROM"), "nothing sent after the failed handshake");
    }
    // trusted certificate, wrong name: the server at 127.0.0.2 holds a certificate for 127.0.0.1
    try (ScriptedSmtpServer s = ScriptedSmtpServer.builder().address(Loopback.v4(2))
        .startTls(TestCertificate.shared()).start()) {
      Route r = Route.builder("127.0.0.2", s.port()).tlsMode(TlsMode.REQUIRED_VERIFIED)
          .heloName("client.example.test").build();
      SmtpTlsException e = assertThrows(SmtpTlsException.class,
          () -> SmtpConnection.open(r, testTrust));
      assertTrue(e.getMessage().contains("127.0.0.2"), e.getMessage());
      ScriptedPeerTest.noLeak(s);
    }
    // implicit TLS, untrusted and mismatching
    try (ScriptedSmtpServer s = ScriptedSmtpServer.builder().address(Loopback.v4(2))
        .implicitTls(TestCertificate.shared()).start()) {
      Route r = Route.builder("127.0.0.2", s.port()).tlsMode(TlsMode.IMPLICIT)
          .heloName("client.example.test").build();
      SmtpTlsException e1 = assertThrows(SmtpTlsException.class,
          () -> SmtpConnection.open(r, jdkTrust));
      assertTrue(e1.getMessage().contains("implicit TLS handshake failed"), e1.getMessage());
      assertThrows(SmtpTlsException.class, () -> SmtpConnection.open(r, testTrust));
      ScriptedPeerTest.noLeak(s);
    }
    // TLS required but not offered; STARTTLS refused
    try (ScriptedSmtpServer s = ScriptedSmtpServer.start()) {
      SmtpTlsException e = assertThrows(SmtpTlsException.class, () -> SmtpConnection.open(
          ScriptedPeerTest.route(s).toBuilder().tlsMode(TlsMode.REQUIRED).build(), jdkTrust));
      assertTrue(e.getMessage().contains("does not offer"), e.getMessage());
      ScriptedPeerTest.noLeak(s);
    }
    try (ScriptedSmtpServer s = ScriptedSmtpServer.builder().startTls(TestCertificate.shared())
        .replyAt(Stage.STARTTLS, Response.reply(454, "4.7.0 TLS not available")).start()) {
      SmtpTlsException e = assertThrows(SmtpTlsException.class, () -> SmtpConnection.open(
          ScriptedPeerTest.route(s).toBuilder().tlsMode(TlsMode.REQUIRED).build(), jdkTrust));
      assertTrue(e.getMessage().contains("454"), e.getMessage());
      // opportunistic goes on in plain text
      try (SmtpConnection c = SmtpConnection.open(
          ScriptedPeerTest.route(s).toBuilder().tlsMode(TlsMode.OPPORTUNISTIC).build(), jdkTrust)) {
        assertFalse(c.isEncrypted());
        assertTrue(c.send(Envelope.of("a@example.test", "b@example.test"),
            MessageContent.of(ScriptedPeerTest.BODY)).allAccepted());
      }
      ScriptedPeerTest.noLeak(s);
    }
  }

  /** A listener that throws from every hook, on every path: nothing changes. */
  @Test
  void aThrowingListenerNeverBreaksDelivery() throws Exception {
    PoolAndClientTest.ThrowingListener boom = new PoolAndClientTest.ThrowingListener();
    ConnectionSettings cfg = ScriptedPeerTest.settings().listener(boom)
        .sslContext(TestCertificate.shared().clientContext()).build();
    try (ScriptedSmtpServer s = ScriptedSmtpServer.builder().startTls(TestCertificate.shared())
        .authMechanisms("PLAIN").user("u", "p").rejectRecipient("x@example.test").start()) {
      // 127.0.0.1 is the name in the test certificate
      Route r = Route.builder("127.0.0.1", s.port()).tlsMode(TlsMode.REQUIRED_VERIFIED)
          .credentials(Credentials.password("u", "p")).heloName("client.example.test").build();
      try (SmtpConnection c = SmtpConnection.open(r, cfg)) {
        TransactionResult ok = c.send(Envelope.of("a@example.test", "b@example.test",
            "x@example.test"), MessageContent.of(ScriptedPeerTest.BODY));
        assertTrue(ok.recipients().get(0).accepted());
        assertFalse(ok.recipients().get(1).accepted());
      }
      // failures still surface as themselves
      SmtpReplyException auth = assertThrows(SmtpReplyException.class, () -> SmtpConnection.open(
          Route.builder("127.0.0.1", s.port()).tlsMode(TlsMode.REQUIRED_VERIFIED)
              .credentials(Credentials.password("u", "bad")).build(), cfg));
      assertEquals(SmtpReplyException.Stage.AUTH, auth.stage());
      assertThrows(SmtpTlsException.class, () -> SmtpConnection.open(
          Route.builder("127.0.0.1", s.port()).tlsMode(TlsMode.REQUIRED_VERIFIED).build(),
          ScriptedPeerTest.settings().listener(boom).build()));
      try (SmtpClient client = SmtpClient.builder("127.0.0.1", s.port())
          .tlsMode(TlsMode.REQUIRED_VERIFIED).credentials(Credentials.password("u", "p"))
          .settings(cfg).build()) {
        for (int i = 0; i < 3; i++) {
          assertTrue(client.send(Envelope.of("a@example.test", "b@example.test"),
              MessageContent.of(ScriptedPeerTest.BODY)).allAccepted());
        }
        CompletableFuture<TransactionResult> f = client.sendAsync(
            Envelope.of("a@example.test", "b@example.test"),
            MessageContent.of(ScriptedPeerTest.BODY));
        assertTrue(f.get().allAccepted());
      }
      assertEquals(5, s.awaitMessages(5, WAIT).size());
      ScriptedPeerTest.noLeak(s);
    }
    // a refused connection, with the throwing listener
    try (ScriptedSmtpServer s = ScriptedSmtpServer.builder()
        .greeting(Response.reply(554, "5.7.1 no")).start()) {
      SmtpReplyException e = assertThrows(SmtpReplyException.class,
          () -> SmtpConnection.open(ScriptedPeerTest.route(s), cfg));
      assertEquals(554, e.reply().code());
      ScriptedPeerTest.noLeak(s);
    }
    assertTrue(boom.calls.get() > 20, "the listener was called: " + boom.calls);
  }

  /** An Error other than a VM error thrown by a listener is contained as well. */
  @Test
  void aListenerThrowingAnAssertionErrorIsContained() throws Exception {
    ConnectionSettings cfg = ScriptedPeerTest.settings().listener(new SmtpEventListener() {
      @Override
      public void transactionEnd(Route route, TransactionResult result) {
        throw new AssertionError("listener bug");
      }
    }).build();
    try (ScriptedSmtpServer s = ScriptedSmtpServer.start()) {
      try (SmtpConnection c = SmtpConnection.open(ScriptedPeerTest.route(s), cfg)) {
        for (int i = 0; i < 3; i++) {
          assertTrue(c.send(Envelope.of("a@example.test", "b@example.test"),
              MessageContent.of(ScriptedPeerTest.BODY)).allAccepted());
        }
      }
      assertEquals(3, s.awaitMessages(3, WAIT).size());
      ScriptedPeerTest.noLeak(s);
    }
  }

  /** Found by ClientReplyFuzzTest: a 250 to DATA (no 354) left the message's future pending. */
  @Test
  void positiveReplyToDataWithout354IsNotDelivered() throws Exception {
    try (ScriptedSmtpServer s = ScriptedSmtpServer.builder().chunking(false)
        .replyAt(Stage.DATA, Response.reply(250, "2.0.0 ok?")).start()) {
      SmtpConnection c = open(s);
      CompletableFuture<TransactionResult> f = c.submit(
          Envelope.of("a@example.test", "b@example.test"), MessageContent.of(ScriptedPeerTest.BODY));
      c.flush();
      assertTrue(f.isDone(), "flush() gives every message its outcome");
      TransactionResult r = f.get();
      assertEquals(RecipientResult.Status.TRANSIENT, r.recipients().get(0).status(), r.toString());
      assertFalse(c.isUsable());
      c.close();
      assertTrue(s.messages().isEmpty());
      ScriptedPeerTest.noLeak(s);
    }
  }
}
