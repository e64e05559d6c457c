package org.relaymail.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.relaymail.testsupport.Loopback;
import org.relaymail.testsupport.ScriptedSmtpServer;
import org.relaymail.testsupport.SmtpSink;
import org.relaymail.testsupport.TestCertificate;

/**
 * Real peers the other tests do not use: a Dante SOCKS 5 proxy on loopback, and Postfix's
 * {@code smtp-sink} without 8BITMIME. Skipped with the reason where they cannot run; failing
 * under {@code CI=true}.
 */
class RealPeerGapsTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void throughARealSocksProxy() throws Exception {
    RealPostfixTest.require(DanteProxy.unavailableReason());
    try (ScriptedSmtpServer s = ScriptedSmtpServer.builder()
            .startTls(TestCertificate.shared()).start();
        DanteProxy dante = DanteProxy.start(Loopback.v4(7))) {
      Route direct = Route.builder("127.0.0.1", s.port()).tlsMode(TlsMode.REQUIRED_VERIFIED)
          .heloName("client.example.test").build();
      Route proxied = direct.toBuilder().proxy(dante.proxy()).build();
      assertFalse(direct.equals(proxied), "the proxy is part of the route");
      ConnectionSettings cfg = ScriptedPeerTest.settings()
          .sslContext(TestCertificate.shared().clientContext()).build();
      try (SmtpConnection c = SmtpConnection.open(proxied, cfg)) {
        assertTrue(c.isEncrypted(), "STARTTLS, verified by name, through the proxy");
        assertTrue(c.send(Envelope.of("a@example.test", "b@example.test"),
            MessageContent.of(ScriptedPeerTest.BODY)).allAccepted());
      }
      try (SmtpClient client = SmtpClient.builder("127.0.0.1", s.port())
          .tlsMode(TlsMode.REQUIRED_VERIFIED).proxy(dante.proxy()).settings(cfg).build()) {
        for (int i = 0; i < 3; i++) {
          assertTrue(client.send(Envelope.of("a@example.test", "r" + i + "@example.test"),
              MessageContent.of(ScriptedPeerTest.BODY)).allAccepted());
        }
      }
      assertEquals(4, s.awaitMessages(4, WAIT).size());
      ScriptedPeerTest.noLeak(s);
      for (var session : s.sessions()) {
        // the peer saw Dante's external address, not ours: the connection went through it
        assertEquals(Loopback.v4(7), session.remoteAddress().getAddress(),
            "session " + session.id() + "; danted said " + dante.output());
      }
    }
  }

  @Test
  void aProxyRefusalIsAConnectFailure() throws Exception {
    RealPostfixTest.require(DanteProxy.unavailableReason());
    // Dante passes connections to 127.0.0.1 only; this server listens on 127.0.0.3
    try (ScriptedSmtpServer s = ScriptedSmtpServer.builder().address(Loopback.v4(3)).start();
        DanteProxy dante = DanteProxy.start(Loopback.v4(7))) {
      Route refused = Route.builder("127.0.0.3", s.port()).tlsMode(TlsMode.NONE)
          .proxy(dante.proxy()).build();
      SmtpClientException e = assertThrows(SmtpClientException.class,
          () -> SmtpConnection.open(refused, ScriptedPeerTest.settings().build()));
      assertTrue(e.getMessage().contains("cannot connect"), e.getMessage());
      assertEquals(s.port(), e.port());
      assertEquals(0, s.connectionCount(), "nothing reached the server");
      // the same server directly: reachable
      try (SmtpConnection c = SmtpConnection.open(refused.toBuilder().proxy(java.net.Proxy.NO_PROXY)
          .build(), ScriptedPeerTest.settings().build())) {
        assertTrue(c.noop().isPositive());
      }
      ScriptedPeerTest.noLeak(s);
    }
  }

  /** 8-bit content to a real server without 8BITMIME: refused before any byte is sent. */
  @Test
  void eightBitIsRefusedLocallyBySmtpSinkWithout8BitMime() throws Exception {
    RealPostfixTest.require(SmtpSink.unavailableReason());
    try (SmtpSink sink = SmtpSink.builder().eightBitMime(false).start()) {
      Route route = Route.builder(sink.address().getHostAddress(), sink.port())
          .tlsMode(TlsMode.NONE).build();
      try (SmtpConnection c = SmtpConnection.open(route, RealPostfixTest.settings().build())) {
        assertFalse(c.capabilities().eightBitMime(), "smtp-sink -8 offers no 8BITMIME");
        TransactionResult r = c.send(Envelope.of("a@example.test", "b@example.test"),
            MessageContent.of("Subject: x\r\n\r\ngr\u00fc\u00dfe\r\n"
                .getBytes(StandardCharsets.UTF_8)));
        assertEquals(RecipientResult.Status.PERMANENT, r.recipients().get(0).status());
        assertEquals("5.6.3", r.recipients().get(0).enhancedStatus().orElseThrow().toString());
        assertTrue(r.recipients().get(0).reply().text().startsWith("relaymail:"), r.toString());
        assertTrue(c.isUsable(), "a local refusal leaves the connection as it was");
        // 7-bit content still goes
        assertTrue(c.send(Envelope.of("a@example.test", "b@example.test"),
            MessageContent.of(ScriptedPeerTest.BODY)).allAccepted());
      }
      assertEquals(1, sink.awaitMessages(1, WAIT), "only the 7-bit message reached the sink");
    }
  }
}
