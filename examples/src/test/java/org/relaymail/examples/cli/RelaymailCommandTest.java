package org.relaymail.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.relaymail.queue.FileQueueStore;
import org.relaymail.testsupport.DnsTestServer;
import org.relaymail.testsupport.Loopback;
import org.relaymail.testsupport.ReceivedMessage;
import org.relaymail.testsupport.ScriptedSmtpServer;
import org.relaymail.testsupport.TestCertificate;
import picocli.CommandLine;

/** The command-line tool, run in-process with captured output, against loopback peers. */
class RelaymailCommandTest {
  private static final String MESSAGE = "From: App <app@example.com>\r\n"
      + "To: Alice <alice@example.org>\r\n"
      + "Cc: bob@example.org,\r\n carol@example.org\r\n"
      + "Bcc: audit@example.org\r\n"
      + "Subject: cli test\r\n"
      + "\r\n"
      + "Hello.\r\n";

  @TempDir
  Path dir;
  private DnsTestServer dns;
  private int port;

  record Run(int code, String out, String err) {}

  @BeforeEach
  void setUp() throws Exception {
    dns = DnsTestServer.start();
    port = Loopback.freePort(Loopback.v4(2));
    dns.mx("example.org", 10, "mx.example.org").address("mx.example.org", "127.0.0.2");
    dns.mx("example.com", 10, "mx.example.com").address("mx.example.com", "127.0.0.3");
    dns.nullMx("nomail.example");
  }

  @AfterEach
  void tearDown() {
    dns.close();
  }

  private static Run run(String... args) {
    return run(RelaymailCommand.commandLine(), args);
  }

  private static Run run(CommandLine cmd, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int code = cmd.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  private Path message(String text) throws Exception {
    Path f = dir.resolve("message.eml");
    Files.writeString(f, text, StandardCharsets.UTF_8);
    return f;
  }

  private String dnsArg() {
    return "127.0.0.1:" + dns.port();
  }

  @Test
  void sendThroughASmarthostTakesRecipientsFromToCcBccAndRemovesBcc() throws Exception {
    try (ScriptedSmtpServer smarthost = ScriptedSmtpServer.builder().rejectRecipient("carol@example.org").start()) {
      Run r = run("send", "--host", "127.0.0.1", "--port", String.valueOf(smarthost.port()), "--tls", "NONE",
          "-f", message(MESSAGE).toString());

      assertEquals(69, r.code(), "carol failed permanently: " + r);
      ReceivedMessage m = smarthost.awaitMessages(1, Duration.ofSeconds(30)).get(0);
      assertEquals(List.of("alice@example.org", "bob@example.org", "audit@example.org"), m.recipients());
      assertEquals("app@example.com", m.sender());
      assertFalse(m.contentAsString().contains("Bcc"), m.contentAsString());
      assertFalse(m.contentAsString().contains("audit@"), m.contentAsString());
      assertTrue(m.contentAsString().contains("Cc: bob@example.org,\r\n carol@example.org\r\n"), m.contentAsString());
      assertTrue(r.out().contains("alice@example.org: accepted by 127.0.0.1:" + smarthost.port() + ": 250"), r.out());
      assertTrue(r.out().contains("carol@example.org: failed by 127.0.0.1:" + smarthost.port() + ": 550 5.1.1"), r.out());
    }
  }

  @Test
  void sendWithAuthButNoPasswordSourceIsOneLineAndNonZero() throws Exception {
    Run r = run("send", "--host", "127.0.0.1", "--port", "1", "--tls", "NONE", "--user", "app",
        "--password-env", "RELAYMAIL_TEST_SURELY_UNSET", "-f", message(MESSAGE).toString());
    assertEquals(64, r.code(), r.toString());
    assertEquals("relaymail: no password for app: set $RELAYMAIL_TEST_SURELY_UNSET or run on a terminal to be asked",
        r.err().strip());
  }

  private static ScriptedSmtpServer.Builder tlsAuthSmarthost() {
    return ScriptedSmtpServer.builder().startTls(TestCertificate.shared()).authMechanisms("PLAIN", "LOGIN")
        .authRequiresTls(true).user("app", "s3cret pass").requireTls(true);
  }

  @Test
  void sendThroughASmarthostWithVerifiedStartTlsAndThePasswordFromTheEnvironment() throws Exception {
    try (ScriptedSmtpServer smarthost = tlsAuthSmarthost().start()) {
      String pem = TestCertificate.shared().certificatePem().toString();
      List<String> asked = new ArrayList<>();
      CommandLine cmd = RelaymailCommand.commandLine(Map.of("RELAYMAIL_TEST_PW", "s3cret pass")::get, q -> {
        asked.add(q);
        return null;
      });
      Run r = run(cmd, "send", "--host", "127.0.0.1", "--port", String.valueOf(smarthost.port()),
          "--tls", "REQUIRED_VERIFIED", "--cacert", pem, "--user", "app", "--password-env", "RELAYMAIL_TEST_PW",
          "--to", "alice@example.org", "-f", message(MESSAGE).toString());

      assertEquals(0, r.code(), r.toString());
      assertTrue(r.out().contains("alice@example.org: accepted by 127.0.0.1:" + smarthost.port() + ": 250"), r.out());
      ReceivedMessage m = smarthost.awaitMessages(1, Duration.ofSeconds(30)).get(0);
      assertTrue(m.tls(), "the message went over TLS");
      assertEquals(java.util.Optional.of("app"), m.authenticatedUser());
      assertEquals(List.of("alice@example.org"), m.recipients());
      assertEquals(List.of(), asked, "the environment had the password: nothing asked");
    }
  }

  @Test
  void sendAsksForThePasswordWhenTheVariableIsUnset() throws Exception {
    try (ScriptedSmtpServer smarthost = tlsAuthSmarthost().start()) {
      List<String> asked = new ArrayList<>();
      CommandLine cmd = RelaymailCommand.commandLine(Map.<String, String>of()::get, q -> {
        asked.add(q);
        return "s3cret pass".toCharArray();
      });
      Run r = run(cmd, "send", "--host", "127.0.0.1", "--port", String.valueOf(smarthost.port()),
          "--cacert", TestCertificate.shared().certificatePem().toString(), "--user", "app",
          "--to", "alice@example.org", "-f", message(MESSAGE).toString());

      assertEquals(0, r.code(), r.toString());
      assertEquals(List.of("Password for app at 127.0.0.1: "), asked);
      assertEquals(java.util.Optional.of("app"), smarthost.awaitMessages(1, Duration.ofSeconds(30)).get(0).authenticatedUser());
    }
  }

  @Test
  void sendWithAWrongPasswordOrAnUntrustedCertificateFailsInOneLine() throws Exception {
    try (ScriptedSmtpServer smarthost = tlsAuthSmarthost().start()) {
      String port = String.valueOf(smarthost.port());
      CommandLine wrongPw = RelaymailCommand.commandLine(Map.of("PW", "wrong")::get, q -> null);
      Run bad = run(wrongPw, "send", "--host", "127.0.0.1", "--port", port, "--cacert",
          TestCertificate.shared().certificatePem().toString(), "--user", "app", "--password-env", "PW",
          "--to", "alice@example.org", "-f", message(MESSAGE).toString());
      assertTrue(bad.code() != 0, bad.toString());
      assertTrue(bad.err().startsWith("relaymail: ") && bad.err().contains("535"), bad.err());
      assertEquals(1, bad.err().strip().lines().count(), bad.err());

      // another self-signed certificate is not the one the server presents: verification fails
      Path otherCa = TestCertificate.generate().certificatePem();
      CommandLine rightPw = RelaymailCommand.commandLine(Map.of("PW", "s3cret pass")::get, q -> null);
      Run untrusted = run(rightPw, "send", "--host", "127.0.0.1", "--port", port, "--cacert", otherCa.toString(),
          "--user", "app", "--password-env", "PW", "--to", "alice@example.org", "-f", message(MESSAGE).toString());
      assertTrue(untrusted.code() != 0, untrusted.toString());
      assertTrue(untrusted.err().startsWith("relaymail: "), untrusted.err());
      assertEquals(1, untrusted.err().strip().lines().count(), untrusted.err());
      assertFalse(untrusted.err().contains("\tat "), untrusted.err());
      assertTrue(smarthost.messages().isEmpty(), "nothing was sent");

      Path notPem = Files.writeString(dir.resolve("junk.pem"), "not a certificate", StandardCharsets.UTF_8);
      Run junk = run(rightPw, "send", "--host", "127.0.0.1", "--port", port, "--cacert", notPem.toString(),
          "--user", "app", "--password-env", "PW", "--to", "alice@example.org", "-f", message(MESSAGE).toString());
      assertEquals(64, junk.code(), junk.toString());
      assertTrue(junk.err().startsWith("relaymail: --cacert "), junk.err());
    }
  }

  @Test
  void sendByMxDeliversAndReportsTheUnknownRecipient() throws Exception {
    try (ScriptedSmtpServer mx = ScriptedSmtpServer.builder().address(Loopback.v4(2)).port(port)
        .hostname("mx.example.org").rejectRecipient("carol@example.org").start();
        ScriptedSmtpServer senderMx = ScriptedSmtpServer.builder().address(Loopback.v4(3)).port(port).start()) {
      Run r = run("send", "--mx", "--helo", "client.example.com", "--dns", dnsArg(), "--mx-port", String.valueOf(port),
          "--wait", "PT60S", "-f", message(MESSAGE).toString());

      assertEquals(69, r.code(), r.toString());
      assertTrue(r.out().contains("alice@example.org: delivered by mx.example.org[127.0.0.2]"), r.out());
      assertTrue(r.out().contains("carol@example.org: failed (unknown recipient) by mx.example.org[127.0.0.2]"), r.out());
      ReceivedMessage m = mx.awaitMessages(1, Duration.ofSeconds(30)).get(0);
      assertEquals(List.of("alice@example.org", "bob@example.org", "audit@example.org"), m.recipients());
      assertEquals("client.example.com", m.heloName());
    }
  }

  @Test
  void sendByMxRetriesAGreylistedRecipientWithinWait() throws Exception {
    try (ScriptedSmtpServer mx = ScriptedSmtpServer.builder().address(Loopback.v4(2)).port(port)
        .hostname("mx.example.org").greylist(1).start()) {
      Run r = run("send", "--mx", "--helo", "client.example.com", "--dns", dnsArg(), "--mx-port", String.valueOf(port),
          "--retry-interval", "PT1S", "--wait", "PT60S", "--to", "alice@example.org", "-f", message(MESSAGE).toString());

      assertEquals(0, r.code(), r.toString());
      assertTrue(r.out().contains("alice@example.org: delivered by mx.example.org[127.0.0.2]:" + port + " after 2 attempts"), r.out());
      assertEquals(1, mx.awaitMessages(1, Duration.ofSeconds(30)).size());
    }
  }

  @Test
  void sendByMxPrintsWhatIsStillDeferredAfterWait() throws Exception {
    // nothing listens on 127.0.0.2:port: every attempt is a connection failure
    Run r = run("send", "--mx", "--helo", "client.example.com", "--dns", dnsArg(), "--mx-port", String.valueOf(port),
        "--retry-interval", "PT1S", "--wait", "PT3S", "--to", "alice@example.org", "-f", message(MESSAGE).toString());

    assertEquals(75, r.code(), r.toString());
    assertTrue(r.out().contains("alice@example.org: still deferred after 3 s"), r.out());
    assertTrue(r.out().contains("not delivered within --wait"), r.out());
  }

  @Test
  void sendToASpoolThenManageItWithTheQueueCommands() throws Exception {
    Path spool = dir.resolve("spool");
    Run sent = run("send", "--spool", spool.toString(), "--helo", "client.example.com", "--notify", "FAILURE,DELAY",
        "--envid", "order-42", "-f", message(MESSAGE).toString());
    assertEquals(0, sent.code(), sent.toString());
    Matcher id = Pattern.compile("alice@example.org: queued as (\\S+) in ").matcher(sent.out());
    assertTrue(id.find(), sent.out());
    String qid = id.group(1);

    Run list = run("queue", "list", "--spool", spool.toString());
    assertEquals(0, list.code(), list.toString());
    assertTrue(list.out().contains(qid), list.out());
    assertTrue(list.out().contains("<app@example.com>"), list.out());
    assertTrue(list.out().contains("PENDING   audit@example.org"), list.out());
    assertTrue(list.out().contains("-- 1 messages"), list.out());

    // no relay holds the spool: reads work on a snapshot, changes need --offline
    Run refused = run("queue", "hold", "--spool", spool.toString(), qid);
    assertEquals(69, refused.code(), refused.toString());
    assertEquals("relaymail: no relay holds the spool " + spool + " (nothing answers on " + spool.resolve("admin.sock")
        + "): start the relay on it and run this again, or add --offline to change the stopped spool directly",
        refused.err().strip());
    assertTrue(run("queue", "show", "--spool", spool.toString(), qid).out().contains("status:      QUEUED"));

    assertEquals(0, run("queue", "hold", "--offline", "--spool", spool.toString(), qid).code());
    Run show = run("queue", "show", "--spool", spool.toString(), "--headers", qid);
    assertEquals(0, show.code(), show.toString());
    assertTrue(show.out().contains("status:      HELD"), show.out());
    assertTrue(show.out().contains("envid:       order-42"), show.out());
    assertTrue(show.out().contains("Subject: cli test"), show.out());
    assertTrue(show.out().contains("Received: "), "the relay's trace field was added: " + show.out());
    assertFalse(show.out().contains("Bcc:"), show.out());

    assertEquals(0, run("queue", "release", "--offline", "--spool", spool.toString(), qid).code());
    assertEquals(0, run("queue", "retry", "--offline", "--spool", spool.toString(), "--all").code());
    assertEquals(0, run("queue", "delete", "--offline", "--spool", spool.toString(), qid).code());
    Run gone = run("queue", "show", "--spool", spool.toString(), qid);
    assertEquals(1, gone.code());
    assertEquals("relaymail: no message " + qid + " in the queue", gone.err().strip());
    assertTrue(run("queue", "list", "--spool", spool.toString()).out().contains("-- 0 messages"));
    Run misplaced = run("queue", "list", "--offline", "--db", "jdbc:postgresql://localhost/none");
    assertEquals(64, misplaced.code(), misplaced.toString());
  }

  @Test
  void aSpoolLockedByAProcessWithoutAdminChannelIsReadableButNotChangeable() throws Exception {
    Path spool = dir.resolve("busy");
    try (FileQueueStore running = FileQueueStore.open(spool)) {
      Run list = run("queue", "list", "--spool", spool.toString());
      assertEquals(0, list.code(), "a read-only snapshot beside the lock holder: " + list);
      assertTrue(list.out().contains("-- 0 messages"), list.out());

      for (String[] args : List.of(new String[] {"queue", "hold", "--spool", spool.toString(), "q1"},
          new String[] {"queue", "hold", "--offline", "--spool", spool.toString(), "q1"})) {
        Run r = run(args);
        assertEquals(75, r.code(), r.toString());
        assertTrue(r.err().startsWith("relaymail: the spool " + spool + " is held by a running process, but no admin"
            + " channel answers on " + spool.resolve("admin.sock")), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
      }

      Path eml = dir.resolve("busy.eml");
      Files.writeString(eml, "From: <a@example.com>\r\nTo: <b@example.org>\r\n\r\nx\r\n", StandardCharsets.US_ASCII);
      Run send = run("send", "--spool", spool.toString(), "--helo", "client.example.com", "-f", eml.toString());
      assertEquals(75, send.code(), send.toString());
      assertTrue(send.err().startsWith("relaymail: the spool " + spool + " is held by a running process, but no admin"
          + " channel answers on " + spool.resolve("admin.sock")), send.err());
      assertEquals(1, send.err().strip().lines().count(), send.err());
      assertEquals(0, running.counts(java.time.Instant.now()).messages(), "nothing queued");

      Run v = run("queue", "hold", "--verbose", "--spool", spool.toString(), "q1");
      assertEquals(75, v.code());
      assertTrue(v.err().contains("\tat "), "a stack trace with --verbose: " + v.err());
    }
  }

  @Test
  void mxExplainsTheRoutingDecision() {
    Run r = run("mx", "--dns", dnsArg(), "--mx-port", "2525", "example.org");
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().contains("example.org: MX, port 2525, TLS OPPORTUNISTIC"), r.out());
    assertTrue(r.out().contains("10 mx.example.org 127.0.0.2"), r.out());
    assertTrue(r.out().contains("127.0.0.2:2525"), r.out());

    Run none = run("mx", "--dns", dnsArg(), "nomail.example");
    assertEquals(1, none.code(), none.toString());
    assertTrue(none.out().contains("failure:"), none.out());
    assertTrue(none.out().contains("null MX"), none.out());

    Run bad = run("mx", "--dns", dnsArg(), "not a domain");
    assertEquals(64, bad.code(), bad.toString());
    assertTrue(bad.err().startsWith("relaymail: not a domain: not a domain"), bad.err());
    assertFalse(bad.err().contains("\tat "), bad.err());
  }

  @Test
  void smarthostTlsDefaultsToVerifiedStartTlsAndToImplicitTlsOnPort465() {
    assertEquals(org.relaymail.client.TlsMode.REQUIRED_VERIFIED, tlsFor("--host", "smtp.example.com"));
    assertEquals(org.relaymail.client.TlsMode.IMPLICIT, tlsFor("--host", "smtp.example.com", "--port", "465"));
    assertEquals(org.relaymail.client.TlsMode.REQUIRED, tlsFor("--host", "smtp.example.com", "--port", "465", "--tls", "REQUIRED"));
    assertEquals(org.relaymail.client.TlsMode.NONE, tlsFor("--host", "smtp.example.com", "--tls", "NONE"));
  }

  private static org.relaymail.client.TlsMode tlsFor(String... args) {
    List<String> all = new ArrayList<>(List.of("send"));
    all.addAll(List.of(args));
    CommandLine.ParseResult parsed = RelaymailCommand.commandLine().parseArgs(all.toArray(String[]::new));
    return ((SendCommand) parsed.subcommand().commandSpec().userObject()).effectiveTls();
  }

  @Test
  void usageErrorsAreReportedByPicocliWithANonZeroExit() {
    Run r = run("send", "-f", "x.eml");
    assertTrue(r.code() != 0);
    assertTrue(r.err().contains("--host") && r.err().contains("--mx") && r.err().contains("--spool"), r.err());
    assertTrue(run("nosuchcommand").code() != 0);
  }
}
