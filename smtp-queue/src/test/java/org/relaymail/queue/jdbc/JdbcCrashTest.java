package org.relaymail.queue.jdbc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.relaymail.queue.JdbcQueueStore;
import org.relaymail.queue.QueueCounts;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.QueuedMessage;
import org.relaymail.queue.RecipientRecord;
import org.relaymail.queue.RecipientState;

/**
 * Kills a child JVM that enqueues into PostgreSQL (4 producer threads sharing group commits) and
 * works the queue, with SIGKILL at random moments, at least 20 times; then checks that every
 * acknowledged message is there (or was acknowledged as completed) with its exact content, that no
 * half-written message exists (a message row always has all its chunks and recipients), and that
 * recipient states never went back. The server survives the kill, so this proves transaction
 * atomicity and the acknowledge-after-commit rule; PostgreSQL's own fsync is its business.
 */
class JdbcCrashTest {
  private static final long SEED = 20260107L;
  private static final int KILLS = 21;

  @TempDir
  Path dir;

  private static final class Seen {
    long tag;
    final Map<String, RecipientState> states = new HashMap<>();
    boolean acked;
    boolean completing;
    boolean done;
  }

  @Test
  void everyAcknowledgedMessageSurvivesRepeatedKill9() throws Exception {
    TestPostgres pg = TestPostgres.shared();
    String schema = pg.newSchema();
    JdbcQueueStore.createSchema(pg.dataSource(schema));
    String url = pg.jdbcUrl() + "&currentSchema=" + schema;
    Random rnd = new Random(SEED);
    Map<String, Seen> seen = new HashMap<>();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    int acknowledged = 0;
    for (int run = 0; run < KILLS; run++) {
      ProcessBuilder pb = new ProcessBuilder(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
          "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", classPath, JdbcCrashWorker.class.getName(), url,
          Long.toString(SEED + run), Long.toString(run * 1_000_000L));
      Path err = dir.resolve("child-" + run + ".err");
      pb.redirectError(err.toFile());
      Process p = pb.start();
      LinkedBlockingQueue<String> out = new LinkedBlockingQueue<>();
      Thread reader = new Thread(() -> pump(p.getInputStream(), out), "jdbc-crash-reader");
      reader.start();
      int target = 5 + rnd.nextInt(150); // a random moment, measured in acknowledged changes
      int got = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (got < target && System.nanoTime() < deadline && p.isAlive()) {
        String line = out.poll(100, TimeUnit.MILLISECONDS);
        if (line != null && !line.startsWith("READY")) {
          got++;
          record(seen, line);
        }
      }
      assertTrue(p.isAlive(), "the worker died by itself in run " + run + ": " + Files.readString(err));
      assertTrue(got >= target, "the worker made too little progress in run " + run + ": " + got + " of " + target);
      p.destroyForcibly(); // SIGKILL on Linux
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the killed worker did not exit");
      reader.join(TimeUnit.SECONDS.toMillis(30));
      for (String line; (line = out.poll()) != null; ) {
        if (!line.startsWith("READY")) {
          record(seen, line);
        }
      }
      acknowledged += got;
    }
    assertTrue(seen.size() > KILLS, "too little work to prove anything: " + seen.size() + " messages");

    Instant now = Instant.now();
    try (TestPool pool = TestPostgres.pool(pg.dataSource(schema), 4);
         JdbcQueueStore store = JdbcQueueStore.builder(pool).listen(false).build()) {
      for (Map.Entry<String, Seen> e : seen.entrySet()) {
        Seen s = e.getValue();
        Optional<QueuedMessage> m = store.find(new QueueId(e.getKey()), now);
        if (s.done) {
          assertTrue(m.isEmpty(), "completed message came back: " + e.getKey());
          continue;
        }
        if (!s.acked) {
          continue; // committed, but the kill came before its producer printed ACK: not acknowledged
        }
        if (s.completing && m.isEmpty()) {
          continue; // killed after complete() committed, before DONE was printed
        }
        assertTrue(m.isPresent(), "acknowledged message lost: " + e.getKey() + " (tag " + s.tag + ")");
        try (InputStream in = store.openContent(m.get().id())) {
          assertArrayEquals(JdbcCrashWorker.content(s.tag), in.readAllBytes(), "content of " + e.getKey());
        }
        assertEquals(JdbcCrashWorker.recipients(s.tag).size(), m.get().recipients().size(), "recipients of " + e.getKey());
        for (RecipientRecord r : m.get().recipients()) {
          RecipientState acked = s.states.get(r.mailbox().address());
          if (acked != null && acked.isFinal()) {
            assertEquals(acked, r.state(), "recipient " + r.mailbox() + " of " + e.getKey() + " went back");
          } else if (acked == RecipientState.DEFERRED) {
            assertTrue(r.state() != RecipientState.PENDING, "recipient " + r.mailbox() + " of " + e.getKey() + " went back");
          }
        }
      }
      // no half-written message: every message row has all its chunks, bytes and recipients
      try (Connection c = pool.getConnection(); Statement st = c.createStatement();
           ResultSet rs = st.executeQuery("SELECT count(*) FROM relaymail_message m WHERE "
               + "m.chunk_count <> (SELECT count(*) FROM relaymail_content_chunk ch WHERE ch.message_id = m.id) "
               + "OR m.size <> coalesce((SELECT sum(length(data)) FROM relaymail_content_chunk ch WHERE ch.message_id = m.id), 0) "
               + "OR NOT EXISTS (SELECT 1 FROM relaymail_recipient r WHERE r.message_id = m.id)")) {
        rs.next();
        assertEquals(0, rs.getLong(1), "half-written messages");
      }
      QueueCounts counts = store.counts(now);
      assertEquals(counts.messages(), counts.byStatus().values().stream().mapToLong(Long::longValue).sum());
    }
    LoggerHolder.LOG.info("JDBC crash test: {} kills, {} acknowledged changes, {} messages", KILLS, acknowledged, seen.size());
  }

  private static final class LoggerHolder {
    static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(JdbcCrashTest.class);
  }

  private static void pump(InputStream in, LinkedBlockingQueue<String> out) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        if (line.endsWith(" .")) {
          out.add(line); // a line cut by the kill was not acknowledged
        }
      }
    } catch (IOException e) {
      out.add("READY reader ended: " + e);
    }
  }

  /** Lines of one id may come in any order: the worker may complete a message before its producer prints ACK. */
  private static void record(Map<String, Seen> seen, String line) {
    String[] f = line.split(" ");
    Seen s = seen.computeIfAbsent(f[1], k -> new Seen());
    switch (f[0]) {
      case "ACK" -> {
        s.tag = Long.parseLong(f[2]);
        s.acked = true;
      }
      case "REC" -> {
        for (int i = 2; i < f.length - 1; i++) {
          String[] kv = f[i].split("=");
          RecipientState prev = s.states.get(kv[0]);
          RecipientState next = RecipientState.valueOf(kv[1]);
          if (prev == null || !prev.isFinal()) {
            s.states.put(kv[0], next);
          }
        }
      }
      case "COMPLETING" -> s.completing = true;
      case "DONE" -> s.done = true;
      default -> throw new AssertionError("unexpected line from the worker: " + line);
    }
  }
}
