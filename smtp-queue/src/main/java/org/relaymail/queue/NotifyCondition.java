package org.relaymail.queue;

/**
 * A condition under which the sender asked for a delivery status notification, from RCPT TO's
 * NOTIFY parameter (RFC 3461 section 4.1). {@link #NEVER} excludes the others.
 *
 * <p>Thread-safe (immutable).
 */
public enum NotifyCondition {
  /** Never send a DSN. */
  NEVER,
  /** Notify on successful delivery. */
  SUCCESS,
  /** Notify on failure (bounce). */
  FAILURE,
  /** Notify on delay (delay warning). */
  DELAY
}
