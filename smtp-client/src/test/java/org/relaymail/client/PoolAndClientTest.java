package org.relaymail.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.relaymail.testsupport.Response;
import org.relaymail.testsupport.Rule;
import org.relaymail.testsupport.ScriptedSmtpServer;
import org.relaymail.testsupport.Stage;

/** The pool and the front door against the scripted peer; the write watchdog against a mute peer. */
class PoolAndClientTest {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final byte[] BODY = "Subject: x\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII);

  /** Throws from every hook and counts the calls. */
  static final class ThrowingListener implements SmtpEventListener {
    final AtomicInteger calls = new AtomicInteger();

    private void boom() {
      calls.incrementAndGet();
      throw new IllegalStateException("listener failure (scripted)");
    }

    @Override
    public void connectStart(Route route) {
      boom();
    }

    @Override
    public void connectEnd(Route route, java.net.InetSocketAddress remote) {
      boom();
    }

    @Override
    public void transactionStart(Route route, Envelope envelope) {
      boom();
    }

    @Override
    public void transactionEnd(Route route, TransactionResult result) {
      boom();
    }

    @Override
    public void leaseStart(Route route) {
      boom();
    }

    @Override
    public void leaseEnd(Route route, boolean reused) {
      boom();
    }

    @Override
    public void released(Route route, boolean reusable) {
      boom();
    }
  }

  @Test
  void poolReusesAndRetiresAfter421AndAThrowingListenerChangesNothing() throws Exception {
    try (ScriptedSmtpServer s = ScriptedSmtpServer.builder()
        .rule(Rule.atNth(Stage.MAIL, 3, Response.reply(421, "4.3.2 closing"))).start()) {
      ThrowingListener l = new ThrowingListener();
      Route route = ScriptedPeerTest.route(s);
      try (SmtpClientPool pool = SmtpClientPool.builder().maxTotal(2).backgroundEviction(false)
          .settings(ScriptedPeerTest.settings().listener(l).build()).build()) {
        for (int i = 0; i < 2; i++) {
          assertTrue(pool.send(route, Envelope.of("a@example.test", "b@example.test"),
              MessageContent.of(BODY)).allAccepted());
        }
        assertEquals(1, s.connectionCount(), "reused");
        TransactionResult r = pool.send(route, Envelope.of("a@example.test", "b@example.test"),
            MessageContent.of(BODY));
        assertEquals(421, r.recipients().get(0).reply().code());
        assertEquals(0, pool.stats().total(), "retired after 421: " + pool.stats());
        assertTrue(pool.send(route, Envelope.of("a@example.test", "b@example.test"),
            MessageContent.of(BODY)).allAccepted());
        assertEquals(2, s.connectionCount());
        assertTrue(l.calls.get() > 10, "listener was called: " + l.calls);
      }
      s.awaitNoOpenConnections(WAIT);
    }
  }

  @Test
  void leaseTimesOutWhenTheRouteIsFull() throws Exception {
    try (ScriptedSmtpServer s = ScriptedSmtpServer.start();
        SmtpClientPool pool = SmtpClientPool.builder().maxPerRoute(1).backgroundEviction(false)
            .settings(ScriptedPeerTest.settings().build()).build()) {
      Route route = ScriptedPeerTest.route(s);
      try (SmtpClientPool.Lease held = pool.lease(route)) {
        assertFalse(held.reused());
        assertThrows(IOException.class, () -> pool.lease(route, Duration.ofMillis(100)));
      }
      try (SmtpClientPool.Lease again = pool.lease(route, Duration.ZERO)) {
        assertTrue(again.reused());
      }
    }
  }

  @Test
  void clientSendsConcurrentlyAndReportsConnectFailures() throws Exception {
    try (ScriptedSmtpServer s = ScriptedSmtpServer.start();
        SmtpClient client = SmtpClient.builder(s.address().getHostAddress(), s.port())
            .tlsMode(TlsMode.NONE).maxConnections(3)
            .settings(ScriptedPeerTest.settings().build()).build()) {
      List<CompletableFuture<TransactionResult>> fs = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        fs.add(client.sendAsync(Envelope.of("a@example.test", "r" + i + "@example.test"),
            MessageContent.of(BODY)));
      }
      for (CompletableFuture<TransactionResult> f : fs) {
        assertTrue(f.get(30, TimeUnit.SECONDS).allAccepted());
      }
      assertEquals(60, s.awaitMessages(60, WAIT).size());
      assertTrue(s.connectionCount() <= 3, "at most 3 connections: " + s.connectionCount());
    }
    try (ScriptedSmtpServer s = ScriptedSmtpServer.builder()
        .greeting(Response.reply(554, "5.7.1 no service")).start();
        SmtpClient client = SmtpClient.builder(s.address().getHostAddress(), s.port())
            .tlsMode(TlsMode.NONE).settings(ScriptedPeerTest.settings().build()).build()) {
      SmtpReplyException e = assertThrows(SmtpReplyException.class,
          () -> client.send(Envelope.of("a@example.test", "b@example.test"),
              MessageContent.of(BODY)));
      assertFalse(e.isTransient());
    }
  }

  /** A server that greets, answers EHLO and MAIL, then stops reading: the write must not hang. */
  @Test
  void stalledWriteIsCutByTheWatchdog() throws Exception {
    java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
    try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      ss.setReceiveBufferSize(4096);
      Thread peer = new Thread(() -> {
        try (Socket sock = ss.accept()) {
          sock.setReceiveBufferSize(4096);
          OutputStream out = sock.getOutputStream();
          InputStream in = sock.getInputStream();
          out.write("220 mute ESMTP\r\n".getBytes(StandardCharsets.US_ASCII));
          readLine(in);
          out.write("250-mute\r\n250 PIPELINING\r\n".getBytes(StandardCharsets.US_ASCII));
          readLine(in);
          out.write("250 ok\r\n250 ok\r\n354 go\r\n".getBytes(StandardCharsets.US_ASCII));
          // never read again; hold the connection open until the test is over
          done.await(120, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
          // the peer is done either way; the assertions are on the client side
          Thread.currentThread().interrupt();
        }
      });
      peer.setDaemon(true);
      peer.start();
      Route route = Route.builder("127.0.0.1", ss.getLocalPort()).tlsMode(TlsMode.NONE).build();
      ConnectionSettings cfg = ConnectionSettings.builder()
          .timeouts(SmtpTimeouts.all(Duration.ofSeconds(30)).withDataBlock(Duration.ofSeconds(2)))
          .build();
      byte[] big = new byte[64 * 1024 * 1024];
      for (int i = 0; i < big.length; i++) {
        big[i] = (i % 80 == 78) ? (byte) '\r' : (i % 80 == 79) ? (byte) '\n' : (byte) 'x';
      }
      long start = System.nanoTime();
      try (SmtpConnection c = SmtpConnection.open(route, cfg)) {
        CompletableFuture<TransactionResult> f =
            c.submit(Envelope.of("a@example.test", "b@example.test"), MessageContent.of(big));
        c.flush();
        assertFalse(c.isUsable());
        try {
          TransactionResult r = f.get();
          assertEquals(RecipientResult.Status.TRANSIENT, r.recipients().get(0).status());
          assertTrue(r.recipients().get(0).reply().text().contains("did not complete"),
              r.toString());
        } catch (java.util.concurrent.ExecutionException e) {
          assertTrue(e.getCause() instanceof SmtpClientException, e.toString());
        }
      }
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(120), "did not hang");
      done.countDown();
    }
  }

  private static void readLine(InputStream in) throws IOException {
    int b;
    while ((b = in.read()) >= 0 && b != '\n') {
      Thread.onSpinWait();
    }
  }
}
