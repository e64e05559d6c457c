package org.relaymail.queue;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.SmtpReply;

/**
 * The contract every {@link QueueStore} must meet. A store's test subclasses this class and implements
 * {@link #createStore()} (a fresh, empty store) and {@link #reopen(QueueStore)} (close the store as a
 * process restart would and open it again on the same data). Time comes from {@link #clock}; a store
 * whose leases follow another clock overrides {@link #advance(Duration)}.
 *
 * <p>Published in this module's test-jar ({@code <type>test-jar</type>}), so that an application's own
 * store can prove itself with the same tests.
 */
public abstract class QueueStoreContractTest {
  /** The test clock all calls take their {@code now} from. */
  protected final TestClock clock = new TestClock(Instant.parse("2026-01-05T08:00:00Z"));

  /** The store under test (replaced by {@link #restart()}). */
  protected QueueStore store;

  /** For subclasses: one per store implementation. */
  protected QueueStoreContractTest() {}

  /**
   * Creates a fresh, empty store.
   *
   * @return the store
   * @throws Exception on failure
   */
  protected abstract QueueStore createStore() throws Exception;

  /**
   * Simulates a restart: closes (or abandons, or crashes) {@code current} and opens a store on the same
   * data. Every acknowledged change must be there; leases may or may not survive.
   *
   * @param current the store to restart
   * @return the reopened store
   * @throws Exception on failure
   */
  protected abstract QueueStore reopen(QueueStore current) throws Exception;

  /**
   * Moves time forward for the store and the test.
   *
   * @param d how far
   */
  protected void advance(Duration d) {
    clock.advance(d);
  }

  /** @return the current test time */
  protected Instant now() {
    return clock.now();
  }

  @BeforeEach
  void openStore() throws Exception {
    store = createStore();
  }

  @AfterEach
  void closeStore() throws Exception {
    if (store != null) {
      store.close();
    }
  }

  /** Restarts the store under test. */
  protected void restart() throws Exception {
    store = reopen(store);
  }

  // ---------------------------------------------------------------- helpers

  protected static final Duration LEASE = Duration.ofMinutes(5);
  protected static final SmtpReply OK = SmtpReply.of(250, "2.0.0 Ok: queued as X");
  protected static final SmtpReply LATER = SmtpReply.of(451, "4.3.0 Try again later");
  protected static final SmtpReply NO_USER = SmtpReply.of(550, "5.1.1 No such user");

  protected static Mailbox mb(String address) {
    return Mailbox.parse(address);
  }

  protected QueueId enqueue(String... recipients) throws IOException {
    return enqueue(NewMessage.builder(mb("sender@example.org")), ("Subject: test\r\n\r\nbody\r\n").getBytes(), recipients);
  }

  protected QueueId enqueue(NewMessage.Builder b, byte[] content, String... recipients) throws IOException {
    for (String r : recipients) {
      b.recipient(mb(r));
    }
    return store.enqueue(b.build(), MessageContent.of(content), now());
  }

  protected QueuedMessage get(QueueId id) throws IOException {
    return store.find(id, now()).orElseThrow(() -> new AssertionError("message " + id + " is missing"));
  }

  protected static byte[] read(QueueStore s, QueueId id) throws IOException {
    try (InputStream in = s.openContent(id)) {
      return in.readAllBytes();
    }
  }

  protected ClaimedMessage claimOne() throws IOException {
    List<ClaimedMessage> c = store.claimDue(now(), 1, LEASE);
    assertEquals(1, c.size(), "expected one due message");
    return c.get(0);
  }

  // ---------------------------------------------------------------- enqueue and inspect

  @Test
  void enqueueKeepsEnvelopeMetadataAndContent() throws Exception {
    NewMessage m = NewMessage.builder(mb("alice@example.org"))
        .recipient(new NewRecipient(mb("bob@example.com"), Set.of(NotifyCondition.FAILURE, NotifyCondition.DELAY),
            Optional.of("rfc822;bob@example.com")))
        .recipient(mb("carol@example.net"))
        .envId("env-123").ret(ReturnOption.HDRS).body(BodyKind.EIGHT_BIT_MIME)
        .tenant("acme").tag("newsletter").tag("q1").build();
    byte[] content = "Subject: hi\r\n\r\nHello\r\n".getBytes();
    QueueId id = store.enqueue(m, MessageContent.of(content), now());

    QueuedMessage q = get(id);
    assertEquals(mb("alice@example.org"), q.sender());
    assertEquals(List.of(mb("bob@example.com"), mb("carol@example.net")),
        q.recipients().stream().map(RecipientRecord::mailbox).toList());
    RecipientRecord bob = q.recipients().get(0);
    assertEquals(Set.of(NotifyCondition.FAILURE, NotifyCondition.DELAY), bob.notifyOn());
    assertEquals(Optional.of("rfc822;bob@example.com"), bob.orcpt());
    assertEquals(RecipientState.PENDING, bob.state());
    assertEquals(0, bob.attempts());
    assertEquals(Optional.of("env-123"), q.envId());
    assertEquals(Optional.of(ReturnOption.HDRS), q.ret());
    assertEquals(BodyKind.EIGHT_BIT_MIME, q.body());
    assertFalse(q.smtpUtf8());
    assertEquals(now(), q.arrivalTime());
    assertEquals(content.length, q.size());
    assertEquals(Optional.of("acme"), q.tenant());
    assertEquals(Set.of("newsletter", "q1"), q.tags());
    assertEquals(MessageStatus.QUEUED, q.status());
    assertArrayEquals(content, read(store, id));
  }

  @Test
  void nullSenderAndSmtpUtf8AreKept() throws Exception {
    NewMessage m = NewMessage.builder(Mailbox.NULL).recipient(mb("用户@例子.中国")).build();
    assertTrue(m.smtpUtf8(), "an address needing SMTPUTF8 sets the flag");
    QueueId id = store.enqueue(m, MessageContent.of(new byte[0]), now());
    QueuedMessage q = get(id);
    assertTrue(q.sender().isNull());
    assertTrue(q.smtpUtf8());
    assertEquals(mb("用户@例子.中国"), q.recipients().get(0).mailbox());
    assertEquals(0, read(store, id).length);
  }

  @Test
  void largeContentStreamsBack() throws Exception {
    byte[] content = new byte[3 * 1024 * 1024 + 17];
    new Random(7).nextBytes(content);
    QueueId id = enqueue(NewMessage.builder(mb("a@example.org")), content, "b@example.com");
    assertEquals(content.length, get(id).size());
    try (InputStream in = store.openContent(id)) {
      byte[] buf = new byte[8191];
      int off = 0;
      for (int n; (n = in.read(buf)) > 0; off += n) {
        assertArrayEquals(Arrays.copyOfRange(content, off, off + n), Arrays.copyOf(buf, n), "at offset " + off);
      }
      assertEquals(content.length, off);
    }
  }

  @Test
  void idsAreDistinct() throws Exception {
    Set<QueueId> ids = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      assertTrue(ids.add(enqueue("r" + i + "@example.com")));
    }
  }

  @Test
  void unknownIdIsAbsent() throws Exception {
    QueueId id = new QueueId("no-such-id");
    assertEquals(Optional.empty(), store.find(id, now()));
    assertThrows(NoSuchMessageException.class, () -> store.openContent(id));
    assertFalse(store.hold(id, now()));
    assertFalse(store.delete(id, now()));
  }

  @Test
  void idempotencyKeyReturnsTheFirstId() throws Exception {
    QueueId first = enqueue(NewMessage.builder(mb("a@example.org")).idempotencyKey("order-1"), "x".getBytes(), "b@example.com");
    QueueId again = enqueue(NewMessage.builder(mb("a@example.org")).idempotencyKey("order-1"), "y".getBytes(), "c@example.com");
    assertEquals(first, again);
    assertEquals(1, store.counts(now()).messages());
    // still known after the message left the queue, within the window
    ClaimedMessage c = claimOne();
    store.recordAttempt(c.lease(), DeliveryAttempt.of(List.of(RecipientOutcome.delivered(mb("b@example.com"), OK, "mx"))), now());
    store.complete(c.lease(), now());
    advance(Duration.ofHours(1));
    assertEquals(first, enqueue(NewMessage.builder(mb("a@example.org")).idempotencyKey("order-1"), "z".getBytes(), "b@example.com"));
    assertEquals(0, store.counts(now()).messages());
    QueueId other = enqueue(NewMessage.builder(mb("a@example.org")).idempotencyKey("order-2"), "z".getBytes(), "b@example.com");
    assertNotEquals(first, other);
  }

  @Test
  void idempotencyKeyIsForgottenAfterTheWindow() throws Exception {
    QueueId first = enqueue(NewMessage.builder(mb("a@example.org")).idempotencyKey("k"), "x".getBytes(), "b@example.com");
    ClaimedMessage c = claimOne();
    store.recordAttempt(c.lease(), DeliveryAttempt.of(List.of(RecipientOutcome.delivered(mb("b@example.com"), OK, "mx"))), now());
    store.complete(c.lease(), now());
    advance(Duration.ofDays(3));
    assertNotEquals(first, enqueue(NewMessage.builder(mb("a@example.org")).idempotencyKey("k"), "x".getBytes(), "b@example.com"));
  }

  // ---------------------------------------------------------------- claims and leases

  @Test
  void claimLeasesDueMessagesOnceEarliestFirst() throws Exception {
    QueueId a = enqueue("a@example.com");
    advance(Duration.ofSeconds(1));
    QueueId b = enqueue("b@example.com");
    advance(Duration.ofSeconds(1));
    QueueId c = enqueue("c@example.com");
    List<ClaimedMessage> first = store.claimDue(now(), 2, LEASE);
    assertEquals(List.of(a, b), first.stream().map(m -> m.message().id()).toList());
    for (ClaimedMessage m : first) {
      assertEquals(now().plus(LEASE), m.lease().expiresAt());
      assertEquals(MessageStatus.ACTIVE, get(m.message().id()).status());
    }
    List<ClaimedMessage> second = store.claimDue(now(), 10, LEASE);
    assertEquals(List.of(c), second.stream().map(m -> m.message().id()).toList());
    assertEquals(List.of(), store.claimDue(now(), 10, LEASE));
  }

  @Test
  void expiredLeaseMakesTheMessageDueAgainAndTheOldLeaseStale() throws Exception {
    QueueId id = enqueue("a@example.com");
    ClaimedMessage first = claimOne();
    assertEquals(Optional.of(first.lease().expiresAt()), store.nextDueTime(now()));
    advance(LEASE.minusSeconds(1));
    assertEquals(List.of(), store.claimDue(now(), 10, LEASE));
    advance(Duration.ofSeconds(1));
    ClaimedMessage second = claimOne();
    assertEquals(id, second.message().id());
    assertNotEquals(first.lease().token(), second.lease().token());
    Lease stale = first.lease();
    assertThrows(LeaseLostException.class, () -> store.renewLease(stale, LEASE, now()));
    assertThrows(LeaseLostException.class, () -> store.releaseLease(stale, now()));
    LeaseLostException e = assertThrows(LeaseLostException.class, () -> store.recordAttempt(stale,
        DeliveryAttempt.of(List.of(RecipientOutcome.deferred(mb("a@example.com"), LATER, "mx", FailureClass.OTHER)),
            now().plusSeconds(60)), now()));
    assertEquals(List.of(), e.recordedAnyway());
    assertEquals(RecipientState.PENDING, get(id).recipients().get(0).state(), "a stale lease changes nothing");
    // the new lease still works
    store.releaseLease(second.lease(), now());
  }

  @Test
  void renewedLeaseOutlivesTheOriginalDuration() throws Exception {
    enqueue("a@example.com");
    ClaimedMessage c = claimOne();
    advance(Duration.ofMinutes(4));
    Lease renewed = store.renewLease(c.lease(), LEASE, now());
    assertEquals(now().plus(LEASE), renewed.expiresAt());
    advance(Duration.ofMinutes(4));
    assertEquals(List.of(), store.claimDue(now(), 10, LEASE), "renewed lease still live");
    store.recordAttempt(renewed, DeliveryAttempt.of(List.of(RecipientOutcome.delivered(mb("a@example.com"), OK, "mx"))), now());
    store.complete(renewed, now());
    assertEquals(0, store.counts(now()).messages());
  }

  @Test
  void staleLeaseStillRecordsDeliveredButNothingElse() throws Exception {
    QueueId id = enqueue("a@example.com", "b@example.com", "c@example.com");
    ClaimedMessage c = claimOne();
    advance(LEASE.plusSeconds(1));
    LeaseLostException e = assertThrows(LeaseLostException.class, () -> store.recordAttempt(c.lease(),
        DeliveryAttempt.of(List.of(
            RecipientOutcome.delivered(mb("a@example.com"), OK, "mx1"),
            RecipientOutcome.deferred(mb("b@example.com"), LATER, "mx1", FailureClass.THROTTLED),
            RecipientOutcome.failed(mb("c@example.com"), NO_USER, "mx1", FailureClass.UNKNOWN_RECIPIENT)),
            now().plus(Duration.ofHours(1))), now()));
    assertEquals(List.of(mb("a@example.com")), e.recordedAnyway());
    QueuedMessage q = get(id);
    assertEquals(RecipientState.DELIVERED, q.recipients().get(0).state());
    assertEquals(Optional.of("mx1"), q.recipients().get(0).remoteMta());
    assertEquals(RecipientState.PENDING, q.recipients().get(1).state());
    assertEquals(RecipientState.PENDING, q.recipients().get(2).state());
    assertFalse(q.nextAttemptAt().isAfter(now()), "the stale attempt's next attempt time is not applied");
    // the next worker only has b and c left to do
    ClaimedMessage again = claimOne();
    assertEquals(RecipientState.DELIVERED, again.message().recipients().get(0).state());
  }

  @Test
  void completeNeedsEveryRecipientFinal() throws Exception {
    QueueId id = enqueue("a@example.com", "b@example.com");
    ClaimedMessage c = claimOne();
    store.recordAttempt(c.lease(), DeliveryAttempt.of(List.of(RecipientOutcome.delivered(mb("a@example.com"), OK, "mx"))), now());
    assertThrows(IllegalStateException.class, () -> store.complete(c.lease(), now()));
    store.recordAttempt(c.lease(), DeliveryAttempt.of(List.of(RecipientOutcome.failed(mb("b@example.com"), NO_USER, "mx",
        FailureClass.UNKNOWN_RECIPIENT))), now());
    assertEquals(MessageStatus.ACTIVE, get(id).status());
    store.complete(c.lease(), now());
    assertEquals(Optional.empty(), store.find(id, now()));
    assertThrows(NoSuchMessageException.class, () -> store.openContent(id));
    assertThrows(LeaseLostException.class, () -> store.complete(c.lease(), now()));
  }

  // ---------------------------------------------------------------- batched recording

  private Map<QueueId, ClaimedMessage> claimAll(int expected) throws IOException {
    Map<QueueId, ClaimedMessage> byId = new HashMap<>();
    for (ClaimedMessage c : store.claimDue(now(), 100, LEASE)) {
      byId.put(c.message().id(), c);
    }
    assertEquals(expected, byId.size(), "claimed messages");
    return byId;
  }

  @Test
  void recordAttemptsCompletesFinishedMessagesAndKeepsTheOthersDurably() throws Exception {
    QueueId done = enqueue("a@example.com");
    QueueId partly = enqueue("a@example.com", "b@example.com");
    QueueId failed = enqueue("c@example.com");
    QueueId kept = enqueue("d@example.com");
    Map<QueueId, ClaimedMessage> c = claimAll(4);
    Instant retryAt = now().plus(Duration.ofMinutes(15));
    List<RecordedAttempt> results = store.recordAttempts(List.of(
        new AttemptRecord(c.get(done).lease(),
            DeliveryAttempt.of(List.of(RecipientOutcome.delivered(mb("a@example.com"), OK, "mx"))), true),
        new AttemptRecord(c.get(partly).lease(), DeliveryAttempt.of(List.of(
            RecipientOutcome.delivered(mb("a@example.com"), OK, "mx"),
            RecipientOutcome.deferred(mb("b@example.com"), LATER, "mx", FailureClass.THROTTLED)), retryAt), true),
        new AttemptRecord(c.get(failed).lease(), DeliveryAttempt.of(List.of(
            RecipientOutcome.failed(mb("c@example.com"), NO_USER, "mx", FailureClass.UNKNOWN_RECIPIENT))), true),
        new AttemptRecord(c.get(kept).lease(),
            DeliveryAttempt.of(List.of(RecipientOutcome.delivered(mb("d@example.com"), OK, "mx"))), false)),
        now());
    assertEquals(4, results.size());
    assertEquals(c.get(done).lease(), results.get(0).lease());
    assertTrue(results.get(0).completed(), "every recipient delivered: removed");
    assertEquals(RecipientState.DELIVERED, results.get(0).message().orElseThrow().recipients().get(0).state());
    assertFalse(results.get(1).completed(), "a deferred recipient keeps the message");
    assertEquals(RecipientState.DEFERRED, results.get(1).message().orElseThrow().recipients().get(1).state());
    assertFalse(results.get(2).completed(), "a failed recipient without its bounce keeps the message");
    assertTrue(results.get(2).message().orElseThrow().allFinal());
    assertFalse(results.get(3).completed(), "completeIfDone=false keeps the message");
    for (RecordedAttempt r : results) {
      assertEquals(Optional.empty(), r.leaseLost());
    }
    assertEquals(Optional.empty(), store.find(done, now()));
    assertThrows(LeaseLostException.class, () -> store.complete(c.get(done).lease(), now()));
    // the kept messages are still leased by the same leases
    store.markNotified(c.get(failed).lease(), Notification.BOUNCE, List.of(mb("c@example.com")), now());
    store.complete(c.get(failed).lease(), now());
    store.complete(c.get(kept).lease(), now());
    store.releaseLease(c.get(partly).lease(), now());
    restart();
    assertEquals(Optional.empty(), store.find(done, now()), "the removal is durable");
    assertEquals(Optional.empty(), store.find(failed, now()));
    assertEquals(Optional.empty(), store.find(kept, now()));
    QueuedMessage p = get(partly);
    assertEquals(RecipientState.DELIVERED, p.recipients().get(0).state(), "the attempt is durable");
    assertEquals(RecipientState.DEFERRED, p.recipients().get(1).state());
    assertEquals(retryAt.toEpochMilli(), p.nextAttemptAt().toEpochMilli());
  }

  @Test
  void recordAttemptsDoesNotCompleteAMessageForceBouncedMeanwhile() throws Exception {
    QueueId id = enqueue("a@example.com", "b@example.com");
    ClaimedMessage c = claimOne();
    assertTrue(store.forceBounce(id, now()));
    List<RecordedAttempt> results = store.recordAttempts(List.of(new AttemptRecord(c.lease(), DeliveryAttempt.of(List.of(
        RecipientOutcome.delivered(mb("a@example.com"), OK, "mx"),
        RecipientOutcome.delivered(mb("b@example.com"), OK, "mx"))), true)), now());
    assertFalse(results.get(0).completed(), "the forced failures still need their bounce");
    assertEquals(MessageStatus.ACTIVE, get(id).status());
    store.markNotified(c.lease(), Notification.BOUNCE, List.of(mb("a@example.com"), mb("b@example.com")), now());
    store.complete(c.lease(), now());
  }

  @Test
  void recordAttemptsReportsAStaleLeaseWithoutFailingTheBatch() throws Exception {
    QueueId stale = enqueue("a@example.com", "b@example.com");
    ClaimedMessage first = claimOne();
    advance(LEASE.plusSeconds(1));
    QueueId fresh = enqueue("c@example.com");
    Map<QueueId, ClaimedMessage> c = claimAll(2);
    List<RecordedAttempt> results = store.recordAttempts(List.of(
        new AttemptRecord(first.lease(), DeliveryAttempt.of(List.of(
            RecipientOutcome.delivered(mb("a@example.com"), OK, "mx"),
            RecipientOutcome.failed(mb("b@example.com"), NO_USER, "mx", FailureClass.UNKNOWN_RECIPIENT))), true),
        new AttemptRecord(c.get(fresh).lease(),
            DeliveryAttempt.of(List.of(RecipientOutcome.delivered(mb("c@example.com"), OK, "mx"))), true)),
        now());
    LeaseLostException e = results.get(0).leaseLost().orElseThrow(() -> new AssertionError("stale lease accepted"));
    assertEquals(List.of(mb("a@example.com")), e.recordedAnyway());
    assertFalse(results.get(0).completed());
    assertEquals(Optional.empty(), results.get(0).message());
    assertTrue(results.get(1).completed(), "the other entry proceeds");
    QueuedMessage q = get(stale);
    assertEquals(RecipientState.DELIVERED, q.recipients().get(0).state(), "a 250 is never thrown away");
    assertEquals(RecipientState.PENDING, q.recipients().get(1).state(), "nothing else from a stale lease");
    assertEquals(Optional.empty(), store.find(fresh, now()));
    store.releaseLease(c.get(stale).lease(), now());
  }

  @Test
  void recordAttemptsRefusesTwoEntriesForOneMessageAndUnknownRecipients() throws Exception {
    QueueId id = enqueue("a@example.com");
    ClaimedMessage c = claimOne();
    AttemptRecord ok = new AttemptRecord(c.lease(),
        DeliveryAttempt.of(List.of(RecipientOutcome.delivered(mb("a@example.com"), OK, "mx"))), true);
    IllegalArgumentException dup =
        assertThrows(IllegalArgumentException.class, () -> store.recordAttempts(List.of(ok, ok), now()));
    assertTrue(dup.getMessage().contains(id.toString()), dup.getMessage());
    assertEquals(RecipientState.PENDING, get(id).recipients().get(0).state(), "nothing recorded");
    assertThrows(IllegalArgumentException.class, () -> store.recordAttempts(List.of(new AttemptRecord(c.lease(),
        DeliveryAttempt.of(List.of(RecipientOutcome.delivered(mb("z@example.com"), OK, "mx"))), true)), now()));
    assertEquals(List.of(), store.recordAttempts(List.of(), now()));
    assertTrue(store.recordAttempts(List.of(ok), now()).get(0).completed());
  }

  @Test
  void deferralRecordsAttemptAndSchedulesTheNextOne() throws Exception {
    QueueId id = enqueue("a@example.com", "b@example.com");
    Instant t0 = now();
    ClaimedMessage c = claimOne();
    Instant next = t0.plus(Duration.ofMinutes(15));
    QueuedMessage after = store.recordAttempt(c.lease(), DeliveryAttempt.of(List.of(
        RecipientOutcome.delivered(mb("a@example.com"), OK, "mx.example.com"),
        RecipientOutcome.deferred(mb("b@example.com"), LATER, "mx.example.com", FailureClass.THROTTLED)), next), now());
    RecipientRecord b = after.recipients().get(1);
    assertEquals(RecipientState.DEFERRED, b.state());
    assertEquals(1, b.attempts());
    assertEquals(Optional.of(t0), b.firstAttemptAt());
    assertEquals(Optional.of(t0), b.lastAttemptAt());
    assertEquals(451, b.lastReply().orElseThrow().code());
    assertEquals(Optional.of("mx.example.com"), b.remoteMta());
    assertEquals(FailureClass.THROTTLED, b.failureClass());
    store.releaseLease(c.lease(), now());
    assertEquals(MessageStatus.DEFERRED, get(id).status());
    assertEquals(Optional.of(next), store.nextDueTime(now()));
    advance(Duration.ofMinutes(14));
    assertEquals(List.of(), store.claimDue(now(), 10, LEASE));
    advance(Duration.ofMinutes(1));
    ClaimedMessage second = claimOne();
    QueuedMessage done = store.recordAttempt(second.lease(),
        DeliveryAttempt.of(List.of(RecipientOutcome.delivered(mb("b@example.com"), OK, "mx2.example.com"))), now());
    RecipientRecord b2 = done.recipients().get(1);
    assertEquals(2, b2.attempts());
    assertEquals(Optional.of(t0), b2.firstAttemptAt());
    assertEquals(Optional.of(now()), b2.lastAttemptAt());
    assertTrue(done.allFinal());
    store.complete(second.lease(), now());
  }

  @Test
  void finalStatesNeverChange() throws Exception {
    QueueId id = enqueue("a@example.com");
    ClaimedMessage c = claimOne();
    store.recordAttempt(c.lease(), DeliveryAttempt.of(List.of(RecipientOutcome.failed(mb("a@example.com"), NO_USER, "mx",
        FailureClass.UNKNOWN_RECIPIENT))), now());
    QueuedMessage q = store.recordAttempt(c.lease(), DeliveryAttempt.of(List.of(
        RecipientOutcome.delivered(mb("a@example.com"), OK, "mx"))), now());
    assertEquals(RecipientState.FAILED, q.recipients().get(0).state());
    assertEquals(1, q.recipients().get(0).attempts());
    assertEquals(RecipientState.FAILED, get(id).recipients().get(0).state());
  }

  @Test
  void outcomeForAStrangerIsRejected() throws Exception {
    enqueue("a@example.com");
    ClaimedMessage c = claimOne();
    assertThrows(IllegalArgumentException.class, () -> store.recordAttempt(c.lease(),
        DeliveryAttempt.of(List.of(RecipientOutcome.delivered(mb("x@example.com"), OK, "mx"))), now()));
  }

  @Test
  void notificationFlagsAreRecorded() throws Exception {
    QueueId id = enqueue("a@example.com", "b@example.com");
    ClaimedMessage c = claimOne();
    store.recordAttempt(c.lease(), DeliveryAttempt.of(List.of(
        RecipientOutcome.failed(mb("a@example.com"), NO_USER, "mx", FailureClass.UNKNOWN_RECIPIENT),
        RecipientOutcome.deferred(mb("b@example.com"), LATER, "mx", FailureClass.OTHER)), now().plusSeconds(900)), now());
    assertThrows(IllegalStateException.class,
        () -> store.markNotified(c.lease(), Notification.BOUNCE, List.of(mb("b@example.com")), now()));
    store.markNotified(c.lease(), Notification.BOUNCE, List.of(mb("a@example.com")), now());
    QueuedMessage q = store.markNotified(c.lease(), Notification.DELAY_WARNING, List.of(mb("b@example.com")), now());
    assertTrue(q.recipients().get(0).bounceSent());
    assertFalse(q.recipients().get(0).delayWarningSent());
    assertTrue(q.recipients().get(1).delayWarningSent());
    assertFalse(q.recipients().get(1).bounceSent());
    assertTrue(get(id).recipients().get(1).delayWarningSent());
  }

  // ---------------------------------------------------------------- administration

  @Test
  void heldMessagesAreNotClaimedUntilReleased() throws Exception {
    QueueId id = enqueue("a@example.com");
    assertTrue(store.hold(id, now()));
    assertEquals(MessageStatus.HELD, get(id).status());
    assertEquals(List.of(), store.claimDue(now(), 10, LEASE));
    assertEquals(Optional.empty(), store.nextDueTime(now()));
    assertTrue(store.releaseHold(id, now()));
    assertEquals(id, claimOne().message().id());
  }

  @Test
  void retryNowMakesDeferredMessagesDue() throws Exception {
    QueueId a = enqueue("a@example.com");
    QueueId b = enqueue("b@example.com");
    for (ClaimedMessage c : store.claimDue(now(), 10, LEASE)) {
      store.recordAttempt(c.lease(), DeliveryAttempt.of(List.of(RecipientOutcome.deferred(
          c.message().recipients().get(0).mailbox(), LATER, "mx", FailureClass.OTHER)), now().plus(Duration.ofHours(1))), now());
      store.releaseLease(c.lease(), now());
    }
    assertEquals(List.of(), store.claimDue(now(), 10, LEASE));
    assertTrue(store.retryNow(a, now()));
    assertEquals(a, claimOne().message().id());
    assertTrue(store.retryAllNow(now()) >= 1);
    assertEquals(b, claimOne().message().id());
  }

  @Test
  void deleteRemovesAndStalesTheLease() throws Exception {
    QueueId id = enqueue("a@example.com");
    ClaimedMessage c = claimOne();
    assertTrue(store.delete(id, now()));
    assertEquals(Optional.empty(), store.find(id, now()));
    assertThrows(LeaseLostException.class, () -> store.releaseLease(c.lease(), now()));
    assertFalse(store.delete(id, now()));
    assertEquals(0, store.counts(now()).messages());
  }

  @Test
  void forceBounceFailsOpenRecipientsAndMakesItDue() throws Exception {
    QueueId id = enqueue("a@example.com", "b@example.com");
    ClaimedMessage c = claimOne();
    store.recordAttempt(c.lease(), DeliveryAttempt.of(List.of(
        RecipientOutcome.delivered(mb("a@example.com"), OK, "mx"),
        RecipientOutcome.deferred(mb("b@example.com"), LATER, "mx", FailureClass.OTHER)), now().plus(Duration.ofHours(2))), now());
    store.releaseLease(c.lease(), now());
    store.hold(id, now());
    assertTrue(store.forceBounce(id, now()));
    QueuedMessage q = get(id);
    assertEquals(RecipientState.DELIVERED, q.recipients().get(0).state());
    assertEquals(RecipientState.FAILED, q.recipients().get(1).state());
    assertEquals(FailureClass.ADMINISTRATIVE, q.recipients().get(1).failureClass());
    assertEquals(MessageStatus.FINISHED, q.status());
    ClaimedMessage again = claimOne();
    store.markNotified(again.lease(), Notification.BOUNCE, List.of(mb("b@example.com")), now());
    store.complete(again.lease(), now());
  }

  @Test
  void listFiltersAndPages() throws Exception {
    List<QueueId> acme = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      NewMessage.Builder b = NewMessage.builder(mb("s@example.org")).tenant(i % 2 == 0 ? "acme" : "globex");
      if (i % 5 == 0) {
        b.tag("vip");
      }
      QueueId id = enqueue(b, new byte[] {'x'}, "r" + i + "@" + (i < 10 ? "gmail.com" : "example.com"));
      if (i % 2 == 0) {
        acme.add(id);
      }
    }
    List<QueueId> seen = new ArrayList<>();
    Optional<QueueId> cursor = Optional.empty();
    int pages = 0;
    do {
      QueueQuery.Builder q = QueueQuery.builder().tenant("acme").limit(5);
      cursor.ifPresent(q::after);
      QueuePage page = store.list(q.build(), now());
      page.messages().forEach(m -> seen.add(m.id()));
      cursor = page.next();
      pages++;
    } while (cursor.isPresent() && pages < 10);
    assertEquals(acme, seen);
    assertEquals(3, pages);
    assertEquals(5, store.list(QueueQuery.builder().tag("vip").build(), now()).messages().size());
    assertEquals(10, store.list(QueueQuery.builder().recipientDomain("GMAIL.com").build(), now()).messages().size());
    store.hold(acme.get(0), now());
    assertEquals(List.of(acme.get(0)), store.list(QueueQuery.builder().status(MessageStatus.HELD).build(), now())
        .messages().stream().map(QueuedMessage::id).toList());
  }

  /**
   * Paging through a big queue with the cursor while other threads (and the pager itself, between
   * pages) enqueue and complete messages: every message that is in the queue for the whole walk is
   * listed exactly once, nothing is listed twice, and nothing listed was never enqueued.
   */
  @Test
  void listPagingVisitsEveryMessageOnceWhileTheQueueChanges() throws Exception {
    int preload = 150;
    int pageSize = 7;
    Random rnd = new Random(424242);
    Set<QueueId> preloaded = new HashSet<>();
    Set<QueueId> everEnqueued = ConcurrentHashMap.newKeySet();
    for (int i = 0; i < preload; i++) {
      QueueId id = enqueue("p" + i + "@example.com");
      preloaded.add(id);
      everEnqueued.add(id);
    }
    // lease every preloaded message for an hour: a completer needs the lease, and nothing else claims them
    List<ClaimedMessage> claimed = new ArrayList<>();
    for (List<ClaimedMessage> batch; !(batch = store.claimDue(now(), 100, Duration.ofHours(1))).isEmpty(); ) {
      claimed.addAll(batch);
    }
    assertEquals(preload, claimed.size());
    Collections.shuffle(claimed, rnd);
    java.util.concurrent.ConcurrentLinkedDeque<ClaimedMessage> completable = new java.util.concurrent.ConcurrentLinkedDeque<>(
        claimed.subList(0, preload / 2)); // the other half stays in the queue throughout
    Set<QueueId> completed = ConcurrentHashMap.newKeySet();
    java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
    Instant t = now();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<?> producer = pool.submit(() -> {
        for (int i = 0; i < 120 && !done.get(); i++) {
          everEnqueued.add(store.enqueue(NewMessage.builder(mb("s@example.org")).recipient(mb("n" + i + "@example.com")).build(),
              MessageContent.of(new byte[] {'n'}), t));
        }
        return null;
      });
      Future<?> completer = pool.submit(() -> {
        for (ClaimedMessage c; !done.get() && (c = completable.pollFirst()) != null; ) {
          complete(c, t);
          completed.add(c.message().id());
        }
        return null;
      });
      List<QueueId> seen = new ArrayList<>();
      Optional<QueueId> cursor = Optional.empty();
      int pages = 0;
      do {
        QueueQuery.Builder q = QueueQuery.builder().limit(pageSize);
        cursor.ifPresent(q::after);
        QueuePage page = store.list(q.build(), t);
        assertTrue(page.messages().size() <= pageSize, "page larger than its limit");
        page.messages().forEach(m -> seen.add(m.id()));
        cursor = page.next();
        // between pages the pager itself changes the queue too, ahead of and behind the cursor
        everEnqueued.add(store.enqueue(NewMessage.builder(mb("s@example.org")).recipient(mb("between" + pages + "@example.com")).build(),
            MessageContent.of(new byte[] {'b'}), t));
        ClaimedMessage c = completable.pollLast();
        if (c != null) {
          complete(c, t);
          completed.add(c.message().id());
        }
        pages++;
      } while (cursor.isPresent() && pages < 2_000);
      done.set(true);
      producer.get(120, TimeUnit.SECONDS);
      completer.get(120, TimeUnit.SECONDS);
      assertTrue(cursor.isEmpty(), "paging did not end after " + pages + " pages");

      Set<QueueId> unique = new HashSet<>(seen);
      List<QueueId> twice = new ArrayList<>(seen);
      unique.forEach(twice::remove);
      assertEquals(List.of(), twice, "listed more than once");
      Set<QueueId> strangers = new HashSet<>(unique);
      strangers.removeAll(everEnqueued);
      assertEquals(Set.of(), strangers, "listed but never enqueued");
      Set<QueueId> mustSee = new HashSet<>(preloaded);
      mustSee.removeAll(completed);
      assertTrue(mustSee.size() >= preload / 2, "the test must leave messages in the queue throughout");
      Set<QueueId> missed = new HashSet<>(mustSee);
      missed.removeAll(unique);
      assertEquals(Set.of(), missed, "in the queue throughout but never listed");
      assertTrue(completed.size() > 0, "nothing was completed during the walk");
    } finally {
      done.set(true);
      pool.shutdownNow();
    }
  }

  private void complete(ClaimedMessage c, Instant t) throws IOException {
    Mailbox r = c.message().recipients().get(0).mailbox();
    store.recordAttempt(c.lease(), DeliveryAttempt.of(List.of(RecipientOutcome.delivered(r, OK, "mx"))), t);
    store.complete(c.lease(), t);
  }

  @Test
  void countsAddUp() throws Exception {
    enqueue("a@example.com", "b@example.com");
    QueueId held = enqueue("c@example.com");
    enqueue("d@example.com");
    store.hold(held, now());
    ClaimedMessage c = claimOne();
    store.recordAttempt(c.lease(), DeliveryAttempt.of(List.of(
        RecipientOutcome.delivered(mb("a@example.com"), OK, "mx"),
        RecipientOutcome.deferred(mb("b@example.com"), LATER, "mx", FailureClass.OTHER)), now().plusSeconds(60)), now());
    QueueCounts counts = store.counts(now());
    assertEquals(3, counts.messages());
    assertEquals(1, counts.count(MessageStatus.ACTIVE));
    assertEquals(1, counts.count(MessageStatus.HELD));
    assertEquals(1, counts.count(MessageStatus.QUEUED));
    assertEquals(1, counts.recipients(RecipientState.DELIVERED));
    assertEquals(1, counts.recipients(RecipientState.DEFERRED));
    assertEquals(2, counts.recipients(RecipientState.PENDING));
    store.releaseLease(c.lease(), now());
    assertEquals(1, store.counts(now()).count(MessageStatus.DEFERRED));
  }

  @Test
  void nextDueTimeFollowsTheEarliestMessage() throws Exception {
    assertEquals(Optional.empty(), store.nextDueTime(now()));
    Instant t0 = now();
    enqueue("a@example.com");
    assertEquals(Optional.of(t0), store.nextDueTime(now()));
  }

  // ---------------------------------------------------------------- restart

  @Test
  void restartKeepsEverythingAcknowledged() throws Exception {
    byte[] content = new byte[100_000];
    new Random(3).nextBytes(content);
    QueueId a = enqueue(NewMessage.builder(mb("s@example.org")).tenant("t").tag("x").envId("E1").idempotencyKey("key-a"),
        content, "a@example.com", "b@example.com");
    QueueId b = enqueue("c@example.com");
    QueueId gone = enqueue("d@example.com");
    store.hold(b, now());
    for (ClaimedMessage c : store.claimDue(now(), 10, LEASE)) {
      if (c.message().id().equals(a)) {
        store.recordAttempt(c.lease(), DeliveryAttempt.of(List.of(
            RecipientOutcome.delivered(mb("a@example.com"), OK, "mx"),
            RecipientOutcome.deferred(mb("b@example.com"), LATER, "mx", FailureClass.OTHER)), now().plusSeconds(600)), now());
        store.markNotified(c.lease(), Notification.DELAY_WARNING, List.of(mb("b@example.com")), now());
        store.releaseLease(c.lease(), now());
      } else {
        store.recordAttempt(c.lease(), DeliveryAttempt.of(List.of(RecipientOutcome.delivered(mb("d@example.com"), OK, "mx"))), now());
        store.complete(c.lease(), now());
      }
    }
    QueuedMessage before = get(a);
    restart();
    QueuedMessage after = get(a);
    assertEquals(before, after);
    assertArrayEquals(content, read(store, a));
    assertTrue(get(b).held());
    assertEquals(Optional.empty(), store.find(gone, now()));
    assertEquals(a, enqueue(NewMessage.builder(mb("s@example.org")).idempotencyKey("key-a"), new byte[1], "z@example.com"));
    QueueId fresh = enqueue("e@example.com");
    assertFalse(Set.of(a, b, gone).contains(fresh), "ids are not reused after a restart");
    assertEquals(3, store.counts(now()).messages());
  }

  // ---------------------------------------------------------------- concurrency

  @Test
  void concurrentEnqueuesAndClaimsNeverShareAMessage() throws Exception {
    int producers = 4;
    int perProducer = 50;
    ExecutorService pool = Executors.newFixedThreadPool(producers + 3);
    try {
      Set<QueueId> acknowledged = ConcurrentHashMap.newKeySet();
      Map<QueueId, String> claimedBy = new ConcurrentHashMap<>();
      List<String> errors = Collections.synchronizedList(new ArrayList<>());
      List<Future<?>> futures = new ArrayList<>();
      Instant t = now();
      for (int p = 0; p < producers; p++) {
        int pp = p;
        futures.add(pool.submit(() -> {
          for (int i = 0; i < perProducer; i++) {
            NewMessage m = NewMessage.builder(mb("s@example.org")).recipient(mb("r" + pp + "x" + i + "@example.com")).build();
            acknowledged.add(store.enqueue(m, MessageContent.of(("m" + pp + "/" + i).getBytes()), t));
          }
          return null;
        }));
      }
      for (int w = 0; w < 3; w++) {
        String worker = "w" + w;
        futures.add(pool.submit(() -> {
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
          while (claimedBy.size() < producers * perProducer && System.nanoTime() < deadline) {
            for (ClaimedMessage c : store.claimDue(t, 7, Duration.ofHours(1))) {
              String prev = claimedBy.putIfAbsent(c.message().id(), worker);
              if (prev != null) {
                errors.add(c.message().id() + " claimed by " + prev + " and " + worker);
              }
              Mailbox r = c.message().recipients().get(0).mailbox();
              store.recordAttempt(c.lease(), DeliveryAttempt.of(List.of(RecipientOutcome.delivered(r, OK, "mx"))), t);
              store.complete(c.lease(), t);
            }
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get(120, TimeUnit.SECONDS);
      }
      assertEquals(List.of(), errors);
      assertEquals(producers * perProducer, acknowledged.size());
      assertEquals(acknowledged, claimedBy.keySet());
      assertEquals(0, store.counts(now()).messages());
    } finally {
      pool.shutdownNow();
    }
  }

  // ---------------------------------------------------------------- seeded random walk

  /** The walk's view of one acknowledged message. */
  private static final class Model {
    final QueueId id;
    final long crc;
    final int size;
    final Map<Mailbox, RecipientState> states = new LinkedHashMap<>();
    final Map<Mailbox, Boolean> bounced = new HashMap<>();
    boolean held;

    Model(QueueId id, long crc, int size, List<Mailbox> rcpts) {
      this.id = id;
      this.crc = crc;
      this.size = size;
      rcpts.forEach(r -> {
        states.put(r, RecipientState.PENDING);
        bounced.put(r, false);
      });
    }

    boolean allFinal() {
      return states.values().stream().allMatch(RecipientState::isFinal);
    }
  }

  /**
   * A seeded random walk of enqueue, claim, record, notify, release, complete, lease expiry, admin
   * actions and restarts, checking after every step that no acknowledged message is lost, no message
   * has two live leases, recipient states only move forward and the counts add up.
   *
   * @param seed the seed (printed on failure)
   */
  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1L, 2L, 3L, 20260105L, 987654321L})
  void randomWalkKeepsTheInvariants(long seed) throws Exception {
    int steps = walkSteps();
    List<String> trail = new ArrayList<>();
    try {
      walk(new Random(seed), steps, trail);
    } catch (AssertionError | Exception e) {
      List<String> last = trail.subList(Math.max(0, trail.size() - 15), trail.size());
      throw new AssertionError("random walk failed with seed " + seed + " (rerun this seed to reproduce); last steps:\n  "
          + String.join("\n  ", last) + "\n" + e, e);
    }
  }

  /**
   * The number of steps per seed of the random walk.
   *
   * @return 400 by default
   */
  protected int walkSteps() {
    return 400;
  }

  /** Whether the walk may restart the store (override to false for stores that cannot). */
  protected boolean walkRestarts() {
    return true;
  }

  private void walk(Random rnd, int steps, List<String> trail) throws Exception {
    Map<QueueId, Model> live = new LinkedHashMap<>();
    Set<QueueId> finished = new HashSet<>();
    Map<QueueId, Lease> leases = new HashMap<>();
    List<Lease> stale = new ArrayList<>();
    List<Lease> orphaned = new ArrayList<>(); // held by a "worker" that died in a restart
    String[] domains = {"a.example", "b.example", "c.example"};
    for (int step = 0; step < steps; step++) {
      int action = rnd.nextInt(100);
      if (action < 22) {
        int n = 1 + rnd.nextInt(3);
        List<Mailbox> rcpts = new ArrayList<>();
        NewMessage.Builder b = NewMessage.builder(rnd.nextInt(10) == 0 ? Mailbox.NULL : mb("s@example.org"));
        for (int i = 0; i < n; i++) {
          Mailbox r = mb("u" + step + "x" + i + "@" + domains[rnd.nextInt(domains.length)]);
          rcpts.add(r);
          b.recipient(r);
        }
        if (rnd.nextInt(4) == 0) {
          b.tenant("t" + rnd.nextInt(3));
        }
        byte[] content = new byte[rnd.nextInt(5000)];
        rnd.nextBytes(content);
        CRC32C crc = new CRC32C();
        crc.update(content);
        QueueId id = store.enqueue(b.build(), MessageContent.of(content), now());
        trail.add(step + ": enqueue " + id + " " + rcpts);
        assertFalse(live.containsKey(id) || finished.contains(id), "id reused: " + id);
        live.put(id, new Model(id, crc.getValue(), content.length, rcpts));
      } else if (action < 40) {
        int max = 1 + rnd.nextInt(4);
        Duration d = Duration.ofMinutes(1 + rnd.nextInt(10));
        List<ClaimedMessage> claimed = store.claimDue(now(), max, d);
        trail.add(step + ": claim " + claimed.stream().map(c -> c.message().id().value()).toList());
        assertTrue(claimed.size() <= max, "claimed more than max");
        for (ClaimedMessage c : claimed) {
          QueueId id = c.message().id();
          Lease mine = leases.get(id);
          if (mine != null && mine.isLiveAt(now())) {
            fail("two live leases on " + id + ": " + mine + " and " + c.lease());
          }
          if (mine != null) {
            stale.add(mine);
          }
          Model m = live.get(id);
          assertTrue(m != null, "claimed a message that is not live: " + id);
          assertFalse(m.held, "claimed a held message: " + id);
          checkStates(m, c.message());
          leases.put(id, c.lease());
        }
      } else if (action < 58 && !leases.isEmpty()) {
        QueueId id = pick(rnd, leases.keySet());
        Lease lease = leases.get(id);
        Model m = live.get(id);
        List<RecipientOutcome> outcomes = new ArrayList<>();
        for (Map.Entry<Mailbox, RecipientState> e : m.states.entrySet()) {
          if (e.getValue().isFinal() && rnd.nextInt(4) != 0) {
            continue;
          }
          if (rnd.nextInt(3) == 0) {
            continue;
          }
          outcomes.add(switch (rnd.nextInt(4)) {
            case 0, 1 -> RecipientOutcome.delivered(e.getKey(), OK, "mx");
            case 2 -> RecipientOutcome.deferred(e.getKey(), LATER, "mx", FailureClass.THROTTLED);
            default -> RecipientOutcome.failed(e.getKey(), NO_USER, "mx", FailureClass.UNKNOWN_RECIPIENT);
          });
        }
        if (outcomes.isEmpty()) {
          continue;
        }
        DeliveryAttempt attempt = DeliveryAttempt.of(outcomes, now().plus(Duration.ofMinutes(rnd.nextInt(30))));
        boolean valid = lease.isLiveAt(now());
        trail.add(step + ": record " + id + (valid ? "" : " (stale)") + " " + outcomes.stream().map(o -> o.recipient() + "=" + o.state()).toList());
        try {
          QueuedMessage after = store.recordAttempt(lease, attempt, now());
          assertTrue(valid, "a lapsed lease was accepted for " + id);
          for (RecipientOutcome o : outcomes) {
            if (m.states.get(o.recipient()).canMoveTo(o.state())) {
              m.states.put(o.recipient(), o.state());
            }
          }
          checkStates(m, after);
        } catch (LeaseLostException e) {
          assertFalse(valid, "a live lease was refused: " + e.getMessage());
          for (RecipientOutcome o : outcomes) {
            if (o.state() == RecipientState.DELIVERED && m.states.get(o.recipient()).canMoveTo(o.state())) {
              m.states.put(o.recipient(), o.state());
            }
          }
          leases.remove(id);
          stale.add(lease);
        }
      } else if (action < 64 && !leases.isEmpty()) {
        QueueId id = pick(rnd, leases.keySet());
        Lease lease = leases.remove(id);
        Model m = live.get(id);
        List<Mailbox> bounce = m.states.entrySet().stream()
            .filter(e -> (e.getValue() == RecipientState.FAILED) && !m.bounced.get(e.getKey())).map(Map.Entry::getKey).toList();
        boolean valid = lease.isLiveAt(now());
        trail.add(step + ": finish " + id + (valid ? "" : " (stale)") + " allFinal=" + m.allFinal() + " bounce " + bounce);
        try {
          if (!bounce.isEmpty()) {
            try {
              store.markNotified(lease, Notification.BOUNCE, bounce, now());
            } finally {
              bounce.forEach(r -> m.bounced.put(r, true)); // forward-only: recorded even on a stale lease
            }
          }
          if (m.allFinal()) {
            store.complete(lease, now());
            live.remove(id);
            finished.add(id);
          } else {
            store.releaseLease(lease, now());
          }
          assertTrue(valid, "a lapsed lease was accepted for " + id);
        } catch (LeaseLostException e) {
          assertFalse(valid, "a live lease was refused: " + e.getMessage());
          stale.add(lease);
        }
      } else if (action < 67 && !stale.isEmpty()) {
        Lease lease = stale.get(rnd.nextInt(stale.size()));
        trail.add(step + ": renew stale " + lease.id());
        assertThrows(LeaseLostException.class, () -> store.renewLease(lease, LEASE, now()), "stale lease renewed");
      } else if (action < 72 && !leases.isEmpty()) {
        QueueId id = pick(rnd, leases.keySet());
        Lease lease = leases.get(id);
        trail.add(step + ": renew " + id);
        if (lease.isLiveAt(now())) {
          leases.put(id, store.renewLease(lease, Duration.ofMinutes(1 + rnd.nextInt(10)), now()));
        } else {
          assertThrows(LeaseLostException.class, () -> store.renewLease(lease, LEASE, now()));
        }
      } else if (action < 84) {
        Duration d = Duration.ofSeconds(rnd.nextInt(900));
        trail.add(step + ": advance " + d);
        advance(d);
      } else if (action < 90 && !live.isEmpty()) {
        QueueId id = pick(rnd, live.keySet());
        Model m = live.get(id);
        int admin = rnd.nextInt(3);
        trail.add(step + ": admin " + admin + " " + id);
        switch (admin) {
          case 0 -> {
            assertTrue(store.hold(id, now()));
            m.held = true;
          }
          case 1 -> {
            assertTrue(store.releaseHold(id, now()));
            m.held = false;
          }
          default -> assertTrue(store.retryNow(id, now()));
        }
      } else if (action < 92 && walkRestarts()) {
        trail.add(step + ": restart");
        restart();
        orphaned.addAll(leases.values());
        leases.clear();
      } else if (action < 94 && !orphaned.isEmpty()) {
        // a lease from before a restart: some stores keep it until it expires, some drop it
        Lease lease = orphaned.get(rnd.nextInt(orphaned.size()));
        trail.add(step + ": renew orphaned " + lease.id());
        if (!lease.isLiveAt(now()) || !live.containsKey(lease.id()) || leases.containsKey(lease.id())) {
          assertThrows(LeaseLostException.class, () -> store.renewLease(lease, LEASE, now()), "orphaned lease renewed");
        }
      } else {
        continue;
      }
      checkInvariants(live, finished, leases, rnd);
    }
    // drain: every live message can still be finished
    advance(Duration.ofDays(1));
    for (QueueId id : new ArrayList<>(live.keySet())) {
      store.releaseHold(id, now());
    }
    int rounds = 0;
    while (!live.isEmpty() && rounds++ < 100) {
      for (ClaimedMessage c : store.claimDue(now(), 50, LEASE)) {
        Model m = live.get(c.message().id());
        assertTrue(m != null, "drain claimed an unknown message " + c.message().id());
        List<RecipientOutcome> outcomes = new ArrayList<>();
        m.states.forEach((r, s) -> {
          if (!s.isFinal()) {
            outcomes.add(RecipientOutcome.delivered(r, OK, "mx"));
          }
        });
        if (!outcomes.isEmpty()) {
          store.recordAttempt(c.lease(), DeliveryAttempt.of(outcomes), now());
        }
        store.complete(c.lease(), now());
        live.remove(c.message().id());
      }
      advance(LEASE.plusSeconds(1));
    }
    assertEquals(Set.of(), live.keySet(), "messages that could not be drained");
    assertEquals(0, store.counts(now()).messages());
  }

  private void checkInvariants(Map<QueueId, Model> live, Set<QueueId> finished, Map<QueueId, Lease> leases, Random rnd)
      throws IOException {
    long recipients = 0;
    Map<RecipientState, Long> byState = new EnumMap<>(RecipientState.class);
    for (Model m : live.values()) {
      QueuedMessage q = store.find(m.id, now()).orElseThrow(() -> new AssertionError("acknowledged message lost: " + m.id));
      checkStates(m, q);
      assertEquals(m.held, q.held(), "hold flag of " + m.id);
      assertEquals(m.size, q.size(), "size of " + m.id);
      for (RecipientRecord r : q.recipients()) {
        assertEquals(m.bounced.get(r.mailbox()), r.bounceSent(), "bounce flag of " + r.mailbox() + " in " + m.id);
        byState.merge(r.state(), 1L, Long::sum);
        recipients++;
      }
      if (rnd.nextInt(20) == 0) {
        CRC32C crc = new CRC32C();
        crc.update(read(store, m.id));
        assertEquals(m.crc, crc.getValue(), "content of " + m.id);
      }
    }
    for (QueueId id : finished) {
      assertEquals(Optional.empty(), store.find(id, now()), "completed message came back: " + id);
    }
    QueueCounts counts = store.counts(now());
    assertEquals(live.size(), counts.messages(), "message count");
    assertEquals(live.size(), counts.byStatus().values().stream().mapToLong(Long::longValue).sum(), "counts by status");
    for (RecipientState s : RecipientState.values()) {
      assertEquals(byState.getOrDefault(s, 0L), counts.recipients(s), "recipients " + s);
    }
    assertEquals(recipients, counts.recipientsByState().values().stream().mapToLong(Long::longValue).sum());
    for (Map.Entry<QueueId, Lease> e : leases.entrySet()) {
      if (e.getValue().isLiveAt(now())) {
        assertEquals(MessageStatus.ACTIVE, live.get(e.getKey()).held ? MessageStatus.ACTIVE : get(e.getKey()).status(),
            "a live lease shows as ACTIVE: " + e.getKey());
      }
    }
  }

  private static void checkStates(Model m, QueuedMessage q) {
    Map<Mailbox, RecipientState> actual = new LinkedHashMap<>();
    q.recipients().forEach(r -> actual.put(r.mailbox(), r.state()));
    assertEquals(m.states, actual, "recipient states of " + m.id + " (states only move forward)");
  }

  private static <T> T pick(Random rnd, Set<T> set) {
    int i = rnd.nextInt(set.size());
    for (T t : set) {
      if (i-- == 0) {
        return t;
      }
    }
    throw new IllegalStateException();
  }
}
