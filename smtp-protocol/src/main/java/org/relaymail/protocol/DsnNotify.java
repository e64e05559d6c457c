package org.relaymail.protocol;

/**
 * One value of the NOTIFY parameter of RCPT TO: when a delivery status notification is wanted
 * (RFC 3461 section 4.1). {@link #NEVER} excludes the others.
 *
 * <p>Thread-safe (enum).
 */
public enum DsnNotify {
  /** {@code NEVER}: no notification at all. */
  NEVER,
  /** {@code SUCCESS}: on successful delivery. */
  SUCCESS,
  /** {@code FAILURE}: on failure. */
  FAILURE,
  /** {@code DELAY}: when delivery is delayed. */
  DELAY
}
