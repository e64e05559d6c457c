package org.relaymail.relay.internal;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.relaymail.relay.MxHost;
import org.relaymail.relay.RouteFailure;

/**
 * The mail exchangers of a domain in the order to try them, or why there are none.
 *
 * @param domain the ASCII domain that was resolved
 * @param hosts the MX hosts in order (preference, equal preferences shuffled); empty on failure
 * @param implicitMx true when there were no MX records and the domain's own addresses are used
 * @param failure why no host can be tried, empty on success
 */
public record MxResolution(
    String domain, List<MxHost> hosts, boolean implicitMx, Optional<RouteFailure> failure) {
  /** Validates and copies. */
  public MxResolution {
    Objects.requireNonNull(domain, "domain");
    hosts = List.copyOf(hosts);
    Objects.requireNonNull(failure, "failure");
  }

  static MxResolution failed(String domain, boolean permanent, String status, String reason) {
    return new MxResolution(
        domain, List.of(), false, Optional.of(RouteFailure.of(permanent, status, reason)));
  }

  /**
   * Tells whether at least one host has an address.
   *
   * @return true when the hosts can be tried
   */
  public boolean succeeded() {
    return failure.isEmpty();
  }
}
