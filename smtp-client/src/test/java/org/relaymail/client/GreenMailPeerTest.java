package org.relaymail.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.relaymail.testsupport.Loopback;
import org.relaymail.testsupport.TestCertificate;

/**
 * Against GreenMail 2.1.8, a server we did not write: AUTH PLAIN, LOGIN and XOAUTH2, implicit TLS
 * (SMTPS, verified against a test certificate), and the fallback to lockstep commands (GreenMail
 * offers neither PIPELINING nor CHUNKING).
 */
class GreenMailPeerTest {
  private static final char[] PW = "greenmail-test".toCharArray();
  private static final TestCertificate CERT = TestCertificate.shared();
  private static GreenMail greenMail;
  private static int smtpPort;
  private static int smtpsPort;

  @BeforeAll
  static void start() throws Exception {
    // GreenMail reads its TLS key store once per JVM from these properties
    Path p12 = Files.createTempFile("greenmail", ".p12");
    p12.toFile().deleteOnExit();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("greenmail", CERT.privateKey(), PW, new Certificate[] {CERT.certificate()});
    try (OutputStream out = Files.newOutputStream(p12)) {
      ks.store(out, PW);
    }
    System.setProperty("greenmail.tls.keystore.file", p12.toString());
    System.setProperty("greenmail.tls.keystore.password", new String(PW));
    System.setProperty("greenmail.tls.key.password", new String(PW));
    smtpPort = Loopback.freePort(Loopback.v4(1));
    smtpsPort = Loopback.freePort(Loopback.v4(1));
    greenMail =
        new GreenMail(
            new ServerSetup[] {
              new ServerSetup(smtpPort, "127.0.0.1", ServerSetup.PROTOCOL_SMTP),
              new ServerSetup(smtpsPort, "127.0.0.1", ServerSetup.PROTOCOL_SMTPS)
            });
    greenMail.start();
    greenMail.setUser("user@example.test", "user", "secret");
  }

  @AfterAll
  static void stop() {
    if (greenMail != null) {
      greenMail.stop();
    }
  }

  private static ConnectionSettings.Builder settings() {
    return ConnectionSettings.builder()
        .timeouts(SmtpTimeouts.all(Duration.ofSeconds(30)))
        .sslContext(CERT.clientContext());
  }

  private static byte[] message(String subject) {
    return ("From: a@example.test\r\nTo: user@example.test\r\nSubject: " + subject
            + "\r\n\r\nHello from relaymail.\r\n.dot line\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  private static int received(String subject) throws Exception {
    int n = 0;
    for (var m : greenMail.getReceivedMessages()) {
      if (subject.equals(m.getSubject())) {
        n++;
      }
    }
    return n;
  }

  @Test
  void plainLockstepFallbackWithoutPipelining() throws Exception {
    Route route = Route.builder("127.0.0.1", smtpPort).tlsMode(TlsMode.OPPORTUNISTIC).build();
    try (SmtpConnection c = SmtpConnection.open(route, settings().build())) {
      assertFalse(c.capabilities().pipelining(), "GreenMail offers no PIPELINING");
      assertFalse(c.isEncrypted());
      List<java.util.concurrent.CompletableFuture<TransactionResult>> fs = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        fs.add(c.submit(Envelope.of("a@example.test", "user@example.test"),
            MessageContent.of(message("lockstep"))));
      }
      c.flush();
      for (var f : fs) {
        assertTrue(f.get().allAccepted(), f.get().toString());
      }
    }
    assertTrue(greenMail.waitForIncomingEmail(30_000, 3));
    assertEquals(3, received("lockstep"));
  }

  @Test
  void authMechanismsOverPlainTextWhenAllowed() throws Exception {
    for (String mech : new String[] {"PLAIN", "LOGIN"}) {
      Route route = Route.builder("127.0.0.1", smtpPort).tlsMode(TlsMode.NONE)
          .credentials(Credentials.password("user", "secret").withMechanisms(mech)).build();
      try (SmtpConnection c =
          SmtpConnection.open(route, settings().allowAuthWithoutTls(true).build())) {
        assertEquals(mech, c.authMechanism());
        assertTrue(c.send(Envelope.of("a@example.test", "user@example.test"),
            MessageContent.of(message("auth-" + mech))).allAccepted());
      }
      assertTrue(greenMail.waitForIncomingEmail(30_000, 1));
    }
  }

  @Test
  void authIsRefusedLocallyOverPlainText() {
    Route route = Route.builder("127.0.0.1", smtpPort).tlsMode(TlsMode.NONE)
        .credentials(Credentials.password("user", "secret")).build();
    SmtpClientException e =
        assertThrows(SmtpClientException.class,
            () -> SmtpConnection.open(route, settings().build()));
    assertTrue(e.getMessage().contains("without TLS"), e.getMessage());
  }

  @Test
  void wrongPasswordIsAnAuthRefusal() {
    Route route = Route.builder("127.0.0.1", smtpsPort).tlsMode(TlsMode.IMPLICIT)
        .credentials(Credentials.password("user", "wrong").withMechanisms("PLAIN")).build();
    SmtpReplyException e =
        assertThrows(SmtpReplyException.class,
            () -> SmtpConnection.open(route, settings().build()));
    assertEquals(SmtpReplyException.Stage.AUTH, e.stage());
    assertFalse(e.getMessage().contains("wrong"), "no secret in the message: " + e.getMessage());
  }

  @Test
  void implicitTlsVerifiedWithAuthPlainAndXoauth2() throws Exception {
    List<Credentials> creds = List.of(
        Credentials.password("user", "secret").withMechanisms("PLAIN"),
        Credentials.xoauth2("user", () -> "secret"));
    for (Credentials cr : creds) {
      Route route = Route.builder("localhost", smtpsPort).tlsMode(TlsMode.IMPLICIT)
          .credentials(cr).build();
      List<String> events = new ArrayList<>();
      SmtpEventListener l = new SmtpEventListener() {
        @Override
        public void tlsEnd(Route r, String protocol, String cipherSuite) {
          events.add("tls " + protocol);
        }

        @Override
        public void authEnd(Route r, String mechanism) {
          events.add("auth " + mechanism);
          throw new IllegalStateException("a throwing listener must not break delivery");
        }
      };
      try (SmtpConnection c = SmtpConnection.open(route, settings().listener(l).build())) {
        assertTrue(c.isEncrypted());
        assertTrue(c.send(Envelope.of("a@example.test", "user@example.test"),
            MessageContent.of(message("smtps-" + cr.mechanisms()))).allAccepted());
      }
      assertTrue(events.get(0).startsWith("tls TLSv1."), events.toString());
      assertTrue(events.get(1).startsWith("auth "), events.toString());
    }
  }

  @Test
  void implicitTlsFailsVerificationWithoutTrust() {
    Route route = Route.builder("localhost", smtpsPort).tlsMode(TlsMode.IMPLICIT).build();
    SmtpTlsException e =
        assertThrows(SmtpTlsException.class,
            () -> SmtpConnection.open(route, ConnectionSettings.builder()
                .timeouts(SmtpTimeouts.all(Duration.ofSeconds(30))).build()));
    assertTrue(e.getMessage().contains("TLS"), e.getMessage());
  }

}
