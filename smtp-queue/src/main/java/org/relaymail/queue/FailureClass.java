package org.relaymail.queue;

/**
 * Why a delivery attempt for a recipient did not succeed, classified so that an application can see
 * why mail did not arrive (RFC 3463 status codes are the usual source of the class).
 *
 * <p>Thread-safe (immutable).
 */
public enum FailureClass {
  /** No failure (the recipient was delivered or not tried yet). */
  NONE,
  /** The mailbox does not exist (X.1.1, X.1.2 and the like). */
  UNKNOWN_USER,
  /** The mailbox is full or over quota (X.2.2). */
  MAILBOX_FULL,
  /** The sending IP or domain is on a block list or the remote policy rejects us (X.7.x). */
  BLOCKED,
  /** The remote side throttles us (421, 450/451 with rate-limit text, X.4.5 ...). */
  THROTTLED,
  /** The message itself was refused (content, size X.3.4, X.6.x). */
  MESSAGE_REJECTED,
  /** DNS could not resolve the destination (no MX/A, SERVFAIL, null MX RFC 7505). */
  DNS,
  /** The connection could not be made or broke (refused, timeout, reset). */
  CONNECTION,
  /** TLS was required and could not be negotiated or verified. */
  TLS,
  /** The sender gave up or an administrator bounced the message. */
  ADMINISTRATIVE,
  /** Anything else. */
  OTHER
}
