package org.relaymail.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.SmtpReply;
import org.relaymail.queue.ClaimedMessage;
import org.relaymail.queue.DeliveryAttempt;
import org.relaymail.queue.FileQueueStore;
import org.relaymail.queue.MessageContent;
import org.relaymail.queue.NewMessage;
import org.relaymail.queue.RecipientOutcome;

/**
 * Load harness for the file store (issue #5), run by hand (see RESULTS.md):
 * durable enqueue throughput with 1, 8 and 64 producers of 10 KB messages, beside the raw rate of
 * "write 10 KB + fsync + rename + fsync directory" from 1 and 8 threads on the same disk in the same
 * run; claim + record + complete throughput; heap with 1,000,000 queued messages; enqueue cost at 0
 * and at 1,000,000 queued; recovery time.
 *
 * <p>Usage: {@code java -Xmx256m -cp benchmarks.jar org.relaymail.benchmarks.QueueStoreBenchmark DIR [seconds] [queued]}
 */
public final class QueueStoreBenchmark {
  private static final int SIZE = 10 * 1024;
  private static final NewMessage MESSAGE = NewMessage.builder(Mailbox.parse("sender@example.org"))
      .recipient(Mailbox.parse("rcpt@example.com")).build();

  private QueueStoreBenchmark() {}

  /**
   * Runs everything.
   *
   * @param args work directory, seconds per measurement (default 5), queued messages (default 1,000,000)
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    Path work = Path.of(args.length > 0 ? args[0] : "target/queue-bench");
    double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 5;
    int queued = args.length > 2 ? Integer.parseInt(args[2]) : 1_000_000;
    byte[] content = new byte[SIZE];
    new Random(1).nextBytes(content);
    deleteTree(work);
    Files.createDirectories(work);
    out("JDK %s, %d CPUs, max heap %d MiB, work dir %s", System.getProperty("java.version"),
        Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20, work.toAbsolutePath());

    double raw1 = rawFsync(work.resolve("raw1"), 1, seconds, content);
    double raw8 = rawFsync(work.resolve("raw8"), 8, seconds, content);
    out("raw: write 10 KB + fsync + rename + fsync dir: 1 thread %.0f files/s, 8 threads %.0f files/s", raw1, raw8);

    double[] enq = new double[3];
    int[] producers = {1, 8, 64};
    for (int i = 0; i < 3; i++) {
      Path spool = work.resolve("enq" + producers[i]);
      try (FileQueueStore store = FileQueueStore.builder(spool).minFreeBytes(0).open()) {
        enq[i] = enqueueRate(store, producers[i], seconds, content);
      }
      deleteTree(spool);
      out("file store durable enqueue, %d producers: %.0f msgs/s (%.1fx the 1-thread raw rate)", producers[i], enq[i],
          enq[i] / raw1);
    }

    Path spool = work.resolve("claim");
    try (FileQueueStore store = FileQueueStore.builder(spool).minFreeBytes(0).open()) {
      enqueueCount(store, 64, 20_000, content);
      double rate = drain(store, 8);
      out("file store claim + record + complete, 8 workers, batches of 50: %.0f msgs/s", rate);
    }
    deleteTree(spool);

    double empty;
    Path fresh = work.resolve("fresh");
    try (FileQueueStore store = FileQueueStore.builder(fresh).minFreeBytes(0).open()) {
      empty = enqueueRate(store, 64, seconds, content);
    }
    deleteTree(fresh);
    Path big = work.resolve("million");
    try (FileQueueStore store = FileQueueStore.builder(big).minFreeBytes(0).open()) {
      long before = usedHeapAfterGc();
      long t0 = System.nanoTime();
      enqueueCount(store, 64, queued, new byte[100]);
      double fillSeconds = (System.nanoTime() - t0) / 1e9;
      long after = usedHeapAfterGc();
      out("filled %d messages (100 bytes each, 64 producers) in %.1f s: %.0f msgs/s", queued, fillSeconds, queued / fillSeconds);
      out("heap used after GC: %d MiB before, %d MiB with %d queued (%.0f bytes per message)", before >> 20, after >> 20,
          store.counts(Instant.now()).messages(), (after - before) / (double) queued);
      double full = enqueueRate(store, 64, seconds, content);
      out("durable enqueue, 64 producers, 10 KB: %.0f msgs/s at ~0 queued, %.0f msgs/s at %d queued", empty, full, queued);
    }
    long t1 = System.nanoTime();
    try (FileQueueStore store = FileQueueStore.builder(big).minFreeBytes(0).open()) {
      out("reopen (recovery) of %d messages: %.1f s, heap used after GC %d MiB", store.counts(Instant.now()).messages(),
          (System.nanoTime() - t1) / 1e9, usedHeapAfterGc() >> 20);
    }
    deleteTree(work);
  }

  private static void out(String fmt, Object... args) {
    System.out.println(String.format(Locale.ROOT, fmt, args));
  }

  private static long usedHeapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** The Postfix-style baseline: a file per message with its own fsync, rename and directory fsync. */
  private static double rawFsync(Path dir, int threads, double seconds, byte[] content) throws Exception {
    Files.createDirectories(dir);
    AtomicLong done = new AtomicLong();
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> ts = new ArrayList<>();
    CountDownLatch start = new CountDownLatch(1);
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread th = new Thread(() -> {
        try {
          start.await();
          for (long n = 0; !stop.get(); n++) {
            Path tmp = dir.resolve("t" + id + "-" + n + ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
              ch.write(ByteBuffer.wrap(content));
              ch.force(true);
            }
            Files.move(tmp, dir.resolve("t" + id + "-" + n + ".msg"), StandardCopyOption.ATOMIC_MOVE);
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
              d.force(true);
            }
            done.incrementAndGet();
          }
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      th.start();
      ts.add(th);
    }
    long t0 = System.nanoTime();
    start.countDown();
    Thread.sleep((long) (seconds * 1000));
    stop.set(true);
    for (Thread th : ts) {
      th.join();
    }
    double rate = done.get() / ((System.nanoTime() - t0) / 1e9);
    deleteTree(dir);
    return rate;
  }

  private static double enqueueRate(FileQueueStore store, int producers, double seconds, byte[] content) throws Exception {
    AtomicLong done = new AtomicLong();
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> ts = new ArrayList<>();
    CountDownLatch start = new CountDownLatch(1);
    for (int p = 0; p < producers; p++) {
      Thread th = new Thread(() -> {
        try {
          start.await();
          while (!stop.get()) {
            store.enqueue(MESSAGE, MessageContent.of(content), Instant.now());
            done.incrementAndGet();
          }
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      th.start();
      ts.add(th);
    }
    long t0 = System.nanoTime();
    start.countDown();
    Thread.sleep((long) (seconds * 1000));
    stop.set(true);
    for (Thread th : ts) {
      th.join();
    }
    return done.get() / ((System.nanoTime() - t0) / 1e9);
  }

  private static void enqueueCount(FileQueueStore store, int producers, int total, byte[] content) throws Exception {
    AtomicLong next = new AtomicLong();
    List<Thread> ts = new ArrayList<>();
    for (int p = 0; p < producers; p++) {
      Thread th = new Thread(() -> {
        try {
          while (next.getAndIncrement() < total) {
            store.enqueue(MESSAGE, MessageContent.of(content), Instant.now());
          }
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });
      th.start();
      ts.add(th);
    }
    for (Thread th : ts) {
      th.join();
    }
  }

  private static double drain(FileQueueStore store, int workers) throws Exception {
    AtomicLong done = new AtomicLong();
    SmtpReply ok = SmtpReply.of(250, "2.0.0 ok");
    List<Thread> ts = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int w = 0; w < workers; w++) {
      Thread th = new Thread(() -> {
        try {
          while (true) {
            List<ClaimedMessage> batch = store.claimDue(Instant.now(), 50, Duration.ofMinutes(5));
            if (batch.isEmpty()) {
              return;
            }
            for (ClaimedMessage c : batch) {
              store.recordAttempt(c.lease(), DeliveryAttempt.of(List.of(RecipientOutcome.delivered(
                  c.message().recipients().get(0).mailbox(), ok, "mx"))), Instant.now());
              store.complete(c.lease(), Instant.now());
              done.incrementAndGet();
            }
          }
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });
      th.start();
      ts.add(th);
    }
    for (Thread th : ts) {
      th.join();
    }
    return done.get() / ((System.nanoTime() - t0) / 1e9);
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(x);
      }
    }
  }
}
