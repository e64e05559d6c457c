package org.relaymail.queue;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.relaymail.protocol.Mailbox;

/**
 * A {@link QueueStore} that forwards every call to another store, for decorators that change or
 * observe a few calls (metrics, auditing, a submit-only view) and leave the rest alone: subclass it
 * and override what you need. Methods added to {@link QueueStore} later are forwarded here too, so
 * a decorator keeps the wrapped store's own implementation of them. Two are not forwarded, on
 * purpose: {@link QueueStore#recordAttempts} keeps its default (one {@link #recordAttempt} and
 * {@link #complete} per entry, through this class, so that a decorator overriding those sees every
 * record) and so {@link QueueStore#batchesAttemptRecords} keeps its default, false. A decorator that
 * wants the wrapped store's batched writes overrides both to forward them.
 *
 * <p>Thread-safe when the wrapped store is.
 */
public abstract class ForwardingQueueStore implements QueueStore {
  private final QueueStore delegate;

  /**
   * Wraps a store.
   *
   * @param delegate the store every call goes to
   */
  protected ForwardingQueueStore(QueueStore delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /** @return the wrapped store */
  protected final QueueStore delegate() {
    return delegate;
  }

  @Override
  public QueueId enqueue(NewMessage message, MessageContent content, Instant now) throws IOException {
    return delegate.enqueue(message, content, now);
  }

  @Override
  public QueuedMessage recordAttempt(Lease lease, DeliveryAttempt attempt, Instant now) throws IOException {
    return delegate.recordAttempt(lease, attempt, now);
  }

  @Override
  public void complete(Lease lease, Instant now) throws IOException {
    delegate.complete(lease, now);
  }

  @Override
  public List<ClaimedMessage> claimDue(Instant now, int max, Duration leaseDuration) throws IOException {
    return delegate.claimDue(now, max, leaseDuration);
  }

  @Override
  public Lease renewLease(Lease lease, Duration leaseDuration, Instant now) throws IOException {
    return delegate.renewLease(lease, leaseDuration, now);
  }

  @Override
  public QueuedMessage markNotified(Lease lease, Notification kind, Collection<Mailbox> recipients, Instant now)
      throws IOException {
    return delegate.markNotified(lease, kind, recipients, now);
  }

  @Override
  public void releaseLease(Lease lease, Instant now) throws IOException {
    delegate.releaseLease(lease, now);
  }

  @Override
  public InputStream openContent(QueueId id) throws IOException {
    return delegate.openContent(id);
  }

  @Override
  public Optional<Instant> nextDueTime(Instant now) throws IOException {
    return delegate.nextDueTime(now);
  }

  @Override
  public Optional<QueuedMessage> find(QueueId id, Instant now) throws IOException {
    return delegate.find(id, now);
  }

  @Override
  public QueuePage list(QueueQuery query, Instant now) throws IOException {
    return delegate.list(query, now);
  }

  @Override
  public boolean hold(QueueId id, Instant now) throws IOException {
    return delegate.hold(id, now);
  }

  @Override
  public boolean releaseHold(QueueId id, Instant now) throws IOException {
    return delegate.releaseHold(id, now);
  }

  @Override
  public boolean retryNow(QueueId id, Instant now) throws IOException {
    return delegate.retryNow(id, now);
  }

  @Override
  public int retryAllNow(Instant now) throws IOException {
    return delegate.retryAllNow(now);
  }

  @Override
  public boolean delete(QueueId id, Instant now) throws IOException {
    return delegate.delete(id, now);
  }

  @Override
  public boolean forceBounce(QueueId id, Instant now) throws IOException {
    return delegate.forceBounce(id, now);
  }

  @Override
  public QueueCounts counts(Instant now) throws IOException {
    return delegate.counts(now);
  }

  @Override
  public void close() throws IOException {
    delegate.close();
  }
}
