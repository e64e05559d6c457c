package org.relaymail.relay;

/**
 * Why a delivery failed or was deferred, in the terms a sender acts on (block listing, unknown
 * user, mailbox full, throttling). Derived from the SMTP reply code, the enhanced status code (RFC
 * 3463) and the reply text of common providers, or from the transport error. Travels in events, in
 * the bounce's human-readable part and in the result of {@code send()}.
 *
 * <p>Thread-safe (immutable).
 */
public enum FailureClass {
  /** The recipient address does not exist or is disabled (e.g. {@code 550 5.1.1 User unknown}). */
  UNKNOWN_RECIPIENT("unknown recipient"),
  /** The recipient's mailbox is over quota ({@code 5.2.2} / {@code 4.2.2}). */
  MAILBOX_FULL("mailbox full"),
  /** The message exceeds a size limit ({@code 5.3.4}, {@code 5.2.3}). */
  MESSAGE_TOO_LARGE("message too large"),
  /** The sending IP or domain is on a block list or has a bad reputation (Spamhaus and similar). */
  BLOCKED_REPUTATION("blocked for reputation (block list)"),
  /** Rate-limited, throttled or greylisted: try again later. */
  THROTTLED("throttled or rate-limited"),
  /** Refused by the receiver's policy (authentication, DMARC, content, relaying denied). */
  POLICY("refused by policy"),
  /** TLS could not be negotiated or verified, or was required and not offered. */
  TLS_FAILURE("TLS failure"),
  /** DNS could not route the domain: NXDOMAIN, null MX, no address, SERVFAIL, DNS timeout. */
  DNS_FAILURE("DNS failure"),
  /** No connection to any mail exchanger, or the connection was lost. */
  CONNECTION_FAILURE("connection failure"),
  /** A peer did not answer in time. */
  TIMEOUT("timeout"),
  /** Anything else. */
  OTHER("other");

  private final String description;

  FailureClass(String description) {
    this.description = description;
  }

  /**
   * Returns a short human-readable description, as used in bounces and logs.
   *
   * @return the description, e.g. {@code "mailbox full"}
   */
  public String description() {
    return description;
  }
}
