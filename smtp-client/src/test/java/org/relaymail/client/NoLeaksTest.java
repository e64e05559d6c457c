package org.relaymail.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.relaymail.testsupport.Response;
import org.relaymail.testsupport.Rule;
import org.relaymail.testsupport.ScriptedSmtpServer;
import org.relaymail.testsupport.Stage;
import org.relaymail.testsupport.TestCertificate;

/**
 * After {@code close()} nothing is left behind: no open socket in this JVM (counted in
 * /proc/self/fd), no client or pool thread, no future left pending; also after failures.
 */
class NoLeaksTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  /**
   * The open TCP sockets of this JVM (Linux): descriptors linked to a socket whose inode is in
   * /proc/net/tcp or tcp6 (Unix sockets, such as the resolver's, are not ours to count).
   */
  private static long sockets() throws IOException {
    java.util.Set<String> tcp = new java.util.HashSet<>();
    for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
      for (String line : Files.readAllLines(Path.of(table))) {
        String[] f = line.trim().split("\\s+");
        if (f.length > 9) {
          tcp.add(f[9]);
        }
      }
    }
    long n = 0;
    try (var list = Files.list(Path.of("/proc/self/fd"))) {
      for (Path p : list.toList()) {
        String link;
        try {
          link = Files.readSymbolicLink(p).toString();
        } catch (IOException e) {
          continue; // closed while listing (the listing's own descriptor): not a socket
        }
        if (link.startsWith("socket:[") && tcp.contains(link.substring(8, link.length() - 1))) {
          n++;
        }
      }
    }
    return n;
  }

  /** For a failure message: each open socket's line in /proc/net/{tcp,tcp6,udp,udp6,unix}. */
  private static String describeSockets() throws IOException {
    StringBuilder sb = new StringBuilder();
    try (var list = Files.list(Path.of("/proc/self/fd"))) {
      for (Path p : list.toList()) {
        String link;
        try {
          link = Files.readSymbolicLink(p).toString();
        } catch (IOException e) {
          continue;
        }
        if (!link.startsWith("socket:[")) {
          continue;
        }
        String inode = link.substring(8, link.length() - 1);
        sb.append("\n fd ").append(p.getFileName()).append(' ').append(link);
        for (String table : new String[] {"tcp", "tcp6", "udp", "udp6", "unix"}) {
          for (String line : Files.readAllLines(Path.of("/proc/net/" + table))) {
            if (List.of(line.trim().split("\\s+")).contains(inode)) {
              sb.append("\n   ").append(table).append(": ").append(line.trim());
            }
          }
        }
      }
    }
    return sb.toString();
  }

  private static void assertNoNewSockets(long before) throws IOException {
    long now = sockets();
    assertTrue(now <= before, "sockets before " + before + ", after " + now + describeSockets());
  }

  private static List<Thread> clientThreads() {
    List<Thread> list = new ArrayList<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      String n = t.getName();
      if (t.isAlive() && (n.startsWith("relaymail-smtp-client-")
          || n.startsWith("relaymail-smtp-pool-evictor"))) {
        list.add(t);
      }
    }
    return list;
  }

  /** Waits (joining, with a deadline) for every client and pool thread to end. */
  private static void awaitNoClientThreads() throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    for (Thread t : clientThreads()) {
      t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      assertFalse(t.isAlive(), "thread still running after close(): " + t.getName() + " "
          + List.of(t.getStackTrace()));
    }
    assertEquals(List.of(), clientThreads());
  }

  private static void requireProcFs() {
    Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")),
        "skipped: /proc/self/fd is needed to count sockets");
  }

  @Test
  void clientCloseLeavesNoSocketThreadOrPendingFuture() throws Exception {
    requireProcFs();
    awaitNoClientThreads();
    long before = sockets();
    List<CompletableFuture<TransactionResult>> fs = new ArrayList<>();
    try (ScriptedSmtpServer s = ScriptedSmtpServer.builder()
        .rule(Rule.atNth(Stage.MAIL, 7, Response.reply(421, "4.3.2 closing")))
        .rule(Rule.at(Stage.RCPT,
            Response.delayed(Duration.ofMillis(20), Response.reply(250, "2.1.5 Ok"))))
        .start()) {
      SmtpClient client = SmtpClient.builder(s.address().getHostAddress(), s.port())
          .tlsMode(TlsMode.NONE).maxConnections(4)
          .settings(ScriptedPeerTest.settings().build()).build();
      try {
        for (int i = 0; i < 30; i++) {
          fs.add(client.sendAsync(Envelope.of("a@example.test", "r" + i + "@example.test"),
              MessageContent.of(ScriptedPeerTest.BODY)));
        }
        fs.get(0).get(30, TimeUnit.SECONDS);
        for (int i = 30; i < 200; i++) {
          fs.add(client.sendAsync(Envelope.of("a@example.test", "r" + i + "@example.test"),
              MessageContent.of(ScriptedPeerTest.BODY)));
        }
      } finally {
        client.close(); // with messages still queued and in flight
      }
      assertTrue(client.sendAsync(Envelope.of("a@example.test", "b@example.test"),
          MessageContent.of(ScriptedPeerTest.BODY)).isCompletedExceptionally(),
          "a closed client takes nothing");
      int done = 0;
      int failed = 0;
      for (CompletableFuture<TransactionResult> f : fs) {
        try {
          f.get(30, TimeUnit.SECONDS);
          done++;
        } catch (ExecutionException e) {
          assertTrue(e.getCause() instanceof IOException, e.toString());
          failed++;
        } catch (TimeoutException e) {
          fail("a future was left pending after close(): " + fs.indexOf(f));
        }
      }
      assertEquals(200, done + failed);
      awaitNoClientThreads();
      s.awaitNoOpenConnections(WAIT);
    }
    assertNoNewSockets(before);
  }

  @Test
  void poolCloseClosesIdleAndLeasedConnectionsAndStopsEviction() throws Exception {
    requireProcFs();
    awaitNoClientThreads();
    long before = sockets();
    try (ScriptedSmtpServer a = ScriptedSmtpServer.start();
        ScriptedSmtpServer b = ScriptedSmtpServer.start()) {
      SmtpClientPool pool = SmtpClientPool.builder().maxTotal(4).backgroundEviction(true)
          .idleTimeout(Duration.ofMinutes(1)).settings(ScriptedPeerTest.settings().build())
          .build();
      assertEquals(1, clientThreads().size(), "the evictor runs: " + clientThreads());
      Route ra = ScriptedPeerTest.route(a);
      Route rb = ScriptedPeerTest.route(b);
      assertTrue(pool.send(ra, Envelope.of("a@example.test", "b@example.test"),
          MessageContent.of(ScriptedPeerTest.BODY)).allAccepted());
      SmtpClientPool.Lease held = pool.lease(rb);
      assertEquals(2, pool.stats().total());
      pool.close();
      assertFalse(held.connection().isUsable(), "a leased connection is closed under its holder");
      held.close(); // releasing after close is harmless
      assertThrows(IOException.class, () -> pool.lease(ra));
      a.awaitNoOpenConnections(WAIT);
      b.awaitNoOpenConnections(WAIT);
      assertTrue(a.sessions().get(0).receivedText().endsWith("QUIT\r\n"), "idle: QUIT");
      awaitNoClientThreads();
    }
    assertNoNewSockets(before);
  }

  @Test
  void failedConnectionsLeaveNoSocket() throws Exception {
    requireProcFs();
    long before = sockets();
    ConnectionSettings cfg = ScriptedPeerTest.settings()
        .timeouts(SmtpTimeouts.all(Duration.ofSeconds(20)).withGreeting(Duration.ofSeconds(1))
            .withConnect(Duration.ofSeconds(1)))
        .build();
    Response[] greetings = {Response.reply(554, "5.7.1 no"), Response.disconnect(),
        Response.silence(), Response.garbage()};
    for (Response g : greetings) {
      try (ScriptedSmtpServer s = ScriptedSmtpServer.builder().greeting(g).start()) {
        assertThrows(SmtpClientException.class,
            () -> SmtpConnection.open(ScriptedPeerTest.route(s), cfg), g.toString());
        s.awaitNoOpenConnections(WAIT);
      }
    }
    try (ScriptedSmtpServer s = ScriptedSmtpServer.builder().startTls(TestCertificate.shared())
        .authMechanisms("PLAIN").user("u", "p").start()) {
      Route r = ScriptedPeerTest.route(s).toBuilder().tlsMode(TlsMode.REQUIRED_VERIFIED).build();
      assertThrows(SmtpTlsException.class, () -> SmtpConnection.open(r, cfg));
      Route auth = r.toBuilder().tlsMode(TlsMode.REQUIRED)
          .credentials(Credentials.password("u", "bad")).build();
      assertThrows(SmtpReplyException.class, () -> SmtpConnection.open(auth, cfg));
      s.awaitNoOpenConnections(WAIT);
    }
    // nothing listens on this port any more
    int port;
    try (ScriptedSmtpServer s = ScriptedSmtpServer.start()) {
      port = s.port();
    }
    assertThrows(SmtpClientException.class, () -> SmtpConnection.open(
        Route.builder("127.0.0.1", port).tlsMode(TlsMode.NONE).build(), cfg));
    assertNoNewSockets(before);
  }
}
