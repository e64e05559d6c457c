package org.relaymail.queue;

import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.relaymail.protocol.Mailbox;
import org.relaymail.queue.internal.Checks;
import org.relaymail.queue.internal.Ids;
import org.relaymail.queue.internal.Messages;
import org.relaymail.queue.internal.jdbc.ChunkInputStream;
import org.relaymail.queue.internal.jdbc.GroupCommitter;
import org.relaymail.queue.internal.jdbc.NotificationListener;
import org.relaymail.queue.internal.jdbc.Rows;
import org.relaymail.queue.internal.jdbc.Sql;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link QueueStore} in PostgreSQL (13 or newer), so that several relay processes on several
 * machines share one queue. The application passes a {@link DataSource} (a connection pool is
 * recommended); this class needs only {@code java.sql}, and the PostgreSQL JDBC driver at run time.
 *
 * <h2>Schema</h2>
 * The tables ({@code relaymail_message}, {@code relaymail_recipient}, {@code relaymail_content_chunk},
 * {@code relaymail_idempotency}, {@code relaymail_schema_version}) ship as the SQL script
 * {@value #SCHEMA_RESOURCE} ({@link #schemaSql()}); {@link #createSchema(DataSource)} or
 * {@link Builder#createSchema(boolean)} installs it once, under an advisory lock. The tables live in
 * the first schema of the connection's {@code search_path}. They carry the same data as the file
 * store's records: per message the sender, ENVID, RET, BODY, SMTPUTF8, arrival time, size, tenant,
 * tags and idempotency key; per recipient the state, attempts, first and last attempt time, the last
 * reply (code, lines, enhanced code), remote MTA, failure class, NOTIFY, ORCPT and the delay-warning
 * and bounce flags (RFC 3461, RFC 3464).
 *
 * <h2>Leases and time</h2>
 * Claims use {@code SELECT ... FOR UPDATE SKIP LOCKED}: two claimers, in any process, never lease one
 * message at once, and neither waits for the other. Each claim gets a random lease token. By default
 * ({@link ClockSource#DATABASE}) a lease's expiry is set and checked with the database's clock
 * ({@code now()}), so that machines whose clocks differ still agree on who holds a message; the
 * {@link Lease#expiresAt()} handed back is translated onto the caller's clock ({@code now +} the
 * remaining lease time). Everything else follows the caller's {@code now}: due times (which the relay
 * computes with its {@link RetryPolicy}), arrival times, attempt times and the idempotency window.
 * {@link ClockSource#CALLER} uses the caller's {@code now} for leases too: for tests that drive a
 * clock, and for deployments whose clocks are synchronised.
 *
 * <p>A worker whose lease expired gets {@link LeaseLostException} and changes nothing, except that
 * DELIVERED outcomes and notification flags are recorded anyway (they only move forward). So delivery
 * is exactly-once while nothing crashes and workers renew their leases during long deliveries, and
 * at-least-once after a crash between the remote 250 and {@link #recordAttempt}.
 *
 * <h2>Enqueue</h2>
 * {@link #enqueue} returns once the transaction committed. Concurrent enqueues are grouped by one
 * writer thread into one transaction (group commit: one WAL flush acknowledges many messages); content
 * larger than 1 MiB is written by the calling thread in its own transaction, chunk by chunk. Content
 * is stored in chunk rows ({@link Builder#chunkSize}, 256 KiB by default) and {@link #openContent}
 * streams it a chunk at a time. With {@link Builder#synchronousCommit(boolean)} (the default) write
 * transactions run with {@code synchronous_commit = on}, whatever the server's default.
 *
 * <h2>Wake-ups</h2>
 * Each enqueue sends {@code NOTIFY relaymail_queue}; the store keeps one connection in {@code LISTEN}
 * and {@link #awaitWork(Duration)} returns as soon as any process enqueued, or after the poll interval
 * ({@link Builder#pollInterval}, 10 seconds by default) as a fallback.
 *
 * <p>Thread-safe.
 */
public final class JdbcQueueStore implements QueueStore {
  private static final Logger LOG = LoggerFactory.getLogger(JdbcQueueStore.class);

  /** The class-path resource holding the schema script. */
  public static final String SCHEMA_RESOURCE = "/org/relaymail/queue/jdbc/schema-v1.sql";

  /** The NOTIFY channel. */
  public static final String CHANNEL = "relaymail_queue";

  private static final long ADVISORY_LOCK = 0x72656c61796d6cL; // "relayml"
  private static final int INLINE_LIMIT = 1024 * 1024;
  private static final int LIST_FETCH = 500;

  /** Which clock decides whether a lease is live. */
  public enum ClockSource {
    /** The database server's clock ({@code now()} of the transaction): the default for shared queues. */
    DATABASE,
    /** The {@code now} the caller passes: for tests with a test clock, or synchronised clocks. */
    CALLER
  }

  private final DataSource dataSource;
  private final ClockSource clockSource;
  private final Duration idempotencyWindow;
  private final Duration pollInterval;
  private final int chunkSize;
  private final boolean synchronousCommit;
  private final boolean notifyOnEnqueue;
  private final GroupCommitter<Pending, QueueId> committer;
  private final NotificationListener listener;
  private final AtomicLong lastPurgeNanos = new AtomicLong(System.nanoTime());
  private volatile Instant lastEnqueueNow = Instant.EPOCH;
  private volatile boolean closed;

  private record Pending(NewMessage message, byte[] bytes, MessageContent stream, Instant now) {}

  private JdbcQueueStore(Builder b) throws IOException {
    this.dataSource = b.dataSource;
    this.clockSource = b.clockSource;
    this.idempotencyWindow = b.idempotencyWindow;
    this.pollInterval = b.pollInterval;
    this.chunkSize = b.chunkSize;
    this.synchronousCommit = b.synchronousCommit;
    this.notifyOnEnqueue = b.notifyOnEnqueue;
    if (b.createSchema) {
      createSchema(dataSource);
    } else {
      checkSchema();
    }
    this.committer = b.groupCommit
        ? new GroupCommitter<>("relaymail-jdbc-enqueue", this::writeBatch,
            p -> p.bytes() == null ? 0 : p.bytes().length, b.maxBatch, 16L * 1024 * 1024, this::housekeeping)
        : null;
    this.listener = b.listen ? new NotificationListener(dataSource, CHANNEL, pollInterval) : null;
  }

  /**
   * Starts a store on a data source.
   *
   * @param dataSource where connections come from (a pool is recommended); the store never closes it
   * @return a builder
   */
  public static Builder builder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  /**
   * The shipped schema script (version 1), for a DBA who installs it by hand.
   *
   * @return the SQL text
   * @throws IOException if the resource is missing
   */
  public static String schemaSql() throws IOException {
    return Sql.schemaText();
  }

  /**
   * Installs the schema if it is not there yet; safe to call from several processes at once (an
   * advisory lock serialises them). Does nothing when version 1 is installed.
   *
   * @param dataSource the database
   * @throws IOException if the database holds a newer, unknown schema version or on a database error
   */
  public static void createSchema(DataSource dataSource) throws IOException {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
          ps.setLong(1, ADVISORY_LOCK);
          ps.execute();
        }
        Optional<Integer> version = installedVersion(c);
        if (version.isEmpty()) {
          try (Statement s = c.createStatement()) {
            for (String sql : Sql.schemaStatements()) {
              s.execute(sql);
            }
          }
          LOG.info("installed relaymail queue schema version {}", Sql.SCHEMA_VERSION);
        } else if (version.get() != Sql.SCHEMA_VERSION) {
          throw new IOException("the database holds relaymail queue schema version " + version.get()
              + ", this code knows version " + Sql.SCHEMA_VERSION);
        }
        c.commit();
      } catch (SQLException | IOException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw new IOException("cannot create the relaymail queue schema: " + e.getMessage(), e);
    }
  }

  private static Optional<Integer> installedVersion(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT to_regclass('relaymail_schema_version') IS NOT NULL")) {
      rs.next();
      if (!rs.getBoolean(1)) {
        return Optional.empty();
      }
    }
    try (Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT max(version) FROM relaymail_schema_version")) {
      rs.next();
      int v = rs.getInt(1);
      return rs.wasNull() ? Optional.empty() : Optional.of(v);
    }
  }

  private void checkSchema() throws IOException {
    try (Connection c = dataSource.getConnection()) {
      Optional<Integer> v = installedVersion(c);
      if (v.isEmpty()) {
        throw new IOException("the relaymail queue schema is not installed in this database: run "
            + "JdbcQueueStore.createSchema(dataSource), use builder().createSchema(true), or run " + SCHEMA_RESOURCE);
      }
      if (v.get() != Sql.SCHEMA_VERSION) {
        throw new IOException("the database holds relaymail queue schema version " + v.get()
            + ", this code knows version " + Sql.SCHEMA_VERSION);
      }
    } catch (SQLException e) {
      throw new IOException("cannot check the relaymail queue schema: " + e.getMessage(), e);
    }
  }

  // ------------------------------------------------------------------ plumbing

  @FunctionalInterface
  private interface Work<R> {
    R run(Connection c) throws SQLException, IOException;
  }

  private <R> R inTransaction(boolean write, Work<R> work) throws IOException {
    ensureOpen();
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        if (write && synchronousCommit) {
          try (Statement s = c.createStatement()) {
            s.execute("SET LOCAL synchronous_commit TO on");
          }
        }
        R r = work.run(c);
        c.commit();
        return r;
      } catch (SQLException | IOException | RuntimeException | Error e) {
        rollbackQuietly(c, e);
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw new IOException("queue database error: " + e.getMessage() + " (SQLState " + e.getSQLState() + ")", e);
    }
  }

  private static void rollbackQuietly(Connection c, Throwable cause) {
    try {
      c.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("the store is closed");
    }
  }

  /** The value to bind for {@link Sql#LEASE_NOW}: the caller's time, or null for the database's. */
  private Instant leaseNow(Instant callerNow) {
    return clockSource == ClockSource.CALLER ? callerNow : null;
  }

  private static Instant micros(Instant t) {
    return Objects.requireNonNull(t, "now").truncatedTo(ChronoUnit.MICROS);
  }

  private static long micros(Duration d) {
    return Math.max(1, d.toNanos() / 1000);
  }

  // ------------------------------------------------------------------ enqueue

  @Override
  public QueueId enqueue(NewMessage message, MessageContent content, Instant now) throws IOException {
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(content, "content");
    Instant t = micros(now);
    ensureOpen();
    long size = content.size();
    if (size < 0) {
      throw new IllegalArgumentException("content size must be >= 0: " + size);
    }
    lastEnqueueNow = t;
    QueueId id;
    if (committer != null && size <= INLINE_LIMIT) {
      byte[] bytes;
      try (InputStream in = content.open()) {
        bytes = in.readNBytes((int) size + 1);
      }
      if (bytes.length != size) {
        throw new IOException("content yielded " + (bytes.length > size ? "more than " : "") + bytes.length
            + " bytes but declared size " + size);
      }
      id = committer.submit(new Pending(message, bytes, null, t));
    } else {
      id = inTransaction(true, c -> writeBatchIn(c, List.of(new Pending(message, null, content, t)))).get(0);
      if (committer == null) {
        housekeeping();
      }
    }
    if (listener != null) {
      listener.signal();
    }
    return id;
  }

  private List<QueueId> writeBatch(List<Pending> batch) throws IOException {
    return inTransaction(true, c -> writeBatchIn(c, batch));
  }

  private List<QueueId> writeBatchIn(Connection c, List<Pending> batch) throws SQLException, IOException {
    long[] ids = new long[batch.size()];
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT nextval('relaymail_message_id_seq') FROM generate_series(1, ?)")) {
      ps.setInt(1, batch.size());
      try (ResultSet rs = ps.executeQuery()) {
        for (int i = 0; i < ids.length; i++) {
          rs.next();
          ids[i] = rs.getLong(1);
        }
      }
    }
    List<QueueId> result = new ArrayList<>(batch.size());
    boolean[] insert = new boolean[batch.size()];
    for (int i = 0; i < batch.size(); i++) {
      Pending p = batch.get(i);
      long existing = p.message().idempotencyKey().isPresent() ? claimKey(c, p, ids[i]) : ids[i];
      insert[i] = existing == ids[i];
      result.add(Ids.format(existing));
    }
    try (PreparedStatement msg = c.prepareStatement("INSERT INTO relaymail_message (id, sender, sender_domain, env_id, "
        + "ret, body, smtp_utf8, arrival_time, size, chunk_count, tenant, tags, idempotency_key, next_attempt_at) "
        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
         PreparedStatement rcpt = c.prepareStatement(Rows.INSERT_RECIPIENT)) {
      for (int i = 0; i < batch.size(); i++) {
        if (!insert[i]) {
          continue;
        }
        Pending p = batch.get(i);
        NewMessage m = p.message();
        long size = p.bytes() != null ? p.bytes().length : p.stream().size();
        msg.setLong(1, ids[i]);
        msg.setString(2, m.sender().address());
        msg.setString(3, m.sender().isNull() ? "" : m.sender().domain().toLowerCase(java.util.Locale.ROOT));
        msg.setString(4, m.envId().orElse(null));
        msg.setString(5, m.ret().map(Enum::name).orElse(null));
        msg.setString(6, m.body().keyword());
        msg.setBoolean(7, m.smtpUtf8());
        Sql.setTime(msg, 8, p.now());
        msg.setLong(9, size);
        msg.setInt(10, (int) ((size + chunkSize - 1) / chunkSize));
        msg.setString(11, m.tenant().orElse(null));
        msg.setArray(12, Sql.textArray(c, m.tags().stream().sorted().toList()));
        msg.setString(13, m.idempotencyKey().orElse(null));
        Sql.setTime(msg, 14, p.now());
        msg.addBatch();
        int ordinal = 0;
        for (NewRecipient r : m.recipients()) {
          Rows.bindRecipientInsert(c, rcpt, ids[i], ordinal++, RecipientRecord.pending(r));
          rcpt.addBatch();
        }
      }
      msg.executeBatch();
      rcpt.executeBatch();
    }
    try (PreparedStatement chunk = c.prepareStatement(
        "INSERT INTO relaymail_content_chunk (message_id, seq, data) VALUES (?, ?, ?)")) {
      for (int i = 0; i < batch.size(); i++) {
        if (!insert[i]) {
          continue;
        }
        Pending p = batch.get(i);
        if (p.bytes() != null) {
          byte[] b = p.bytes();
          for (int off = 0, seq = 0; off < b.length; off += chunkSize, seq++) {
            chunk.setLong(1, ids[i]);
            chunk.setInt(2, seq);
            chunk.setBytes(3, off == 0 && b.length <= chunkSize ? b
                : java.util.Arrays.copyOfRange(b, off, Math.min(b.length, off + chunkSize)));
            chunk.addBatch();
          }
        } else {
          streamChunks(chunk, ids[i], p.stream());
        }
      }
      chunk.executeBatch();
    }
    if (notifyOnEnqueue) {
      try (Statement s = c.createStatement()) {
        s.execute("NOTIFY " + CHANNEL);
      }
    }
    return result;
  }

  /** Streams large content into chunk rows, one chunk in memory at a time. */
  private void streamChunks(PreparedStatement chunk, long id, MessageContent content) throws SQLException, IOException {
    long declared = content.size();
    long total = 0;
    try (InputStream in = content.open()) {
      for (int seq = 0; ; seq++) {
        byte[] buf = in.readNBytes(chunkSize);
        if (buf.length == 0) {
          break;
        }
        total += buf.length;
        if (total > declared) {
          throw new IOException("content yielded more than its declared size " + declared + " bytes");
        }
        chunk.setLong(1, id);
        chunk.setInt(2, seq);
        chunk.setBytes(3, buf);
        chunk.executeUpdate();
      }
    }
    if (total != declared) {
      throw new IOException("content yielded " + total + " bytes but declared size " + declared);
    }
  }

  /**
   * Registers the idempotency key for {@code id}, or finds the message that already holds it.
   *
   * @return {@code id} if the key was free (or forgotten), else the holder's id
   */
  private long claimKey(Connection c, Pending p, long id) throws SQLException {
    String key = p.message().idempotencyKey().get();
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO relaymail_idempotency AS k (idem_key, message_id, "
        + "expires_at) VALUES (?, ?, ?) ON CONFLICT (idem_key) DO UPDATE SET message_id = EXCLUDED.message_id, "
        + "expires_at = EXCLUDED.expires_at WHERE k.expires_at <= ? AND NOT EXISTS "
        + "(SELECT 1 FROM relaymail_message m WHERE m.id = k.message_id) RETURNING message_id")) {
      ps.setString(1, key);
      ps.setLong(2, id);
      Sql.setTime(ps, 3, p.now().plus(idempotencyWindow));
      Sql.setTime(ps, 4, p.now());
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          return rs.getLong(1);
        }
      }
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT message_id FROM relaymail_idempotency WHERE idem_key = ?")) {
      ps.setString(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("idempotency key " + key + " vanished during enqueue", "40001");
        }
        return rs.getLong(1);
      }
    }
  }

  /** Forgets idempotency keys past their window, at most once a minute. Never throws. */
  private void housekeeping() {
    long last = lastPurgeNanos.get();
    if (System.nanoTime() - last < 60_000_000_000L || !lastPurgeNanos.compareAndSet(last, System.nanoTime())) {
      return;
    }
    try {
      int n = inTransaction(false, c -> {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM relaymail_idempotency k WHERE k.expires_at <= ? "
            + "AND NOT EXISTS (SELECT 1 FROM relaymail_message m WHERE m.id = k.message_id)")) {
          Sql.setTime(ps, 1, lastEnqueueNow);
          return ps.executeUpdate();
        }
      });
      LOG.debug("forgot {} idempotency keys past their window", n);
    } catch (IOException | RuntimeException e) {
      LOG.warn("could not purge expired idempotency keys; will retry", e);
    }
  }

  // ------------------------------------------------------------------ claims and leases

  @Override
  public List<ClaimedMessage> claimDue(Instant now, int max, Duration leaseDuration) throws IOException {
    Instant t = micros(now);
    if (max < 1) {
      throw new IllegalArgumentException("max must be >= 1: " + max);
    }
    Checks.positive("leaseDuration", leaseDuration);
    return inTransaction(true, c -> {
      List<Long> ids = new ArrayList<>();
      List<Lease> leases = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("WITH due AS (SELECT id FROM relaymail_message "
          + "WHERE NOT held AND next_attempt_at <= ? AND (lease_expires_at IS NULL OR lease_expires_at <= "
          + Sql.LEASE_NOW + ") ORDER BY next_attempt_at, id LIMIT ? FOR UPDATE SKIP LOCKED) "
          + "UPDATE relaymail_message m SET lease_token = gen_random_uuid()::text, lease_expires_at = "
          + Sql.LEASE_NOW + " + ? * interval '1 microsecond' FROM due WHERE m.id = due.id "
          + "RETURNING m.id, m.lease_token")) {
        Sql.setTime(ps, 1, t);
        Sql.setTime(ps, 2, leaseNow(t));
        ps.setInt(3, max);
        Sql.setTime(ps, 4, leaseNow(t));
        ps.setLong(5, micros(leaseDuration));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            long id = rs.getLong(1);
            ids.add(id);
            leases.add(new Lease(Ids.format(id), rs.getString(2), t.plus(Duration.of(micros(leaseDuration), ChronoUnit.MICROS))));
          }
        }
      }
      if (ids.isEmpty()) {
        return List.of();
      }
      Map<Long, QueuedMessage> loaded = Rows.loadMessages(c, ids.stream().mapToLong(Long::longValue).toArray(),
          leaseNow(t), t);
      List<ClaimedMessage> out = new ArrayList<>();
      for (int i = 0; i < ids.size(); i++) {
        out.add(new ClaimedMessage(leases.get(i), loaded.get(ids.get(i))));
      }
      out.sort(Comparator.comparing((ClaimedMessage m) -> m.message().nextAttemptAt())
          .thenComparing(m -> Ids.parse(m.message().id())));
      return out;
    });
  }

  /** Locks the message row and tells whether {@code lease} is its current live lease. */
  private record Held(boolean exists, boolean mine, String reason) {}

  private Held lockAndCheck(Connection c, Lease lease, Instant t) throws SQLException {
    long id = Ids.parse(lease.id());
    if (id < 0) {
      return new Held(false, false, "the message is no longer in the queue");
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT lease_token, lease_expires_at, " + Sql.LEASE_NOW
        + " AS lease_now FROM relaymail_message WHERE id = ? FOR UPDATE")) {
      Sql.setTime(ps, 1, leaseNow(t));
      ps.setLong(2, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return new Held(false, false, "the message is no longer in the queue");
        }
        String token = rs.getString("lease_token");
        Instant expiry = Sql.time(rs, "lease_expires_at");
        Instant ln = Sql.time(rs, "lease_now");
        if (!lease.token().equals(token)) {
          return new Held(true, false, token == null ? "the lease was released" : "another lease replaced it");
        }
        if (!expiry.isAfter(ln)) {
          return new Held(true, false, "it expired at " + expiry + " (" + clockSource.name().toLowerCase() + " clock now " + ln + ")");
        }
        return new Held(true, true, "");
      }
    }
  }

  @Override
  public Lease renewLease(Lease lease, Duration leaseDuration, Instant now) throws IOException {
    Objects.requireNonNull(lease, "lease");
    Checks.positive("leaseDuration", leaseDuration);
    Instant t = micros(now);
    return inTransaction(true, c -> {
      Held h = lockAndCheck(c, lease, t);
      if (!h.mine()) {
        throw new LeaseLostException(lease, h.reason(), List.of());
      }
      try (PreparedStatement ps = c.prepareStatement("UPDATE relaymail_message SET lease_expires_at = "
          + Sql.LEASE_NOW + " + ? * interval '1 microsecond' WHERE id = ?")) {
        Sql.setTime(ps, 1, leaseNow(t));
        ps.setLong(2, micros(leaseDuration));
        ps.setLong(3, Ids.parse(lease.id()));
        ps.executeUpdate();
      }
      return new Lease(lease.id(), lease.token(), t.plus(Duration.of(micros(leaseDuration), ChronoUnit.MICROS)));
    });
  }

  private QueuedMessage loadOne(Connection c, long id, Instant t) throws SQLException {
    return Rows.loadMessages(c, new long[] {id}, leaseNow(t), t).get(id);
  }

  private void writeRecipients(Connection c, long id, QueuedMessage before, QueuedMessage after) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(Rows.UPDATE_RECIPIENT)) {
      for (int i = 0; i < after.recipients().size(); i++) {
        if (!after.recipients().get(i).equals(before.recipients().get(i))) {
          Rows.bindRecipientUpdate(c, ps, id, i, after.recipients().get(i));
          ps.addBatch();
        }
      }
      ps.executeBatch();
    }
  }

  private void setDue(Connection c, long id, Instant due, Boolean held) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "UPDATE relaymail_message SET next_attempt_at = ?, held = coalesce(?, held) WHERE id = ?")) {
      Sql.setTime(ps, 1, due);
      if (held == null) {
        ps.setNull(2, java.sql.Types.BOOLEAN);
      } else {
        ps.setBoolean(2, held);
      }
      ps.setLong(3, id);
      ps.executeUpdate();
    }
  }

  /** What a lease-conditional update did: the snapshot, or the stale-lease exception to throw after commit. */
  private record Outcome(QueuedMessage message, LeaseLostException lost) {}

  @Override
  public QueuedMessage recordAttempt(Lease lease, DeliveryAttempt attempt, Instant now) throws IOException {
    Objects.requireNonNull(lease, "lease");
    Objects.requireNonNull(attempt, "attempt");
    Instant t = micros(now);
    DeliveryAttempt a = new DeliveryAttempt(attempt.outcomes(), attempt.nextAttemptAt().map(JdbcQueueStore::micros));
    Outcome o = inTransaction(true, c -> {
      Held h = lockAndCheck(c, lease, t);
      if (!h.exists()) {
        return new Outcome(null, new LeaseLostException(lease, h.reason(), List.of()));
      }
      long id = Ids.parse(lease.id());
      QueuedMessage before = loadOne(c, id, t);
      Messages.Applied applied = Messages.applyAttempt(before, a, t, !h.mine());
      writeRecipients(c, id, before, applied.message());
      if (h.mine() && !applied.message().nextAttemptAt().equals(before.nextAttemptAt())) {
        setDue(c, id, applied.message().nextAttemptAt(), null);
      }
      return h.mine() ? new Outcome(loadOne(c, id, t), null)
          : new Outcome(null, new LeaseLostException(lease, h.reason(), applied.changed()));
    });
    if (o.lost() != null) {
      throw o.lost();
    }
    return o.message();
  }

  @Override
  public QueuedMessage markNotified(Lease lease, Notification kind, Collection<Mailbox> recipients, Instant now)
      throws IOException {
    Objects.requireNonNull(lease, "lease");
    Objects.requireNonNull(kind, "kind");
    List<Mailbox> rcpts = List.copyOf(recipients);
    Instant t = micros(now);
    Outcome o = inTransaction(true, c -> {
      Held h = lockAndCheck(c, lease, t);
      if (!h.exists()) {
        return new Outcome(null, new LeaseLostException(lease, h.reason(), List.of()));
      }
      long id = Ids.parse(lease.id());
      QueuedMessage before = loadOne(c, id, t);
      Messages.Applied applied = Messages.applyNotified(before, kind, rcpts);
      writeRecipients(c, id, before, applied.message());
      return h.mine() ? new Outcome(loadOne(c, id, t), null)
          : new Outcome(null, new LeaseLostException(lease, h.reason(), applied.changed()));
    });
    if (o.lost() != null) {
      throw o.lost();
    }
    return o.message();
  }

  @Override
  public void releaseLease(Lease lease, Instant now) throws IOException {
    Objects.requireNonNull(lease, "lease");
    Instant t = micros(now);
    inTransaction(true, c -> {
      Held h = lockAndCheck(c, lease, t);
      if (!h.mine()) {
        throw new LeaseLostException(lease, h.reason(), List.of());
      }
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE relaymail_message SET lease_token = NULL, lease_expires_at = NULL WHERE id = ?")) {
        ps.setLong(1, Ids.parse(lease.id()));
        ps.executeUpdate();
      }
      if (notifyOnEnqueue) {
        try (Statement s = c.createStatement()) {
          s.execute("NOTIFY " + CHANNEL);
        }
      }
      return null;
    });
  }

  @Override
  public void complete(Lease lease, Instant now) throws IOException {
    Objects.requireNonNull(lease, "lease");
    Instant t = micros(now);
    inTransaction(true, c -> {
      Held h = lockAndCheck(c, lease, t);
      if (!h.mine()) {
        throw new LeaseLostException(lease, h.reason(), List.of());
      }
      long id = Ids.parse(lease.id());
      try (PreparedStatement ps = c.prepareStatement("SELECT mailbox, state FROM relaymail_recipient "
          + "WHERE message_id = ? AND state IN ('PENDING', 'DEFERRED') ORDER BY ordinal")) {
        ps.setLong(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          List<String> open = new ArrayList<>();
          while (rs.next()) {
            open.add(rs.getString(1) + "=" + rs.getString(2));
          }
          if (!open.isEmpty()) {
            throw new IllegalStateException("cannot complete " + lease.id() + ": recipients not final: " + open);
          }
        }
      }
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM relaymail_message WHERE id = ?")) {
        ps.setLong(1, id);
        ps.executeUpdate();
      }
      return null;
    });
  }

  // ------------------------------------------------------------------ content and due time

  @Override
  public InputStream openContent(QueueId id) throws IOException {
    Objects.requireNonNull(id, "id");
    long n = Ids.parse(id);
    if (n < 0) {
      throw new NoSuchMessageException(id);
    }
    Object[] head = inTransaction(false, c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT m.size, m.chunk_count, ch.data FROM relaymail_message m "
          + "LEFT JOIN relaymail_content_chunk ch ON ch.message_id = m.id AND ch.seq = 0 WHERE m.id = ?")) {
        ps.setLong(1, n);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? new Object[] {rs.getLong(1), rs.getInt(2), rs.getBytes(3)} : null;
        }
      }
    });
    if (head == null) {
      throw new NoSuchMessageException(id);
    }
    int chunks = (Integer) head[1];
    return new ChunkInputStream(id.value(), (Long) head[0], chunks, chunks == 0 ? null : (byte[]) head[2],
        seq -> inTransaction(false, c -> {
          try (PreparedStatement ps = c.prepareStatement(
              "SELECT data FROM relaymail_content_chunk WHERE message_id = ? AND seq = ?")) {
            ps.setLong(1, n);
            ps.setInt(2, seq);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? rs.getBytes(1) : null;
            }
          }
        }));
  }

  @Override
  public Optional<Instant> nextDueTime(Instant now) throws IOException {
    Instant t = micros(now);
    return inTransaction(false, c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT min(greatest(next_attempt_at, CASE WHEN lease_token IS NULL "
          + "THEN NULL ELSE CAST(? AS timestamptz) + (lease_expires_at - " + Sql.LEASE_NOW + ") END)) "
          + "FROM relaymail_message WHERE NOT held")) {
        Sql.setTime(ps, 1, t);
        Sql.setTime(ps, 2, leaseNow(t));
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return Sql.optTime(rs, "min");
        }
      }
    });
  }

  /**
   * Waits until a message may have become claimable: a {@code NOTIFY} from any process's enqueue or
   * lease release, or this store's own enqueue; returns after {@code max} or the poll interval,
   * whichever is shorter, otherwise. A dispatcher waits on this for {@code nextDueTime - now} and then
   * claims.
   *
   * @param max the longest wait, positive
   * @return true if woken by a notification, false on timeout
   * @throws InterruptedException if interrupted while waiting
   */
  public boolean awaitWork(Duration max) throws InterruptedException {
    Checks.positive("max", max);
    ensureOpen();
    if (listener == null) {
      Thread.sleep(Math.min(max.toMillis(), pollInterval.toMillis()));
      return false;
    }
    return listener.await(listener.signals(), max);
  }

  /**
   * A counter of wake-ups seen so far, for {@link #awaitWork(long, Duration)} without a lost-wake-up
   * race: read it before {@link #claimDue}, then wait with it.
   *
   * @return the count (0 when listening is off)
   */
  public long wakeUps() {
    return listener == null ? 0 : listener.signals();
  }

  /**
   * Waits for a wake-up after {@code seen} ({@link #wakeUps()}), at most {@code max} and at most the
   * poll interval.
   *
   * @param seen the count read before the last claim
   * @param max the longest wait, positive
   * @return true if a wake-up happened after {@code seen}, false on timeout
   * @throws InterruptedException if interrupted while waiting
   */
  public boolean awaitWork(long seen, Duration max) throws InterruptedException {
    Checks.positive("max", max);
    ensureOpen();
    if (listener == null) {
      Thread.sleep(Math.min(max.toMillis(), pollInterval.toMillis()));
      return false;
    }
    return listener.await(seen, max);
  }

  /**
   * Whether the {@code LISTEN} connection is up (a health check; false when listening is off).
   *
   * @return true while listening
   */
  public boolean isListening() {
    return listener != null && listener.isListening();
  }

  /**
   * The poll interval: the longest {@link #awaitWork(Duration)} waits without a notification.
   *
   * @return the interval
   */
  public Duration pollInterval() {
    return pollInterval;
  }

  // ------------------------------------------------------------------ administration

  @Override
  public Optional<QueuedMessage> find(QueueId id, Instant now) throws IOException {
    Objects.requireNonNull(id, "id");
    long n = Ids.parse(id);
    if (n < 0) {
      return Optional.empty();
    }
    Instant t = micros(now);
    return inTransaction(false, c -> Optional.ofNullable(loadOne(c, n, t)));
  }

  @Override
  public QueuePage list(QueueQuery query, Instant now) throws IOException {
    Objects.requireNonNull(query, "query");
    Instant t = micros(now);
    return inTransaction(false, c -> {
      StringBuilder sql = new StringBuilder("SELECT id FROM relaymail_message m WHERE id > ?");
      List<Object> args = new ArrayList<>();
      query.tenant().ifPresent(v -> {
        sql.append(" AND tenant = ?");
        args.add(v);
      });
      query.tag().ifPresent(v -> {
        sql.append(" AND ? = ANY(tags)");
        args.add(v);
      });
      query.senderDomain().ifPresent(v -> {
        sql.append(" AND sender_domain = ?");
        args.add(v);
      });
      query.recipientDomain().ifPresent(v -> {
        sql.append(" AND EXISTS (SELECT 1 FROM relaymail_recipient r WHERE r.message_id = m.id AND r.domain = ?)");
        args.add(v);
      });
      if (query.statuses().equals(java.util.Set.of(MessageStatus.HELD))) {
        sql.append(" AND held");
      }
      sql.append(" ORDER BY id LIMIT ?");
      long after = query.after().map(Ids::parse).orElse(0L);
      List<QueuedMessage> page = new ArrayList<>();
      while (true) {
        long[] ids;
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
          int i = 1;
          ps.setLong(i++, after);
          for (Object a : args) {
            ps.setString(i++, (String) a);
          }
          ps.setInt(i, LIST_FETCH);
          List<Long> found = new ArrayList<>();
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              found.add(rs.getLong(1));
            }
          }
          ids = found.stream().mapToLong(Long::longValue).toArray();
        }
        if (ids.length == 0) {
          return new QueuePage(page, Optional.empty());
        }
        Map<Long, QueuedMessage> loaded = Rows.loadMessages(c, ids, leaseNow(t), t);
        for (long id : ids) {
          QueuedMessage m = loaded.get(id);
          if (m != null && query.matches(m)) {
            if (page.size() == query.limit()) {
              return new QueuePage(page, Optional.of(page.get(page.size() - 1).id()));
            }
            page.add(m);
          }
        }
        after = ids[ids.length - 1];
      }
    });
  }

  private boolean updateOne(QueueId id, String sql, Instant t) throws IOException {
    long n = Ids.parse(Objects.requireNonNull(id, "id"));
    if (n < 0) {
      micros(t);
      return false;
    }
    return inTransaction(true, c -> {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        int i = 1;
        if (sql.contains("next_attempt_at = ?")) {
          Sql.setTime(ps, i++, t);
        }
        ps.setLong(i, n);
        boolean found = ps.executeUpdate() > 0;
        if (found && notifyOnEnqueue) {
          try (Statement s = c.createStatement()) {
            s.execute("NOTIFY " + CHANNEL);
          }
        }
        return found;
      }
    });
  }

  @Override
  public boolean hold(QueueId id, Instant now) throws IOException {
    return updateOne(id, "UPDATE relaymail_message SET held = true WHERE id = ?", micros(now));
  }

  @Override
  public boolean releaseHold(QueueId id, Instant now) throws IOException {
    return updateOne(id, "UPDATE relaymail_message SET held = false WHERE id = ?", micros(now));
  }

  @Override
  public boolean retryNow(QueueId id, Instant now) throws IOException {
    return updateOne(id, "UPDATE relaymail_message SET next_attempt_at = ? WHERE id = ?", micros(now));
  }

  @Override
  public int retryAllNow(Instant now) throws IOException {
    Instant t = micros(now);
    return inTransaction(true, c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE relaymail_message SET next_attempt_at = ?")) {
        Sql.setTime(ps, 1, t);
        int n = ps.executeUpdate();
        if (notifyOnEnqueue) {
          try (Statement s = c.createStatement()) {
            s.execute("NOTIFY " + CHANNEL);
          }
        }
        return n;
      }
    });
  }

  @Override
  public boolean delete(QueueId id, Instant now) throws IOException {
    long n = Ids.parse(Objects.requireNonNull(id, "id"));
    micros(now);
    if (n < 0) {
      return false;
    }
    return inTransaction(true, c -> {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM relaymail_message WHERE id = ?")) {
        ps.setLong(1, n);
        return ps.executeUpdate() > 0;
      }
    });
  }

  @Override
  public boolean forceBounce(QueueId id, Instant now) throws IOException {
    long n = Ids.parse(Objects.requireNonNull(id, "id"));
    Instant t = micros(now);
    if (n < 0) {
      return false;
    }
    return inTransaction(true, c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM relaymail_message WHERE id = ? FOR UPDATE")) {
        ps.setLong(1, n);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return false;
          }
        }
      }
      QueuedMessage before = loadOne(c, n, t);
      QueuedMessage after = Messages.forceBounce(before, t);
      writeRecipients(c, n, before, after);
      setDue(c, n, after.nextAttemptAt(), after.held());
      return true;
    });
  }

  @Override
  public QueueCounts counts(Instant now) throws IOException {
    Instant t = micros(now);
    return inTransaction(false, c -> {
      try (Statement s = c.createStatement()) {
        s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      }
      Map<MessageStatus, Long> byStatus = new EnumMap<>(MessageStatus.class);
      long total = 0;
      try (PreparedStatement ps = c.prepareStatement("SELECT CASE WHEN held THEN 'HELD' "
          + "WHEN lease_token IS NOT NULL AND lease_expires_at > " + Sql.LEASE_NOW + " THEN 'ACTIVE' "
          + "WHEN NOT EXISTS (SELECT 1 FROM relaymail_recipient r WHERE r.message_id = m.id "
          + "AND r.state IN ('PENDING', 'DEFERRED')) THEN 'FINISHED' "
          + "WHEN EXISTS (SELECT 1 FROM relaymail_recipient r WHERE r.message_id = m.id AND r.attempts > 0) "
          + "THEN 'DEFERRED' ELSE 'QUEUED' END AS status, count(*) FROM relaymail_message m GROUP BY 1")) {
        Sql.setTime(ps, 1, leaseNow(t));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            byStatus.put(MessageStatus.valueOf(rs.getString(1)), rs.getLong(2));
            total += rs.getLong(2);
          }
        }
      }
      Map<RecipientState, Long> byState = new EnumMap<>(RecipientState.class);
      try (Statement s = c.createStatement();
           ResultSet rs = s.executeQuery("SELECT state, count(*) FROM relaymail_recipient GROUP BY state")) {
        while (rs.next()) {
          byState.put(RecipientState.valueOf(rs.getString(1)), rs.getLong(2));
        }
      }
      return new QueueCounts(total, byStatus, byState);
    });
  }

  /**
   * Stops the enqueue writer (after writing what it holds) and the listener. The data source is not
   * closed. Further calls throw {@link IllegalStateException}.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    if (committer != null) {
      committer.close();
    }
    closed = true;
    if (listener != null) {
      listener.close();
    }
  }

  /** Builds a {@link JdbcQueueStore}. Not thread-safe. */
  public static final class Builder {
    private final DataSource dataSource;
    private ClockSource clockSource = ClockSource.DATABASE;
    private Duration idempotencyWindow = Duration.ofHours(24);
    private Duration pollInterval = Duration.ofSeconds(10);
    private int chunkSize = 256 * 1024;
    private int maxBatch = 256;
    private boolean createSchema;
    private boolean groupCommit = true;
    private boolean synchronousCommit = true;
    private boolean notifyOnEnqueue = true;
    private boolean listen = true;

    private Builder(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /**
     * Which clock decides lease expiry (default {@link ClockSource#DATABASE}).
     *
     * @param clockSource the clock
     * @return this
     */
    public Builder clockSource(ClockSource clockSource) {
      this.clockSource = Objects.requireNonNull(clockSource, "clockSource");
      return this;
    }

    /**
     * How long an idempotency key is remembered after enqueue (default 24 hours; also while its
     * message is queued).
     *
     * @param window positive
     * @return this
     * @throws IllegalArgumentException if not positive
     */
    public Builder idempotencyWindow(Duration window) {
      this.idempotencyWindow = Checks.positive("idempotencyWindow", window);
      return this;
    }

    /**
     * The longest {@link JdbcQueueStore#awaitWork(Duration)} waits without a notification (default 10
     * seconds): the fallback when a NOTIFY is lost (the listening connection broke).
     *
     * @param interval positive
     * @return this
     * @throws IllegalArgumentException if not positive
     */
    public Builder pollInterval(Duration interval) {
      this.pollInterval = Checks.positive("pollInterval", interval);
      return this;
    }

    /**
     * The content chunk size (default 256 KiB).
     *
     * @param bytes 1 KiB to 16 MiB
     * @return this
     * @throws IllegalArgumentException if out of range
     */
    public Builder chunkSize(int bytes) {
      if (bytes < 1024 || bytes > 16 * 1024 * 1024) {
        throw new IllegalArgumentException("chunkSize must be 1 KiB to 16 MiB: " + bytes);
      }
      this.chunkSize = bytes;
      return this;
    }

    /**
     * Whether concurrent enqueues share one transaction (default true). Off, each enqueue commits its
     * own transaction in the calling thread (the baseline the benchmark compares with).
     *
     * @param on the flag
     * @return this
     */
    public Builder groupCommit(boolean on) {
      this.groupCommit = on;
      return this;
    }

    /**
     * The most enqueues per group commit (default 256).
     *
     * @param max 1 to 10,000
     * @return this
     * @throws IllegalArgumentException if out of range
     */
    public Builder maxBatch(int max) {
      if (max < 1 || max > 10_000) {
        throw new IllegalArgumentException("maxBatch must be 1 to 10,000: " + max);
      }
      this.maxBatch = max;
      return this;
    }

    /**
     * Whether write transactions force {@code synchronous_commit = on} (default true), so that an
     * acknowledged enqueue survives a server crash even where the server's default is off.
     *
     * @param on the flag
     * @return this
     */
    public Builder synchronousCommit(boolean on) {
      this.synchronousCommit = on;
      return this;
    }

    /**
     * Whether enqueues and releases send {@code NOTIFY relaymail_queue} (default true).
     *
     * @param on the flag
     * @return this
     */
    public Builder notifyOnEnqueue(boolean on) {
      this.notifyOnEnqueue = on;
      return this;
    }

    /**
     * Whether the store keeps a connection in {@code LISTEN} for {@link JdbcQueueStore#awaitWork}
     * (default true; it holds one connection of the pool).
     *
     * @param on the flag
     * @return this
     */
    public Builder listen(boolean on) {
      this.listen = on;
      return this;
    }

    /**
     * Whether {@link #build()} installs the schema when it is missing (default false: then it checks
     * that the schema is there).
     *
     * @param create the flag
     * @return this
     */
    public Builder createSchema(boolean create) {
      this.createSchema = create;
      return this;
    }

    /**
     * Builds the store, checking (or creating) the schema and starting the enqueue writer and the
     * listener.
     *
     * @return the store
     * @throws IOException if the schema is missing or of another version, or the database fails
     */
    public JdbcQueueStore build() throws IOException {
      return new JdbcQueueStore(this);
    }
  }
}
