package org.relaymail.queue.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.relaymail.protocol.Mailbox;
import org.relaymail.queue.MessageContent;
import org.relaymail.queue.NewMessage;
import org.relaymail.queue.QueueId;

/**
 * Group commit in the file store, proven without timing: a {@link Storage} wrapper counts
 * {@code force()} calls, remembers every write and the highest byte position each force made durable,
 * and can hold a force until a given number of records has been written. Concurrent enqueues must
 * share forces, and no enqueue may return before a force covered its record.
 */
class GroupCommitTest {
  private static final Instant NOW = Instant.parse("2026-01-05T08:00:00Z");
  private static final long WAIT_SECONDS = 120; // a deadlock guard only, never a timing assertion

  /** A storage that counts and gates forces and records writes; delegates everything. */
  static final class CountingStorage implements Storage {
    private final Storage delegate;
    private final Object lock = new Object();
    private final List<String> writeFile = new ArrayList<>();
    private final List<Long> writePos = new ArrayList<>();
    private final List<byte[]> writeBytes = new ArrayList<>();
    private final Map<String, Long> writtenEnd = new HashMap<>();
    private final Map<String, Long> durableEnd = new HashMap<>();
    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    private long forces;
    private boolean gateArmed;
    private int gateWrites = -1; // the first force after arming waits until this many writes happened
    private int writesSinceArm;

    CountingStorage(Storage delegate) {
      this.delegate = delegate;
    }

    /** The next force blocks until {@code writes} more writes have completed. */
    void holdNextForceUntilWrites(int writes) {
      synchronized (lock) {
        gateArmed = true;
        gateWrites = writes;
        writesSinceArm = 0;
        forces = 0;
      }
    }

    long forces() {
      synchronized (lock) {
        return forces;
      }
    }

    /** The end position of the write whose bytes contain {@code marker}, or -1. */
    long endOfWriteContaining(byte[] marker, String[] fileOut) {
      synchronized (lock) {
        for (int i = 0; i < writeBytes.size(); i++) {
          if (indexOf(writeBytes.get(i), marker) >= 0) {
            fileOut[0] = writeFile.get(i);
            return writePos.get(i) + writeBytes.get(i).length;
          }
        }
        return -1;
      }
    }

    long durableEnd(String file) {
      synchronized (lock) {
        return durableEnd.getOrDefault(file, -1L);
      }
    }

    List<String> problems() {
      return problems;
    }

    @Override
    public StorageFile open(String name, boolean create) throws IOException {
      StorageFile f = delegate.open(name, create);
      return new StorageFile() {
        @Override
        public void write(ByteBuffer src, long position) throws IOException {
          ByteBuffer copy = src.duplicate();
          byte[] b = new byte[copy.remaining()];
          copy.get(b);
          f.write(src, position);
          synchronized (lock) {
            writeFile.add(name);
            writePos.add(position);
            writeBytes.add(b);
            writtenEnd.merge(name, position + b.length, Math::max);
            writesSinceArm++;
            lock.notifyAll();
          }
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
          return f.read(dst, position);
        }

        @Override
        public long size() throws IOException {
          return f.size();
        }

        @Override
        public void truncate(long size) throws IOException {
          f.truncate(size);
          synchronized (lock) {
            writtenEnd.computeIfPresent(name, (k, v) -> Math.min(v, size));
            durableEnd.computeIfPresent(name, (k, v) -> Math.min(v, size));
          }
        }

        @Override
        public void force() throws IOException {
          long covers;
          synchronized (lock) {
            if (gateArmed) {
              gateArmed = false;
              long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
              while (writesSinceArm < gateWrites) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                  problems.add("the held force saw only " + writesSinceArm + " of " + gateWrites
                      + " writes: enqueues did not proceed while an fsync ran");
                  break;
                }
                try {
                  TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  throw new java.io.InterruptedIOException("interrupted in a held force");
                }
              }
            }
            covers = writtenEnd.getOrDefault(name, 0L); // everything written before the fsync starts
          }
          f.force();
          synchronized (lock) {
            forces++;
            durableEnd.merge(name, covers, Math::max);
          }
        }

        @Override
        public void close() throws IOException {
          f.close();
        }
      };
    }

    @Override
    public List<String> list() throws IOException {
      return delegate.list();
    }

    @Override
    public void delete(String name) throws IOException {
      delegate.delete(name);
    }

    @Override
    public void syncDirectory() throws IOException {
      delegate.syncDirectory();
    }

    @Override
    public long usableSpace() throws IOException {
      return delegate.usableSpace();
    }

    @Override
    public Closeable lock(String name) throws IOException {
      return delegate.lock(name);
    }

    @Override
    public String describe(String name) {
      return delegate.describe(name);
    }
  }

  static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static FileStoreEngine.Settings settings() {
    return new FileStoreEngine.Settings(64L * 1024 * 1024, 0, Duration.ofHours(24));
  }

  private static byte[] content(String marker) {
    return ("Subject: group commit\r\n\r\n" + marker + "\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  /** Enqueues one message and checks, the moment it returns, that a force covered its record. */
  private static QueueId enqueueAndCheck(FileStoreEngine engine, CountingStorage storage, String marker)
      throws IOException {
    NewMessage m = NewMessage.builder(Mailbox.parse("sender@example.org"))
        .recipient(Mailbox.parse("rcpt@example.com")).build();
    QueueId id = engine.enqueue(m, MessageContent.of(content(marker)), NOW);
    String[] file = new String[1];
    long end = storage.endOfWriteContaining(marker.getBytes(StandardCharsets.US_ASCII), file);
    assertTrue(end > 0, "no write carried the record of " + marker);
    long durable = storage.durableEnd(file[0]);
    assertTrue(end <= durable, "enqueue of " + marker + " (" + id + ") returned before its record was forced: "
        + "record ends at " + end + " in " + file[0] + ", forced only up to " + durable);
    return id;
  }

  @Test
  void concurrentEnqueuesShareForcesAndNoneReturnsBeforeItsForce() throws Exception {
    int producers = 16;
    PowerLossStorage disk = new PowerLossStorage(new Random(5));
    CountingStorage storage = new CountingStorage(disk);
    FileStoreEngine engine = FileStoreEngine.open(storage, settings());
    ExecutorService pool = Executors.newFixedThreadPool(producers);
    Map<QueueId, String> acknowledged = new java.util.concurrent.ConcurrentHashMap<>();
    try {
      // the first fsync is held until every producer has written its record, so all the others
      // are waiting for an fsync by then: one more fsync must acknowledge all of them
      storage.holdNextForceUntilWrites(producers);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> futures = new ArrayList<>();
      for (int p = 0; p < producers; p++) {
        String marker = "group-commit-marker-" + p + "-end";
        futures.add(pool.submit(() -> {
          start.await();
          acknowledged.put(enqueueAndCheck(engine, storage, marker), marker);
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : futures) {
        f.get(WAIT_SECONDS, TimeUnit.SECONDS);
      }
      assertEquals(List.of(), storage.problems());
      assertEquals(producers, acknowledged.size());
      long forces = storage.forces();
      assertTrue(forces >= 1, "an enqueue was acknowledged without any fsync");
      assertTrue(forces <= 2, producers + " concurrent enqueues took " + forces
          + " fsyncs; with the first held until all had written, group commit needs 2");
    } finally {
      pool.shutdownNow();
    }
    // and what they were told is durable survives a power loss
    disk.powerLoss();
    try (FileStoreEngine again = FileStoreEngine.open(disk, settings())) {
      for (Map.Entry<QueueId, String> e : acknowledged.entrySet()) {
        try (InputStream in = again.openContent(e.getKey())) {
          assertArrayEquals(content(e.getValue()), in.readAllBytes(), "content of " + e.getKey());
        }
      }
      assertEquals(producers, again.counts(NOW).messages());
    }
  }

  @Test
  void manyProducersNeverGetAnAcknowledgementBeforeTheirForce() throws Exception {
    int producers = 8;
    int each = 40;
    PowerLossStorage disk = new PowerLossStorage(new Random(6));
    CountingStorage storage = new CountingStorage(disk);
    FileStoreEngine engine = FileStoreEngine.open(storage, settings());
    ExecutorService pool = Executors.newFixedThreadPool(producers);
    Map<QueueId, String> acknowledged = new java.util.concurrent.ConcurrentHashMap<>();
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> futures = new ArrayList<>();
      for (int p = 0; p < producers; p++) {
        int pp = p;
        futures.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < each; i++) {
            String marker = "many-" + pp + "-" + i + "-end";
            acknowledged.put(enqueueAndCheck(engine, storage, marker), marker);
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : futures) {
        f.get(WAIT_SECONDS, TimeUnit.SECONDS);
      }
      assertEquals(producers * each, acknowledged.size());
    } finally {
      pool.shutdownNow();
    }
    disk.powerLoss();
    try (FileStoreEngine again = FileStoreEngine.open(disk, settings())) {
      assertEquals(producers * each, again.counts(NOW).messages());
      for (Map.Entry<QueueId, String> e : acknowledged.entrySet()) {
        try (InputStream in = again.openContent(e.getKey())) {
          assertArrayEquals(content(e.getValue()), in.readAllBytes(), "content of " + e.getKey());
        }
      }
    }
  }
}
