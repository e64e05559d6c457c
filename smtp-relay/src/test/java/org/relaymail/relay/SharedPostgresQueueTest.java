package org.relaymail.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.relaymail.queue.JdbcQueueStore;
import org.relaymail.queue.jdbc.TestPool;
import org.relaymail.queue.jdbc.TestPostgres;
import org.relaymail.testsupport.ReceivedMessage;
import org.relaymail.testsupport.ScriptedSmtpServer;

/**
 * Two RelayClients, each with its own JdbcQueueStore and connection pool, on one PostgreSQL queue
 * (embedded PostgreSQL from the smtp-queue test kit): 1,000 messages sent through each, every one
 * delivered exactly once.
 */
class SharedPostgresQueueTest {
  private static final Pattern SUBJECT = Pattern.compile("Subject: ([ab]-\\d+)");

  @Test
  void twoRelaysOnOnePostgresQueueDeliverEachMessageExactlyOnce() throws Exception {
    TestPostgres pg = TestPostgres.shared();
    String schema = pg.newSchema();
    JdbcQueueStore.createSchema(pg.dataSource(schema));
    int perRelay = 1000;
    try (RelayHarness h = new RelayHarness();
        TestPool poolA = TestPostgres.pool(pg.dataSource(schema), 8);
        TestPool poolB = TestPostgres.pool(pg.dataSource(schema), 8);
        JdbcQueueStore storeA = JdbcQueueStore.builder(poolA).pollInterval(Duration.ofSeconds(1)).build();
        JdbcQueueStore storeB = JdbcQueueStore.builder(poolB).pollInterval(Duration.ofSeconds(1)).build()) {
      h.mx("example.test", 2);
      ScriptedSmtpServer mx = h.server(2, b -> {});
      RecordingListener eventsA = new RecordingListener();
      RecordingListener eventsB = new RecordingListener();
      RelayClient a = h.start(h.relay().store(storeA).clock(Clock.systemUTC()).listener(eventsA)
          .pollInterval(Duration.ofSeconds(1)).messagesPerJob(50));
      RelayClient b = h.start(h.relay().store(storeB).clock(Clock.systemUTC()).listener(eventsB)
          .pollInterval(Duration.ofSeconds(1)).messagesPerJob(50));

      ExecutorService senders = Executors.newFixedThreadPool(4);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          int part = t;
          done.add(senders.submit(() -> {
            for (int i = part; i < perRelay; i += 4) {
              RelayClient relay = i % 2 == 0 ? a : b;
              String prefix = relay == a ? "a-" : "b-";
              relay.send(RelayClientMxTest.message("app@example.net", prefix + i, "user" + (i % 13) + "@example.test"));
              RelayClient other = relay == a ? b : a;
              other.send(RelayClientMxTest.message("app@example.net", (relay == a ? "b-" : "a-") + i,
                  "user" + (i % 13) + "@example.test"));
            }
            return null;
          }));
        }
        for (Future<?> f : done) {
          f.get();
        }
      } finally {
        senders.shutdown();
      }
      int total = 2 * perRelay;
      RecordingListener.await(total + " messages at the MX and an empty queue", Duration.ofSeconds(240), () -> {
        try {
          return mx.messages().size() >= total && a.counts().messages() == 0;
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
      assertEquals(total, seen.size(), "nothing lost");
      seen.forEach((subject, count) -> assertEquals(1, count, subject + " delivered " + count + " times"));
      assertEquals(total, mx.messages().size(), "nothing delivered twice");
      long byA = eventsA.count(eventsA.attempts, e -> e.type() == DeliveryEvent.Type.DELIVERED);
      long byB = eventsB.count(eventsB.attempts, e -> e.type() == DeliveryEvent.Type.DELIVERED);
      assertEquals(total, byA + byB, "each delivery reported once, by the relay that made it");
      System.out.printf("shared PostgreSQL queue: relay A delivered %d, relay B %d%n", byA, byB);
    }
  }
}
