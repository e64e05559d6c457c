package org.relaymail.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.relaymail.queue.MessageStatus;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.RetryPolicy;
import org.relaymail.relay.DnsSettings;
import org.relaymail.relay.OutgoingMessage;
import org.relaymail.relay.RelayClient;
import org.relaymail.relay.Routing;
import org.relaymail.testsupport.DnsTestServer;
import org.relaymail.testsupport.Loopback;
import org.relaymail.testsupport.ReceivedMessage;
import org.relaymail.testsupport.ScriptedSmtpServer;

/**
 * The {@code queue} commands on a live spool: a {@link RelayClient} in this test holds the spool,
 * delivers by MX to a greylisting loopback server (the first attempt per recipient gets 450), and
 * the commands, run in-process, administer it through its admin socket. Every effect is checked on
 * the relay and on the server.
 */
class QueueCommandLiveTest {
  @TempDir
  Path dir;
  private DnsTestServer dns;
  private ScriptedSmtpServer mx;
  private RelayClient relay;
  private Path spool;

  record Run(int code, String out, String err) {}

  @BeforeEach
  void setUp() throws IOException {
    dns = DnsTestServer.start();
    int port = Loopback.freePort(Loopback.v4(2));
    dns.mx("example.org", 10, "mx.example.org").address("mx.example.org", "127.0.0.2");
    mx = ScriptedSmtpServer.builder().address(Loopback.v4(2)).port(port).hostname("mx.example.org").greylist(1).start();
    spool = dir.resolve("spool");
    relay = RelayClient.builder()
        .spoolDirectory(spool)
        .heloName("relay.example.com")
        .dns(DnsSettings.builder().server(dns.socketAddress()).timeout(Duration.ofSeconds(5)).retries(2).build())
        .routing(Routing.builder().mxPort(port).build())
        // no retry on its own during the test: only the commands make messages due again
        .retryPolicy(RetryPolicy.builder().fixedDelay(Duration.ofHours(1)).giveUpAfter(Duration.ofHours(4)).build())
        .build();
  }

  @AfterEach
  void tearDown() throws IOException {
    relay.close();
    mx.close();
    dns.close();
  }

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    picocli.CommandLine cmd = RelaymailCommand.commandLine();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int code = cmd.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  private Run queue(String command, String... args) {
    String[] all = new String[args.length + 4];
    all[0] = "queue";
    all[1] = command;
    all[2] = "--spool";
    all[3] = spool.toString();
    System.arraycopy(args, 0, all, 4, args.length);
    Run r = run(all);
    assertEquals(0, r.code(), "queue " + command + ": " + r);
    assertEquals("", r.err(), "queue " + command);
    return r;
  }

  private QueueId send(String to, String subject) throws IOException {
    String text = "From: <app@example.com>\r\nTo: <" + to + ">\r\nSubject: " + subject + "\r\n\r\nHello.\r\n";
    return relay.send(OutgoingMessage.builder().sender("app@example.com").recipient(to)
        .content(text.getBytes(StandardCharsets.US_ASCII)).build()).queueId();
  }

  private int attempts(QueueId id) throws IOException {
    return relay.inspect(id).map(m -> m.recipients().get(0).attempts()).orElse(-1);
  }

  @FunctionalInterface
  interface Condition {
    boolean holds() throws IOException;
  }

  /** Waits, with a deadline, until the relay is idle and the condition holds. */
  private void await(String what, Condition c) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!(relay.deliveriesInFlight() == 0 && c.holds())) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after 60 s waiting for " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
  }

  @Test
  void theCommandsAdministerTheRunningRelay() throws Exception {
    QueueId a = send("a@example.org", "for a");
    QueueId b = send("b@example.org", "for b");
    QueueId c = send("c@example.org", "for c");
    await("the first attempts, greylisted", () -> attempts(a) == 1 && attempts(b) == 1 && attempts(c) == 1);

    Run list = queue("list");
    for (QueueId id : List.of(a, b, c)) {
      assertTrue(list.out().contains(id.value()), list.out());
    }
    assertTrue(list.out().contains("DEFERRED  b@example.org  (450 "), list.out());
    assertTrue(list.out().contains("-- 3 messages"), list.out());

    assertEquals(a + ": held\n", queue("hold", a.value()).out().replace("\r", ""));
    assertTrue(relay.inspect(a).orElseThrow().held(), "the relay itself holds it");
    Run show = queue("show", "--headers", a.value());
    assertTrue(show.out().contains("status:      HELD"), show.out());
    assertTrue(show.out().contains("Subject: for a"), show.out());
    assertTrue(show.out().contains("Received: "), show.out());

    queue("delete", c.value());
    assertTrue(relay.inspect(c).isEmpty(), "deleted in the relay");

    assertTrue(queue("retry", "--all").out().matches("(?s)\\d+ messages due now\\s*"));
    await("b delivered at its second attempt", () -> relay.inspect(b).isEmpty());
    List<ReceivedMessage> got = mx.awaitMessages(1, Duration.ofSeconds(60));
    assertEquals(List.of("b@example.org"), got.get(0).recipients());
    assertEquals(1, attempts(a), "held: not attempted although due");
    assertEquals(MessageStatus.HELD, relay.inspect(a).orElseThrow().status());

    // release: already due (retry --all), so the relay delivers it at once
    queue("release", a.value());
    await("a delivered after its release", () -> relay.inspect(a).isEmpty());
    got = mx.awaitMessages(2, Duration.ofSeconds(60));
    assertEquals(List.of("a@example.org"), got.get(1).recipients());

    QueueId e = send("e@example.org", "for e");
    await("e greylisted", () -> attempts(e) == 1);
    assertEquals(e + ": due now\n", queue("retry", e.value()).out().replace("\r", ""));
    await("e delivered at its retry", () -> relay.inspect(e).isEmpty());
    got = mx.awaitMessages(3, Duration.ofSeconds(60));
    assertEquals(List.of("e@example.org"), got.get(2).recipients());
    assertEquals(3, mx.messages().size());
    assertFalse(mx.messages().stream().anyMatch(m -> m.recipients().contains("c@example.org")), "c was deleted");

    assertTrue(queue("list").out().contains("-- 0 messages"));
    Run missing = run("queue", "hold", "--spool", spool.toString(), c.value());
    assertEquals(1, missing.code(), missing.toString());
    assertEquals("relaymail: no message " + c + " in the queue", missing.err().strip());
  }

  @Test
  void bounceThroughTheRelayReturnsTheMessageToItsSender() throws Exception {
    dns.mx("example.com", 10, "mx.example.com").address("mx.example.com", "127.0.0.3");
    try (ScriptedSmtpServer senderMx = ScriptedSmtpServer.builder().address(Loopback.v4(3)).port(mx.port())
        .hostname("mx.example.com").start()) {
      QueueId a = send("a@example.org", "to bounce");
      await("the first attempt", () -> attempts(a) == 1);

      Run r = queue("bounce", a.value());
      assertTrue(r.out().startsWith(a + ": undelivered recipients failed"), r.out());
      List<ReceivedMessage> got = senderMx.awaitMessages(1, Duration.ofSeconds(60));
      assertEquals(List.of("app@example.com"), got.get(0).recipients());
      assertTrue(got.get(0).contentAsString().contains("Final-Recipient: rfc822; a@example.org"));
      await("the message finished", () -> relay.inspect(a).isEmpty());
      assertTrue(mx.messages().isEmpty(), "never delivered to its recipient");
    }
  }

  @Test
  void aRelayWithItsSocketElsewhereIsReachedWithAdminSocket() throws Exception {
    Path other = dir.resolve("other");
    Path socket = dir.resolve("elsewhere.sock");
    try (RelayClient elsewhere = RelayClient.builder().spoolDirectory(other).heloName("relay.example.com")
        .dns(DnsSettings.builder().server(dns.socketAddress()).build())
        // nothing listens there: the message stays deferred
        .routing(Routing.builder().mxPort(Loopback.freePort(Loopback.v4(2))).build())
        .adminSocket(socket).build()) {
      String text = "From: <app@example.com>\r\nSubject: x\r\n\r\nHello.\r\n";
      QueueId id = elsewhere.send(OutgoingMessage.builder().sender("app@example.com").recipient("z@example.org")
          .content(text.getBytes(StandardCharsets.US_ASCII)).build()).queueId();

      Run noSocket = run("queue", "hold", "--spool", other.toString(), id.value());
      assertEquals(75, noSocket.code(), "locked, and nothing answers at other/admin.sock: " + noSocket);
      Run viaSocket = run("queue", "hold", "--spool", other.toString(), "--admin-socket", socket.toString(), id.value());
      assertEquals(0, viaSocket.code(), viaSocket.toString());
      assertTrue(elsewhere.inspect(id).orElseThrow().held());
    }
  }

  @Test
  void theHelpNamesTheOptions() {
    Run help = run("queue", "hold", "--help");
    assertEquals(0, help.code());
    assertTrue(help.out().contains("--offline") && help.out().contains("--admin-socket"), help.out());
    Run queueHelp = run("queue", "--help");
    assertTrue(queueHelp.out().contains("through the relay running on the spool"), queueHelp.out());
  }

  @Test
  void afterTheRelayStopsReadsUseTheSpoolAndChangesNeedOffline() throws Exception {
    QueueId a = send("a@example.org", "after stop");
    await("the first attempt", () -> attempts(a) == 1);
    relay.close();

    assertTrue(queue("list").out().contains(a.value()));
    Run refused = run("queue", "delete", "--spool", spool.toString(), a.value());
    assertEquals(69, refused.code(), refused.toString());
    assertTrue(refused.err().startsWith("relaymail: no relay holds the spool "), refused.err());
    assertEquals(1, refused.err().strip().lines().count());
    queue("delete", "--offline", a.value());
    assertTrue(queue("list").out().contains("-- 0 messages"));
  }

  @Test
  void sendQueuesThroughTheRunningRelayWhichDelivers() throws Exception {
    Path eml = dir.resolve("message.eml");
    java.nio.file.Files.writeString(eml, "From: <app@example.com>\r\nTo: <x@example.org>\r\nBcc: <y@example.org>\r\n"
        + "Subject: via send\r\n\r\nHello from the CLI.\r\n", StandardCharsets.US_ASCII);
    // no --helo: the running relay prepares the message with its own name
    Run sent = run("send", "--spool", spool.toString(), "-f", eml.toString(), "--notify", "FAILURE", "--ret", "HDRS");
    assertEquals(0, sent.code(), sent.toString());
    assertEquals("", sent.err());
    List<String> lines = sent.out().replace("\r", "").lines().toList();
    assertEquals(2, lines.size(), sent.out());
    String prefix = "x@example.org: queued as ";
    assertTrue(lines.get(0).startsWith(prefix) && lines.get(0).endsWith(" in " + spool), lines.get(0));
    QueueId id = new QueueId(lines.get(0).substring(prefix.length(), lines.get(0).length() - (" in " + spool).length()));
    assertEquals("y@example.org: queued as " + id + " in " + spool, lines.get(1));

    // the relay itself holds and attempts it (greylisted once), and delivers it when retried
    await("the first attempt, greylisted", () -> attempts(id) == 1);
    assertEquals(2, relay.inspect(id).orElseThrow().recipients().size());
    queue("retry", id.value());
    ReceivedMessage got = mx.awaitMessages(1, Duration.ofSeconds(60)).get(0);
    assertEquals("app@example.com", got.sender());
    assertEquals(List.of("x@example.org", "y@example.org"), got.recipients());
    assertEquals("HDRS", got.mailParameters().get("RET"));
    String content = got.contentAsString();
    assertTrue(content.startsWith("Received: by relay.example.com "), "prepared by the running relay: " + content);
    assertTrue(content.contains("Subject: via send\r\n"), content);
    assertFalse(content.contains("Bcc:"), "Bcc removed: " + content);
    await("the message done", () -> relay.inspect(id).isEmpty() || relay.inspect(id).orElseThrow().recipients()
        .stream().allMatch(r -> r.state().isFinal()));
  }

  @Test
  void sendOfABadMessageThroughTheRunningRelayExits65AndQueuesNothing() throws Exception {
    Path eml = dir.resolve("nofrom.eml");
    java.nio.file.Files.writeString(eml, "To: <x@example.org>\r\nSubject: no From field\r\n\r\nHello.\r\n",
        StandardCharsets.US_ASCII);
    Run sent = run("send", "--spool", spool.toString(), "-f", eml.toString(), "--from", "app@example.com");
    assertEquals(65, sent.code(), sent.toString());
    assertEquals("", sent.out());
    assertTrue(sent.err().startsWith("relaymail: message refused by the relay on " + spool + ": "), sent.err());
    assertEquals(1, sent.err().strip().lines().count(), sent.err());
    assertEquals(0, relay.counts().messages());
  }
}
