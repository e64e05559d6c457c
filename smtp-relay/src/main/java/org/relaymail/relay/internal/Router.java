package org.relaymail.relay.internal;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.relaymail.relay.Destination;
import org.relaymail.relay.DnsSettings;
import org.relaymail.relay.MxHost;
import org.relaymail.relay.NextHop;
import org.relaymail.relay.RouteDecision;
import org.relaymail.relay.RouteFailure;
import org.relaymail.relay.Routing;

/**
 * Turns a {@link Destination} into a {@link RouteDecision}: resolves MX hosts (or the smarthost's
 * addresses), flattens them to the addresses to try in order, skips addresses in the {@link
 * HostFailureCache}, and caps the list at {@link Routing#maxAddresses()}. This is what a delivery
 * attempt follows and what {@code explainRoute} prints. Thread-safe.
 */
public final class Router {
  private final Routing routing;
  private final MxResolver resolver;
  private final HostFailureCache hostFailures;

  /**
   * Creates the router.
   *
   * @param routing the routing table
   * @param resolver the MX resolver
   * @param hostFailures the unreachable-address cache (the delivery worker feeds it)
   */
  public Router(Routing routing, MxResolver resolver, HostFailureCache hostFailures) {
    this.routing = routing;
    this.resolver = resolver;
    this.hostFailures = hostFailures;
  }

  /**
   * Wires the production chain: dnsjava resolvers from the settings (never the static {@code
   * Lookup}), a Caffeine answer cache, the MX resolver and a host failure cache with the routing
   * table's TTL.
   *
   * @param routing the routing table
   * @param dns the DNS settings (tests name the loopback DNS test server)
   * @param ticker the cache time source ({@code Ticker.systemTicker()} in production)
   * @param random shuffles equal MX preferences
   * @return the router
   */
  public static Router create(
      Routing routing, DnsSettings dns, com.github.benmanes.caffeine.cache.Ticker ticker, java.util.Random random) {
    DnsLookup lookup = new DnsLookup(new ResolverTransport(dns), dns, ticker);
    return new Router(
        routing, new MxResolver(lookup, random), new HostFailureCache(routing.hostFailureTtl(), ticker));
  }

  /**
   * Returns the unreachable-address cache the delivery worker feeds ({@link
   * HostFailureCache#markFailed} after a connection failure, {@link
   * HostFailureCache#markReachable} after a greeting).
   *
   * @return the cache
   */
  public HostFailureCache hostFailures() {
    return hostFailures;
  }

  /**
   * Returns the routing table.
   *
   * @return the table
   */
  public Routing routing() {
    return routing;
  }

  /**
   * Decides the route of a recipient domain, resolving DNS as needed.
   *
   * @param domain the recipient domain (ASCII or Unicode) or address literal
   * @return the decision
   */
  public RouteDecision explain(String domain) {
    return decide(routing.destinationFor(domain));
  }

  /**
   * Decides the route for a destination, resolving DNS as needed (answers are cached).
   *
   * @param destination from {@link Routing#destinationFor(String)}
   * @return the decision: targets to try, or the failure
   */
  public RouteDecision decide(Destination destination) {
    NextHop hop = destination.hop();
    if (hop instanceof NextHop.Local) {
      return new RouteDecision(
          destination, List.of(), false, List.of(), List.of(), 0, Optional.empty(),
          Optional.empty(), Optional.empty());
    }
    MxResolution resolution =
        hop instanceof NextHop.Relay relay
            ? resolver.resolveHost(relay.smarthost().host(), routing.addressPreference())
            : resolver.resolve(destination.name(), routing.addressPreference());
    if (!resolution.succeeded()) {
      return new RouteDecision(
          destination, List.of(), false, List.of(), List.of(), routing.maxSessions(),
          resolution.failure(), Optional.empty(), Optional.empty());
    }
    int port = destination.port();
    List<RouteDecision.Target> targets = new ArrayList<>();
    List<InetSocketAddress> skipped = new ArrayList<>();
    for (MxHost host : resolution.hosts()) {
      for (var address : host.addresses()) {
        InetSocketAddress socket = new InetSocketAddress(address, port);
        if (hostFailures.failure(socket).isPresent()) {
          skipped.add(socket);
        } else if (targets.size() < routing.maxAddresses()) {
          targets.add(new RouteDecision.Target(host.name(), host.preference(), socket));
        }
      }
    }
    Optional<RouteFailure> failure = Optional.empty();
    if (targets.isEmpty()) {
      failure =
          Optional.of(
              RouteFailure.of(
                  false,
                  "4.4.1",
                  "every address of " + destination.name() + " was recently unreachable: "
                      + hostFailures.failure(skipped.get(0)).orElse("connection failed")));
    }
    return new RouteDecision(
        destination, resolution.hosts(), resolution.implicitMx(), targets, skipped,
        routing.maxSessions(), failure, Optional.empty(), Optional.empty());
  }
}
