package org.relaymail.relay;

import org.relaymail.queue.QueueId;

/**
 * Completes a {@link SendReceipt#outcome()} exceptionally when its {@link RelayClient} is closed
 * before the message was finished. The message is not lost: it stays in the queue, and a new
 * client on the same store delivers it.
 *
 * <p>Thread-safe (immutable).
 */
public class RelayClosedException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  /** The message still queued. */
  private final transient QueueId queueId;

  /**
   * Creates the exception.
   *
   * @param queueId the message that stays queued
   */
  public RelayClosedException(QueueId queueId) {
    super("the RelayClient was closed before message " + queueId
        + " was finished; it stays queued and a new client on the same store resumes it");
    this.queueId = queueId;
  }

  /**
   * Returns the message that stays queued.
   *
   * @return its id
   */
  public QueueId queueId() {
    return queueId;
  }
}
