package org.relaymail.queue.internal;

import java.io.Closeable;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32C;
import org.relaymail.protocol.Mailbox;
import org.relaymail.queue.AttemptRecord;
import org.relaymail.queue.ClaimedMessage;
import org.relaymail.queue.DeliveryAttempt;
import org.relaymail.queue.Lease;
import org.relaymail.queue.LeaseLostException;
import org.relaymail.queue.MessageContent;
import org.relaymail.queue.MessageStatus;
import org.relaymail.queue.NewMessage;
import org.relaymail.queue.NoSuchMessageException;
import org.relaymail.queue.Notification;
import org.relaymail.queue.QueueCounts;
import org.relaymail.queue.QueueFullException;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.QueuePage;
import org.relaymail.queue.QueueQuery;
import org.relaymail.queue.QueueStore;
import org.relaymail.queue.QueuedMessage;
import org.relaymail.queue.RecipientRecord;
import org.relaymail.queue.RecipientState;
import org.relaymail.queue.RecordedAttempt;
import org.relaymail.queue.SpoolLockedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file store's engine: an append-only segment log with group commit, an in-memory index in
 * primitive arrays, recovery, quarantine and compaction. See {@code FileQueueStore} for the contract
 * and {@link RecordCodec} for the format.
 *
 * <p>Thread-safe: index and log appends under one monitor; fsyncs outside it, shared by every writer
 * waiting at that moment (group commit); content reads without the monitor.
 */
public final class FileStoreEngine implements QueueStore {
  private static final Logger LOG = LoggerFactory.getLogger(FileStoreEngine.class);
  /** The lock file's name. */
  public static final String LOCK_FILE = "spool.lock";
  /** The quarantine folder. */
  public static final String QUARANTINE = "quarantine";
  private static final String SEG_PREFIX = "seg-";
  private static final String SEG_SUFFIX = ".log";
  private static final long OFFSET_MASK = (1L << 40) - 1;
  private static final int SMALL_CONTENT = 1 << 20;
  /** The largest content the file store takes. */
  public static final long MAX_CONTENT = (1L << 30);
  private static final byte HELD = 1;
  private static final byte TRIED = 2;
  /** How long a batch of attempt records waits for another writer's fsync before forcing itself. */
  private static final long RECORD_COMMIT_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

  /** How long the thread about to fsync waits at most for enqueues in progress to append. */
  private static final long SIBLING_WAIT_NANOS = TimeUnit.MICROSECONDS.toNanos(1000);

  private static final long PRODUCER_WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  private static final long SIBLING_POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(50);

  private static final int NSTATES = RecipientState.values().length;

  /**
   * The engine's settings.
   *
   * @param segmentSize the size at which a new segment starts
   * @param minFreeBytes free space below which enqueue refuses
   * @param idempotencyWindow how long idempotency keys are remembered
   */
  public record Settings(long segmentSize, long minFreeBytes, Duration idempotencyWindow) {
    /** Checks the settings. */
    public Settings {
      if (segmentSize < 4096 || segmentSize > OFFSET_MASK) {
        throw new IllegalArgumentException("segment size must be 4 KiB to 1 TiB: " + segmentSize);
      }
      if (minFreeBytes < 0) {
        throw new IllegalArgumentException("minimum free bytes must be >= 0: " + minFreeBytes);
      }
      Checks.positive("idempotencyWindow", idempotencyWindow);
    }
  }

  private final class Segment {
    final int number;
    final String name;
    final Storage.StorageFile file;
    long size;
    long live;
    final AtomicInteger pins = new AtomicInteger();
    volatile boolean retired;
    boolean deleted;

    Segment(int number, Storage.StorageFile file, long size) {
      this.number = number;
      this.name = segmentName(number);
      this.file = file;
      this.size = size;
    }

    void unpin() {
      if (pins.decrementAndGet() == 0 && retired) {
        deleteRetired(this);
      }
    }
  }

  private record Idem(long id, long untilMs, int segment) {}

  private final Storage storage;
  private final Settings settings;
  private final Closeable spoolLock; // null when read-only
  private final boolean readOnly;
  private final String leasePrefix;
  private final Ids idGen = new Ids(0);

  private final TreeMap<Integer, Segment> segments = new TreeMap<>();
  private Segment active;
  private long totalSize;
  private long totalLive;
  private long writtenSeq;
  private final Object commitLock = new Object();
  private final AtomicInteger entering = new AtomicInteger(); // enqueues between entry and append
  private final Map<Long, Long> producers = new java.util.concurrent.ConcurrentHashMap<>(); // thread id -> last enqueue
  private volatile long writtenSeqVolatile;
  private long durableSeq;
  private boolean forcing;
  private volatile IOException failure;
  private boolean closed;
  private boolean compacting;
  private boolean rolled;
  private long lastNowMs = Long.MIN_VALUE;
  private int leaseCounter;
  private int forceFrom; // segments from this number on may hold writes not yet forced

  // ---- the index: one slot per message, in primitive arrays ----
  private final LongIntMap slotOf = new LongIntMap();
  private int capacity;
  private long[] ids;
  private long[] due;
  private long[] enqPos;
  private int[] enqLen;
  private long[] statePos;
  private int[] stateLen;
  private long[] leaseExp;
  private int[] leaseSeq;
  private byte[] flags;
  private long[] rcpt; // recipients per state, 12 bits each; larger counts in rcptBig
  private final Map<Integer, int[]> rcptBig = new HashMap<>();
  private int[] heap;
  private int[] heapPos;
  private int heapSize;
  private int[] freeSlots;
  private int freeCount;
  private int highWater;
  private final long[] rcptTotals = new long[NSTATES];
  private final Map<String, Idem> keys = new HashMap<>();

  private FileStoreEngine(Storage storage, Settings settings, Closeable spoolLock) {
    this.storage = storage;
    this.settings = settings;
    this.spoolLock = spoolLock;
    this.readOnly = spoolLock == null;
    this.leasePrefix = "f" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16) + "-";
    allocate(1024);
  }

  /**
   * Opens a spool: takes its lock and recovers the index from the segments.
   *
   * @param storage the storage
   * @param settings the settings
   * @return the engine
   * @throws SpoolLockedException if another process or instance holds the spool
   * @throws IOException if the spool cannot be read
   */
  public static FileStoreEngine open(Storage storage, Settings settings) throws IOException {
    Closeable lock = storage.lock(LOCK_FILE);
    try {
      FileStoreEngine e = new FileStoreEngine(storage, settings, lock);
      e.recover();
      return e;
    } catch (IOException | RuntimeException | Error ex) {
      try {
        lock.close();
      } catch (IOException suppressed) {
        ex.addSuppressed(suppressed);
      }
      throw ex;
    }
  }

  /**
   * Opens a spool for reading only, without its lock, as an inspection tool beside the running
   * process: nothing is written (no tail cut, no quarantine, no compaction); a record the owner is
   * still writing is skipped. Every changing method throws {@link IllegalStateException}.
   *
   * @param storage the storage
   * @param settings the settings
   * @return the engine
   * @throws IOException if the spool cannot be read
   */
  public static FileStoreEngine openReadOnly(Storage storage, Settings settings) throws IOException {
    FileStoreEngine e = new FileStoreEngine(storage, settings, null);
    e.recover();
    return e;
  }

  private void writable() {
    if (readOnly) {
      throw new IllegalStateException("this queue store was opened read-only (without the spool lock): "
          + "change a live spool through the process that owns it");
    }
  }

  // =================================================================== index arrays

  private void allocate(int n) {
    capacity = n;
    ids = new long[n];
    due = new long[n];
    enqPos = new long[n];
    enqLen = new int[n];
    statePos = new long[n];
    stateLen = new int[n];
    leaseExp = new long[n];
    leaseSeq = new int[n];
    flags = new byte[n];
    rcpt = new long[n];
    heap = new int[n];
    heapPos = new int[n];
    freeSlots = new int[n];
  }

  /** Grows by half; every array is copied before any is replaced, so running out of heap changes nothing. */
  private void grow() {
    int n = capacity + (capacity >> 1);
    long[] nIds = Arrays.copyOf(ids, n);
    long[] nDue = Arrays.copyOf(due, n);
    long[] nEnqPos = Arrays.copyOf(enqPos, n);
    int[] nEnqLen = Arrays.copyOf(enqLen, n);
    long[] nStatePos = Arrays.copyOf(statePos, n);
    int[] nStateLen = Arrays.copyOf(stateLen, n);
    long[] nLeaseExp = Arrays.copyOf(leaseExp, n);
    int[] nLeaseSeq = Arrays.copyOf(leaseSeq, n);
    byte[] nFlags = Arrays.copyOf(flags, n);
    long[] nRcpt = Arrays.copyOf(rcpt, n);
    int[] nHeap = Arrays.copyOf(heap, n);
    int[] nHeapPos = Arrays.copyOf(heapPos, n);
    int[] nFree = Arrays.copyOf(freeSlots, n);
    ids = nIds;
    due = nDue;
    enqPos = nEnqPos;
    enqLen = nEnqLen;
    statePos = nStatePos;
    stateLen = nStateLen;
    leaseExp = nLeaseExp;
    leaseSeq = nLeaseSeq;
    flags = nFlags;
    rcpt = nRcpt;
    heap = nHeap;
    heapPos = nHeapPos;
    freeSlots = nFree;
    capacity = n;
  }

  private int count(int s, RecipientState st) {
    int[] big = rcpt[s] < 0 ? rcptBig.get(s) : null;
    return big != null ? big[st.ordinal()] : (int) ((rcpt[s] >>> (12 * st.ordinal())) & 0xfff);
  }

  private int openRecipients(int s) {
    return count(s, RecipientState.PENDING) + count(s, RecipientState.DEFERRED);
  }

  private void setCounts(int s, int[] counts) {
    long packed = 0;
    boolean fits = true;
    for (int i = 0; i < NSTATES; i++) {
      fits &= counts[i] <= 0xfff;
      packed |= ((long) Math.min(counts[i], 0xfff)) << (12 * i);
    }
    if (fits) {
      rcpt[s] = packed;
      rcptBig.remove(s);
    } else {
      rcpt[s] = -1;
      rcptBig.put(s, counts.clone());
    }
  }

  private int newSlot(long id) {
    int s;
    if (freeCount > 0) {
      s = freeSlots[--freeCount];
    } else {
      if (highWater == capacity) {
        grow();
      }
      s = highWater++;
    }
    ids[s] = id;
    due[s] = 0;
    enqPos[s] = -1;
    enqLen[s] = 0;
    statePos[s] = -1;
    stateLen[s] = 0;
    leaseExp[s] = 0;
    leaseSeq[s] = 0;
    flags[s] = 0;
    setCounts(s, new int[NSTATES]);
    heapPos[s] = -1;
    slotOf.put(id, s);
    return s;
  }

  private void freeSlot(int s) {
    for (RecipientState st : RecipientState.values()) {
      rcptTotals[st.ordinal()] -= count(s, st);
    }
    rcptBig.remove(s);
    unaccount(enqPos[s], enqLen[s]);
    unaccount(statePos[s], stateLen[s]);
    heapRemove(s);
    slotOf.remove(ids[s]);
    ids[s] = 0;
    freeSlots[freeCount++] = s;
  }

  private void account(long pos, int len) {
    if (pos >= 0) {
      Segment seg = segments.get(segOf(pos));
      if (seg != null) {
        seg.live += len;
        totalLive += len;
      }
    }
  }

  private void unaccount(long pos, int len) {
    if (pos >= 0) {
      Segment seg = segments.get(segOf(pos));
      if (seg != null) {
        seg.live -= len;
        totalLive -= len;
      }
    }
  }

  private void setState(int s, int[] counts, long nextMs, boolean held, boolean tried) {
    for (RecipientState st : RecipientState.values()) {
      rcptTotals[st.ordinal()] += counts[st.ordinal()] - count(s, st);
    }
    setCounts(s, counts);
    due[s] = nextMs;
    flags[s] = (byte) ((held ? HELD : 0) | (tried ? TRIED : 0));
    heapUpdate(s);
  }

  private long key(int s) {
    if ((flags[s] & HELD) != 0) {
      return Long.MAX_VALUE;
    }
    return leaseExp[s] != 0 ? Math.max(due[s], leaseExp[s]) : due[s];
  }

  private void heapUpdate(int s) {
    if (heapPos[s] < 0) {
      heap[heapSize] = s;
      heapPos[s] = heapSize++;
      siftUp(heapPos[s]);
    } else {
      siftDown(siftUp(heapPos[s]));
    }
  }

  private void heapRemove(int s) {
    int i = heapPos[s];
    if (i < 0) {
      return;
    }
    int last = heap[--heapSize];
    heapPos[s] = -1;
    if (i < heapSize) {
      heap[i] = last;
      heapPos[last] = i;
      siftDown(siftUp(i));
    }
  }

  private int siftUp(int i) {
    int s = heap[i];
    long k = key(s);
    while (i > 0) {
      int p = (i - 1) >>> 1;
      int ps = heap[p];
      if (key(ps) <= k) {
        break;
      }
      heap[i] = ps;
      heapPos[ps] = i;
      i = p;
    }
    heap[i] = s;
    heapPos[s] = i;
    return i;
  }

  private int siftDown(int i) {
    int s = heap[i];
    long k = key(s);
    while (true) {
      int c = 2 * i + 1;
      if (c >= heapSize) {
        break;
      }
      if (c + 1 < heapSize && key(heap[c + 1]) < key(heap[c])) {
        c++;
      }
      if (key(heap[c]) >= k) {
        break;
      }
      heap[i] = heap[c];
      heapPos[heap[i]] = i;
      i = c;
    }
    heap[i] = s;
    heapPos[s] = i;
    return i;
  }

  private static int segOf(long pos) {
    return (int) (pos >>> 40);
  }

  private static long offOf(long pos) {
    return pos & OFFSET_MASK;
  }

  private static long pack(int seg, long off) {
    return ((long) seg << 40) | off;
  }

  private static String segmentName(int n) {
    return String.format("%s%010d%s", SEG_PREFIX, n, SEG_SUFFIX);
  }

  // =================================================================== recovery

  private void recover() throws IOException {
    List<Integer> numbers = new ArrayList<>();
    for (String name : storage.list()) {
      if (name.startsWith(SEG_PREFIX) && name.endsWith(SEG_SUFFIX)) {
        try {
          numbers.add(Integer.parseInt(name.substring(SEG_PREFIX.length(), name.length() - SEG_SUFFIX.length())));
        } catch (NumberFormatException e) {
          LOG.warn("ignoring a file that looks like a segment but is not numbered: {}", storage.describe(name), e);
        }
      }
    }
    numbers.sort(null);
    for (int n : numbers) {
      Storage.StorageFile f = storage.open(segmentName(n), false);
      Segment seg = new Segment(n, f, f.size());
      segments.put(n, seg);
      totalSize += seg.size;
    }
    int recordCount = 0;
    for (Iterator<Segment> it = new ArrayList<>(segments.values()).iterator(); it.hasNext(); ) {
      Segment seg = it.next();
      recordCount += scan(seg, !it.hasNext());
    }
    if (segments.isEmpty() && !readOnly) {
      roll();
    } else if (!segments.isEmpty()) {
      active = segments.lastEntry().getValue();
    }
    LOG.info("queue spool {}: recovered {} messages from {} records in {} segments",
        storage.describe(""), slotOf.size(), recordCount, segments.size());
    if (!readOnly) {
      rolled = true;
      afterWrite();
    }
  }

  private int scan(Segment seg, boolean last) throws IOException {
    long pos = 0;
    long size = seg.size;
    int records = 0;
    while (pos < size) {
      long len = validLength(seg.file, pos, size);
      if (len > 0) {
        try {
          apply(seg, pos, (int) len);
          records++;
        } catch (IOException | RuntimeException e) {
          if (readOnly) {
            LOG.warn("queue spool (read-only): skipping an unreadable record in {} at {}", storage.describe(seg.name), pos, e);
          } else {
            quarantine(seg, pos, pos + len, "a record with a valid checksum that cannot be read: " + e);
            padOver(seg, pos, len);
          }
        }
        pos += len;
        continue;
      }
      long next = resync(seg.file, pos + 1, size);
      if (readOnly) {
        if (next < 0) {
          break; // the owner may be writing this tail right now
        }
        LOG.warn("queue spool (read-only): skipping {} unreadable bytes in {} at {}", next - pos, storage.describe(seg.name), pos);
        pos = next;
        continue;
      }
      if (next < 0) {
        if (last) {
          LOG.info("queue spool: cut a torn tail of {} bytes at offset {} of {} (an unacknowledged write)",
              size - pos, pos, storage.describe(seg.name));
        } else {
          quarantine(seg, pos, size, "corrupt bytes at the end of a finished segment");
        }
        seg.file.truncate(pos);
        seg.file.force();
        totalSize -= size - pos;
        size = pos;
        break;
      }
      quarantine(seg, pos, next, "a corrupt record (bad magic, length or checksum)");
      padOver(seg, pos, next - pos);
      pos = next;
    }
    seg.size = size;
    return records;
  }

  /** The total length of a valid record at {@code pos}, or -1. */
  private static long validLength(Storage.StorageFile f, long pos, long size) throws IOException {
    if (size - pos < RecordCodec.HEADER + 2) {
      return -1;
    }
    ByteBuffer h = ByteBuffer.allocate(RecordCodec.HEADER);
    while (h.hasRemaining()) {
      if (f.read(h, pos + h.position()) <= 0) {
        return -1;
      }
    }
    h.flip();
    if (h.getInt() != RecordCodec.MAGIC) {
      return -1;
    }
    int len = h.getInt();
    int crc = h.getInt();
    if (len < 2 || len > size - pos - RecordCodec.HEADER) {
      return -1;
    }
    CRC32C c = new CRC32C();
    ByteBuffer b = ByteBuffer.allocate(Math.min(len, 1 << 16));
    long p = pos + RecordCodec.HEADER;
    long end = p + len;
    while (p < end) {
      b.clear();
      b.limit((int) Math.min(b.capacity(), end - p));
      int n = f.read(b, p);
      if (n <= 0) {
        return -1;
      }
      b.flip();
      c.update(b);
      p += n;
    }
    return (int) c.getValue() == crc ? RecordCodec.HEADER + (long) len : -1;
  }

  private static long resync(Storage.StorageFile f, long from, long size) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(1 << 16);
    long p = from;
    while (p + 4 <= size) {
      b.clear();
      b.limit((int) Math.min(b.capacity(), size - p));
      int n = f.read(b, p);
      if (n <= 0) {
        return -1;
      }
      for (int i = 0; i + 4 <= n; i++) {
        if (b.getInt(i) == RecordCodec.MAGIC && validLength(f, p + i, size) > 0) {
          return p + i;
        }
      }
      p += Math.max(1, n - 3);
    }
    return -1;
  }

  private void quarantine(Segment seg, long from, long to, String why) {
    String name = QUARANTINE + "/" + seg.name + "@" + from + ".bad";
    try {
      Storage.StorageFile q = storage.open(name, true);
      try (q) {
        q.truncate(0);
        ByteBuffer b = ByteBuffer.allocate(1 << 16);
        long p = from;
        long out = 0;
        while (p < to) {
          b.clear();
          b.limit((int) Math.min(b.capacity(), to - p));
          int n = seg.file.read(b, p);
          if (n <= 0) {
            break;
          }
          b.flip();
          q.write(b, out);
          out += n;
          p += n;
        }
        q.force();
      }
      LOG.warn("queue spool: {} in {} at offsets {}..{} ({} bytes) moved aside to {}; the segment's other records are kept",
          why, storage.describe(seg.name), from, to, to - from, storage.describe(name));
    } catch (IOException e) {
      LOG.error("queue spool: {} in {} at offsets {}..{}; could not copy it to {}", why, storage.describe(seg.name),
          from, to, storage.describe(name), e);
    }
  }

  private void padOver(Segment seg, long pos, long len) throws IOException {
    if (len >= RecordCodec.HEADER + 2 && len <= Integer.MAX_VALUE) {
      seg.file.write(ByteBuffer.wrap(RecordCodec.pad((int) len)), pos);
      seg.file.force();
    }
  }

  private DataInputStream body(Segment seg, long pos, int len) {
    return new DataInputStream(new PositionalInput(seg.file, pos + RecordCodec.HEADER, len - RecordCodec.HEADER, 8192));
  }

  private void apply(Segment seg, long pos, int len) throws IOException {
    DataInputStream in = body(seg, pos, len);
    int version = in.readUnsignedByte();
    if (version != RecordCodec.VERSION) {
      throw new IOException("unknown record version " + version);
    }
    int type = in.readUnsignedByte();
    switch (type) {
      case RecordCodec.ENQUEUE -> {
        RecordCodec.Header h = RecordCodec.readHeader(in);
        checkEnqueue(h, seg, pos, len);
        int s = slotOf.get(h.id());
        if (s >= 0 && !readHeader(s).recipients().equals(h.recipients())) {
          throw new IOException("a second ENQUEUE record for " + Ids.format(h.id()) + " with other recipients");
        }
        idGen.observe(h.id());
        if (s < 0) {
          s = newSlot(h.id());
          int[] counts = new int[NSTATES];
          counts[RecipientState.PENDING.ordinal()] = h.recipients().size();
          setState(s, counts, h.arrival().toEpochMilli(), false, false);
        } else {
          unaccount(enqPos[s], enqLen[s]);
        }
        enqPos[s] = pack(seg.number, pos);
        enqLen[s] = len;
        account(enqPos[s], len);
        if (h.idempotencyKey().isPresent()) {
          long until = h.arrival().plus(settings.idempotencyWindow()).toEpochMilli();
          Idem old = keys.get(h.idempotencyKey().get());
          keys.put(h.idempotencyKey().get(), new Idem(h.id(), old != null ? Math.max(old.untilMs, until) : until, seg.number));
        }
      }
      case RecordCodec.STATE -> {
        int[] counts = new int[NSTATES];
        long[] sum = RecordCodec.readStateSummary(in, counts);
        int s = slotOf.get(sum[0]);
        if (s >= 0) {
          checkState(s, seg, pos, len);
          unaccount(statePos[s], stateLen[s]);
          statePos[s] = pack(seg.number, pos);
          stateLen[s] = len;
          account(statePos[s], len);
          setState(s, counts, sum[1], sum[2] != 0, sum[3] != 0);
        }
      }
      case RecordCodec.REMOVE -> {
        long id = in.readLong();
        if (id <= 0) {
          throw new IOException("message id out of range in a REMOVE record: " + id);
        }
        idGen.observe(id);
        int s = slotOf.get(id);
        if (s >= 0) {
          freeSlot(s);
        }
      }
      case RecordCodec.IDEMPOTENCY -> {
        String k = in.readUTF();
        long id = in.readLong();
        long until = in.readLong();
        if (id <= 0) {
          throw new IOException("message id out of range in an IDEMPOTENCY record: " + id);
        }
        idGen.observe(id);
        keys.put(k, new Idem(id, until, seg.number));
      }
      case RecordCodec.PAD -> {
        // nothing: covers bytes cut out earlier
      }
      default -> throw new IOException("unknown record type " + type);
    }
  }

  /**
   * Recovery trusts a record's checksum only for its bytes: an ENQUEUE record must also make sense,
   * so that every message the index holds can be loaded and its content read back.
   */
  private void checkEnqueue(RecordCodec.Header h, Segment seg, long pos, int len) throws IOException {
    if (h.id() <= 0) {
      throw new IOException("message id out of range in an ENQUEUE record: " + h.id());
    }
    if (h.headerLength() < 0 || h.size() < 0 || h.size() > MAX_CONTENT
        || h.contentOffsetInBody() + h.size() != len - RecordCodec.HEADER) {
      throw new IOException("ENQUEUE record of " + Ids.format(h.id()) + ": header length " + h.headerLength()
          + " and content size " + h.size() + " do not add up to the record's " + (len - RecordCodec.HEADER) + " bytes");
    }
    // the header must end exactly where its length says, or the content would be read from the wrong offset
    DataInputStream prefix = new DataInputStream(
        new PositionalInput(seg.file, pos + RecordCodec.HEADER, h.contentOffsetInBody(), 8192));
    prefix.skipNBytes(2);
    RecordCodec.readHeader(prefix);
    if (prefix.read() != -1) {
      throw new IOException("ENQUEUE record of " + Ids.format(h.id()) + ": its header is shorter than its length "
          + h.headerLength() + " says");
    }
    toMessage(h, h.recipients(), h.arrival(), false, Optional.empty()); // the value checks of a loaded message
  }

  /** A STATE record must fit its message (recipient count, valid states), as {@link #load} will read it. */
  private void checkState(int s, Segment seg, long pos, int len) throws IOException {
    RecordCodec.Header h = readHeader(s);
    DataInputStream in = body(seg, pos, len);
    in.readUnsignedByte();
    in.readUnsignedByte();
    try {
      RecordCodec.State st = RecordCodec.readState(in, h.recipients());
      toMessage(h, st.recipients(), st.nextAttemptAt(), st.held(), Optional.empty());
    } catch (IllegalArgumentException e) {
      throw new IOException("STATE record of " + Ids.format(h.id()) + " does not fit the message: " + e.getMessage(), e);
    }
  }

  private static QueuedMessage toMessage(RecordCodec.Header h, List<RecipientRecord> rs, Instant next, boolean held,
      Optional<Instant> leased) {
    return new QueuedMessage(Ids.format(h.id()), h.sender(), rs, h.envId(), h.ret(), h.body(), h.smtpUtf8(),
        h.arrival(), h.size(), h.tenant(), h.tags(), h.idempotencyKey(), next, held, leased);
  }

  // =================================================================== writing

  private void checkUsable() throws IOException {
    if (closed) {
      throw new IllegalStateException("the queue store is closed");
    }
    if (failure != null) {
      throw new IOException("the queue store failed earlier and must be reopened: " + failure.getMessage(), failure);
    }
  }

  private long touch(Instant now) {
    long ms = now.toEpochMilli();
    lastNowMs = Math.max(lastNowMs, ms);
    return ms;
  }

  private void roll() throws IOException {
    int n = active == null ? (segments.isEmpty() ? 1 : segments.lastKey() + 1) : active.number + 1;
    Storage.StorageFile f = storage.open(segmentName(n), true);
    f.truncate(0);
    storage.syncDirectory();
    Segment seg = new Segment(n, f, 0);
    segments.put(n, seg);
    active = seg;
    rolled = true;
  }

  private long append(byte[] record) throws IOException {
    rollFor(record.length);
    Segment seg = active;
    long off = seg.size;
    try {
      seg.file.write(ByteBuffer.wrap(record), off);
    } catch (IOException e) {
      throw undo(seg, off, e);
    }
    seg.size += record.length;
    totalSize += record.length;
    writtenSeqVolatile = ++writtenSeq;
    return pack(seg.number, off);
  }

  private long appendStreaming(byte[] prefix, MessageContent content, long size) throws IOException {
    long total = RecordCodec.HEADER + prefix.length + size;
    rollFor(total);
    Segment seg = active;
    long off = seg.size;
    try (InputStream in = content.open()) {
      CRC32C crc = new CRC32C();
      crc.update(prefix);
      ByteBuffer head = ByteBuffer.allocate(RecordCodec.HEADER);
      head.putInt(RecordCodec.MAGIC).putInt((int) (prefix.length + size)).putInt(0).flip();
      seg.file.write(head, off);
      seg.file.write(ByteBuffer.wrap(prefix), off + RecordCodec.HEADER);
      long p = off + RecordCodec.HEADER + prefix.length;
      long written = 0;
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        if (written + n > size) {
          throw new IOException("content yielded more than its declared size " + size);
        }
        crc.update(buf, 0, n);
        seg.file.write(ByteBuffer.wrap(buf, 0, n), p);
        p += n;
        written += n;
      }
      if (written != size) {
        throw new IOException("content yielded " + written + " bytes but declared size " + size);
      }
      seg.file.write(ByteBuffer.allocate(4).putInt(0, (int) crc.getValue()), off + 8);
    } catch (IOException e) {
      throw undo(seg, off, e);
    }
    seg.size += total;
    totalSize += total;
    writtenSeqVolatile = ++writtenSeq;
    return pack(seg.number, off);
  }

  /** Cuts a failed write off so the log stays a sequence of whole records. */
  private IOException undo(Segment seg, long off, IOException e) {
    try {
      seg.file.truncate(off);
    } catch (IOException t) {
      e.addSuppressed(t);
      failure = e;
    }
    return full(e, seg.name);
  }

  private IOException full(IOException e, String name) {
    String msg = String.valueOf(e.getMessage());
    if (msg.contains("No space left") || msg.contains("ENOSPC") || msg.contains("Disk quota")) {
      return new QueueFullException("queue spool " + storage.describe(name) + " is full: " + msg
          + "; nothing was acknowledged", e);
    }
    return e;
  }

  private void rollFor(long recordLength) throws IOException {
    if (active.size > 0 && active.size + recordLength > settings.segmentSize()) {
      try {
        roll();
      } catch (IOException e) {
        throw full(e, segmentName(active.number + 1));
      }
    }
  }

  private void checkSpace(long recordLength) throws IOException {
    if (settings.minFreeBytes() == 0) {
      return; // no watermark: the disk itself decides (ENOSPC becomes a QueueFullException)
    }
    long free = storage.usableSpace();
    if (free - recordLength < settings.minFreeBytes()) {
      throw new QueueFullException("queue spool " + storage.describe("") + " is nearly full: " + free
          + " bytes free, below the minimum of " + settings.minFreeBytes() + " (minFreeBytes) plus this message's "
          + recordLength + " bytes; enqueue refused, nothing acknowledged", null);
    }
  }

  /** Waits until everything written up to {@code seq} is durable; forces itself if nobody else does. */
  private void awaitDurable(long seq) throws IOException {
    awaitDurable(seq, 0);
  }

  /**
   * Waits until everything written up to {@code seq} is durable. With a positive {@code delayNanos}
   * it first gives other writers that long to start the fsync that covers it (a commit delay, as
   * PostgreSQL's {@code commit_delay}): under load an enqueue's fsync comes along within a
   * millisecond or two and carries these records for free; when nobody comes, it forces itself.
   */
  private void awaitDurable(long seq, long delayNanos) throws IOException {
    long deadline = System.nanoTime() + delayNanos;
    synchronized (commitLock) {
      while (true) {
        if (durableSeq >= seq) {
          return;
        }
        if (failure != null) {
          throw new IOException("the queue store could not make its log durable: " + failure.getMessage(), failure);
        }
        long left = deadline - System.nanoTime();
        if (!forcing && left <= 0) {
          forcing = true;
          break;
        }
        try {
          if (forcing) {
            commitLock.wait();
          } else {
            TimeUnit.NANOSECONDS.timedWait(commitLock, left);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException("interrupted while waiting for the queue log's fsync");
        }
      }
    }
    // Enqueues already past their content read are about to append: let them join this fsync
    // rather than pay for the next one (bounded; nothing waits when a single producer writes).
    // Likewise producers that enqueued recently and are preparing their next message (with N
    // producers in a loop, group commit otherwise settles into two alternating halves of N/2):
    // wait, briefly, until as many records are pending as there are such producers.
    long siblingsUntil = System.nanoTime() + SIBLING_WAIT_NANOS;
    int producers = recentProducers();
    while ((entering.get() > 0 || pendingRecords() < producers) && System.nanoTime() - siblingsUntil < 0) {
      LockSupport.parkNanos(SIBLING_POLL_NANOS);
    }
    long target;
    List<Segment> toForce = new ArrayList<>();
    synchronized (this) {
      target = writtenSeq;
      for (Segment s : segments.tailMap(forceFrom, true).values()) {
        s.pins.incrementAndGet();
        toForce.add(s);
      }
      forceFrom = active.number;
    }
    IOException err = null;
    try {
      for (Segment s : toForce) {
        s.file.force();
      }
    } catch (IOException e) {
      err = e;
    } finally {
      toForce.forEach(Segment::unpin);
    }
    synchronized (commitLock) {
      forcing = false;
      if (err == null) {
        durableSeq = Math.max(durableSeq, target);
      } else {
        failure = err;
      }
      commitLock.notifyAll();
    }
    if (err != null) {
      throw new IOException("fsync of the queue log failed; the store refuses further writes until reopened", err);
    }
  }

  private long pendingRecords() {
    synchronized (commitLock) {
      return writtenSeqVolatile - durableSeq;
    }
  }

  /** Threads that enqueued within the last {@link #PRODUCER_WINDOW_NANOS}. */
  private int recentProducers() {
    long now = System.nanoTime();
    int n = 0;
    for (Iterator<Map.Entry<Long, Long>> it = producers.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Long, Long> e = it.next();
      if (now - e.getValue() > PRODUCER_WINDOW_NANOS) {
        it.remove();
      } else {
        n++;
      }
    }
    return n;
  }

  /** Forces every segment now (holding the monitor), so the log is durable up to {@link #writtenSeq}. */
  private void forceAll() throws IOException {
    try {
      for (Segment s : segments.values()) {
        s.file.force();
      }
    } catch (IOException e) {
      failure = e;
      throw e;
    }
    synchronized (commitLock) {
      durableSeq = Math.max(durableSeq, writtenSeq);
      commitLock.notifyAll();
    }
  }

  private void writeState(int s, QueuedMessage m) throws IOException {
    byte[] rec = RecordCodec.frame(RecordCodec.state(ids[s], m));
    long pos = append(rec);
    unaccount(statePos[s], stateLen[s]);
    statePos[s] = pos;
    stateLen[s] = rec.length;
    account(pos, rec.length);
    int[] counts = new int[NSTATES];
    boolean tried = false;
    for (RecipientRecord r : m.recipients()) {
      counts[r.state().ordinal()]++;
      tried |= r.attempts() > 0;
    }
    setState(s, counts, m.nextAttemptAt().toEpochMilli(), m.held(), tried);
  }

  private void remove(int s) throws IOException {
    append(RecordCodec.frame(RecordCodec.remove(ids[s])));
    freeSlot(s);
  }

  /** Runs compaction when a roll happened. Holding the monitor. */
  private void afterWrite() throws IOException {
    if (!rolled || compacting) {
      return;
    }
    rolled = false;
    compacting = true;
    try {
      int rounds = segments.size();
      while (segments.size() >= 2 && rounds-- > 0) {
        Segment oldest = segments.firstEntry().getValue();
        boolean mostlyDead = oldest.live * 2 < oldest.size;
        boolean bloated = totalSize > 4 * totalLive + 2 * settings.segmentSize();
        if (!mostlyDead && !bloated) {
          break;
        }
        compactOldest(oldest);
      }
    } finally {
      compacting = false;
    }
  }

  private void compactOldest(Segment old) throws IOException {
    int copied = 0;
    for (int s = 0; s < highWater; s++) {
      if (ids[s] == 0) {
        continue;
      }
      boolean enqHere = segOf(enqPos[s]) == old.number;
      boolean stateHere = statePos[s] >= 0 && segOf(statePos[s]) == old.number;
      if (!enqHere && !stateHere) {
        continue;
      }
      if (enqHere) {
        long np = copyRecord(enqPos[s], enqLen[s]);
        unaccount(enqPos[s], enqLen[s]);
        enqPos[s] = np;
        account(np, enqLen[s]);
      }
      if (statePos[s] >= 0) {
        // the latest state always follows the (possibly new) enqueue record in log order
        long np = copyRecord(statePos[s], stateLen[s]);
        unaccount(statePos[s], stateLen[s]);
        statePos[s] = np;
        account(np, stateLen[s]);
      }
      copied++;
    }
    for (Iterator<Map.Entry<String, Idem>> it = keys.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Idem> e = it.next();
      Idem k = e.getValue();
      if (k.segment != old.number) {
        continue;
      }
      int s = slotOf.get(k.id);
      if (s >= 0) {
        e.setValue(new Idem(k.id, k.untilMs, segOf(enqPos[s])));
      } else if (k.untilMs > lastNowMs) {
        long pos = append(RecordCodec.frame(RecordCodec.idempotency(e.getKey(), k.id, k.untilMs)));
        e.setValue(new Idem(k.id, k.untilMs, segOf(pos)));
      } else {
        it.remove();
      }
    }
    forceAll();
    segments.remove(old.number);
    totalSize -= old.size;
    totalLive -= old.live;
    LOG.debug("queue spool: compacted {} ({} bytes, {} live messages copied forward)", old.name, old.size, copied);
    old.retired = true;
    if (old.pins.get() == 0) {
      deleteRetired(old);
    }
  }

  private long copyRecord(long pos, int len) throws IOException {
    Segment src = segments.get(segOf(pos));
    byte[] rec = new byte[len];
    ByteBuffer b = ByteBuffer.wrap(rec);
    while (b.hasRemaining()) {
      if (src.file.read(b, offOf(pos) + b.position()) <= 0) {
        throw new IOException("short read while compacting " + src.name + " at " + offOf(pos));
      }
    }
    return append(rec);
  }

  private void deleteRetired(Segment seg) {
    synchronized (seg) {
      if (seg.deleted) {
        return;
      }
      seg.deleted = true;
    }
    try {
      seg.file.close();
      storage.delete(seg.name);
      storage.syncDirectory();
    } catch (IOException e) {
      LOG.warn("queue spool: could not delete compacted segment {}; it will be compacted again after a restart",
          storage.describe(seg.name), e);
    }
  }

  // =================================================================== reading

  private RecordCodec.Header readHeader(int s) throws IOException {
    Segment seg = segments.get(segOf(enqPos[s]));
    DataInputStream in = body(seg, offOf(enqPos[s]), enqLen[s]);
    in.readUnsignedByte();
    in.readUnsignedByte();
    return RecordCodec.readHeader(in);
  }

  private QueuedMessage load(int s, long nowMs) throws IOException {
    RecordCodec.Header h = readHeader(s);
    List<RecipientRecord> rs = h.recipients();
    Instant next = h.arrival();
    boolean held = false;
    if (statePos[s] >= 0) {
      Segment seg = segments.get(segOf(statePos[s]));
      DataInputStream in = body(seg, offOf(statePos[s]), stateLen[s]);
      in.readUnsignedByte();
      in.readUnsignedByte();
      RecordCodec.State st = RecordCodec.readState(in, rs);
      rs = st.recipients();
      next = st.nextAttemptAt();
      held = st.held();
    }
    Optional<Instant> leased = leaseLive(s, nowMs) ? Optional.of(Instant.ofEpochMilli(leaseExp[s])) : Optional.empty();
    return toMessage(h, rs, next, held, leased);
  }

  private boolean leaseLive(int s, long nowMs) {
    return leaseExp[s] != 0 && nowMs < leaseExp[s];
  }

  private String token(int s) {
    return leasePrefix + Integer.toHexString(leaseSeq[s]);
  }

  private int slot(QueueId id) {
    long n = Ids.parse(id);
    return n <= 0 ? -1 : slotOf.get(n);
  }

  private int validLease(Lease lease, long nowMs) {
    int s = slot(lease.id());
    if (s < 0 || leaseExp[s] == 0 || !token(s).equals(lease.token()) || !leaseLive(s, nowMs)) {
      return -1;
    }
    return s;
  }

  private String why(Lease lease, long nowMs) {
    int s = slot(lease.id());
    if (s < 0) {
      return "the message is no longer in the queue";
    }
    if (leaseExp[s] == 0 || !token(s).equals(lease.token())) {
      return "it was released, replaced by another lease, or the store restarted";
    }
    return "it expired at " + Instant.ofEpochMilli(leaseExp[s]) + " (now " + Instant.ofEpochMilli(nowMs) + ")";
  }

  private static Instant ms(Instant t) {
    return t.truncatedTo(ChronoUnit.MILLIS);
  }

  // =================================================================== QueueStore

  @Override
  public QueueId enqueue(NewMessage message, MessageContent content, Instant now) throws IOException {
    writable();
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(content, "content");
    Instant t = ms(Objects.requireNonNull(now, "now"));
    long size = content.size();
    if (size < 0 || size > MAX_CONTENT) {
      throw new IllegalArgumentException("content size must be 0 to " + MAX_CONTENT + " bytes: " + size);
    }
    Appended a;
    producers.put(Thread.currentThread().getId(), System.nanoTime());
    entering.incrementAndGet();
    try {
      a = append(message, content, size, t);
    } finally {
      entering.decrementAndGet();
    }
    awaitDurable(a.seq());
    return a.id();
  }

  /** An enqueue written to the log (or found by its idempotency key), to be made durable up to seq. */
  private record Appended(QueueId id, long seq) {}

  private Appended append(NewMessage message, MessageContent content, long size, Instant t) throws IOException {
    long seq;
    QueueId result;
    synchronized (this) {
      checkUsable();
      Optional<QueueId> k = known(message, touch(t));
      seq = writtenSeq;
      if (k.isPresent()) {
        result = k.get();
      } else {
        result = null;
      }
    }
    if (result != null) {
      return new Appended(result, seq); // the first enqueue with this key may still be on its way to the disk
    }
    long id = idGen.next(t);
    QueuedMessage m = Messages.fresh(Ids.format(id), message, size, t);
    byte[] prefix = RecordCodec.enqueuePrefix(m, id);
    byte[] record = null;
    if (size <= SMALL_CONTENT) {
      byte[] bytes;
      try (InputStream in = content.open()) {
        bytes = in.readNBytes((int) size + 1);
      }
      if (bytes.length != size) {
        throw new IOException("content yielded " + bytes.length + (bytes.length > size ? " or more" : "")
            + " bytes but declared size " + size);
      }
      byte[] body = Arrays.copyOf(prefix, prefix.length + bytes.length);
      System.arraycopy(bytes, 0, body, prefix.length, bytes.length);
      record = RecordCodec.frame(body);
    }
    synchronized (this) {
      checkUsable();
      Optional<QueueId> k = known(message, touch(t));
      if (k.isPresent()) {
        result = k.get();
      } else {
        long len = RecordCodec.HEADER + prefix.length + size;
        checkSpace(len);
        long pos = record != null ? append(record) : appendStreaming(prefix, content, size);
        int s = newSlot(id);
        enqPos[s] = pos;
        enqLen[s] = (int) len;
        account(pos, (int) len);
        int[] counts = new int[NSTATES];
        counts[RecipientState.PENDING.ordinal()] = message.recipients().size();
        setState(s, counts, t.toEpochMilli(), false, false);
        message.idempotencyKey().ifPresent(key -> keys.put(key,
            new Idem(id, t.plus(settings.idempotencyWindow()).toEpochMilli(), segOf(pos))));
        result = Ids.format(id);
        afterWrite();
      }
      seq = writtenSeq;
    }
    return new Appended(result, seq);
  }

  private Optional<QueueId> known(NewMessage m, long nowMs) {
    if (m.idempotencyKey().isEmpty()) {
      return Optional.empty();
    }
    Idem k = keys.get(m.idempotencyKey().get());
    if (k == null) {
      return Optional.empty();
    }
    if (nowMs < k.untilMs || slotOf.get(k.id) >= 0) {
      return Optional.of(Ids.format(k.id));
    }
    keys.remove(m.idempotencyKey().get());
    return Optional.empty();
  }

  @Override
  public synchronized List<ClaimedMessage> claimDue(Instant now, int max, Duration leaseDuration) throws IOException {
    writable();
    checkUsable();
    if (max < 1) {
      throw new IllegalArgumentException("max must be >= 1: " + max);
    }
    Checks.positive("leaseDuration", leaseDuration);
    long nowMs = touch(ms(now));
    List<ClaimedMessage> out = new ArrayList<>();
    while (heapSize > 0 && out.size() < max && key(heap[0]) <= nowMs) {
      int s = heap[0];
      leaseSeq[s] = ++leaseCounter;
      leaseExp[s] = nowMs + Math.max(1, leaseDuration.toMillis());
      heapUpdate(s);
      QueuedMessage m = load(s, nowMs);
      out.add(new ClaimedMessage(new Lease(m.id(), token(s), Instant.ofEpochMilli(leaseExp[s])), m));
    }
    return out;
  }

  @Override
  public synchronized Lease renewLease(Lease lease, Duration leaseDuration, Instant now) throws IOException {
    writable();
    checkUsable();
    Checks.positive("leaseDuration", leaseDuration);
    long nowMs = touch(ms(now));
    int s = validLease(lease, nowMs);
    if (s < 0) {
      throw new LeaseLostException(lease, why(lease, nowMs), List.of());
    }
    leaseExp[s] = nowMs + Math.max(1, leaseDuration.toMillis());
    heapUpdate(s);
    return new Lease(lease.id(), lease.token(), Instant.ofEpochMilli(leaseExp[s]));
  }

  @Override
  public QueuedMessage recordAttempt(Lease lease, DeliveryAttempt attempt, Instant now) throws IOException {
    writable();
    Objects.requireNonNull(attempt, "attempt");
    Instant t = ms(now);
    long nowMs;
    long seq;
    int s;
    List<Mailbox> changed;
    QueuedMessage result = null;
    String reason = null;
    synchronized (this) {
      checkUsable();
      nowMs = touch(t);
      s = validLease(lease, nowMs);
      boolean valid = s >= 0;
      int target = valid ? s : slot(lease.id());
      if (!valid) {
        reason = why(lease, nowMs);
      }
      changed = List.of();
      if (target >= 0) {
        QueuedMessage m = load(target, nowMs);
        DeliveryAttempt a = attempt.nextAttemptAt().isPresent()
            ? DeliveryAttempt.of(attempt.outcomes(), ms(attempt.nextAttemptAt().get())) : attempt;
        Messages.Applied applied = Messages.applyAttempt(m, a, t, !valid);
        changed = applied.changed();
        if (valid || !changed.isEmpty()) {
          writeState(target, applied.message());
        }
        if (valid) {
          result = load(target, nowMs);
        }
        afterWrite();
      }
      seq = writtenSeq;
    }
    awaitDurable(seq);
    if (result == null) {
      throw new LeaseLostException(lease, reason, changed);
    }
    return result;
  }

  /**
   * Records a batch under one monitor hold and makes it durable with one fsync: a message completed
   * here gets only its REMOVE record (its final state would be dead on arrival).
   */
  @Override
  public List<RecordedAttempt> recordAttempts(List<AttemptRecord> records, Instant now) throws IOException {
    writable();
    Objects.requireNonNull(records, "records");
    Set<QueueId> seen = new HashSet<>();
    for (AttemptRecord r : records) {
      if (!seen.add(r.lease().id())) {
        throw new IllegalArgumentException("two entries for message " + r.lease().id() + " in one recordAttempts call");
      }
    }
    Instant t = ms(now);
    List<RecordedAttempt> out = new ArrayList<>(records.size());
    RuntimeException bad = null;
    long seq;
    synchronized (this) {
      checkUsable();
      long nowMs = touch(t);
      try {
        for (AttemptRecord r : records) {
          Lease lease = r.lease();
          int s = validLease(lease, nowMs);
          boolean valid = s >= 0;
          int target = valid ? s : slot(lease.id());
          String reason = valid ? null : why(lease, nowMs);
          List<Mailbox> changed = List.of();
          if (target >= 0) {
            QueuedMessage m = load(target, nowMs);
            DeliveryAttempt a = r.attempt().nextAttemptAt().isPresent()
                ? DeliveryAttempt.of(r.attempt().outcomes(), ms(r.attempt().nextAttemptAt().get())) : r.attempt();
            Messages.Applied applied = Messages.applyAttempt(m, a, t, !valid);
            changed = applied.changed();
            QueuedMessage after = applied.message();
            if (valid && r.completeIfDone() && AttemptRecord.done(after)) {
              remove(target);
              out.add(RecordedAttempt.recorded(lease, after, true));
              continue;
            }
            if (valid || !changed.isEmpty()) {
              writeState(target, after);
            }
            if (valid) {
              out.add(RecordedAttempt.recorded(lease, load(target, nowMs), false));
              continue;
            }
          }
          out.add(RecordedAttempt.lost(lease, new LeaseLostException(lease, reason, changed)));
        }
      } catch (RuntimeException e) {
        bad = e; // what was appended before it is made durable below, as a loop of single calls would
      }
      afterWrite();
      seq = writtenSeq;
    }
    awaitDurable(seq, RECORD_COMMIT_DELAY_NANOS);
    if (bad != null) {
      throw bad;
    }
    return out;
  }

  @Override
  public QueuedMessage markNotified(Lease lease, Notification kind, Collection<Mailbox> recipients, Instant now)
      throws IOException {
    writable();
    Objects.requireNonNull(kind, "kind");
    Instant t = ms(now);
    long seq;
    List<Mailbox> changed = List.of();
    QueuedMessage result = null;
    String reason = null;
    synchronized (this) {
      checkUsable();
      long nowMs = touch(t);
      int s = validLease(lease, nowMs);
      int target = s >= 0 ? s : slot(lease.id());
      if (s < 0) {
        reason = why(lease, nowMs);
      }
      if (target >= 0) {
        Messages.Applied applied = Messages.applyNotified(load(target, nowMs), kind, recipients);
        changed = applied.changed();
        writeState(target, applied.message());
        if (s >= 0) {
          result = load(target, nowMs);
        }
        afterWrite();
      }
      seq = writtenSeq;
    }
    awaitDurable(seq);
    if (result == null) {
      throw new LeaseLostException(lease, reason, changed);
    }
    return result;
  }

  @Override
  public synchronized void releaseLease(Lease lease, Instant now) throws IOException {
    writable();
    checkUsable();
    long nowMs = touch(ms(now));
    int s = validLease(lease, nowMs);
    if (s < 0) {
      throw new LeaseLostException(lease, why(lease, nowMs), List.of());
    }
    leaseExp[s] = 0;
    heapUpdate(s);
  }

  @Override
  public void complete(Lease lease, Instant now) throws IOException {
    writable();
    long seq;
    synchronized (this) {
      checkUsable();
      long nowMs = touch(ms(now));
      int s = validLease(lease, nowMs);
      if (s < 0) {
        throw new LeaseLostException(lease, why(lease, nowMs), List.of());
      }
      if (openRecipients(s) > 0) {
        QueuedMessage m = load(s, nowMs);
        throw new IllegalStateException("cannot complete " + lease.id() + ": recipients not final: "
            + m.recipients().stream().filter(r -> !r.state().isFinal()).map(r -> r.mailbox() + "=" + r.state()).toList());
      }
      remove(s);
      afterWrite();
      seq = writtenSeq;
    }
    awaitDurable(seq);
  }

  @Override
  public InputStream openContent(QueueId id) throws IOException {
    Segment seg;
    long bodyStart;
    long bodyLen;
    long contentOffset;
    long size;
    int crc;
    synchronized (this) {
      checkUsable();
      int s = slot(id);
      if (s < 0) {
        throw new NoSuchMessageException(id);
      }
      RecordCodec.Header h = readHeader(s);
      seg = segments.get(segOf(enqPos[s]));
      long off = offOf(enqPos[s]);
      ByteBuffer hb = ByteBuffer.allocate(RecordCodec.HEADER);
      while (hb.hasRemaining()) {
        if (seg.file.read(hb, off + hb.position()) <= 0) {
          throw new IOException("short read of " + id + " in " + seg.name);
        }
      }
      crc = hb.getInt(8);
      bodyStart = off + RecordCodec.HEADER;
      bodyLen = enqLen[s] - RecordCodec.HEADER;
      contentOffset = h.contentOffsetInBody();
      size = h.size();
      seg.pins.incrementAndGet();
    }
    return new ContentStream(id, seg, bodyStart, bodyLen, contentOffset, size, crc);
  }

  /** Streams content from the segment and checks the record's CRC32C at the end. */
  private final class ContentStream extends PositionalInput {
    private final QueueId id;
    private final Segment seg;
    private final CRC32C crc = new CRC32C();
    private final int expected;
    private long remaining;
    private boolean closed;

    ContentStream(QueueId id, Segment seg, long bodyStart, long bodyLen, long contentOffset, long size, int expected)
        throws IOException {
      super(seg.file, bodyStart, bodyLen, 1 << 16);
      this.id = id;
      this.seg = seg;
      this.expected = expected;
      byte[] skip = new byte[(int) contentOffset];
      int got = 0;
      while (got < skip.length) {
        int n = super.read(skip, got, skip.length - got);
        if (n < 0) {
          throw new IOException("short read of " + id);
        }
        got += n;
      }
      crc.update(skip);
      this.remaining = size;
      if (size == 0) {
        verify();
      }
    }

    private void verify() throws IOException {
      if ((int) crc.getValue() != expected) {
        throw new IOException("content of " + id + " in " + storage.describe(seg.name) + " is corrupt (checksum mismatch)");
      }
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (remaining == 0) {
        return -1;
      }
      int n = super.read(b, off, (int) Math.min(len, remaining));
      if (n < 0) {
        throw new IOException("short read of " + id);
      }
      crc.update(b, off, n);
      remaining -= n;
      if (remaining == 0) {
        verify();
      }
      return n;
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        seg.unpin();
      }
    }
  }

  @Override
  public synchronized Optional<Instant> nextDueTime(Instant now) throws IOException {
    checkUsable();
    touch(ms(now));
    if (heapSize == 0 || key(heap[0]) == Long.MAX_VALUE) {
      return Optional.empty();
    }
    return Optional.of(Instant.ofEpochMilli(key(heap[0])));
  }

  @Override
  public synchronized Optional<QueuedMessage> find(QueueId id, Instant now) throws IOException {
    checkUsable();
    int s = slot(id);
    return s < 0 ? Optional.empty() : Optional.of(load(s, touch(ms(now))));
  }

  @Override
  public synchronized QueuePage list(QueueQuery query, Instant now) throws IOException {
    checkUsable();
    long nowMs = touch(ms(now));
    long after = query.after().map(Ids::parse).orElse(0L);
    String afterText = query.after().map(QueueId::value).orElse(null);
    long[] candidates = new long[slotOf.size()];
    int n = 0;
    for (int s = 0; s < highWater; s++) {
      if (ids[s] != 0 && (after > 0 ? ids[s] > after : afterText == null || Ids.format(ids[s]).value().compareTo(afterText) > 0)) {
        candidates[n++] = ids[s];
      }
    }
    Arrays.sort(candidates, 0, n);
    List<QueuedMessage> page = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      QueuedMessage m = load(slotOf.get(candidates[i]), nowMs);
      if (query.matches(m)) {
        page.add(m);
        if (page.size() == query.limit()) {
          return new QueuePage(page, i + 1 < n ? Optional.of(m.id()) : Optional.empty());
        }
      }
    }
    return new QueuePage(page, Optional.empty());
  }

  private interface Change {
    QueuedMessage apply(QueuedMessage m);
  }

  private boolean change(QueueId id, Instant now, Change f) throws IOException {
    writable();
    long seq;
    synchronized (this) {
      checkUsable();
      long nowMs = touch(ms(now));
      int s = slot(id);
      if (s < 0) {
        return false;
      }
      writeState(s, f.apply(load(s, nowMs)));
      afterWrite();
      seq = writtenSeq;
    }
    awaitDurable(seq);
    return true;
  }

  @Override
  public boolean hold(QueueId id, Instant now) throws IOException {
    return change(id, now, m -> Messages.with(m, m.recipients(), m.nextAttemptAt(), true, m.leasedUntil()));
  }

  @Override
  public boolean releaseHold(QueueId id, Instant now) throws IOException {
    return change(id, now, m -> Messages.with(m, m.recipients(), m.nextAttemptAt(), false, m.leasedUntil()));
  }

  @Override
  public boolean retryNow(QueueId id, Instant now) throws IOException {
    Instant t = ms(now);
    return change(id, now, m -> Messages.with(m, m.recipients(), t, m.held(), m.leasedUntil()));
  }

  @Override
  public int retryAllNow(Instant now) throws IOException {
    writable();
    Instant t = ms(now);
    long seq;
    int count = 0;
    synchronized (this) {
      checkUsable();
      long nowMs = touch(t);
      long[] all = new long[slotOf.size()];
      int n = 0;
      for (int s = 0; s < highWater; s++) {
        if (ids[s] != 0) {
          all[n++] = ids[s];
        }
      }
      for (int i = 0; i < n; i++) {
        int s = slotOf.get(all[i]);
        if (s >= 0 && due[s] > nowMs) {
          QueuedMessage m = load(s, nowMs);
          writeState(s, Messages.with(m, m.recipients(), t, m.held(), m.leasedUntil()));
        }
        count++;
      }
      afterWrite();
      seq = writtenSeq;
    }
    awaitDurable(seq);
    return count;
  }

  @Override
  public boolean delete(QueueId id, Instant now) throws IOException {
    writable();
    long seq;
    synchronized (this) {
      checkUsable();
      touch(ms(now));
      int s = slot(id);
      if (s < 0) {
        return false;
      }
      remove(s);
      afterWrite();
      seq = writtenSeq;
    }
    awaitDurable(seq);
    return true;
  }

  @Override
  public boolean forceBounce(QueueId id, Instant now) throws IOException {
    Instant t = ms(now);
    return change(id, now, m -> Messages.forceBounce(m, t));
  }

  @Override
  public synchronized QueueCounts counts(Instant now) throws IOException {
    checkUsable();
    long nowMs = touch(ms(now));
    long[] byStatus = new long[MessageStatus.values().length];
    long messages = 0;
    for (int s = 0; s < highWater; s++) {
      if (ids[s] == 0) {
        continue;
      }
      messages++;
      MessageStatus st;
      if ((flags[s] & HELD) != 0) {
        st = MessageStatus.HELD;
      } else if (leaseLive(s, nowMs)) {
        st = MessageStatus.ACTIVE;
      } else if (openRecipients(s) == 0) {
        st = MessageStatus.FINISHED;
      } else if ((flags[s] & TRIED) != 0) {
        st = MessageStatus.DEFERRED;
      } else {
        st = MessageStatus.QUEUED;
      }
      byStatus[st.ordinal()]++;
    }
    Map<MessageStatus, Long> bs = new java.util.EnumMap<>(MessageStatus.class);
    for (MessageStatus st : MessageStatus.values()) {
      bs.put(st, byStatus[st.ordinal()]);
    }
    Map<RecipientState, Long> rs = new java.util.EnumMap<>(RecipientState.class);
    for (RecipientState st : RecipientState.values()) {
      rs.put(st, rcptTotals[st.ordinal()]);
    }
    return new QueueCounts(messages, bs, rs);
  }

  /**
   * Compacts now if the oldest segment is mostly dead (normally done after each segment roll).
   *
   * @throws IOException on a storage failure
   */
  public synchronized void compact() throws IOException {
    writable();
    checkUsable();
    rolled = true;
    afterWrite();
  }

  /**
   * Facts for tests and benchmarks.
   *
   * @return segments, total bytes, live bytes, messages, index capacity
   */
  public synchronized long[] stats() {
    return new long[] {segments.size(), totalSize, totalLive, slotOf.size(), capacity};
  }

  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    IOException err = null;
    try {
      if (failure == null && !readOnly) {
        forceAll();
      }
    } catch (IOException e) {
      err = e;
    }
    for (Segment s : segments.values()) {
      try {
        s.file.close();
      } catch (IOException e) {
        if (err == null) {
          err = e;
        } else {
          err.addSuppressed(e);
        }
      }
    }
    try {
      if (spoolLock != null) {
        spoolLock.close();
      }
    } catch (IOException e) {
      if (err == null) {
        err = e;
      } else {
        err.addSuppressed(e);
      }
    }
    if (err != null) {
      throw err;
    }
  }
}
