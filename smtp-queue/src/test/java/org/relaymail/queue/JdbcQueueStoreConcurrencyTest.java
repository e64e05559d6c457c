package org.relaymail.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.SmtpReply;
import org.relaymail.queue.jdbc.TestPool;
import org.relaymail.queue.jdbc.TestPostgres;

/**
 * {@link JdbcQueueStore} as several processes use it: two store instances on two connection pools over
 * one schema, leases on the database clock, LISTEN/NOTIFY wake-ups, chunked content.
 */
class JdbcQueueStoreConcurrencyTest {
  private static final SmtpReply OK = SmtpReply.of(250, "2.0.0 Ok");
  private TestPostgres pg;
  private String schema;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    pg = TestPostgres.shared();
    schema = pg.newSchema();
    JdbcQueueStore.createSchema(pg.dataSource(schema));
  }

  @AfterEach
  void tearDown() throws Exception {
    Collections.reverse(toClose);
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  private JdbcQueueStore store(int poolSize) throws Exception {
    TestPool pool = TestPostgres.pool(pg.dataSource(schema), poolSize);
    toClose.add(pool);
    JdbcQueueStore s = JdbcQueueStore.builder(pool).pollInterval(Duration.ofSeconds(60)).build();
    toClose.add(s);
    return s;
  }

  private static QueueId enqueue(QueueStore s, String rcpt, Instant now) throws Exception {
    return s.enqueue(NewMessage.builder(Mailbox.parse("s@example.org")).recipient(Mailbox.parse(rcpt)).build(),
        MessageContent.of(("Subject: " + rcpt + "\r\n\r\nx\r\n").getBytes()), now);
  }

  @Test
  void twoStoresOnTwoPoolsNeverLeaseAMessageTwiceAtOnce() throws Exception {
    JdbcQueueStore a = store(6);
    JdbcQueueStore b = store(6);
    int messages = 400;
    Instant now = Instant.now();
    Set<QueueId> enqueued = new HashSet<>();
    for (int i = 0; i < messages; i++) {
      enqueued.add(enqueue(i % 2 == 0 ? a : b, "r" + i + "@example.com", now));
    }
    Map<QueueId, String> active = new ConcurrentHashMap<>();
    Map<QueueId, String> completedBy = new ConcurrentHashMap<>();
    List<String> errors = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger claims = new AtomicInteger();
    int claimers = 10;
    ExecutorService pool = Executors.newFixedThreadPool(claimers);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int w = 0; w < claimers; w++) {
        JdbcQueueStore s = w % 2 == 0 ? a : b;
        String name = (w % 2 == 0 ? "a" : "b") + w;
        fs.add(pool.submit(() -> {
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
          while (completedBy.size() < messages && System.nanoTime() < deadline) {
            for (ClaimedMessage c : s.claimDue(Instant.now(), 3, Duration.ofMinutes(5))) {
              claims.incrementAndGet();
              QueueId id = c.message().id();
              String other = active.putIfAbsent(id, name);
              if (other != null) {
                errors.add(id + " leased by " + other + " and " + name + " at once");
                continue;
              }
              Mailbox r = c.message().recipients().get(0).mailbox();
              s.recordAttempt(c.lease(), DeliveryAttempt.of(List.of(RecipientOutcome.delivered(r, OK, "mx"))), Instant.now());
              s.complete(c.lease(), Instant.now());
              if (completedBy.putIfAbsent(id, name) != null) {
                errors.add(id + " completed twice");
              }
              active.remove(id);
            }
          }
          return null;
        }));
      }
      for (Future<?> f : fs) {
        f.get(180, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(List.of(), errors);
    assertEquals(enqueued, completedBy.keySet());
    assertEquals(messages, claims.get(), "every message was claimed exactly once");
    assertTrue(completedBy.values().stream().anyMatch(n -> n.startsWith("a"))
        && completedBy.values().stream().anyMatch(n -> n.startsWith("b")), "both stores took part");
    assertEquals(0, a.counts(Instant.now()).messages());
  }

  @Test
  void leasesFollowTheDatabaseClockNotTheCallers() throws Exception {
    JdbcQueueStore a = store(3);
    JdbcQueueStore b = store(3);
    Instant skewed = Instant.parse("2001-01-01T00:00:00Z"); // a caller whose clock is far behind the database's
    QueueId id = enqueue(a, "x@example.com", skewed);
    ClaimedMessage c = a.claimDue(skewed, 5, Duration.ofMinutes(10)).get(0);
    assertEquals(id, c.message().id());
    assertEquals(skewed.plus(Duration.ofMinutes(10)), c.lease().expiresAt(), "expiry is given on the caller's clock");
    // another machine whose clock is a day ahead of the first still sees the lease live
    Instant ahead = skewed.plus(Duration.ofDays(1));
    assertEquals(List.of(), b.claimDue(ahead, 5, Duration.ofMinutes(10)));
    QueuedMessage seen = b.find(id, ahead).orElseThrow();
    assertEquals(MessageStatus.ACTIVE, seen.status());
    Instant until = seen.leasedUntil().orElseThrow();
    assertTrue(!until.isBefore(ahead.plus(Duration.ofMinutes(9))) && !until.isAfter(ahead.plus(Duration.ofMinutes(10))),
        "remaining lease translated onto the caller's clock: " + until);
    Lease renewed = a.renewLease(c.lease(), Duration.ofMinutes(1), skewed.minus(Duration.ofDays(3)));
    assertEquals(c.lease().token(), renewed.token());
    a.recordAttempt(renewed, DeliveryAttempt.of(List.of(RecipientOutcome.delivered(Mailbox.parse("x@example.com"), OK, "mx"))), ahead);
    a.complete(renewed, ahead);
    assertEquals(java.util.Optional.empty(), b.find(id, ahead));
  }

  @Test
  void aClaimerThatDiesLosesItsMessagesToTheOtherAfterTheLease() throws Exception {
    JdbcQueueStore dying = store(3);
    JdbcQueueStore survivor = store(3);
    Set<QueueId> ids = new HashSet<>();
    for (int i = 0; i < 5; i++) {
      ids.add(enqueue(dying, "d" + i + "@example.com", Instant.now()));
    }
    Duration lease = Duration.ofSeconds(3);
    long claimedAt = System.nanoTime();
    List<ClaimedMessage> held = dying.claimDue(Instant.now(), 10, lease);
    assertEquals(ids, toIds(held));
    List<ClaimedMessage> early = survivor.claimDue(Instant.now(), 10, lease);
    if (System.nanoTime() - claimedAt < lease.toNanos() / 2) { // only meaningful while the lease surely runs
      assertEquals(List.of(), early, "messages under a live lease were claimed");
    }
    dying.close(); // the worker dies: it never renews, releases or completes
    Set<QueueId> taken = new HashSet<>(toIds(early));
    List<ClaimedMessage> survivorClaims = new ArrayList<>(early);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (taken.size() < ids.size() && System.nanoTime() < deadline) {
      long seen = survivor.wakeUps();
      List<ClaimedMessage> got = survivor.claimDue(Instant.now(), 10, Duration.ofMinutes(5));
      survivorClaims.addAll(got);
      taken.addAll(toIds(got));
      if (got.isEmpty()) {
        survivor.awaitWork(seen, Duration.ofMillis(250));
      }
    }
    assertEquals(ids, taken, "the survivor took over every message after the lease ran out");
    for (ClaimedMessage h : held) {
      LeaseLostException e = assertThrows(LeaseLostException.class,
          () -> survivor.renewLease(h.lease(), lease, Instant.now()), "the dead worker's lease is stale");
      assertTrue(e.getMessage().contains("another lease replaced it"), e.getMessage());
    }
    for (ClaimedMessage c : survivorClaims) {
      Mailbox r = c.message().recipients().get(0).mailbox();
      survivor.recordAttempt(c.lease(), DeliveryAttempt.of(List.of(RecipientOutcome.delivered(r, OK, "mx"))), Instant.now());
      survivor.complete(c.lease(), Instant.now());
    }
    assertEquals(0, survivor.counts(Instant.now()).messages());
  }

  private static Set<QueueId> toIds(List<ClaimedMessage> cs) {
    Set<QueueId> s = new HashSet<>();
    cs.forEach(c -> s.add(c.message().id()));
    return s;
  }

  @Test
  void anEnqueueWakesADispatcherOfAnotherStore() throws Exception {
    JdbcQueueStore producer = store(3);
    JdbcQueueStore dispatcher = store(3);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!dispatcher.isListening() && System.nanoTime() < deadline) {
      dispatcher.awaitWork(dispatcher.wakeUps(), Duration.ofMillis(50));
    }
    assertTrue(dispatcher.isListening(), "LISTEN connection up");
    long seen = dispatcher.wakeUps();
    assertFalse(dispatcher.awaitWork(seen, Duration.ofMillis(100)), "no wake-up without an enqueue");
    QueueId id = enqueue(producer, "w@example.com", Instant.now());
    assertTrue(dispatcher.awaitWork(seen, Duration.ofSeconds(30)), "NOTIFY from the other store woke the dispatcher");
    assertEquals(id, dispatcher.claimDue(Instant.now(), 1, Duration.ofMinutes(1)).get(0).message().id());
  }

  @Test
  void contentIsStoredInChunkRowsAndStreamedBack() throws Exception {
    JdbcQueueStore s = store(3);
    byte[] content = new byte[700 * 1024 + 5];
    new java.util.Random(11).nextBytes(content);
    QueueId id = s.enqueue(NewMessage.builder(Mailbox.parse("s@example.org")).recipient(Mailbox.parse("c@example.com")).build(),
        MessageContent.of(content), Instant.now());
    try (Connection c = pg.dataSource(schema).getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT count(*), max(length(data)) FROM relaymail_content_chunk ch "
             + "JOIN relaymail_message m ON m.id = ch.message_id")) {
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        assertEquals(3, rs.getInt(1), "700 KiB in 256 KiB chunks");
        assertEquals(256 * 1024, rs.getInt(2));
      }
    }
    try (var in = s.openContent(id)) {
      assertEquals(java.util.Arrays.hashCode(content), java.util.Arrays.hashCode(in.readAllBytes()));
    }
  }

  @Test
  void aSecondCreateSchemaIsHarmlessAndAMissingSchemaIsReported() throws Exception {
    JdbcQueueStore.createSchema(pg.dataSource(schema));
    String empty = pg.newSchema();
    java.io.IOException e = assertThrows(java.io.IOException.class,
        () -> JdbcQueueStore.builder(pg.dataSource(empty)).listen(false).build());
    assertTrue(e.getMessage().contains("not installed"), e.getMessage());
  }
}
