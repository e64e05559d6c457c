package org.relaymail.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.relaymail.testsupport.ReceivedMessage;
import org.relaymail.testsupport.Response;
import org.relaymail.testsupport.Rule;
import org.relaymail.testsupport.ScriptedSmtpServer;
import org.relaymail.testsupport.Stage;

/**
 * {@link SmtpClient} streams queued messages through one connection's window (the connection asks
 * for the next message whenever the window has room): order, one connection, and the window's
 * safety rules when the server fails in the middle of the stream.
 */
class StreamingClientTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  private static SmtpClient client(ScriptedSmtpServer s, int window) {
    return SmtpClient.builder(s.address().getHostAddress(), s.port())
        .tlsMode(TlsMode.NONE)
        .heloName("client.example.test")
        .maxConnections(1)
        .settings(ConnectionSettings.builder()
            .timeouts(SmtpTimeouts.all(Duration.ofSeconds(20)))
            .pipeliningWindow(window)
            .build())
        .build();
  }

  @Test
  void manyMessagesStreamInOrderOverOneConnection() throws Exception {
    for (boolean chunking : new boolean[] {true, false}) {
      try (ScriptedSmtpServer s = ScriptedSmtpServer.builder().chunking(chunking).start()) {
        int n = 200;
        List<CompletableFuture<TransactionResult>> fs = new ArrayList<>();
        try (SmtpClient c = client(s, 8)) {
          for (int i = 0; i < n; i++) {
            fs.add(c.sendAsync(Envelope.of("a@example.test", "r" + i + "@example.test"),
                MessageContent.of(ScriptedPeerTest.BODY)));
          }
          for (CompletableFuture<TransactionResult> f : fs) {
            TransactionResult r = f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertTrue(r.allAccepted(), "chunking=" + chunking + ": " + r);
          }
        }
        List<ReceivedMessage> got = s.awaitMessages(n, WAIT);
        assertEquals(n, got.size(), "chunking=" + chunking);
        for (int i = 0; i < n; i++) {
          assertEquals(List.of("r" + i + "@example.test"), got.get(i).recipients(),
              "chunking=" + chunking + " message " + i);
          assertEquals(got.get(0).sessionId(), got.get(i).sessionId(),
              "chunking=" + chunking + ": all on one connection");
        }
        s.awaitNoOpenConnections(WAIT);
      }
    }
  }

  /**
   * A 421 or a dropped connection at the k-th message of a stream: every message reported
   * accepted reached the server, none twice, every future completes, nothing leaks.
   */
  @Test
  void faultInTheMiddleOfTheStreamNeverReportsUndeliveredAsDelivered() throws Exception {
    Response[] faults = {Response.disconnect(), Response.reply(421, "4.3.2 bye")};
    for (boolean chunking : new boolean[] {true, false}) {
      for (Response fault : faults) {
        for (int pos : new int[] {1, 5, 12}) {
          String what = "chunking=" + chunking + " fault=" + fault + " at message " + pos;
          try (ScriptedSmtpServer s = ScriptedSmtpServer.builder().chunking(chunking)
              .rule(Rule.atNth(Stage.MESSAGE, pos, fault)).start()) {
            int n = 30;
            List<CompletableFuture<TransactionResult>> fs = new ArrayList<>();
            List<String> accepted = new ArrayList<>();
            int notDelivered = 0;
            try (SmtpClient c = client(s, 4)) {
              for (int i = 0; i < n; i++) {
                fs.add(c.sendAsync(Envelope.of("a@example.test", "r" + i + "@example.test"),
                    MessageContent.of(ScriptedPeerTest.BODY)));
              }
              for (int i = 0; i < n; i++) {
                try {
                  TransactionResult r = fs.get(i).get(WAIT.toSeconds(), TimeUnit.SECONDS);
                  if (r.allAccepted()) {
                    accepted.add("r" + i + "@example.test");
                  } else {
                    notDelivered++;
                  }
                } catch (ExecutionException e) {
                  notDelivered++; // never written on a usable connection: not delivered
                }
              }
            }
            // every session ended: the server has recorded all it accepted
            s.awaitNoOpenConnections(WAIT);
            assertTrue(notDelivered >= 1, what + ": the faulted message is not delivered");
            Map<String, Integer> received = new HashMap<>();
            for (ReceivedMessage m : s.messages()) {
              for (String rcpt : m.recipients()) {
                received.merge(rcpt, 1, Integer::sum);
              }
            }
            for (String a : accepted) {
              assertEquals(1, received.getOrDefault(a, 0),
                  what + ": " + a + " reported delivered must be received exactly once");
            }
            for (Map.Entry<String, Integer> e : received.entrySet()) {
              assertEquals(1, e.getValue(), what + ": " + e.getKey() + " received twice");
            }
            assertFalse(accepted.contains("r" + (pos - 1) + "@example.test"),
                what + ": the message that met the fault is not reported delivered");
          }
        }
      }
    }
  }
}
