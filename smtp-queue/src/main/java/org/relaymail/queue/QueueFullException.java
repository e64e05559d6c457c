package org.relaymail.queue;

import java.io.IOException;

/**
 * The store refuses to enqueue because its storage is (nearly) full: free space below the configured
 * watermark, or the disk itself reported no space. Nothing was acknowledged. State records of queued
 * messages still have room (the watermark keeps it), so delivery continues and frees space.
 *
 * <p>Thread-safe (immutable after construction).
 */
public final class QueueFullException extends IOException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what is full, how much is free and the limit
   * @param cause the I/O error, or null
   */
  public QueueFullException(String message, Throwable cause) {
    super(message, cause);
  }
}
