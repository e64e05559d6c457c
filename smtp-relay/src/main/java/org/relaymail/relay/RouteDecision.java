package org.relaymail.relay;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The routing decision for a destination at one moment, as a delivery attempt follows it and as
 * {@code explainRoute(domain)} shows it: the MX hosts in order (RFC 5321 section 5.1) with their
 * addresses, the addresses to try in this attempt (capped, recently unreachable ones skipped),
 * the TLS policy, or why nothing can be tried. {@link #toString()} is a printable, multi-line
 * explanation.
 *
 * <p>Thread-safe (immutable).
 *
 * @param destination where the recipients go
 * @param hosts the MX hosts (or the smarthost as one host) in order, with every address found;
 *     empty for local delivery and on failure
 * @param implicitMx true when the domain has no MX records and its own addresses are used
 * @param targets the addresses to try in this attempt, in order, at most {@link
 *     Routing#maxAddresses()}
 * @param skipped addresses left out because they were recently unreachable
 * @param maxSessions how many SMTP sessions this attempt may open ({@link Routing#maxSessions()})
 * @param failure why nothing can be tried; empty when {@code targets} is non-empty or local
 * @param sourceAddress the local address to connect from; empty for the system's choice (a hook
 *     for dedicated sending IPs)
 * @param heloName the HELO name for this route; empty for the relay's configured name
 */
public record RouteDecision(
    Destination destination,
    List<MxHost> hosts,
    boolean implicitMx,
    List<Target> targets,
    List<InetSocketAddress> skipped,
    int maxSessions,
    Optional<RouteFailure> failure,
    Optional<InetAddress> sourceAddress,
    Optional<String> heloName) {

  /**
   * One address to connect to.
   *
   * @param host the MX host (or smarthost) name the address belongs to: the name TLS verifies
   * @param preference the host's MX preference (0 for implicit MX and smarthosts)
   * @param address the address and port
   */
  public record Target(String host, int preference, InetSocketAddress address) {
    /** Validates. */
    public Target {
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(address, "address");
    }
  }

  /** Validates and copies. */
  public RouteDecision {
    Objects.requireNonNull(destination, "destination");
    hosts = List.copyOf(hosts);
    targets = List.copyOf(targets);
    skipped = List.copyOf(skipped);
    Objects.requireNonNull(failure, "failure");
    Objects.requireNonNull(sourceAddress, "sourceAddress");
    Objects.requireNonNull(heloName, "heloName");
    if (!destination.isLocal() && targets.isEmpty() == failure.isEmpty()) {
      throw new IllegalArgumentException(
          "a remote route has either targets or a failure: targets=" + targets + " failure=" + failure);
    }
  }

  /**
   * Returns the TLS policy towards this destination.
   *
   * @return the policy
   */
  public TlsPolicy tlsPolicy() {
    return destination.tlsPolicy();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    sb.append(destination.name()).append(": ");
    NextHop hop = destination.hop();
    if (hop instanceof NextHop.Local) {
      return sb.append("local delivery (application callback)").toString();
    }
    if (hop instanceof NextHop.Relay relay) {
      sb.append("via ").append(relay.smarthost());
    } else {
      sb.append(implicitMx ? "implicit MX (no MX records, the domain's own addresses)" : "MX");
      sb.append(", port ").append(destination.port()).append(", TLS ").append(tlsPolicy());
    }
    sb.append('\n');
    for (MxHost h : hosts) {
      sb.append("  ").append(h.preference()).append(' ').append(h.name()).append(' ');
      if (h.addresses().isEmpty()) {
        sb.append("(no address)");
      }
      for (int i = 0; i < h.addresses().size(); i++) {
        sb.append(i == 0 ? "" : ", ").append(h.addresses().get(i).getHostAddress());
      }
      sb.append('\n');
    }
    failure.ifPresent(f -> sb.append("  failure: ").append(f).append('\n'));
    if (!targets.isEmpty()) {
      sb.append("  try (at most ").append(maxSessions).append(" sessions):");
      for (Target t : targets) {
        sb.append(' ').append(format(t.address()));
      }
      sb.append('\n');
    }
    if (!skipped.isEmpty()) {
      sb.append("  skipped (recently unreachable):");
      for (InetSocketAddress a : skipped) {
        sb.append(' ').append(format(a));
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  private static String format(InetSocketAddress a) {
    String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
  }
}
