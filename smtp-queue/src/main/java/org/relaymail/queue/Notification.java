package org.relaymail.queue;

/**
 * A notice the relay has sent the envelope sender about a recipient, recorded so that it is sent
 * once (RFC 3464 delivery status notifications).
 *
 * <p>Thread-safe (immutable).
 */
public enum Notification {
  /** A "delayed" DSN (RFC 3464 section 2.3.3, action=delayed); only for recipients not yet final. */
  DELAY_WARNING,
  /** A failure DSN (bounce, action=failed); only for failed or expired recipients. */
  BOUNCE
}
