package org.relaymail.queue;

import java.util.Objects;

/**
 * Why a delivery attempt for a recipient did not succeed, in the terms a sender acts on (block
 * listing, unknown user, mailbox full, throttling). The relay derives it from the SMTP reply code,
 * the enhanced status code (RFC 3463) and the reply text of common providers, or from the transport
 * error; the queue records it per recipient, and it travels in events, in the bounce's human-readable
 * part and in the result of {@code RelayClient.send()}.
 *
 * <p>Stores persist the constant's {@linkplain #name() name}; {@link #fromStoredName(String)} also
 * reads the names an earlier version of this enum wrote (for example {@code UNKNOWN_USER}).
 *
 * <p>Thread-safe (immutable).
 */
public enum FailureClass {
  /** No failure (the recipient was delivered or not tried yet). */
  NONE("none"),
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
  /** DNS could not route the domain: NXDOMAIN, null MX (RFC 7505), no address, SERVFAIL, DNS timeout. */
  DNS_FAILURE("DNS failure"),
  /** No connection to any mail exchanger, or the connection was lost. */
  CONNECTION_FAILURE("connection failure"),
  /** A peer did not answer in time. */
  TIMEOUT("timeout"),
  /** An administrator (or the application) bounced the message through queue administration. */
  ADMINISTRATIVE("bounced by the administrator"),
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

  /**
   * Returns the constant a store persisted by name, accepting the names of the earlier, coarser
   * version of this enum ({@code UNKNOWN_USER}, {@code BLOCKED}, {@code MESSAGE_REJECTED}, {@code
   * DNS}, {@code CONNECTION}, {@code TLS}) so that queues written before keep loading.
   *
   * @param name the stored name
   * @return the constant
   * @throws IllegalArgumentException if the name is neither a constant nor a former name
   */
  public static FailureClass fromStoredName(String name) {
    Objects.requireNonNull(name, "name");
    return switch (name) {
      case "UNKNOWN_USER" -> UNKNOWN_RECIPIENT;
      case "BLOCKED" -> BLOCKED_REPUTATION;
      case "MESSAGE_REJECTED" -> POLICY;
      case "DNS" -> DNS_FAILURE;
      case "CONNECTION" -> CONNECTION_FAILURE;
      case "TLS" -> TLS_FAILURE;
      default -> {
        try {
          yield valueOf(name);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("unknown failure class \"" + name + "\": not a FailureClass constant", e);
        }
      }
    };
  }
}
