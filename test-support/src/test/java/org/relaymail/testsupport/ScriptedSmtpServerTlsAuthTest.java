package org.relaymail.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class ScriptedSmtpServerTlsAuthTest {
  private static final TestCertificate CERT = TestCertificate.shared();

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void startTlsThenAuthPlainAndTheMessageIsMarkedTls() throws Exception {
    try (ScriptedSmtpServer server = ScriptedSmtpServer.builder().startTls(CERT)
            .authMechanisms("PLAIN", "LOGIN").user("alice", "s3cret").authRequiresTls(true)
            .start();
        RawClient c = RawClient.connect(server)) {
      c.code();
      c.send("EHLO client.test\r\n");
      List<String> before = c.reply();
      assertTrue(before.contains("250-STARTTLS"), before.toString());
      assertFalse(before.stream().anyMatch(l -> l.contains("AUTH")), before.toString());
      assertEquals(538, c.cmd("AUTH PLAIN " + b64("\0alice\0s3cret")));
      assertEquals(220, c.cmd("STARTTLS"));
      c.tls(CERT.clientContext());
      assertEquals(503, c.cmd("MAIL FROM:<a@example.test>")); // RFC 3207: EHLO again
      c.send("EHLO client.test\r\n");
      List<String> after = c.reply();
      assertTrue(after.contains("250-AUTH PLAIN LOGIN"), after.toString());
      assertEquals(535, c.cmd("AUTH PLAIN " + b64("\0alice\0wrong")));
      assertEquals(235, c.cmd("AUTH PLAIN " + b64("\0alice\0s3cret")));
      assertEquals(250, c.cmd("MAIL FROM:<a@example.test>"));
      assertEquals(250, c.cmd("RCPT TO:<b@example.test>"));
      assertEquals(354, c.cmd("DATA"));
      c.send("hi\r\n.\r\n");
      assertEquals(250, c.code());
      ReceivedMessage m = server.awaitMessages(1, Duration.ofSeconds(30)).get(0);
      assertTrue(m.tls());
      assertEquals("alice", m.authenticatedUser().orElseThrow());
      assertTrue(server.session(1).commands().contains("AUTH PLAIN <redacted>"));
      assertFalse(server.session(1).commands().toString().contains(b64("\0alice\0s3cret")));
    }
  }

  @Test
  void implicitTlsWithLoginAndCramMd5() throws Exception {
    try (ScriptedSmtpServer server = ScriptedSmtpServer.builder().implicitTls(CERT)
        .authMechanisms("LOGIN", "CRAM-MD5").user("bob", "pw").start()) {
      try (RawClient c = RawClient.connect(server)) {
        c.tls(CERT.clientContext());
        assertEquals(220, c.code());
        c.cmd("EHLO client.test");
        c.send("AUTH LOGIN\r\n");
        assertEquals("334 " + b64("Username:"), c.lastLine());
        c.send(b64("bob") + "\r\n");
        assertEquals("334 " + b64("Password:"), c.lastLine());
        assertEquals(235, c.cmd(b64("pw")));
      }
      try (RawClient c = RawClient.connect(server)) {
        c.tls(CERT.clientContext());
        c.code();
        c.cmd("EHLO client.test");
        c.send("AUTH CRAM-MD5\r\n");
        String challenge = new String(Base64.getDecoder().decode(c.lastLine().substring(4)),
            StandardCharsets.US_ASCII);
        Mac mac = Mac.getInstance("HmacMD5");
        mac.init(new SecretKeySpec("pw".getBytes(StandardCharsets.UTF_8), "HmacMD5"));
        String digest = HexFormat.of().formatHex(mac.doFinal(
            challenge.getBytes(StandardCharsets.US_ASCII)));
        assertEquals(235, c.cmd(b64("bob " + digest)));
      }
    }
  }

  @Test
  void xoauth2FailureSendsAnErrorChallengeThen535() throws Exception {
    try (ScriptedSmtpServer server = ScriptedSmtpServer.builder().authMechanisms("XOAUTH2")
            .oauthToken("carol@example.test", "tok").start();
        RawClient c = RawClient.connect(server)) {
      c.code();
      c.cmd("EHLO client.test");
      c.send("AUTH XOAUTH2 " + b64("user=carol@example.test\u0001auth=Bearer bad\u0001\u0001")
          + "\r\n");
      String challenge = c.lastLine();
      assertTrue(challenge.startsWith("334 "), challenge);
      assertTrue(new String(Base64.getDecoder().decode(challenge.substring(4)),
          StandardCharsets.UTF_8).contains("401"));
      assertEquals(535, c.cmd(""));
      assertEquals(235, c.cmd("AUTH XOAUTH2 "
          + b64("user=carol@example.test\u0001auth=Bearer tok\u0001\u0001")));
    }
  }
}
