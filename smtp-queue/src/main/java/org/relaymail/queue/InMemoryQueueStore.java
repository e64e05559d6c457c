package org.relaymail.queue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.relaymail.protocol.Mailbox;
import org.relaymail.queue.internal.Checks;
import org.relaymail.queue.internal.Ids;
import org.relaymail.queue.internal.Messages;

/**
 * The reference {@link QueueStore}: everything in memory, lost when the process ends. For tests and
 * for applications that accept loss on restart; "durable" here means "stored in this object".
 *
 * <p>Thread-safe: every method is atomic (one lock).
 */
public final class InMemoryQueueStore implements QueueStore {
  private final Duration idempotencyWindow;
  private final Ids ids = new Ids(0);
  private final AtomicLong leaseCounter = new AtomicLong();
  private final TreeMap<String, Entry> messages = new TreeMap<>();
  private final Map<String, Remembered> keys = new HashMap<>();
  private boolean closed;

  private static final class Entry {
    QueuedMessage message; // leasedUntil always empty here; the lease is kept beside it
    final byte[] content;
    String leaseToken;
    Instant leaseExpiry;

    Entry(QueuedMessage message, byte[] content) {
      this.message = message;
      this.content = content;
    }

    boolean leaseLive(Instant now) {
      return leaseToken != null && now.isBefore(leaseExpiry);
    }

    Instant effectiveDue() {
      Instant due = message.nextAttemptAt();
      return leaseToken != null && leaseExpiry.isAfter(due) ? leaseExpiry : due;
    }

    QueuedMessage snapshot(Instant now) {
      return leaseLive(now)
          ? Messages.with(message, message.recipients(), message.nextAttemptAt(), message.held(), Optional.of(leaseExpiry))
          : message;
    }
  }

  private record Remembered(QueueId id, Instant until) {}

  /** Creates a store that remembers idempotency keys for 24 hours. */
  public InMemoryQueueStore() {
    this(Duration.ofHours(24));
  }

  /**
   * Creates a store.
   *
   * @param idempotencyWindow how long an idempotency key is remembered after enqueue, positive
   */
  public InMemoryQueueStore(Duration idempotencyWindow) {
    this.idempotencyWindow = Checks.positive("idempotencyWindow", idempotencyWindow);
  }

  private void open() {
    if (closed) {
      throw new IllegalStateException("the store is closed");
    }
  }

  @Override
  public QueueId enqueue(NewMessage message, MessageContent content, Instant now) throws IOException {
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(content, "content");
    Objects.requireNonNull(now, "now");
    synchronized (this) {
      open();
      Optional<QueueId> known = knownKey(message, now);
      if (known.isPresent()) {
        return known.get();
      }
    }
    byte[] bytes;
    try (InputStream in = content.open()) {
      bytes = in.readAllBytes();
    }
    if (bytes.length != content.size()) {
      throw new IOException("content yielded " + bytes.length + " bytes but declared size " + content.size());
    }
    synchronized (this) {
      open();
      Optional<QueueId> known = knownKey(message, now);
      if (known.isPresent()) {
        return known.get();
      }
      QueueId id = Ids.format(ids.next(now));
      messages.put(id.value(), new Entry(Messages.fresh(id, message, bytes.length, now), bytes));
      message.idempotencyKey().ifPresent(k -> keys.put(k, new Remembered(id, now.plus(idempotencyWindow))));
      return id;
    }
  }

  private Optional<QueueId> knownKey(NewMessage message, Instant now) {
    if (message.idempotencyKey().isEmpty()) {
      return Optional.empty();
    }
    Remembered r = keys.get(message.idempotencyKey().get());
    if (r == null) {
      return Optional.empty();
    }
    if (now.isBefore(r.until()) || messages.containsKey(r.id().value())) {
      return Optional.of(r.id());
    }
    keys.remove(message.idempotencyKey().get());
    return Optional.empty();
  }

  @Override
  public synchronized List<ClaimedMessage> claimDue(Instant now, int max, Duration leaseDuration) {
    open();
    if (max < 1) {
      throw new IllegalArgumentException("max must be >= 1: " + max);
    }
    Checks.positive("leaseDuration", leaseDuration);
    List<Entry> due = new ArrayList<>();
    for (Entry e : messages.values()) {
      if (!e.message.held() && !e.leaseLive(now) && !e.effectiveDue().isAfter(now)) {
        due.add(e);
      }
    }
    due.sort(Comparator.comparing(Entry::effectiveDue).thenComparing(e -> e.message.id().value()));
    List<ClaimedMessage> out = new ArrayList<>();
    for (Entry e : due.subList(0, Math.min(max, due.size()))) {
      e.leaseToken = "m" + leaseCounter.incrementAndGet();
      e.leaseExpiry = now.plus(leaseDuration);
      out.add(new ClaimedMessage(new Lease(e.message.id(), e.leaseToken, e.leaseExpiry), e.snapshot(now)));
    }
    return out;
  }

  private Entry current(Lease lease, Instant now) {
    Entry e = messages.get(lease.id().value());
    if (e == null) {
      return null;
    }
    return lease.token().equals(e.leaseToken) && e.leaseLive(now) ? e : null;
  }

  private String why(Lease lease, Instant now) {
    Entry e = messages.get(lease.id().value());
    if (e == null) {
      return "the message is no longer in the queue";
    }
    if (!lease.token().equals(e.leaseToken)) {
      return "another lease replaced it";
    }
    return "it expired at " + e.leaseExpiry + " (now " + now + ")";
  }

  @Override
  public synchronized Lease renewLease(Lease lease, Duration leaseDuration, Instant now) {
    open();
    Checks.positive("leaseDuration", leaseDuration);
    Entry e = current(lease, now);
    if (e == null) {
      throw new LeaseLostException(lease, why(lease, now), List.of());
    }
    e.leaseExpiry = now.plus(leaseDuration);
    return new Lease(lease.id(), lease.token(), e.leaseExpiry);
  }

  @Override
  public synchronized QueuedMessage recordAttempt(Lease lease, DeliveryAttempt attempt, Instant now) {
    open();
    Objects.requireNonNull(attempt, "attempt");
    Entry e = current(lease, now);
    if (e == null) {
      Entry stale = messages.get(lease.id().value());
      List<Mailbox> changed = List.of();
      if (stale != null) {
        Messages.Applied a = Messages.applyAttempt(stale.message, attempt, now, true);
        stale.message = a.message();
        changed = a.changed();
      }
      throw new LeaseLostException(lease, why(lease, now), changed);
    }
    e.message = Messages.applyAttempt(e.message, attempt, now, false).message();
    return e.snapshot(now);
  }

  @Override
  public synchronized QueuedMessage markNotified(Lease lease, Notification kind, Collection<Mailbox> recipients,
      Instant now) {
    open();
    Objects.requireNonNull(kind, "kind");
    Entry e = current(lease, now);
    Entry target = e != null ? e : messages.get(lease.id().value());
    List<Mailbox> changed = List.of();
    if (target != null) {
      Messages.Applied a = Messages.applyNotified(target.message, kind, recipients);
      target.message = a.message();
      changed = a.changed();
    }
    if (e == null) {
      throw new LeaseLostException(lease, why(lease, now), changed);
    }
    return e.snapshot(now);
  }

  @Override
  public synchronized void releaseLease(Lease lease, Instant now) {
    open();
    Entry e = current(lease, now);
    if (e == null) {
      throw new LeaseLostException(lease, why(lease, now), List.of());
    }
    e.leaseToken = null;
    e.leaseExpiry = null;
  }

  @Override
  public synchronized void complete(Lease lease, Instant now) {
    open();
    Entry e = current(lease, now);
    if (e == null) {
      throw new LeaseLostException(lease, why(lease, now), List.of());
    }
    if (!e.message.allFinal()) {
      throw new IllegalStateException("cannot complete " + lease.id() + ": recipients not final: "
          + e.message.recipients().stream().filter(r -> !r.state().isFinal()).map(r -> r.mailbox() + "=" + r.state()).toList());
    }
    messages.remove(lease.id().value());
  }

  @Override
  public InputStream openContent(QueueId id) throws IOException {
    byte[] content;
    synchronized (this) {
      open();
      Entry e = messages.get(id.value());
      if (e == null) {
        throw new NoSuchMessageException(id);
      }
      content = e.content;
    }
    return new ByteArrayInputStream(content);
  }

  @Override
  public synchronized Optional<Instant> nextDueTime(Instant now) {
    open();
    Instant best = null;
    for (Entry e : messages.values()) {
      if (e.message.held()) {
        continue;
      }
      Instant due = e.effectiveDue();
      if (best == null || due.isBefore(best)) {
        best = due;
      }
    }
    return Optional.ofNullable(best);
  }

  @Override
  public synchronized Optional<QueuedMessage> find(QueueId id, Instant now) {
    open();
    Entry e = messages.get(id.value());
    return e == null ? Optional.empty() : Optional.of(e.snapshot(now));
  }

  @Override
  public synchronized QueuePage list(QueueQuery query, Instant now) {
    open();
    Map<String, Entry> tail = query.after().isPresent() ? messages.tailMap(query.after().get().value(), false) : messages;
    List<QueuedMessage> page = new ArrayList<>();
    Iterator<Entry> it = tail.values().iterator();
    while (it.hasNext()) {
      QueuedMessage m = it.next().snapshot(now);
      if (query.matches(m)) {
        page.add(m);
        if (page.size() == query.limit()) {
          return new QueuePage(page, it.hasNext() ? Optional.of(m.id()) : Optional.empty());
        }
      }
    }
    return new QueuePage(page, Optional.empty());
  }

  private synchronized boolean update(QueueId id, java.util.function.UnaryOperator<QueuedMessage> f) {
    open();
    Entry e = messages.get(id.value());
    if (e == null) {
      return false;
    }
    e.message = f.apply(e.message);
    return true;
  }

  @Override
  public boolean hold(QueueId id, Instant now) {
    return update(id, m -> Messages.with(m, m.recipients(), m.nextAttemptAt(), true, m.leasedUntil()));
  }

  @Override
  public boolean releaseHold(QueueId id, Instant now) {
    return update(id, m -> Messages.with(m, m.recipients(), m.nextAttemptAt(), false, m.leasedUntil()));
  }

  @Override
  public boolean retryNow(QueueId id, Instant now) {
    return update(id, m -> Messages.with(m, m.recipients(), now, m.held(), m.leasedUntil()));
  }

  @Override
  public synchronized int retryAllNow(Instant now) {
    open();
    for (Entry e : messages.values()) {
      e.message = Messages.with(e.message, e.message.recipients(), now, e.message.held(), e.message.leasedUntil());
    }
    return messages.size();
  }

  @Override
  public synchronized boolean delete(QueueId id, Instant now) {
    open();
    return messages.remove(id.value()) != null;
  }

  @Override
  public boolean forceBounce(QueueId id, Instant now) {
    return update(id, m -> Messages.forceBounce(m, now));
  }

  @Override
  public synchronized QueueCounts counts(Instant now) {
    open();
    Messages.Counter c = new Messages.Counter();
    for (Entry e : messages.values()) {
      c.add(e.snapshot(now));
    }
    return c.result();
  }

  @Override
  public synchronized void close() {
    closed = true;
  }
}
