package org.relaymail.queue.jdbc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.relaymail.queue.JdbcQueueStore;
import org.relaymail.queue.KilledChild;
import org.relaymail.queue.QueueCounts;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.QueuedMessage;
import org.relaymail.queue.RecipientRecord;
import org.relaymail.queue.RecipientState;
import org.relaymail.queue.internal.Ids;

/**
 * Kills a child JVM that enqueues into PostgreSQL (4 producer threads sharing group commits) and
 * works the queue, with SIGKILL at random moments, at least 20 times; then checks that every
 * acknowledged message is there (or was acknowledged as completed) with its exact content, that no
 * half-written message exists (a message row always has all its chunks and recipients), that
 * recipient states never went back, and that no message row was ever deleted except by a
 * {@code complete()} the worker announced. The server survives the kill, so this proves transaction
 * atomicity and the acknowledge-after-commit rule; PostgreSQL's own fsync is its business.
 *
 * <p>The child's stdout goes to a file, never a pipe: the file holds every line the child wrote
 * before SIGKILL, so the parent cannot miss an acknowledgement. A test-only trigger records every
 * insert and delete of a message row with the run that made it ({@code application_name}), so that a
 * failure says whether the row was never committed or was deleted, and by which run.
 */
class JdbcCrashTest {
  private static final long SEED = 20260107L;
  private static final int KILLS = 21;

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  private static final class Seen {
    long tag;
    final Map<String, RecipientState> states = new HashMap<>();
    final List<String> lines = new ArrayList<>();
    boolean acked;
    boolean completing;
    boolean done;
  }

  @Test
  void everyAcknowledgedMessageSurvivesRepeatedKill9() throws Exception {
    TestPostgres pg = TestPostgres.shared();
    String schema = pg.newSchema();
    DataSource direct = pg.dataSource(schema);
    JdbcQueueStore.createSchema(direct);
    installAudit(direct);
    Random rnd = new Random(SEED);
    Map<String, Seen> seen = new HashMap<>();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    int acknowledged = 0;
    for (int run = 0; run < KILLS; run++) {
      String url = pg.jdbcUrl() + "&currentSchema=" + schema + "&ApplicationName=" + runName(run);
      ProcessBuilder pb = new ProcessBuilder(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
          "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", classPath, JdbcCrashWorker.class.getName(), url,
          Long.toString(SEED + run), Long.toString(run * 1_000_000L));
      // stdout goes to a file, not a pipe read by a thread: the file keeps every byte the child wrote
      // before SIGKILL, and nothing depends on a reader thread draining it in time
      Path stdout = dir.resolve("child-" + run + ".out");
      Path err = dir.resolve("child-" + run + ".err");
      pb.redirectError(err.toFile());
      int target = 5 + rnd.nextInt(150); // a random moment, measured in acknowledged changes
      Process p = KilledChild.startAndAwait(pb, stdout, target, Duration.ofSeconds(90));
      assertTrue(p.isAlive(), "the worker died by itself in run " + run + ": " + Files.readString(err));
      int got = KilledChild.changes(stdout).size();
      assertTrue(got >= target, "the worker made too little progress in run " + run + ": " + got + " of " + target
          + "; stderr: " + Files.readString(err));
      p.destroyForcibly(); // SIGKILL on Linux
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the killed worker did not exit");
      List<String> lines = KilledChild.changes(stdout); // now final: the child is gone
      for (String line : lines) {
        record(seen, run, line);
      }
      acknowledged += lines.size();
    }
    assertTrue(seen.size() > KILLS, "too little work to prove anything: " + seen.size() + " messages");

    Instant now = Instant.now();
    try (TestPool pool = TestPostgres.pool(direct, 4);
         JdbcQueueStore store = JdbcQueueStore.builder(pool).listen(false).build()) {
      // the store deletes a message row only in complete(), which the worker announces first
      try (Connection c = pool.getConnection(); Statement st = c.createStatement();
           ResultSet rs = st.executeQuery("SELECT DISTINCT id FROM crash_audit WHERE op = 'DELETE' ORDER BY id")) {
        while (rs.next()) {
          String id = Ids.format(rs.getLong(1)).value();
          Seen s = seen.get(id);
          if (s == null || !s.completing) {
            fail("message row deleted without COMPLETING from the worker: " + diagnose(pool, id, s));
          }
        }
      }
      for (Map.Entry<String, Seen> e : seen.entrySet()) {
        Seen s = e.getValue();
        Optional<QueuedMessage> m = store.find(new QueueId(e.getKey()), now);
        if (s.done) {
          assertTrue(m.isEmpty(), "completed message came back: " + diagnose(pool, e.getKey(), s));
          continue;
        }
        if (!s.acked) {
          continue; // committed, but the kill came before its producer printed ACK: not acknowledged
        }
        if (s.completing && m.isEmpty()) {
          continue; // killed after complete() committed, before DONE was printed
        }
        if (m.isEmpty()) {
          fail("acknowledged message lost: " + diagnose(pool, e.getKey(), s));
        }
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

  private static String runName(int run) {
    return "crash-run-" + run;
  }

  /**
   * A test-only audit trail: a trigger writes every insert and delete of a message row, with the
   * session's application name (the run) and transaction, into {@code crash_audit} in the same
   * transaction, so an audit row exists exactly when the change committed.
   */
  private static void installAudit(DataSource ds) throws SQLException {
    try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE crash_audit (seq bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp(), "
          + "op text NOT NULL, id bigint NOT NULL, app text, backend_pid integer, xid bigint)");
      st.execute("CREATE FUNCTION crash_audit_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
          + "INSERT INTO crash_audit (op, id, app, backend_pid, xid) VALUES (TG_OP, "
          + "CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END, current_setting('application_name'), "
          + "pg_backend_pid(), txid_current()); RETURN NULL; END $$");
      st.execute("CREATE TRIGGER crash_audit_row AFTER INSERT OR DELETE ON relaymail_message "
          + "FOR EACH ROW EXECUTE FUNCTION crash_audit_row()");
    }
  }

  /** Everything known about one message: its row, its audit trail, the lines about it, and the runs' stderr. */
  private String diagnose(DataSource ds, String id, Seen s) {
    StringBuilder d = new StringBuilder(id);
    long n = Ids.parse(new QueueId(id));
    TreeSet<Integer> runs = new TreeSet<>();
    if (s != null) {
      d.append(" (tag ").append(s.tag).append(", acked ").append(s.acked).append(", completing ").append(s.completing)
          .append(", done ").append(s.done).append(')');
      d.append("\n  worker lines: ").append(s.lines);
      for (String line : s.lines) {
        runs.add(Integer.parseInt(line.substring("run ".length(), line.indexOf(':'))));
      }
    } else {
      d.append(" (no worker line names it)");
    }
    try (Connection c = ds.getConnection()) {
      d.append("\n  row: ");
      try (PreparedStatement ps = c.prepareStatement("SELECT * FROM relaymail_message WHERE id = ?")) {
        ps.setLong(1, n);
        try (ResultSet rs = ps.executeQuery()) {
          d.append(rs.next() ? columns(rs) : "none");
        }
      }
      d.append("\n  audit (committed inserts and deletes):");
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT at, op, app, backend_pid, xid FROM crash_audit WHERE id = ? ORDER BY seq")) {
        ps.setLong(1, n);
        try (ResultSet rs = ps.executeQuery()) {
          boolean any = false;
          while (rs.next()) {
            any = true;
            d.append("\n    ").append(columns(rs));
            String app = rs.getString("app");
            if (app != null && app.startsWith("crash-run-")) {
              runs.add(Integer.parseInt(app.substring("crash-run-".length())));
            }
          }
          if (!any) {
            d.append(" none (never committed)");
          }
        }
      }
    } catch (SQLException e) {
      d.append("\n  (could not query the database: ").append(e).append(')');
    }
    for (int run : runs) {
      Path out = dir.resolve("child-" + run + ".out");
      Path err = dir.resolve("child-" + run + ".err");
      try {
        List<String> raw = new ArrayList<>();
        for (String line : (Files.exists(out) ? Files.readString(out) : "").split("\n", -1)) {
          if (line.contains(id)) {
            raw.add(line);
          }
        }
        String text = Files.exists(err) ? Files.readString(err) : "";
        d.append("\n  run ").append(run).append(" stdout lines naming it: ").append(raw)
            .append("\n  run ").append(run).append(" stderr: ")
            .append(text.isBlank() ? "(empty)" : text.substring(Math.max(0, text.length() - 3000)));
      } catch (IOException e) {
        d.append("\n  run ").append(run).append(" output unreadable: ").append(e);
      }
    }
    d.append("\n  child output kept in ").append(dir);
    return d.toString();
  }

  private static String columns(ResultSet rs) throws SQLException {
    ResultSetMetaData md = rs.getMetaData();
    StringBuilder b = new StringBuilder();
    for (int i = 1; i <= md.getColumnCount(); i++) {
      b.append(i == 1 ? "" : ", ").append(md.getColumnName(i)).append('=').append(rs.getString(i));
    }
    return b.toString();
  }

  /**
   * The acknowledged changes in the child's stdout so far: every line with its end marker ({@code " ."}),
   * so that a line cut by the kill does not count; {@code READY} is not a change.
   */


  /** Lines of one id may come in any order: the worker may complete a message before its producer prints ACK. */
  private static void record(Map<String, Seen> seen, int run, String line) {
    String[] f = line.split(" ");
    Seen s = seen.computeIfAbsent(f[1], k -> new Seen());
    s.lines.add("run " + run + ": " + line);
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
      default -> throw new AssertionError("unexpected line from the worker in run " + run + ": " + line);
    }
  }
}
