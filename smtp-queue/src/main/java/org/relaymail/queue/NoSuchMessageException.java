package org.relaymail.queue;

import java.io.IOException;

/**
 * The queue holds no message with the given id (never enqueued, or deleted or completed).
 *
 * <p>Thread-safe (immutable after construction).
 */
public final class NoSuchMessageException extends IOException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param id the id looked up
   */
  public NoSuchMessageException(QueueId id) {
    super("no message " + id + " in the queue");
  }
}
