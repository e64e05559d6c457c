package org.relaymail.benchmarks;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.SmtpReply;
import org.relaymail.queue.ClaimedMessage;
import org.relaymail.queue.DeliveryAttempt;
import org.relaymail.queue.JdbcQueueStore;
import org.relaymail.queue.MessageContent;
import org.relaymail.queue.NewMessage;
import org.relaymail.queue.RecipientOutcome;
import org.relaymail.queue.jdbc.TestPool;
import org.relaymail.queue.jdbc.TestPostgres;
import org.relaymail.queue.jdbc.UrlDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Load harness for {@link JdbcQueueStore} on a real PostgreSQL 17 (zonky's binary) with
 * {@code fsync}, {@code synchronous_commit} and {@code full_page_writes} on: durable enqueue of
 * 10 KB messages with 1, 8 and 64 producers (group commit), against the baseline of one transaction
 * per message with the same 64 producers; then claim + record + complete throughput.
 *
 * <p>Run: {@code java -cp <benchmarks class path> org.relaymail.benchmarks.JdbcQueueBenchmark [seconds]}
 * (see RESULTS.md). Prints a Markdown table on standard output.
 */
public final class JdbcQueueBenchmark {
  private static final Logger LOG = LoggerFactory.getLogger(JdbcQueueBenchmark.class);
  private static final SmtpReply OK = SmtpReply.of(250, "2.0.0 Ok");

  private JdbcQueueBenchmark() {}

  /**
   * Runs the benchmark.
   *
   * @param args optional: measured seconds per configuration (default 10)
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    byte[] content = MessageContentOf10k.bytes();
    List<String> rows = new ArrayList<>();
    try (TestPostgres pg = TestPostgres.start(Map.of("fsync", "on", "synchronous_commit", "on",
        "full_page_writes", "on", "shared_buffers", "256MB", "max_wal_size", "2GB"))) {
      LOG.info("server: {}", pg);
      for (int producers : new int[] {1, 8, 64}) {
        rows.add(enqueueRun(pg, "group commit (default)", true, true, producers, seconds, content));
      }
      rows.add(enqueueRun(pg, "baseline: one transaction per message, no NOTIFY", false, false, 64, seconds, content));
      rows.add(enqueueRun(pg, "baseline: one transaction per message, no NOTIFY", false, false, 1, seconds, content));
      rows.add(claimRun(pg, 8, 20_000, content));
    }
    StringBuilder out = new StringBuilder("| run | producers | messages | msgs/s |\n|---|---:|---:|---:|\n");
    rows.forEach(r -> out.append(r).append('\n'));
    LOG.info("results:\n{}", out);
    System.out.print(out); // the harness's report goes to standard output
  }

  /** Both modes use the same driver settings; reWriteBatchedInserts turns JDBC batches into multi-row inserts. */
  private static javax.sql.DataSource dataSource(TestPostgres pg, String schema) {
    return new UrlDataSource(pg.jdbcUrl() + "&currentSchema=" + schema + "&reWriteBatchedInserts=true");
  }

  private static String enqueueRun(TestPostgres pg, String name, boolean group, boolean notify, int producers,
      int seconds, byte[] content) throws Exception {
    String schema = pg.newSchema();
    try (TestPool pool = TestPostgres.pool(dataSource(pg, schema), producers + 4)) {
      JdbcQueueStore.createSchema(pool);
      try (JdbcQueueStore store = JdbcQueueStore.builder(pool).groupCommit(group).notifyOnEnqueue(notify)
          .listen(false).build()) {
        AtomicLong done = new AtomicLong();
        AtomicBoolean measuring = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        CountDownLatch finished = new CountDownLatch(producers);
        for (int p = 0; p < producers; p++) {
          int pp = p;
          Thread t = new Thread(() -> {
            try {
              for (int i = 0; !stop.get(); i++) {
                NewMessage m = NewMessage.builder(Mailbox.parse("sender@example.org"))
                    .recipient(Mailbox.parse("p" + pp + "m" + i + "@example.com")).build();
                store.enqueue(m, MessageContent.of(content), Instant.now());
                if (measuring.get()) {
                  done.incrementAndGet();
                }
              }
            } catch (Exception e) {
              LOG.error("producer failed", e);
            } finally {
              finished.countDown();
            }
          }, "producer-" + p);
          threads.add(t);
          t.start();
        }
        TimeUnit.SECONDS.sleep(2); // warm-up
        measuring.set(true);
        long t0 = System.nanoTime();
        TimeUnit.SECONDS.sleep(seconds);
        long n = done.get();
        long t1 = System.nanoTime();
        stop.set(true);
        finished.await(60, TimeUnit.SECONDS);
        double rate = n / ((t1 - t0) / 1e9);
        String row = String.format(Locale.ROOT, "| enqueue 10 KB, %s | %d | %d | %.0f |", name, producers, n, rate);
        LOG.info(row);
        return row;
      }
    }
  }

  private static String claimRun(TestPostgres pg, int workers, int messages, byte[] content) throws Exception {
    String schema = pg.newSchema();
    try (TestPool pool = TestPostgres.pool(dataSource(pg, schema), workers + 20)) {
      JdbcQueueStore.createSchema(pool);
      try (JdbcQueueStore store = JdbcQueueStore.builder(pool).listen(false).build()) {
        List<Thread> fill = new ArrayList<>();
        for (int p = 0; p < 16; p++) {
          int pp = p;
          Thread t = new Thread(() -> {
            try {
              for (int i = pp; i < messages; i += 16) {
                store.enqueue(NewMessage.builder(Mailbox.parse("sender@example.org"))
                    .recipient(Mailbox.parse("c" + i + "@example.com")).build(), MessageContent.of(content), Instant.now());
              }
            } catch (Exception e) {
              LOG.error("fill failed", e);
            }
          });
          fill.add(t);
          t.start();
        }
        for (Thread t : fill) {
          t.join();
        }
        AtomicLong done = new AtomicLong();
        CountDownLatch finished = new CountDownLatch(workers);
        long t0 = System.nanoTime();
        for (int w = 0; w < workers; w++) {
          new Thread(() -> {
            try {
              while (true) {
                List<ClaimedMessage> got = store.claimDue(Instant.now(), 16, Duration.ofMinutes(5));
                if (got.isEmpty()) {
                  break;
                }
                for (ClaimedMessage c : got) {
                  store.recordAttempt(c.lease(), DeliveryAttempt.of(List.of(RecipientOutcome.delivered(
                      c.message().recipients().get(0).mailbox(), OK, "mx"))), Instant.now());
                  store.complete(c.lease(), Instant.now());
                  done.incrementAndGet();
                }
              }
            } catch (Exception e) {
              LOG.error("worker failed", e);
            } finally {
              finished.countDown();
            }
          }).start();
        }
        finished.await(30, TimeUnit.MINUTES);
        double secs = (System.nanoTime() - t0) / 1e9;
        String row = String.format(Locale.ROOT, "| claim (16 per call) + record DELIVERED + complete, %d workers | %d | %d | %.0f |",
            workers, workers, done.get(), done.get() / secs);
        LOG.info(row);
        return row;
      }
    }
  }

  /** A 10,240-byte message: headers and printable body lines, CRLF line endings. */
  static final class MessageContentOf10k {
    private MessageContentOf10k() {}

    static byte[] bytes() {
      StringBuilder sb = new StringBuilder("From: sender@example.org\r\nTo: rcpt@example.com\r\nSubject: benchmark\r\n\r\n");
      Random r = new Random(10240);
      while (sb.length() < 10_240 - 80) {
        for (int i = 0; i < 76; i++) {
          sb.append((char) ('a' + r.nextInt(26)));
        }
        sb.append("\r\n");
      }
      while (sb.length() < 10_240) {
        sb.append(sb.length() < 10_238 ? 'x' : sb.length() == 10_238 ? '\r' : '\n');
      }
      return sb.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }
  }
}
