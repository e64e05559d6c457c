package org.relaymail.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.relaymail.client.RecipientResult.Status;

/**
 * Coverage-guided fuzzing of the client side of the conversation: a peer on loopback sends an
 * arbitrary byte stream as its side of the session (greeting, EHLO, AUTH challenges, every reply),
 * then closes its output, while it reads and discards whatever the client sends. Whatever the
 * stream, the client must end with a classified outcome: {@link SmtpConnection#open} succeeds or
 * throws an {@link SmtpClientException}; each message's future completes with a {@link
 * TransactionResult} (one result per recipient) or with an {@link SmtpClientException}; nothing
 * hangs, nothing else is thrown.
 *
 * <p>The first byte of an input chooses the client's options (AUTH and mechanism, recipients,
 * messages, window), the second TLS and CHUNKING; the rest is the server's stream. In a normal
 * build the inputs under {@code
 * src/test/resources/org/relaymail/client/ClientReplyFuzzTestInputs/arbitraryServerReplies/} are
 * replayed; with {@code JAZZER_FUZZ=1 -Dtest=ClientReplyFuzzTest} Jazzer searches for more.
 */
class ClientReplyFuzzTest {
  private static final String[] MECHANISMS = {"PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2"};

  @FuzzTest(maxDuration = "120s")
  void arbitraryServerReplies(byte[] input) throws Exception {
    int options = input.length > 0 ? input[0] & 0xff : 0;
    int more = input.length > 1 ? input[1] & 0xff : 0;
    byte[] stream = input.length > 2 ? Arrays.copyOfRange(input, 2, input.length) : new byte[0];
    // loopback only: the peer is ours (Jazzer's SSRF detector refuses other connections)
    try (SilentCloseable allowed = BugDetectors.allowNetworkConnections(
        (host, port) -> host.equals("localhost") || host.startsWith("127."))) {
      assertTimeoutPreemptively(Duration.ofSeconds(60), () -> converse(options, more, stream),
          "the client hung on server stream " + printable(stream));
    }
  }

  private static void converse(int options, int more, byte[] stream) throws Exception {
    boolean auth = (options & 1) != 0;
    String mechanism = MECHANISMS[(options >> 1) & 3];
    int recipients = 1 + Math.min(2, (options >> 3) & 3);
    int messages = 1 + ((options >> 5) & 3);
    int window = (options & 0x80) != 0 ? 1 : 8;
    TlsMode tls = (more & 1) != 0 ? TlsMode.OPPORTUNISTIC : TlsMode.NONE;
    boolean chunking = (more & 2) == 0;

    try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      Thread peer = new Thread(() -> serve(ss, stream), "fuzz-peer");
      peer.setDaemon(true);
      peer.start();
      Route.Builder rb = Route.builder("127.0.0.1", ss.getLocalPort()).tlsMode(tls)
          .heloName("client.example.test");
      if (auth) {
        Credentials c = mechanism.equals("XOAUTH2")
            ? Credentials.xoauth2("u@example.test", () -> "token-" + "x".repeat(options))
            : Credentials.password("u@example.test", "pw").withMechanisms(mechanism);
        rb.credentials(c);
      }
      ConnectionSettings cfg = ConnectionSettings.builder()
          .timeouts(SmtpTimeouts.all(Duration.ofSeconds(10)))
          .allowAuthWithoutTls(true).pipeliningWindow(window).useChunking(chunking)
          .maxRecipientsPerTransaction(2).build();
      SmtpConnection c;
      try {
        c = SmtpConnection.open(rb.build(), cfg);
      } catch (SmtpClientException e) {
        peer.join(TimeUnit.SECONDS.toMillis(30));
        return; // a classified failure to connect
      } catch (IOException | RuntimeException e) {
        fail("open() threw an unexpected " + describe(e) + " on " + printable(stream));
        return;
      }
      try {
        List<Envelope> envs = new ArrayList<>();
        List<CompletableFuture<TransactionResult>> fs = new ArrayList<>();
        for (int m = 0; m < messages; m++) {
          String[] rcpts = new String[recipients];
          for (int r = 0; r < recipients; r++) {
            rcpts[r] = "r" + m + "x" + r + "@example.test";
          }
          Envelope env = Envelope.of("a@example.test", rcpts);
          envs.add(env);
          fs.add(c.submit(env, MessageContent.of(
              ("Subject: " + m + "\r\n\r\n.body\r\n").getBytes(StandardCharsets.US_ASCII))));
        }
        c.flush();
        for (int m = 0; m < messages; m++) {
          assertTrue(fs.get(m).isDone(), "message " + m + " has no outcome after flush() on "
              + printable(stream));
          try {
            TransactionResult r = fs.get(m).get(30, TimeUnit.SECONDS);
            assertEquals(envs.get(m), r.envelope());
            assertEquals(recipients, r.recipients().size());
            for (RecipientResult rr : r.recipients()) {
              assertTrue(rr.status() != Status.ACCEPTED || rr.reply().isPositive(), rr.toString());
            }
          } catch (ExecutionException e) {
            if (!(e.getCause() instanceof SmtpClientException)) {
              fail("a message failed with an unexpected " + describe(e.getCause()) + " on "
                  + printable(stream));
            }
          }
        }
        if (c.isUsable()) {
          c.noop(); // may throw SmtpClientException: the stream has ended
        }
      } catch (SmtpClientException e) {
        // classified
      } catch (IOException | RuntimeException e) {
        fail("the conversation threw an unexpected " + describe(e) + " on " + printable(stream));
      } finally {
        c.close();
      }
      peer.join(TimeUnit.SECONDS.toMillis(30));
    }
  }

  /** Sends the stream, closes the output, discards the client's bytes until it closes. */
  private static void serve(ServerSocket ss, byte[] stream) {
    try (Socket s = ss.accept()) {
      s.setSoTimeout(30_000);
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      Thread drain = new Thread(() -> {
        byte[] buf = new byte[8192];
        try {
          while (in.read(buf) >= 0) {
            Thread.onSpinWait();
          }
        } catch (IOException e) {
          // the client closed or reset: the session is over
          Thread.currentThread().interrupt();
        }
      }, "fuzz-peer-drain");
      drain.setDaemon(true);
      drain.start();
      try {
        out.write(stream);
        out.flush();
        s.shutdownOutput();
      } catch (IOException e) {
        // the client closed first (it gave up on the stream): fine
        drain.interrupt();
      }
      drain.join(30_000);
    } catch (IOException | InterruptedException e) {
      // the listening socket was closed, or the client never connected: nothing to serve
      Thread.currentThread().interrupt();
    }
  }

  private static String describe(Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    return w.toString();
  }

  private static String printable(byte[] b) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < Math.min(b.length, 2000); i++) {
      int c = b[i] & 0xff;
      if (c == '\r') {
        sb.append("\\r");
      } else if (c == '\n') {
        sb.append("\\n");
      } else if (c < 32 || c > 126) {
        sb.append(String.format("\\x%02x", c));
      } else {
        sb.append((char) c);
      }
    }
    return sb.append('"').toString();
  }
}
