package org.relaymail.relay;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Where the mail of a domain goes: to the domain's MX hosts, through a smarthost, or to the
 * application's {@link LocalDelivery}.
 *
 * <p>Thread-safe (immutable).
 */
public sealed interface NextHop permits NextHop.Mx, NextHop.Relay, NextHop.Local {

  /**
   * Delivery to the recipient domain's mail exchangers (RFC 5321 section 5.1), with the routing
   * table's default port and TLS policy.
   *
   * @return the hop
   */
  static Mx mx() {
    return new Mx(OptionalInt.empty(), Optional.empty());
  }

  /**
   * Delivery through a smarthost.
   *
   * @param smarthost the relay host
   * @return the hop
   */
  static Relay smarthost(Smarthost smarthost) {
    return new Relay(smarthost);
  }

  /**
   * Delivery to the application's {@link LocalDelivery}.
   *
   * @return the hop
   */
  static Local local() {
    return Local.INSTANCE;
  }

  /**
   * MX delivery, optionally overriding the routing table's MX port and TLS policy.
   *
   * @param port the port to connect to, empty for the table's default (25)
   * @param tls the TLS policy, empty for the table's default ({@link TlsPolicy#OPPORTUNISTIC})
   */
  record Mx(OptionalInt port, Optional<TlsPolicy> tls) implements NextHop {
    /** Validates. */
    public Mx {
      Objects.requireNonNull(port, "port");
      Objects.requireNonNull(tls, "tls");
      if (port.isPresent() && (port.getAsInt() < 1 || port.getAsInt() > 65535)) {
        throw new IllegalArgumentException("MX port must be 1..65535: " + port.getAsInt());
      }
    }

    /**
     * Returns a copy connecting to another port.
     *
     * @param newPort 1 to 65535
     * @return the new hop
     */
    public Mx withPort(int newPort) {
      return new Mx(OptionalInt.of(newPort), tls);
    }

    /**
     * Returns a copy with another TLS policy (e.g. {@link TlsPolicy#REQUIRED_VERIFIED} for a
     * domain known to support it).
     *
     * @param policy the policy
     * @return the new hop
     */
    public Mx withTls(TlsPolicy policy) {
      return new Mx(port, Optional.of(policy));
    }
  }

  /**
   * Delivery through a smarthost.
   *
   * @param smarthost the relay host
   */
  record Relay(Smarthost smarthost) implements NextHop {
    /** Validates. */
    public Relay {
      Objects.requireNonNull(smarthost, "smarthost");
    }
  }

  /** Delivery to the application's {@link LocalDelivery} callback. */
  final class Local implements NextHop {
    private static final Local INSTANCE = new Local();

    private Local() {}

    @Override
    public String toString() {
      return "local";
    }
  }
}
