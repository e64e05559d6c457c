package org.relaymail.queue.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.SmtpReply;
import org.relaymail.queue.ClaimedMessage;
import org.relaymail.queue.DeliveryAttempt;
import org.relaymail.queue.FileQueueStore;
import org.relaymail.queue.MessageContent;
import org.relaymail.queue.NewMessage;
import org.relaymail.queue.QueueFullException;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.QueueStore;
import org.relaymail.queue.RecipientOutcome;
import org.relaymail.queue.SpoolLockedException;

/** What the file store adds to the contract: lock, torn tails, quarantine, watermark, compaction, power loss. */
class FileStoreEngineTest {
  private static final Instant T0 = Instant.parse("2026-01-05T08:00:00Z");
  private static final Duration LEASE = Duration.ofMinutes(5);

  @TempDir
  Path dir;

  private static NewMessage msg(String rcpt) {
    return NewMessage.builder(Mailbox.parse("s@example.org")).recipient(Mailbox.parse(rcpt)).build();
  }

  private static byte[] content(int i, int size) {
    byte[] b = new byte[size];
    new Random(i).nextBytes(b);
    return b;
  }

  private static byte[] read(QueueStore s, QueueId id) throws IOException {
    try (InputStream in = s.openContent(id)) {
      return in.readAllBytes();
    }
  }

  private FileQueueStore open(Path spool) throws IOException {
    return FileQueueStore.builder(spool).segmentSize(1 << 20).minFreeBytes(0).open();
  }

  private static List<Path> segments(Path spool) throws IOException {
    try (Stream<Path> s = Files.list(spool)) {
      return s.filter(p -> p.getFileName().toString().startsWith("seg-")).sorted().toList();
    }
  }

  @Test
  void aSecondStoreOnTheSameSpoolIsRefused() throws Exception {
    Path spool = dir.resolve("spool");
    try (FileQueueStore first = open(spool)) {
      SpoolLockedException e = assertThrows(SpoolLockedException.class, () -> open(spool));
      assertTrue(e.getMessage().contains("spool.lock"), e.getMessage());
      first.enqueue(msg("a@example.com"), MessageContent.of(new byte[10]), T0);
    }
    try (FileQueueStore again = open(spool)) {
      assertEquals(1, again.counts(T0).messages(), "the lock is released on close");
    }
  }

  @Test
  void aReadOnlyViewInspectsALiveSpoolWithoutItsLockAndChangesNothing() throws Exception {
    Path spool = dir.resolve("spool");
    try (FileQueueStore owner = open(spool)) {
      QueueId a = owner.enqueue(msg("a@example.com"), MessageContent.of(content(1, 500)), T0);
      owner.enqueue(msg("b@example.com"), MessageContent.of(content(2, 500)), T0);
      List<Path> before = segments(spool);
      long size = Files.size(before.get(before.size() - 1));
      try (FileQueueStore view = FileQueueStore.builder(spool).readOnly(true).open()) {
        assertEquals(2, view.counts(T0).messages());
        assertEquals(2, view.list(org.relaymail.queue.QueueQuery.all(), T0).messages().size());
        assertArrayEquals(content(1, 500), read(view, a));
        IllegalStateException e = assertThrows(IllegalStateException.class,
            () -> view.enqueue(msg("c@example.com"), MessageContent.of(new byte[1]), T0));
        assertTrue(e.getMessage().contains("read-only"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> view.claimDue(T0, 1, LEASE));
        assertThrows(IllegalStateException.class, () -> view.hold(a, T0));
        assertThrows(IllegalStateException.class, () -> view.delete(a, T0));
      }
      assertEquals(size, Files.size(before.get(before.size() - 1)), "the view wrote nothing");
      owner.enqueue(msg("d@example.com"), MessageContent.of(new byte[1]), T0);
      assertEquals(3, owner.counts(T0).messages(), "the owner goes on");
    }
  }

  @Test
  void aTornTailIsCutAndEverythingAcknowledgedSurvives() throws Exception {
    Path spool = dir.resolve("spool");
    List<QueueId> ids = new ArrayList<>();
    try (FileQueueStore s = open(spool)) {
      for (int i = 0; i < 5; i++) {
        ids.add(s.enqueue(msg("r" + i + "@example.com"), MessageContent.of(content(i, 3000)), T0));
      }
    }
    Path seg = segments(spool).get(segments(spool).size() - 1);
    long goodSize = Files.size(seg);
    // a torn record: a valid header whose body never fully arrived
    byte[] torn = RecordCodec.frame(new byte[500]);
    try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      ch.write(ByteBuffer.wrap(torn, 0, 200));
    }
    try (FileQueueStore s = open(spool)) {
      assertEquals(goodSize, Files.size(seg), "the torn tail was cut off");
      for (int i = 0; i < 5; i++) {
        assertArrayEquals(content(i, 3000), read(s, ids.get(i)));
      }
      ids.add(s.enqueue(msg("late@example.com"), MessageContent.of(content(99, 100)), T0));
    }
    try (FileQueueStore s = open(spool)) {
      assertEquals(6, s.counts(T0).messages());
      assertArrayEquals(content(99, 100), read(s, ids.get(5)));
    }
  }

  @Test
  void aCorruptRecordIsQuarantinedAndTheSegmentsOtherRecordsKept() throws Exception {
    Path spool = dir.resolve("spool");
    List<QueueId> ids = new ArrayList<>();
    try (FileQueueStore s = open(spool)) {
      for (int i = 0; i < 5; i++) {
        ids.add(s.enqueue(msg("r" + i + "@example.com"), MessageContent.of(content(i, 1000)), T0));
      }
    }
    Path seg = segments(spool).get(0);
    byte[] all = Files.readAllBytes(seg);
    // find the third record and flip a byte in its content
    long pos = 0;
    for (int i = 0; i < 2; i++) {
      pos += RecordCodec.HEADER + ByteBuffer.wrap(all, (int) pos + 4, 4).getInt();
    }
    int third = (int) pos;
    try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {(byte) (all[third + 900] ^ 0x55)}), third + 900);
    }
    try (FileQueueStore s = open(spool)) {
      assertEquals(4, s.counts(T0).messages());
      assertFalse(s.find(ids.get(2), T0).isPresent(), "the corrupt message is cut out");
      for (int i : new int[] {0, 1, 3, 4}) {
        assertArrayEquals(content(i, 1000), read(s, ids.get(i)), "message " + i + " kept");
      }
    }
    try (Stream<Path> q = Files.list(spool.resolve("quarantine"))) {
      List<Path> files = q.toList();
      assertEquals(1, files.size(), "one quarantined range: " + files);
      int thirdLength = RecordCodec.HEADER + ByteBuffer.wrap(all, third + 4, 4).getInt();
      assertEquals(thirdLength, Files.size(files.get(0)), "exactly the corrupt record's bytes are quarantined");
    }
    try (FileQueueStore s = open(spool)) {
      assertEquals(4, s.counts(T0).messages(), "a second start-up finds the range padded over");
    }
  }

  @Test
  void belowTheWatermarkEnqueueRefusesButDeliveryContinues() throws Exception {
    Path spool = dir.resolve("spool");
    QueueId id;
    try (FileQueueStore s = open(spool)) {
      id = s.enqueue(msg("a@example.com"), MessageContent.of(new byte[100]), T0);
    }
    try (FileQueueStore s = FileQueueStore.builder(spool).minFreeBytes(Long.MAX_VALUE / 2).open()) {
      QueueFullException e = assertThrows(QueueFullException.class,
          () -> s.enqueue(msg("b@example.com"), MessageContent.of(new byte[100]), T0));
      assertTrue(e.getMessage().contains("minFreeBytes"), e.getMessage());
      ClaimedMessage c = s.claimDue(T0, 1, LEASE).get(0);
      assertEquals(id, c.message().id());
      s.recordAttempt(c.lease(), DeliveryAttempt.of(List.of(RecipientOutcome.delivered(Mailbox.parse("a@example.com"),
          SmtpReply.of(250, "2.0.0 ok"), "mx"))), T0);
      s.complete(c.lease(), T0);
      assertEquals(0, s.counts(T0).messages());
    }
  }

  @Test
  void compactionDeletesFinishedSegmentsAndKeepsLiveMessages() throws Exception {
    Path spool = dir.resolve("spool");
    List<QueueId> keep = new ArrayList<>();
    try (FileQueueStore s = FileQueueStore.builder(spool).segmentSize(32 * 1024).minFreeBytes(0).open()) {
      for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 20; i++) {
          QueueId id = s.enqueue(msg("r" + round + "x" + i + "@example.com"), MessageContent.of(content(i, 2000)), T0);
          if (round == 0 && i < 3) {
            keep.add(id);
          }
        }
        for (ClaimedMessage c : s.claimDue(T0, 100, LEASE)) {
          if (keep.contains(c.message().id())) {
            s.recordAttempt(c.lease(), DeliveryAttempt.of(List.of(RecipientOutcome.deferred(
                c.message().recipients().get(0).mailbox(), SmtpReply.of(451, "4.0.0 later"), "mx",
                org.relaymail.queue.FailureClass.OTHER)), T0.plus(Duration.ofDays(1))), T0);
            s.releaseLease(c.lease(), T0);
          } else {
            s.recordAttempt(c.lease(), DeliveryAttempt.of(List.of(RecipientOutcome.delivered(
                c.message().recipients().get(0).mailbox(), SmtpReply.of(250, "ok"), "mx"))), T0);
            s.complete(c.lease(), T0);
          }
        }
      }
      s.compact();
      long bytes = 0;
      for (Path p : segments(spool)) {
        bytes += Files.size(p);
      }
      assertTrue(bytes < 200 * 1024, "about 850 KB were written, " + bytes + " bytes remain in " + segments(spool).size() + " segments");
    }
    try (FileQueueStore s = open(spool)) {
      assertEquals(3, s.counts(T0).messages());
      for (int i = 0; i < 3; i++) {
        assertEquals(1, s.find(keep.get(i), T0).orElseThrow().recipients().get(0).attempts());
        assertArrayEquals(content(i, 2000), read(s, keep.get(i)));
      }
    }
  }

  @Test
  void aMessageWithThousandsOfRecipientsIsCountedExactly() throws Exception {
    Path spool = dir.resolve("spool");
    NewMessage.Builder b = NewMessage.builder(Mailbox.parse("s@example.org"));
    List<RecipientOutcome> delivered = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      Mailbox r = Mailbox.parse("r" + i + "@example.com");
      b.recipient(r);
      if (i < 4500) {
        delivered.add(RecipientOutcome.delivered(r, SmtpReply.of(250, "ok"), "mx"));
      }
    }
    try (FileQueueStore s = open(spool)) {
      s.enqueue(b.build(), MessageContent.of(new byte[10]), T0);
      assertEquals(5000, s.counts(T0).recipients(org.relaymail.queue.RecipientState.PENDING));
      ClaimedMessage c = s.claimDue(T0, 1, LEASE).get(0);
      s.recordAttempt(c.lease(), DeliveryAttempt.of(delivered), T0);
      assertThrows(IllegalStateException.class, () -> s.complete(c.lease(), T0));
    }
    try (FileQueueStore s = open(spool)) {
      assertEquals(500, s.counts(T0).recipients(org.relaymail.queue.RecipientState.PENDING));
      assertEquals(4500, s.counts(T0).recipients(org.relaymail.queue.RecipientState.DELIVERED));
    }
  }

  @Test
  void largeContentIsStreamedIntoTheLog() throws Exception {
    Path spool = dir.resolve("spool");
    Path file = dir.resolve("big.eml");
    byte[] big = content(5, 3 * 1024 * 1024);
    Files.write(file, big);
    QueueId id;
    try (FileQueueStore s = open(spool)) {
      id = s.enqueue(msg("a@example.com"), MessageContent.of(file), T0);
    }
    try (FileQueueStore s = open(spool)) {
      assertArrayEquals(big, read(s, id));
    }
  }

  /**
   * Many producers enqueue while the simulated disk loses power after a random number of fsyncs;
   * after the "reboot" every acknowledged message is there with its content.
   */
  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6})
  void everyAcknowledgedEnqueueSurvivesPowerLossUnderConcurrency(long seed) throws Exception {
    Random rnd = new Random(seed);
    PowerLossStorage storage = new PowerLossStorage(new Random(seed));
    FileStoreEngine.Settings settings = new FileStoreEngine.Settings(64 * 1024, 0, Duration.ofHours(24));
    FileStoreEngine engine = FileStoreEngine.open(storage, settings);
    Map<QueueId, Integer> acked = new ConcurrentHashMap<>();
    List<Throwable> unexpected = Collections.synchronizedList(new ArrayList<>());
    storage.crashAfterForces(5 + rnd.nextInt(60));
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int p = 0; p < 8; p++) {
        int producer = p;
        fs.add(pool.submit(() -> {
          for (int i = 0; i < 200; i++) {
            int tag = producer * 1000 + i;
            try {
              QueueId id = engine.enqueue(msg("p" + tag + "@example.com"), MessageContent.of(content(tag, 500 + tag % 700)), T0);
              acked.put(id, tag);
            } catch (IOException e) {
              return null; // the power went out: this and later enqueues are not acknowledged
            } catch (RuntimeException e) {
              unexpected.add(e);
              return null;
            }
          }
          return null;
        }));
      }
      for (Future<?> f : fs) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(List.of(), unexpected);
    storage.powerLoss();
    try (FileStoreEngine reopened = FileStoreEngine.open(storage, settings)) {
      for (Map.Entry<QueueId, Integer> e : acked.entrySet()) {
        int tag = e.getValue();
        assertTrue(reopened.find(e.getKey(), T0).isPresent(), "seed " + seed + ": acknowledged " + e.getKey() + " lost");
        assertArrayEquals(content(tag, 500 + tag % 700), read(reopened, e.getKey()), "seed " + seed + ": content of " + e.getKey());
      }
      assertTrue(reopened.counts(T0).messages() >= acked.size());
    }
  }
}
