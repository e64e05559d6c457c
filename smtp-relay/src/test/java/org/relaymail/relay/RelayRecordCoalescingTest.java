package org.relaymail.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relaymail.queue.AttemptRecord;
import org.relaymail.queue.ForwardingQueueStore;
import org.relaymail.queue.InMemoryQueueStore;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.QueueStore;
import org.relaymail.queue.RecordedAttempt;
import org.relaymail.testsupport.ScriptedSmtpServer;

/**
 * With a store that records a batch in one write, the outcomes of separate delivery jobs (one per
 * destination domain) are gathered into shared {@code recordAttempts} calls while earlier calls are
 * in flight; every message still completes with its outcome, listeners and future.
 */
class RelayRecordCoalescingTest {
  private RelayHarness h;
  private ExecutorService pool;

  @BeforeEach
  void setUp() throws Exception {
    h = new RelayHarness();
  }

  @AfterEach
  void tearDown() throws Exception {
    h.close();
    if (pool != null) {
      pool.shutdownNow();
    }
  }

  /** Batches its records (as the file store does), holds every call until released, and logs each call's ids. */
  static final class GatedStore extends ForwardingQueueStore {
    final CountDownLatch gate = new CountDownLatch(1);
    final AtomicInteger entered = new AtomicInteger();
    final List<List<QueueId>> calls = new ArrayList<>();

    GatedStore(QueueStore delegate) {
      super(delegate);
    }

    @Override
    public boolean batchesAttemptRecords() {
      return true;
    }

    @Override
    public List<RecordedAttempt> recordAttempts(List<AttemptRecord> records, Instant now) throws IOException {
      synchronized (calls) {
        calls.add(records.stream().map(r -> r.lease().id()).toList());
      }
      entered.incrementAndGet();
      try {
        if (!gate.await(60, TimeUnit.SECONDS)) {
          throw new IOException("test gate never opened");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted at the test gate", e);
      }
      return delegate().recordAttempts(records, now);
    }

    List<List<QueueId>> calls() {
      synchronized (calls) {
        return List.copyOf(calls);
      }
    }
  }

  @Test
  void outcomesOfSeveralJobsShareOneRecordCallWhileEarlierCallsAreInFlight() throws Exception {
    List<String> domains = List.of("a.test", "b.test", "c.test", "d.test", "e.test");
    for (String d : domains) {
      h.mx(d, 2);
    }
    ScriptedSmtpServer mx = h.server(2, b -> {});
    GatedStore store = new GatedStore(new InMemoryQueueStore());
    h.store = store;
    // counts delivery tasks that ran to their end: a job whose finished messages were handed to
    // the busy recorders returns without recording them
    AtomicInteger tasksDone = new AtomicInteger();
    pool = Executors.newFixedThreadPool(8);
    RelayClient relay = h.start(h.relay().executor(r -> pool.execute(() -> {
      try {
        r.run();
      } finally {
        tasksDone.incrementAndGet();
      }
    })));

    List<SendReceipt> receipts = new ArrayList<>();
    // two jobs whose records are held at the gate: the two recorders are busy
    receipts.add(relay.send(RelayClientMxTest.message("app@example.net", "a", "x@a.test")));
    RecordingListener.await("the first record call", Duration.ofSeconds(60), () -> store.entered.get() == 1);
    receipts.add(relay.send(RelayClientMxTest.message("app@example.net", "b", "x@b.test")));
    RecordingListener.await("the second record call", Duration.ofSeconds(60), () -> store.entered.get() == 2);
    // three more jobs, one per domain, finish while both calls are in flight
    for (String d : domains.subList(2, 5)) {
      receipts.add(relay.send(RelayClientMxTest.message("app@example.net", d, "x@" + d)));
    }
    RecordingListener.await("three more jobs done", Duration.ofSeconds(60), () -> tasksDone.get() >= 3);
    assertEquals(5, mx.awaitMessages(5, Duration.ofSeconds(60)).size());
    assertEquals(2, store.entered.get(), "the later jobs did not record on their own: " + store.calls());

    store.gate.countDown();
    for (SendReceipt r : receipts) {
      DeliveryReport report = r.outcome().get(60, TimeUnit.SECONDS);
      assertTrue(report.allDelivered(), report.toString());
    }
    List<List<QueueId>> calls = store.calls();
    assertEquals(3, calls.size(), "two held calls, then one for the three that gathered: " + calls);
    assertEquals(List.of(receipts.get(0).queueId()), calls.get(0));
    assertEquals(List.of(receipts.get(1).queueId()), calls.get(1));
    assertEquals(java.util.Set.of(receipts.get(2).queueId(), receipts.get(3).queueId(), receipts.get(4).queueId()),
        java.util.Set.copyOf(calls.get(2)));
    assertEquals(5, h.events.count(h.events.finals, e -> e.type() == DeliveryEvent.Type.DELIVERED));
    RecordingListener.await("nothing in flight", Duration.ofSeconds(30), () -> relay.deliveriesInFlight() == 0);
    assertEquals(0, relay.counts().messages());
  }
}
