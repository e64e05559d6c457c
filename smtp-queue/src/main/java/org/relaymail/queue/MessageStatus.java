package org.relaymail.queue;

/**
 * Where a queued message stands, derived from its flags and its recipients (compare Postfix's
 * incoming/active/deferred/hold queues).
 *
 * <p>Thread-safe (immutable).
 */
public enum MessageStatus {
  /** Waiting for its first attempt. */
  QUEUED,
  /** Leased by a worker right now. */
  ACTIVE,
  /** Tried at least once, waiting for the next attempt. */
  DEFERRED,
  /** Held by an administrator: never claimed until released. */
  HELD,
  /** Every recipient is final; waiting for the worker to send notices and complete it. */
  FINISHED
}
