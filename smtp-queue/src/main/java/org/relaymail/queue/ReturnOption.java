package org.relaymail.queue;

/**
 * What a delivery status notification returns of the message, from MAIL FROM's RET parameter
 * (RFC 3461 section 4.3). Stored by the queue; the relay maps it to the codec's parameter.
 *
 * <p>Thread-safe (immutable).
 */
public enum ReturnOption {
  /** Return the full message (RET=FULL). */
  FULL,
  /** Return the headers only (RET=HDRS). */
  HDRS
}
