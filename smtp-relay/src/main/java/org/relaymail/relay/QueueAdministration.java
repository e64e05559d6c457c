package org.relaymail.relay;

import java.io.IOException;
import java.util.Optional;
import org.relaymail.queue.FailureClass;
import org.relaymail.queue.QueueCounts;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.QueuePage;
import org.relaymail.queue.QueueQuery;
import org.relaymail.queue.QueuedMessage;

/**
 * Queue administration, as Postfix's {@code postqueue} and {@code postsuper} offer it: list,
 * inspect, hold, release, retry now, delete, bounce. {@link RelayClient} implements it in the
 * process that runs the relay; {@link RelayAdmin} implements it from another process through the
 * running relay's admin channel. Both return the queue's own value types.
 *
 * <p>Implementations are thread-safe.
 */
public interface QueueAdministration {
  /**
   * Lists queued messages (compare Postfix's {@code postqueue -p}).
   *
   * @param query filters, cursor and page size
   * @return one page
   * @throws IOException on a storage or admin channel failure
   */
  QueuePage list(QueueQuery query) throws IOException;

  /**
   * Inspects one queued message: per recipient state, attempts, last reply.
   *
   * @param id the message
   * @return its snapshot, or empty when it is no longer queued (finished or deleted)
   * @throws IOException on a storage or admin channel failure
   */
  Optional<QueuedMessage> inspect(QueueId id) throws IOException;

  /**
   * Counts queued messages by status and recipients by state.
   *
   * @return the counts
   * @throws IOException on a storage or admin channel failure
   */
  QueueCounts counts() throws IOException;

  /**
   * Holds a message: not delivered until {@link #release released} ({@code postsuper -h}).
   *
   * @param id the message
   * @return false when there is no such message
   * @throws IOException on a storage or admin channel failure
   */
  boolean hold(QueueId id) throws IOException;

  /**
   * Releases a held message ({@code postsuper -H}); it is delivered at its next attempt time.
   *
   * @param id the message
   * @return false when there is no such message
   * @throws IOException on a storage or admin channel failure
   */
  boolean release(QueueId id) throws IOException;

  /**
   * Attempts a message now instead of at its next attempt time ({@code postqueue -i}).
   *
   * @param id the message
   * @return false when there is no such message
   * @throws IOException on a storage or admin channel failure
   */
  boolean retryNow(QueueId id) throws IOException;

  /**
   * Attempts every queued message now ({@code postqueue -f}).
   *
   * @return how many messages were made due
   * @throws IOException on a storage or admin channel failure
   */
  int retryAllNow() throws IOException;

  /**
   * Deletes a message without notice to anyone ({@code postsuper -d}).
   *
   * @param id the message
   * @return false when there is no such message
   * @throws IOException on a storage or admin channel failure
   */
  boolean delete(QueueId id) throws IOException;

  /**
   * Gives up on a message's undelivered recipients now and bounces them to the sender (class
   * {@link FailureClass#ADMINISTRATIVE}, reply {@code 554 5.0.0}), the way expiry would.
   *
   * @param id the message
   * @return false when there is no such message
   * @throws IOException on a storage or admin channel failure
   */
  boolean bounce(QueueId id) throws IOException;
}
