package org.relaymail.relay.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.relaymail.protocol.Mailbox;
import org.relaymail.relay.DnsSettings;
import org.relaymail.relay.RouteDecision;
import org.relaymail.relay.Routing;
import org.relaymail.relay.Smarthost;
import org.relaymail.relay.TlsPolicy;

class RouterTest {
  private final AtomicLong nanos = new AtomicLong(5_000_000_000L);
  private final TableTransport zone =
      new TableTransport(300, 60)
          .add("big.example. 300 MX 10 mx1.big.example.")
          .add("big.example. 300 MX 20 mx2.big.example.")
          .add("mx1.big.example. 300 A 127.0.0.2")
          .add("mx1.big.example. 300 A 127.0.0.3")
          .add("mx1.big.example. 300 A 127.0.0.4")
          .add("mx2.big.example. 300 A 127.0.0.5")
          .add("mx2.big.example. 300 A 127.0.0.6")
          .add("mx2.big.example. 300 A 127.0.0.7")
          .add("relay.example. 300 A 127.0.0.9")
          .add("nomail.example. 300 MX 0 .");

  private Router router(Routing routing, HostFailureCache failures) {
    DnsLookup lookup = new DnsLookup(zone, DnsSettings.builder().build(), nanos::get);
    return new Router(routing, new MxResolver(lookup, new Random(7)), failures);
  }

  private HostFailureCache failures(Duration ttl) {
    return new HostFailureCache(ttl, nanos::get);
  }

  private static InetSocketAddress at(String ip, int port) throws Exception {
    return new InetSocketAddress(InetAddress.getByName(ip), port);
  }

  @Test
  void targetsFollowMxOrderAndAreCappedAtFiveAddresses() throws Exception {
    Routing routing = Routing.builder().mxPort(2525).build();
    RouteDecision d = router(routing, failures(Duration.ofSeconds(60))).explain("big.example");
    assertTrue(d.failure().isEmpty(), d.toString());
    assertEquals(5, d.targets().size(), d.toString());
    assertEquals(at("127.0.0.2", 2525), d.targets().get(0).address());
    assertEquals("mx1.big.example", d.targets().get(0).host());
    assertEquals(at("127.0.0.6", 2525), d.targets().get(4).address());
    assertEquals("mx2.big.example", d.targets().get(4).host());
    assertEquals(2, d.maxSessions());
    assertEquals(TlsPolicy.OPPORTUNISTIC, d.tlsPolicy());
    String text = d.toString();
    assertTrue(text.contains("big.example: MX, port 2525, TLS OPPORTUNISTIC"), text);
    assertTrue(text.contains("10 mx1.big.example 127.0.0.2, 127.0.0.3, 127.0.0.4"), text);
    assertTrue(text.contains("20 mx2.big.example 127.0.0.5, 127.0.0.6, 127.0.0.7"), text);
  }

  @Test
  void recentlyFailedAddressesAreSkippedUntilTheTtlEnds() throws Exception {
    HostFailureCache failures = failures(Duration.ofSeconds(60));
    Router router = router(Routing.builder().mxPort(2525).maxAddresses(2).build(), failures);
    failures.markFailed(at("127.0.0.2", 2525), "connection refused");
    RouteDecision d = router.explain("big.example");
    assertEquals(List.of(at("127.0.0.3", 2525), at("127.0.0.4", 2525)),
        d.targets().stream().map(RouteDecision.Target::address).toList());
    assertEquals(List.of(at("127.0.0.2", 2525)), d.skipped());
    assertTrue(d.toString().contains("skipped (recently unreachable): 127.0.0.2:2525"), d.toString());
    nanos.addAndGet(Duration.ofSeconds(61).toNanos());
    assertEquals(at("127.0.0.2", 2525), router.explain("big.example").targets().get(0).address());
  }

  @Test
  void allAddressesDownIsATransientConnectionFailure() throws Exception {
    HostFailureCache failures = failures(Duration.ofSeconds(60));
    Router router = router(Routing.builder().mxPort(2525).build(), failures);
    for (int i = 2; i <= 7; i++) {
      failures.markFailed(at("127.0.0." + i, 2525), "connect timed out");
    }
    RouteDecision d = router.explain("big.example");
    assertTrue(d.targets().isEmpty());
    assertFalse(d.failure().get().permanent());
    assertEquals("4.4.1", d.failure().get().enhancedStatus().toString());
    assertTrue(d.failure().get().reason().contains("connect timed out"), d.toString());
    failures.markReachable(at("127.0.0.5", 2525));
    assertEquals(at("127.0.0.5", 2525), router.explain("big.example").targets().get(0).address());
  }

  @Test
  void nullMxExplained() {
    RouteDecision d = router(Routing.direct(), failures(Duration.ZERO)).explain("nomail.example");
    assertTrue(d.failure().get().permanent());
    assertTrue(d.toString().contains("failure: 5.1.10"), d.toString());
  }

  @Test
  void smarthostIsResolvedWithoutMx() throws Exception {
    Routing routing = Routing.builder().smarthost(Smarthost.of("relay.example", 587)).build();
    RouteDecision d = router(routing, failures(Duration.ZERO)).explain("anything.example");
    assertEquals(List.of(new RouteDecision.Target("relay.example", 0, at("127.0.0.9", 587))), d.targets());
    assertTrue(d.toString().startsWith("relay.example: via smarthost relay.example:587"), d.toString());
    Routing literal = Routing.builder().smarthost(Smarthost.of("::1", 2587)).build();
    assertEquals(at("::1", 2587), router(literal, failures(Duration.ZERO)).explain("x.example").targets().get(0).address());
    Routing missing = Routing.builder().smarthost(Smarthost.of("nowhere.example", 587)).build();
    RouteDecision m = router(missing, failures(Duration.ZERO)).explain("x.example");
    assertFalse(m.failure().get().permanent(), "a smarthost that does not resolve defers: " + m);
  }

  @Test
  void localDomainsNeedNoDns() {
    Routing routing =
        Routing.builder().localDomain("me.example").localDelivery((s, r, c) -> Map.of()).build();
    RouteDecision d = router(routing, failures(Duration.ZERO)).explain("me.example");
    assertTrue(d.destination().isLocal());
    assertEquals(0, zone.queries.get());
    assertTrue(d.toString().contains("local delivery"), d.toString());
  }

  @Test
  void recipientsAreGroupedByDestinationAndSplitAtTheLimit() {
    Routing routing =
        Routing.builder()
            .maxRecipientsPerTransaction(2)
            .route("partner.example", org.relaymail.relay.NextHop.smarthost(Smarthost.of("relay.example", 25)))
            .route("friend.example", org.relaymail.relay.NextHop.smarthost(Smarthost.of("relay.example", 25)))
            .build();
    List<Mailbox> rcpts =
        List.of("a@x.example", "b@partner.example", "c@X.example", "d@friend.example", "e@x.example", "f@y.example")
            .stream().map(Mailbox::parse).toList();
    List<RecipientGroups.Batch<Mailbox>> batches = RecipientGroups.group(routing, rcpts, Mailbox::domain);
    assertEquals(4, batches.size(), batches.toString());
    assertEquals("x.example", batches.get(0).destination().name());
    assertEquals(List.of("a@x.example", "c@x.example"), batches.get(0).recipients().stream().map(Mailbox::address).toList());
    assertEquals("x.example", batches.get(1).destination().name());
    assertEquals(List.of("e@x.example"), batches.get(1).recipients().stream().map(Mailbox::address).toList());
    assertEquals(List.of("b@partner.example", "d@friend.example"),
        batches.get(2).recipients().stream().map(Mailbox::address).toList(), "one smarthost, one transaction");
    assertEquals("y.example", batches.get(3).destination().name());
  }
}
