package org.relaymail.queue;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.relaymail.protocol.Mailbox;

/**
 * The durable message store behind the relay: the SPI an application may implement (and prove with
 * the contract suite {@code QueueStoreContractTest} from this module's test-jar).
 *
 * <h2>Contract</h2>
 *
 * <ul>
 *   <li>{@link #enqueue} returns only once message, envelope and metadata survive a crash or power
 *       loss (fsync or commit). Whatever it has not acknowledged may be lost; nothing acknowledged may.
 *   <li>Each recipient has its own {@link RecipientState}; states only move forward.
 *   <li>{@link #claimDue} leases due messages atomically: no message has two live leases at once,
 *       across threads and, for shared stores, processes. A lease that runs out (a crashed worker)
 *       makes the message due again.
 *   <li>{@link #recordAttempt}, {@link #markNotified}, {@link #releaseLease}, {@link #renewLease} and
 *       {@link #complete} are conditional on holding the current, unexpired lease; otherwise they throw
 *       {@link LeaseLostException} and change nothing, except that forward-only facts are still
 *       recorded: a DELIVERED outcome (a 250 is never thrown away) and sent-notification flags.
 *   <li>Delivery is exactly-once while nothing crashes and leases are renewed during long deliveries
 *       (RFC 5321 section 4.5.3.2 lets one attempt take many minutes); after a crash between the
 *       remote 250 and {@link #recordAttempt} it is at-least-once.
 * </ul>
 *
 * <p>The relay's cycle: {@link #claimDue}; group the claimed messages' recipients by route in
 * memory; deliver, calling {@link #renewLease} while it takes long; {@link #recordAttempt} with the
 * outcomes and a next attempt time from {@link RetryPolicy}; for recipients that failed or expired,
 * enqueue a bounce (sender {@link Mailbox#NULL}, recipient the original sender, an idempotency key
 * derived from the message id) and {@link #markNotified}; then {@link #complete} when every recipient
 * is final, or {@link #releaseLease} otherwise.
 *
 * <p>Every time-dependent method takes {@code now}, so tests drive a clock and shared stores may use
 * their own clock for leases (then {@code now} is advisory and documented by the store).
 *
 * <p>Implementations are thread-safe. Storage failures are {@link IOException}s.
 */
public interface QueueStore extends AutoCloseable {

  /**
   * Enqueues a message durably. With an idempotency key that the store knows (kept for a bounded
   * window, 24 hours by default, also after the message left the queue), returns that message's id
   * and stores nothing.
   *
   * @param message the envelope and metadata
   * @param content the content, read once
   * @param now the arrival time
   * @return the new (or existing) id, once durable
   * @throws QueueFullException if the storage is below its free-space watermark or full; nothing was
   *     acknowledged
   * @throws IOException if the content cannot be read or the store cannot make it durable
   */
  QueueId enqueue(NewMessage message, MessageContent content, Instant now) throws IOException;

  /**
   * Leases up to {@code max} messages that are due at {@code now}: not held, not under a live lease,
   * next attempt time not after {@code now}. Earliest due first.
   *
   * @param now the current time
   * @param max the most messages to claim, at least 1
   * @param leaseDuration how long the leases last, positive
   * @return the claimed messages, possibly none
   * @throws IOException on a storage failure
   */
  List<ClaimedMessage> claimDue(Instant now, int max, Duration leaseDuration) throws IOException;

  /**
   * Extends a live lease to {@code now + leaseDuration}.
   *
   * @param lease the current lease
   * @param leaseDuration the new duration from now, positive
   * @param now the current time
   * @return the renewed lease (same token)
   * @throws LeaseLostException if the lease is not the current live lease
   * @throws IOException on a storage failure
   */
  Lease renewLease(Lease lease, Duration leaseDuration, Instant now) throws IOException;

  /**
   * Records one attempt's per-recipient outcomes and the next attempt time, durably. The lease stays
   * held. An outcome for a recipient that is already final is ignored (the first final outcome wins,
   * e.g. after {@link #forceBounce}).
   *
   * @param lease the current lease
   * @param attempt the outcomes and next attempt time
   * @param now the time of the attempt
   * @return the message after the update
   * @throws LeaseLostException if the lease is stale; DELIVERED outcomes were recorded nonetheless
   * @throws IllegalArgumentException if an outcome names a recipient the message does not have
   * @throws IOException on a storage failure
   */
  QueuedMessage recordAttempt(Lease lease, DeliveryAttempt attempt, Instant now) throws IOException;

  /**
   * Records several messages' attempts at once and removes those with nothing left to do whose entry
   * asks for it: per entry, the effect of {@link #recordAttempt} followed, when {@link
   * AttemptRecord#completeIfDone()} is set and {@link AttemptRecord#done} holds for the updated
   * message, by {@link #complete}. Returns when every entry's update is durable. A stale lease does not fail the batch:
   * that entry's result carries the {@link LeaseLostException} (its DELIVERED outcomes were recorded
   * nonetheless) and the other entries proceed.
   *
   * <p>The default implementation calls {@link #recordAttempt} and {@link #complete} per entry, so
   * every store supports it; a store overrides it to make the whole batch durable with one write
   * (one fsync for the file store), which is what lets a relay record a job of many messages for the
   * cost of one. A removed message's state need not be written before its removal.
   *
   * @param records the entries, at most one per message
   * @param now the time of the attempts
   * @return one result per entry, in order
   * @throws IllegalArgumentException if an entry names a recipient its message does not have, or two
   *     entries name one message; entries before it may have been recorded
   * @throws IOException on a storage failure; entries may have been recorded
   */
  default List<RecordedAttempt> recordAttempts(List<AttemptRecord> records, Instant now) throws IOException {
    java.util.Set<QueueId> seen = new java.util.HashSet<>();
    for (AttemptRecord r : records) {
      if (!seen.add(r.lease().id())) {
        throw new IllegalArgumentException("two entries for message " + r.lease().id() + " in one recordAttempts call");
      }
    }
    List<RecordedAttempt> out = new java.util.ArrayList<>(records.size());
    for (AttemptRecord r : records) {
      QueuedMessage m;
      try {
        m = recordAttempt(r.lease(), r.attempt(), now);
      } catch (LeaseLostException e) {
        out.add(RecordedAttempt.lost(r.lease(), e));
        continue;
      }
      boolean done = false;
      if (r.completeIfDone() && AttemptRecord.done(m)) {
        try {
          complete(r.lease(), now);
          done = true;
        } catch (LeaseLostException e) {
          out.add(RecordedAttempt.lost(r.lease(), e));
          continue;
        }
      }
      out.add(RecordedAttempt.recorded(r.lease(), m, done));
    }
    return out;
  }

  /**
   * Tells whether {@link #recordAttempts} makes a whole batch durable with one write, so that a
   * caller with many messages' attempts to record (a relay finishing many small deliveries) gains by
   * gathering them into few calls rather than making many calls at once. False (the default) for a
   * store that records entry by entry, as the default {@link #recordAttempts} does: there, calls
   * made in parallel finish sooner than one long call. {@link FileQueueStore} returns true.
   * Thread-safe implementations return a constant.
   *
   * @return whether one {@link #recordAttempts} call costs about one write, however many entries it has
   */
  default boolean batchesAttemptRecords() {
    return false;
  }

  /**
   * Records that a notification (delay warning or bounce) was sent for some recipients, durably.
   *
   * @param lease the current lease
   * @param kind what was sent
   * @param recipients the recipients it covered
   * @param now the current time
   * @return the message after the update
   * @throws LeaseLostException if the lease is stale; the flags were recorded nonetheless
   * @throws IllegalArgumentException if a recipient is not one of the message's
   * @throws IllegalStateException for a bounce on a recipient not failed or expired
   * @throws IOException on a storage failure
   */
  QueuedMessage markNotified(Lease lease, Notification kind, Collection<Mailbox> recipients, Instant now)
      throws IOException;

  /**
   * Ends a lease without completing the message: it is due again at the next attempt time from the
   * last recorded attempt (or at once if none was recorded).
   *
   * @param lease the current lease
   * @param now the current time
   * @throws LeaseLostException if the lease is stale
   * @throws IOException on a storage failure
   */
  void releaseLease(Lease lease, Instant now) throws IOException;

  /**
   * Removes a message whose recipients are all final, ending its lease.
   *
   * @param lease the current lease
   * @param now the current time
   * @throws LeaseLostException if the lease is stale (the message stays)
   * @throws IllegalStateException if a recipient is still pending or deferred
   * @throws IOException on a storage failure
   */
  void complete(Lease lease, Instant now) throws IOException;

  /**
   * Opens a message's content for streaming (the caller closes the stream).
   *
   * @param id the message
   * @return the content, exactly {@link QueuedMessage#size()} bytes
   * @throws NoSuchMessageException if the message is not in the queue
   * @throws IOException on a storage failure or if the stored content is corrupt
   */
  InputStream openContent(QueueId id) throws IOException;

  /**
   * When the next message becomes claimable: the earliest next attempt time of a message not held
   * and not leased, or the earliest lease expiry, whichever comes first; so a dispatcher can sleep
   * exactly until then.
   *
   * @param now the current time
   * @return the time (possibly before {@code now}: due already), empty when nothing can become due
   * @throws IOException on a storage failure
   */
  Optional<Instant> nextDueTime(Instant now) throws IOException;

  // ---- administration (compare Postfix's postqueue and postsuper) ----

  /**
   * Inspects one message.
   *
   * @param id the message
   * @param now the current time (decides whether its lease is live)
   * @return its snapshot, if it is in the queue
   * @throws IOException on a storage failure
   */
  Optional<QueuedMessage> find(QueueId id, Instant now) throws IOException;

  /**
   * Lists messages matching a query, a page at a time, ordered by id.
   *
   * @param query the filters, cursor and page size
   * @param now the current time (decides which leases are live)
   * @return the page
   * @throws IOException on a storage failure
   */
  QueuePage list(QueueQuery query, Instant now) throws IOException;

  /**
   * Holds a message: it is not claimed until {@link #releaseHold released}. A live lease is not
   * revoked.
   *
   * @param id the message
   * @param now the current time
   * @return false if there is no such message
   * @throws IOException on a storage failure
   */
  boolean hold(QueueId id, Instant now) throws IOException;

  /**
   * Releases a held message; it is due at its next attempt time.
   *
   * @param id the message
   * @param now the current time
   * @return false if there is no such message
   * @throws IOException on a storage failure
   */
  boolean releaseHold(QueueId id, Instant now) throws IOException;

  /**
   * Makes a message due now (a held message stays held until released).
   *
   * @param id the message
   * @param now the current time
   * @return false if there is no such message
   * @throws IOException on a storage failure
   */
  boolean retryNow(QueueId id, Instant now) throws IOException;

  /**
   * Makes every message due now ({@code postqueue -f}).
   *
   * @param now the current time
   * @return how many messages were rescheduled
   * @throws IOException on a storage failure
   */
  int retryAllNow(Instant now) throws IOException;

  /**
   * Deletes a message without notice ({@code postsuper -d}). A worker holding its lease gets
   * {@link LeaseLostException} on its next call.
   *
   * @param id the message
   * @param now the current time
   * @return false if there is no such message
   * @throws IOException on a storage failure
   */
  boolean delete(QueueId id, Instant now) throws IOException;

  /**
   * Fails every recipient not yet final (class {@link FailureClass#ADMINISTRATIVE}, reply 554 5.0.0)
   * releases a hold and makes the message due now, so that a worker bounces it to the sender and completes it.
   *
   * @param id the message
   * @param now the current time
   * @return false if there is no such message
   * @throws IOException on a storage failure
   */
  boolean forceBounce(QueueId id, Instant now) throws IOException;

  /**
   * Counts messages by status and recipients by state.
   *
   * @param now the current time (decides which leases are live)
   * @return the counts
   * @throws IOException on a storage failure
   */
  QueueCounts counts(Instant now) throws IOException;

  /**
   * Closes the store; acknowledged data stays durable. Further calls fail.
   *
   * @throws IOException on a storage failure
   */
  @Override
  void close() throws IOException;
}
