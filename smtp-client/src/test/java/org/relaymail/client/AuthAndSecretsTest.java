package org.relaymail.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.relaymail.testsupport.ReceivedMessage;
import org.relaymail.testsupport.ScriptedSmtpServer;
import org.relaymail.testsupport.TestCertificate;

/**
 * SMTP AUTH (RFC 4954) against the scripted peer: CRAM-MD5 (RFC 2195), the XOAUTH2 token sent
 * after the 334 when it does not fit on the command line, the refusal to authenticate over plain
 * text, the mechanism choice, and that no secret ever reaches a log line, an event or an exception.
 */
class AuthAndSecretsTest {
  private static final String USER = "alice@example.test";
  private static final String PASSWORD = "S3cr3t-pa55w0rd-\u00fc";

  private static Route.Builder route(ScriptedSmtpServer s, TlsMode mode) {
    return Route.builder(s.address().getHostAddress(), s.port()).tlsMode(mode)
        .heloName("client.example.test");
  }

  private static ScriptedSmtpServer.Builder server(String... mechanisms) {
    return ScriptedSmtpServer.builder().authMechanisms(mechanisms).user(USER, PASSWORD);
  }

  private static TransactionResult sendOne(SmtpConnection c) throws IOException {
    return c.send(Envelope.of(USER, "b@example.test"), MessageContent.of(ScriptedPeerTest.BODY));
  }

  @Test
  void cramMd5AuthenticatesAndAWrongPasswordIsAnAuthRefusal() throws Exception {
    try (ScriptedSmtpServer s = server("CRAM-MD5").start()) {
      ConnectionSettings cfg = ScriptedPeerTest.settings().allowAuthWithoutTls(true).build();
      try (SmtpConnection c = SmtpConnection.open(
          route(s, TlsMode.NONE).credentials(Credentials.password(USER, PASSWORD)).build(), cfg)) {
        assertEquals("CRAM-MD5", c.authMechanism());
        assertTrue(sendOne(c).allAccepted());
      }
      ReceivedMessage m = s.awaitMessages(1, ScriptedPeerTest.WAIT).get(0);
      assertEquals(USER, m.authenticatedUser().orElseThrow());
      String wire = s.sessions().get(0).receivedText();
      assertTrue(wire.contains("AUTH CRAM-MD5\r\n"), wire);
      assertFalse(wire.contains(PASSWORD), "CRAM-MD5 never sends the password");

      SmtpReplyException e = assertThrows(SmtpReplyException.class, () -> SmtpConnection.open(
          route(s, TlsMode.NONE).credentials(Credentials.password(USER, "wrong")).build(), cfg));
      assertEquals(SmtpReplyException.Stage.AUTH, e.stage());
      assertEquals(535, e.reply().code());
      assertFalse(e.isTransient());
      ScriptedPeerTest.noLeak(s);
    }
  }

  @Test
  void mechanismFollowsTheConnectionAndTheCredentials() throws Exception {
    try (ScriptedSmtpServer s =
        server("PLAIN", "LOGIN", "CRAM-MD5").startTls(TestCertificate.shared()).start()) {
      ConnectionSettings cfg = ScriptedPeerTest.settings().allowAuthWithoutTls(true).build();
      Credentials creds = Credentials.password(USER, PASSWORD);
      // over plain text the challenge-response mechanism is preferred
      try (SmtpConnection c =
          SmtpConnection.open(route(s, TlsMode.NONE).credentials(creds).build(), cfg)) {
        assertFalse(c.isEncrypted());
        assertEquals("CRAM-MD5", c.authMechanism());
      }
      // under TLS, PLAIN
      try (SmtpConnection c =
          SmtpConnection.open(route(s, TlsMode.REQUIRED).credentials(creds).build(), cfg)) {
        assertTrue(c.isEncrypted());
        assertEquals("PLAIN", c.authMechanism());
        assertTrue(sendOne(c).allAccepted());
      }
      // restricted by the caller
      try (SmtpConnection c = SmtpConnection.open(
          route(s, TlsMode.REQUIRED).credentials(creds.withMechanisms("LOGIN")).build(), cfg)) {
        assertEquals("LOGIN", c.authMechanism());
      }
      // nothing in common
      SmtpClientException e = assertThrows(SmtpClientException.class, () -> SmtpConnection.open(
          route(s, TlsMode.REQUIRED).credentials(Credentials.xoauth2(USER, () -> "t")).build(),
          cfg));
      assertTrue(e.getMessage().contains("no AUTH mechanism in common"), e.getMessage());
      ScriptedPeerTest.noLeak(s);
    }
  }

  @Test
  void authIsRefusedOverPlainTextUnlessAllowed() throws Exception {
    try (ScriptedSmtpServer s = server("PLAIN", "LOGIN").start()) {
      Route r = route(s, TlsMode.OPPORTUNISTIC)
          .credentials(Credentials.password(USER, PASSWORD)).build();
      SmtpClientException e = assertThrows(SmtpClientException.class,
          () -> SmtpConnection.open(r, ScriptedPeerTest.settings().build()));
      assertFalse(e instanceof SmtpReplyException, "refused by us, not by the server");
      assertTrue(e.getMessage().contains("allowAuthWithoutTls"), e.getMessage());
      ScriptedPeerTest.noLeak(s);
      String wire = s.sessions().get(0).receivedText();
      assertFalse(wire.contains("AUTH"), "no AUTH command was sent: " + wire);
      assertFalse(wire.contains(Base64.getEncoder().encodeToString(
          PASSWORD.getBytes(StandardCharsets.UTF_8))), wire);

      try (SmtpConnection c = SmtpConnection.open(r,
          ScriptedPeerTest.settings().allowAuthWithoutTls(true).build())) {
        assertEquals("PLAIN", c.authMechanism());
        assertTrue(sendOne(c).allAccepted());
      }
      ScriptedPeerTest.noLeak(s);
    }
  }

  @Test
  void longXoauth2TokenGoesAfterThe334AndAShortOneInline() throws Exception {
    String longToken = "ya29." + "L".repeat(1500);
    String shortToken = "ya29.short";
    try (ScriptedSmtpServer s = ScriptedSmtpServer.builder().authMechanisms("XOAUTH2")
        .oauthToken(USER, longToken).oauthToken("bob@example.test", shortToken)
        .startTls(TestCertificate.shared()).start()) {
      ConnectionSettings cfg = ScriptedPeerTest.settings().build();
      try (SmtpConnection c = SmtpConnection.open(route(s, TlsMode.REQUIRED)
          .credentials(Credentials.xoauth2(USER, () -> longToken)).build(), cfg)) {
        assertEquals("XOAUTH2", c.authMechanism());
        assertTrue(sendOne(c).allAccepted());
      }
      try (SmtpConnection c = SmtpConnection.open(route(s, TlsMode.REQUIRED)
          .credentials(Credentials.xoauth2("bob@example.test", () -> shortToken)).build(), cfg)) {
        assertEquals("XOAUTH2", c.authMechanism());
      }
      ScriptedPeerTest.noLeak(s);
      String payload = Base64.getEncoder().encodeToString(("user=" + USER
          + "\u0001auth=Bearer " + longToken + "\u0001\u0001").getBytes(StandardCharsets.UTF_8));
      assertTrue(payload.length() > 512, "longer than a command line may be");
      String first = s.sessions().get(0).receivedText();
      assertTrue(first.contains("AUTH XOAUTH2\r\n" + payload + "\r\n"),
          "AUTH alone, then the token after the 334: " + first.substring(0, 300));
      for (String line : first.split("\r\n")) {
        assertTrue(!line.startsWith("AUTH") || line.length() <= 500, line);
      }
      String second = s.sessions().get(1).receivedText();
      assertTrue(second.contains("AUTH XOAUTH2 " + Base64.getEncoder().encodeToString(
          ("user=bob@example.test\u0001auth=Bearer " + shortToken + "\u0001\u0001")
              .getBytes(StandardCharsets.UTF_8)) + "\r\n"), second);
    }
  }

  @Test
  void refusedXoauth2TokenEndsWithTheServersVerdict() throws Exception {
    try (ScriptedSmtpServer s = ScriptedSmtpServer.builder().authMechanisms("XOAUTH2")
        .oauthToken(USER, "the-right-token").startTls(TestCertificate.shared()).start()) {
      SmtpReplyException e = assertThrows(SmtpReplyException.class, () -> SmtpConnection.open(
          route(s, TlsMode.REQUIRED).credentials(Credentials.xoauth2(USER, () -> "expired"))
              .build(), ScriptedPeerTest.settings().build()));
      assertEquals(SmtpReplyException.Stage.AUTH, e.stage());
      assertEquals(535, e.reply().code(), "the 334 error challenge is not success: " + e);
      ScriptedPeerTest.noLeak(s);
    }
  }

  /** Records every event with all its arguments rendered, exceptions with their whole chain. */
  static final class RecordingListener implements SmtpEventListener {
    final List<String> events = Collections.synchronizedList(new ArrayList<>());

    private void add(String name, Object... args) {
      StringBuilder sb = new StringBuilder(name);
      for (Object a : args) {
        sb.append(' ');
        if (a instanceof Throwable t) {
          StringWriter w = new StringWriter();
          t.printStackTrace(new PrintWriter(w));
          sb.append(w);
        } else {
          sb.append(a);
        }
      }
      events.add(sb.toString());
    }

    @Override
    public void connectStart(Route route) {
      add("connectStart", route);
    }

    @Override
    public void connectEnd(Route route, InetSocketAddress remote) {
      add("connectEnd", route, remote);
    }

    @Override
    public void connectFailed(Route route, IOException failure) {
      add("connectFailed", route, failure);
    }

    @Override
    public void tlsStart(Route route) {
      add("tlsStart", route);
    }

    @Override
    public void tlsEnd(Route route, String protocol, String cipherSuite) {
      add("tlsEnd", route, protocol, cipherSuite);
    }

    @Override
    public void tlsFailed(Route route, IOException failure) {
      add("tlsFailed", route, failure);
    }

    @Override
    public void authStart(Route route, String mechanism) {
      add("authStart", route, mechanism);
    }

    @Override
    public void authEnd(Route route, String mechanism) {
      add("authEnd", route, mechanism);
    }

    @Override
    public void authFailed(Route route, String mechanism, IOException failure) {
      add("authFailed", route, mechanism, failure);
    }

    @Override
    public void transactionStart(Route route, Envelope envelope) {
      add("transactionStart", route, envelope);
    }

    @Override
    public void transactionEnd(Route route, TransactionResult result) {
      add("transactionEnd", route, result);
    }

    @Override
    public void transactionFailed(Route route, Envelope envelope, IOException failure) {
      add("transactionFailed", route, envelope, failure);
    }

    @Override
    public void leaseStart(Route route) {
      add("leaseStart", route);
    }

    @Override
    public void leaseEnd(Route route, boolean reused) {
      add("leaseEnd", route, reused);
    }

    @Override
    public void leaseFailed(Route route, Exception failure) {
      add("leaseFailed", route, failure);
    }

    @Override
    public void released(Route route, boolean reusable) {
      add("released", route, reusable);
    }
  }

  /**
   * Every mechanism, succeeding and failing, through a connection and through the pooled client:
   * neither the password nor the token, nor any base64 form a mechanism sends, appears in what
   * the client logs (every client logger at TRACE, see simplelogger.properties), in any event
   * argument, or in an exception's message or stack trace.
   */
  @Test
  void secretsNeverReachALogAnEventOrAnException() throws Exception {
    String token = "ya29.TOKEN-" + "t".repeat(40);
    List<String> secrets = new ArrayList<>(List.of(PASSWORD, token));
    Base64.Encoder b64 = Base64.getEncoder();
    secrets.add(b64.encodeToString(PASSWORD.getBytes(StandardCharsets.UTF_8)));
    secrets.add(b64.encodeToString(("\0" + USER + "\0" + PASSWORD)
        .getBytes(StandardCharsets.UTF_8)));
    secrets.add(b64.encodeToString(("user=" + USER + "\u0001auth=Bearer " + token
        + "\u0001\u0001").getBytes(StandardCharsets.UTF_8)));
    secrets.add("wrong-" + PASSWORD);
    secrets.add(b64.encodeToString(("wrong-" + PASSWORD).getBytes(StandardCharsets.UTF_8)));

    RecordingListener events = new RecordingListener();
    List<String> thrown = new ArrayList<>();
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream originalErr = System.err;
    PrintStream originalOut = System.out;
    PrintStream tee = new PrintStream(captured, true, StandardCharsets.UTF_8);
    System.setErr(tee);
    System.setOut(tee);
    // a control: a DEBUG line of a client logger is captured, so the check below is not vacuous
    org.slf4j.LoggerFactory.getLogger(SmtpConnection.class.getName() + ".capture")
        .debug("capture-control-line");
    try (ScriptedSmtpServer s = ScriptedSmtpServer.builder()
        .authMechanisms("PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2").user(USER, PASSWORD)
        .oauthToken(USER, token).startTls(TestCertificate.shared()).start()) {
      ConnectionSettings cfg = ScriptedPeerTest.settings().listener(events).build();
      List<Credentials> all = new ArrayList<>();
      for (String pw : new String[] {PASSWORD, "wrong-" + PASSWORD}) {
        for (String mech : new String[] {"PLAIN", "LOGIN", "CRAM-MD5"}) {
          all.add(Credentials.password(USER, pw).withMechanisms(mech));
        }
      }
      all.add(Credentials.xoauth2(USER, () -> token));
      all.add(Credentials.xoauth2(USER, () -> "wrong-" + PASSWORD));
      for (Credentials creds : all) {
        Route r = route(s, TlsMode.REQUIRED).credentials(creds).build();
        try (SmtpConnection c = SmtpConnection.open(r, cfg)) {
          sendOne(c);
        } catch (IOException e) {
          thrown.add(stackTrace(e));
        }
        // and over plain text, refused before anything is sent
        try {
          SmtpConnection.open(route(s, TlsMode.NONE).credentials(creds).build(), cfg).close();
        } catch (IOException e) {
          thrown.add(stackTrace(e));
        }
      }
      try (SmtpClient client = SmtpClient.builder(s.address().getHostAddress(), s.port())
          .tlsMode(TlsMode.REQUIRED).credentials(Credentials.password(USER, PASSWORD))
          .settings(cfg).build()) {
        client.send(Envelope.of(USER, "b@example.test"), MessageContent.of(ScriptedPeerTest.BODY));
      }
      try (SmtpClient client = SmtpClient.builder(s.address().getHostAddress(), s.port())
          .tlsMode(TlsMode.REQUIRED).credentials(Credentials.password(USER, "wrong-" + PASSWORD))
          .settings(cfg).build()) {
        client.send(Envelope.of(USER, "b@example.test"), MessageContent.of(ScriptedPeerTest.BODY));
      } catch (IOException e) {
        thrown.add(stackTrace(e));
      }
      ScriptedPeerTest.noLeak(s);
      assertEquals(5, s.messages().size(), "4 good credentials and the client: " + s.messages());
    } finally {
      System.setErr(originalErr);
      System.setOut(originalOut);
    }
    String log = captured.toString(StandardCharsets.UTF_8);
    assertTrue(log.contains("capture-control-line"), "client log lines are captured: " + log);
    assertTrue(events.events.stream().anyMatch(e -> e.startsWith("authFailed")), "failures seen");
    assertTrue(events.events.stream().anyMatch(e -> e.startsWith("authEnd")), "successes seen");
    // 4 refused AUTH exchanges, 8 refusals over plain text, the client's refused AUTH
    assertEquals(13, thrown.size(), "failures thrown: " + thrown);
    for (String secret : secrets) {
      assertFalse(log.contains(secret), "a log line holds a secret: " + log);
      for (String e : events.events) {
        assertFalse(e.contains(secret), "an event holds a secret: " + e);
      }
      for (String t : thrown) {
        assertFalse(t.contains(secret), "an exception holds a secret: " + t);
      }
    }
  }

  private static String stackTrace(Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    assertInstanceOf(SmtpClientException.class, t, w.toString());
    return w.toString();
  }
}
