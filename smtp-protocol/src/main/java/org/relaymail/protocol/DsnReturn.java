package org.relaymail.protocol;

/**
 * The RET parameter of MAIL FROM: what a delivery status notification should return of the
 * message (RFC 3461 section 4.3).
 *
 * <p>Thread-safe (enum).
 */
public enum DsnReturn {
  /** {@code RET=FULL}: the whole message. */
  FULL,
  /** {@code RET=HDRS}: only the headers. */
  HDRS
}
