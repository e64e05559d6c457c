package org.relaymail.examples;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import org.relaymail.protocol.Mailbox;
import org.relaymail.queue.ClaimedMessage;
import org.relaymail.queue.DeliveryAttempt;
import org.relaymail.queue.ForwardingQueueStore;
import org.relaymail.queue.Lease;
import org.relaymail.queue.MessageContent;
import org.relaymail.queue.NewMessage;
import org.relaymail.queue.Notification;
import org.relaymail.queue.QueueCounts;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.QueuePage;
import org.relaymail.queue.QueueQuery;
import org.relaymail.queue.QueueStore;
import org.relaymail.queue.QueuedMessage;
import org.relaymail.queue.RecipientOutcome;
import org.relaymail.queue.RecipientState;

/**
 * A custom {@link QueueStore}: it keeps every message in another store (the file spool, PostgreSQL,
 * your own) and counts what passes through it, for an application's metrics: messages enqueued and
 * completed, recipient outcomes by state. The same shape serves an audit log, an outbox mirror or
 * a per-tenant quota check at {@link #enqueue}. It proves the {@link QueueStore} contract with the
 * contract suite from smtp-queue's test-jar ({@code MeteredQueueStoreContractTest}). The README's
 * third quick start is taken from this file.
 *
 * <p>Thread-safe when the wrapped store is.
 */
// tag::store[]
public final class MeteredQueueStore extends ForwardingQueueStore {
  private final LongAdder enqueued = new LongAdder();
  private final LongAdder completed = new LongAdder();
  private final Map<RecipientState, LongAdder> outcomes = new EnumMap<>(RecipientState.class);

  /**
   * Wraps a store.
   *
   * @param delegate where the messages are kept
   */
  public MeteredQueueStore(QueueStore delegate) {
    super(delegate);
    for (RecipientState s : RecipientState.values()) {
      outcomes.put(s, new LongAdder());
    }
  }

  @Override
  public QueueId enqueue(NewMessage message, MessageContent content, Instant now) throws IOException {
    QueueId id = delegate().enqueue(message, content, now);   // durable before we count it
    enqueued.increment();
    return id;
  }

  @Override
  public QueuedMessage recordAttempt(Lease lease, DeliveryAttempt attempt, Instant now) throws IOException {
    QueuedMessage m = delegate().recordAttempt(lease, attempt, now);
    for (RecipientOutcome o : attempt.outcomes()) {
      outcomes.get(o.state()).increment();
    }
    return m;
  }

  @Override
  public void complete(Lease lease, Instant now) throws IOException {
    delegate().complete(lease, now);
    completed.increment();
  }

  // ForwardingQueueStore passes every other call to the wrapped store unchanged
  // end::store[]

  /** @return messages enqueued through this store (bounces included) */
  public long enqueued() {
    return enqueued.sum();
  }

  /** @return messages completed (every recipient final, the message removed) */
  public long completed() {
    return completed.sum();
  }

  /**
   * Counts recorded recipient outcomes.
   *
   * @param state DELIVERED, DEFERRED, FAILED or EXPIRED
   * @return how many outcomes of that state were recorded
   */
  public long outcomes(RecipientState state) {
    return outcomes.get(state).sum();
  }
}
