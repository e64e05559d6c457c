package org.relaymail.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.relaymail.queue.QueueId;
import org.relaymail.testsupport.ReceivedMessage;
import org.relaymail.testsupport.Response;
import org.relaymail.testsupport.ScriptedSmtpServer;
import org.relaymail.testsupport.Stage;

/** Close and restart on the same spool directory (FileQueueStore): resumes, nothing lost, nothing twice. */
class RelayRestartTest {
  private static final Pattern SUBJECT = Pattern.compile("Subject: (msg-\\d+)");
  private RelayHarness h;

  @BeforeEach
  void setUp() throws Exception {
    h = new RelayHarness();
  }

  @AfterEach
  void tearDown() throws Exception {
    h.close();
  }

  @Test
  void closeLeavesTheRestQueuedAndANewClientFinishesItExactlyOnce(@TempDir Path spool) throws Exception {
    h.mx("example.test", 2);
    // a slow MX, so that close() finds deliveries in flight and more waiting
    ScriptedSmtpServer mx = h.server(2, b -> b.replyAt(Stage.MESSAGE,
        Response.delayed(Duration.ofMillis(20), Response.reply(250, "2.0.0 Ok: queued"))));
    int n = 300;
    List<QueueId> ids = new ArrayList<>();
    List<CompletableFuture<DeliveryReport>> futures = new ArrayList<>();
    RelayClient first = h.relay().spoolDirectory(spool).messagesPerJob(5).maxConcurrentDeliveries(1).build();
    try {
      for (int i = 0; i < n; i++) {
        SendReceipt r = first.send(RelayClientMxTest.message("app@example.net", "msg-" + i, "user" + (i % 7) + "@example.test"));
        ids.add(r.queueId());
        futures.add(r.outcome());
      }
    } finally {
      first.close();
    }
    int deliveredBefore = mx.messages().size();
    long unfinished = futures.stream().filter(f -> isClosedFailure(f)).count();
    assertEquals(n, deliveredBefore + unfinished,
        "every future either completed delivered or failed with RelayClosedException");
    assertTrue(unfinished > 0, "close() left messages queued (" + deliveredBefore + " delivered before)");

    RelayClient second = h.start(h.relay().spoolDirectory(spool));
    RecordingListener.await("all " + n + " messages at the MX", Duration.ofSeconds(120),
        () -> mx.messages().size() >= n && second.deliveriesInFlight() == 0);
    RecordingListener.await("empty queue", Duration.ofSeconds(30), () -> {
      try {
        return second.counts().messages() == 0;
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    Map<String, Integer> seen = new HashMap<>();
    for (ReceivedMessage m : mx.messages()) {
      Matcher matcher = SUBJECT.matcher(m.contentAsString());
      assertTrue(matcher.find(), m.contentAsString());
      seen.merge(matcher.group(1), 1, Integer::sum);
    }
    assertEquals(n, seen.size(), "nothing lost");
    seen.forEach((subject, count) -> assertEquals(1, count, subject + " sent " + count + " times"));
    assertEquals(n, mx.messages().size(), "nothing sent twice");
  }

  private static boolean isClosedFailure(CompletableFuture<DeliveryReport> f) {
    if (!f.isDone()) {
      throw new AssertionError("a future is still pending after close()");
    }
    try {
      f.get(1, TimeUnit.SECONDS);
      return false;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RelayClosedException) {
        return true;
      }
      throw new AssertionError("unexpected failure", e);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
