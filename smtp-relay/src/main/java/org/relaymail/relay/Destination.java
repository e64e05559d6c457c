package org.relaymail.relay;

import java.util.Objects;

/**
 * Where a group of recipients goes in one mail transaction: the recipients of one domain
 * delivered by MX, all recipients routed to the same smarthost, or the local recipients. Produced
 * by {@link Routing#destinationFor(String)} with the routing table's defaults filled in (an {@link
 * NextHop.Mx} always carries its port and TLS policy), so equal destinations can share a
 * connection and a transaction.
 *
 * <p>Thread-safe (immutable).
 *
 * @param name the MX domain in ASCII, the smarthost's host, or {@code "local"}
 * @param hop the next hop, defaults resolved
 */
public record Destination(String name, NextHop hop) {
  /** Validates. */
  public Destination {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(hop, "hop");
    if (hop instanceof NextHop.Mx mx && (mx.port().isEmpty() || mx.tls().isEmpty())) {
      throw new IllegalArgumentException("an MX destination carries its port and TLS policy: " + hop);
    }
  }

  /**
   * Tells whether recipients here go to the application's {@link LocalDelivery}.
   *
   * @return true for the local destination
   */
  public boolean isLocal() {
    return hop instanceof NextHop.Local;
  }

  /**
   * Returns the TLS policy towards this destination ({@link TlsPolicy#NONE} for local delivery).
   *
   * @return the policy
   */
  public TlsPolicy tlsPolicy() {
    if (hop instanceof NextHop.Mx mx) {
      return mx.tls().orElseThrow();
    }
    if (hop instanceof NextHop.Relay relay) {
      return relay.smarthost().tls();
    }
    return TlsPolicy.NONE;
  }

  /**
   * Returns the TCP port to connect to (0 for local delivery, which connects nowhere).
   *
   * @return the port
   */
  public int port() {
    if (hop instanceof NextHop.Mx mx) {
      return mx.port().orElseThrow();
    }
    if (hop instanceof NextHop.Relay relay) {
      return relay.smarthost().port();
    }
    return 0;
  }

  @Override
  public String toString() {
    if (hop instanceof NextHop.Mx) {
      return "MX of " + name + " port " + port() + " tls=" + tlsPolicy();
    }
    return hop.toString();
  }
}
