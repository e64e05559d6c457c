package org.relaymail.queue.internal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.relaymail.queue.SpoolLockedException;

/**
 * An in-memory {@link Storage} that simulates power loss: {@link #powerLoss()} keeps what was forced,
 * drops what was written after the last {@code force()} and tears one write (a random prefix of it
 * survives). Files created but never made durable in the directory vanish. Handles opened before a
 * power loss fail afterwards, as a dead process's would. Thread-safe (one monitor).
 */
public final class PowerLossStorage implements Storage {
  private final Random random;
  private final TreeMap<String, Data> files = new TreeMap<>();
  private int generation;
  private boolean locked;
  private long usableSpace = Long.MAX_VALUE / 4;
  private int forcesUntilCrash = -1;
  private boolean crashed;
  private long forces;

  private static final class Write {
    final long pos;
    final byte[] bytes;

    Write(long pos, byte[] bytes) {
      this.pos = pos;
      this.bytes = bytes;
    }
  }

  private static final class Data {
    byte[] buf = new byte[0];
    int len;
    byte[] durable = new byte[0];
    int durableLen;
    final List<Write> pending = new ArrayList<>();
    boolean inDirectory;
  }

  /**
   * Creates an empty storage.
   *
   * @param random decides how writes tear
   */
  public PowerLossStorage(Random random) {
    this.random = random;
  }

  /**
   * Makes every operation fail ("the power went out") after {@code n} more successful forces, until
   * {@link #powerLoss()}.
   *
   * @param n the number of forces that still succeed
   */
  public synchronized void crashAfterForces(int n) {
    forcesUntilCrash = n;
  }

  /** @return the number of successful forces so far */
  public synchronized long forces() {
    return forces;
  }

  /**
   * Sets what {@link #usableSpace()} reports.
   *
   * @param bytes the free space
   */
  public synchronized void usableSpace(long bytes) {
    usableSpace = bytes;
  }

  /**
   * Simulates losing power and booting again: unforced writes are dropped except for a torn prefix of
   * one of them; handles and the lock of the "dead process" become invalid.
   */
  public synchronized void powerLoss() {
    generation++;
    locked = false;
    crashed = false;
    forcesUntilCrash = -1;
    files.values().removeIf(d -> !d.inDirectory);
    for (Data d : files.values()) {
      byte[] keep = Arrays.copyOf(d.durable, d.durableLen);
      d.buf = keep.clone();
      d.len = keep.length;
      if (!d.pending.isEmpty()) {
        // either the first unforced write is torn and the rest lost, or the kernel had written some
        // back: everything but the last unforced write made it and the last one is torn
        boolean writeback = random.nextBoolean();
        int keepWhole = writeback ? d.pending.size() - 1 : 0;
        for (int i = 0; i < keepWhole; i++) {
          put(d, d.pending.get(i).pos, d.pending.get(i).bytes, d.pending.get(i).bytes.length);
        }
        Write torn = d.pending.get(keepWhole);
        put(d, torn.pos, torn.bytes, random.nextInt(torn.bytes.length + 1));
      }
      d.pending.clear();
      d.durable = Arrays.copyOf(d.buf, d.len);
      d.durableLen = d.len;
    }
  }

  private static void put(Data d, long pos, byte[] bytes, int n) {
    int end = (int) pos + n;
    if (end > d.buf.length) {
      d.buf = Arrays.copyOf(d.buf, Math.max(end, d.buf.length * 2));
    }
    System.arraycopy(bytes, 0, d.buf, (int) pos, n);
    d.len = Math.max(d.len, end);
  }

  private void check(int gen) throws IOException {
    if (gen != generation) {
      throw new IOException("simulated power loss: this handle belongs to a dead process");
    }
    if (crashed) {
      throw new IOException("simulated power loss in progress");
    }
  }

  @Override
  public synchronized StorageFile open(String name, boolean create) throws IOException {
    check(generation);
    Data d = files.get(name);
    if (d == null) {
      if (!create) {
        throw new java.nio.file.NoSuchFileException(name);
      }
      d = new Data();
      files.put(name, d);
    }
    return new Handle(d, generation);
  }

  @Override
  public synchronized List<String> list() throws IOException {
    check(generation);
    List<String> out = new ArrayList<>();
    for (String n : files.keySet()) {
      if (!n.contains("/")) {
        out.add(n);
      }
    }
    return out;
  }

  /**
   * Names of every file, including subdirectories.
   *
   * @return the names
   */
  public synchronized List<String> allFiles() {
    return new ArrayList<>(files.keySet());
  }

  @Override
  public synchronized void delete(String name) throws IOException {
    check(generation);
    files.remove(name);
  }

  @Override
  public synchronized void syncDirectory() throws IOException {
    check(generation);
    files.values().forEach(d -> d.inDirectory = true);
  }

  @Override
  public synchronized long usableSpace() throws IOException {
    check(generation);
    return usableSpace;
  }

  @Override
  public synchronized Closeable lock(String name) throws IOException {
    check(generation);
    if (locked) {
      throw new SpoolLockedException(Path.of("simulated", name));
    }
    locked = true;
    int gen = generation;
    return () -> {
      synchronized (PowerLossStorage.this) {
        if (gen == generation) {
          locked = false;
        }
      }
    };
  }

  @Override
  public String describe(String name) {
    return "simulated:" + name;
  }

  private final class Handle implements StorageFile {
    private final Data d;
    private final int gen;

    Handle(Data d, int gen) {
      this.d = d;
      this.gen = gen;
    }

    @Override
    public void write(ByteBuffer src, long position) throws IOException {
      synchronized (PowerLossStorage.this) {
        check(gen);
        byte[] b = new byte[src.remaining()];
        src.get(b);
        put(d, position, b, b.length);
        d.pending.add(new Write(position, b));
      }
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      synchronized (PowerLossStorage.this) {
        check(gen);
        if (position >= d.len) {
          return -1;
        }
        int n = (int) Math.min(dst.remaining(), d.len - position);
        dst.put(d.buf, (int) position, n);
        return n;
      }
    }

    @Override
    public long size() throws IOException {
      synchronized (PowerLossStorage.this) {
        check(gen);
        return d.len;
      }
    }

    @Override
    public void truncate(long size) throws IOException {
      synchronized (PowerLossStorage.this) {
        check(gen);
        d.len = (int) Math.min(d.len, size);
        d.durableLen = (int) Math.min(d.durableLen, size);
        d.pending.removeIf(w -> w.pos >= size);
      }
    }

    @Override
    public void force() throws IOException {
      synchronized (PowerLossStorage.this) {
        check(gen);
        if (forcesUntilCrash == 0) {
          crashed = true;
          throw new IOException("simulated power loss during fsync");
        }
        if (forcesUntilCrash > 0) {
          forcesUntilCrash--;
        }
        d.durable = Arrays.copyOf(d.buf, d.len);
        d.durableLen = d.len;
        d.pending.clear();
        forces++;
      }
    }

    @Override
    public void close() {
      // nothing to release for an in-memory file
    }
  }
}
