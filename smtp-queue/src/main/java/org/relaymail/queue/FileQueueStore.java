package org.relaymail.queue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.relaymail.protocol.Mailbox;
import org.relaymail.queue.internal.Checks;
import org.relaymail.queue.internal.FileStorage;
import org.relaymail.queue.internal.FileStoreEngine;

/**
 * The embedded default {@link QueueStore}: a spool directory on the local disk holding an
 * append-only segment log ({@code seg-NNNNNNNNNN.log}).
 *
 * <ul>
 *   <li><b>Group commit.</b> Every change is appended as a self-validating record (magic, length,
 *       CRC32C, version); a call returns only after an fsync ({@code FileChannel.force}) covered its
 *       record, and one fsync acknowledges every record written while the previous one ran. So many
 *       concurrent enqueues share one fsync, and nothing is acknowledged before its fsync.
 *   <li><b>State changes</b> (attempts, holds, notifications, removal) are small appended records;
 *       finished segments are compacted: the live records of a mostly dead oldest segment are copied
 *       forward and the segment is deleted.
 *   <li><b>Recovery</b> rebuilds the index at start-up. A torn record at the end of the log (a write
 *       that was never acknowledged) is cut off; a corrupt record elsewhere is copied to
 *       {@code quarantine/} with a log line and skipped, keeping the segment's good records. Start-up
 *       does not fail on corrupt data.
 *   <li><b>Memory.</b> Only ids, due times, lease times and log positions live in memory, in
 *       primitive arrays (about 100 bytes per message); envelopes and content are read from the log
 *       by position, content as a stream.
 *   <li><b>One process per spool</b> through a lock file ({@code spool.lock}, {@code FileChannel.tryLock}):
 *       a second store on the same directory fails with {@link SpoolLockedException}. The kernel
 *       drops the lock when the process dies, so a restart after {@code kill -9} is never locked out.
 *   <li><b>Disk space.</b> {@link #enqueue} refuses with {@link QueueFullException} when the free space
 *       would fall below {@link Builder#minFreeBytes}; state records may still use that reserve, so a
 *       delivery is never repeated because its "delivered" record could not be written.
 *   <li><b>Leases</b> live in memory only: after a restart every message is claimable at its due time.
 *       Times are stored with millisecond precision.
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class FileQueueStore implements QueueStore {
  private final FileStoreEngine engine;

  private FileQueueStore(FileStoreEngine engine) {
    this.engine = engine;
  }

  /**
   * Opens (creating if needed) a spool with default settings.
   *
   * @param spoolDirectory the directory
   * @return the store
   * @throws SpoolLockedException if another process or store instance has the spool open
   * @throws IOException if the spool cannot be opened
   */
  public static FileQueueStore open(Path spoolDirectory) throws IOException {
    return builder(spoolDirectory).open();
  }

  /**
   * Starts configuring a spool.
   *
   * @param spoolDirectory the directory
   * @return a builder
   */
  public static Builder builder(Path spoolDirectory) {
    return new Builder(spoolDirectory);
  }

  /** Configures and opens a {@link FileQueueStore}. Not thread-safe. */
  public static final class Builder {
    private final Path dir;
    private long segmentSize = 64L << 20;
    private long minFreeBytes = 100L << 20;
    private Duration idempotencyWindow = Duration.ofHours(24);
    private boolean readOnly;

    private Builder(Path dir) {
      this.dir = Objects.requireNonNull(dir, "spoolDirectory");
    }

    /**
     * Sets the size at which the log starts a new segment (default 64 MiB).
     *
     * @param bytes 4 KiB or more
     * @return this
     */
    public Builder segmentSize(long bytes) {
      if (bytes < 4096) {
        throw new IllegalArgumentException("segment size must be at least 4096 bytes: " + bytes);
      }
      this.segmentSize = bytes;
      return this;
    }

    /**
     * Sets the free space below which enqueue refuses (default 100 MiB; compare Postfix's
     * {@code queue_minfree}).
     *
     * @param bytes 0 or more
     * @return this
     */
    public Builder minFreeBytes(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("minFreeBytes must be >= 0: " + bytes);
      }
      this.minFreeBytes = bytes;
      return this;
    }

    /**
     * Sets how long idempotency keys are remembered (default 24 hours).
     *
     * @param window positive
     * @return this
     */
    public Builder idempotencyWindow(Duration window) {
      this.idempotencyWindow = Checks.positive("idempotencyWindow", window);
      return this;
    }

    /**
     * Opens the spool for reading only, without its lock, for inspection tools beside the process
     * that owns it ({@link #find}, {@link #list}, {@link #counts}, {@link #openContent},
     * {@link #nextDueTime}). Nothing is written; every changing method throws
     * {@link IllegalStateException}; the view is the log as it was when opened. Changes to a live
     * spool go through the owning process's API.
     *
     * @param readOnly true for a read-only view (default false)
     * @return this
     */
    public Builder readOnly(boolean readOnly) {
      this.readOnly = readOnly;
      return this;
    }

    /**
     * Opens the spool: takes its lock and recovers its index.
     *
     * @return the store
     * @throws SpoolLockedException if another process or store instance has the spool open
     * @throws IOException if the spool cannot be opened
     */
    public FileQueueStore open() throws IOException {
      FileStoreEngine.Settings settings = new FileStoreEngine.Settings(segmentSize, minFreeBytes, idempotencyWindow);
      return new FileQueueStore(readOnly ? FileStoreEngine.openReadOnly(new FileStorage(dir), settings)
          : FileStoreEngine.open(new FileStorage(dir), settings));
    }
  }

  @Override
  public QueueId enqueue(NewMessage message, MessageContent content, Instant now) throws IOException {
    return engine.enqueue(message, content, now);
  }

  @Override
  public List<ClaimedMessage> claimDue(Instant now, int max, Duration leaseDuration) throws IOException {
    return engine.claimDue(now, max, leaseDuration);
  }

  @Override
  public Lease renewLease(Lease lease, Duration leaseDuration, Instant now) throws IOException {
    return engine.renewLease(lease, leaseDuration, now);
  }

  @Override
  public QueuedMessage recordAttempt(Lease lease, DeliveryAttempt attempt, Instant now) throws IOException {
    return engine.recordAttempt(lease, attempt, now);
  }

  @Override
  public QueuedMessage markNotified(Lease lease, Notification kind, Collection<Mailbox> recipients, Instant now)
      throws IOException {
    return engine.markNotified(lease, kind, recipients, now);
  }

  @Override
  public void releaseLease(Lease lease, Instant now) throws IOException {
    engine.releaseLease(lease, now);
  }

  /**
   * True: {@link #recordAttempts} writes a whole batch under one lock and makes it durable with one
   * fsync.
   *
   * @return true
   */
  @Override
  public boolean batchesAttemptRecords() {
    return true;
  }

  /** One fsync for the whole batch; see {@link QueueStore#recordAttempts}. */
  @Override
  public List<RecordedAttempt> recordAttempts(List<AttemptRecord> records, Instant now) throws IOException {
    return engine.recordAttempts(records, now);
  }

  @Override
  public void complete(Lease lease, Instant now) throws IOException {
    engine.complete(lease, now);
  }

  @Override
  public InputStream openContent(QueueId id) throws IOException {
    return engine.openContent(id);
  }

  @Override
  public Optional<Instant> nextDueTime(Instant now) throws IOException {
    return engine.nextDueTime(now);
  }

  @Override
  public Optional<QueuedMessage> find(QueueId id, Instant now) throws IOException {
    return engine.find(id, now);
  }

  @Override
  public QueuePage list(QueueQuery query, Instant now) throws IOException {
    return engine.list(query, now);
  }

  @Override
  public boolean hold(QueueId id, Instant now) throws IOException {
    return engine.hold(id, now);
  }

  @Override
  public boolean releaseHold(QueueId id, Instant now) throws IOException {
    return engine.releaseHold(id, now);
  }

  @Override
  public boolean retryNow(QueueId id, Instant now) throws IOException {
    return engine.retryNow(id, now);
  }

  @Override
  public int retryAllNow(Instant now) throws IOException {
    return engine.retryAllNow(now);
  }

  @Override
  public boolean delete(QueueId id, Instant now) throws IOException {
    return engine.delete(id, now);
  }

  @Override
  public boolean forceBounce(QueueId id, Instant now) throws IOException {
    return engine.forceBounce(id, now);
  }

  @Override
  public QueueCounts counts(Instant now) throws IOException {
    return engine.counts(now);
  }

  /**
   * Compacts the log now if its oldest segment is mostly dead (also done automatically whenever the
   * log starts a new segment).
   *
   * @throws IOException on a storage failure
   */
  public void compact() throws IOException {
    engine.compact();
  }

  @Override
  public void close() throws IOException {
    engine.close();
  }
}
