package org.relaymail.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class RoutingTest {
  private static final LocalDelivery NOWHERE = (s, r, c) -> Map.of();

  @Test
  void directMxByDefaultWithPort25AndOpportunisticTls() {
    Destination d = Routing.direct().destinationFor("Example.COM");
    assertEquals("example.com", d.name());
    assertEquals(new NextHop.Mx(OptionalInt.of(25), Optional.of(TlsPolicy.OPPORTUNISTIC)), d.hop());
    assertEquals(25, d.port());
    assertEquals(TlsPolicy.OPPORTUNISTIC, d.tlsPolicy());
  }

  @Test
  void unicodeDomainsBecomeALabels() {
    assertEquals("xn--bcher-kva.example", Routing.direct().destinationFor("bücher.example").name());
  }

  @Test
  void smarthostForEverythingRequiresVerifiedTlsByDefault() {
    Smarthost relay = Smarthost.of("smtp.provider.example", 587).withCredentials("u", "secret");
    Routing routing = Routing.builder().smarthost(relay).build();
    Destination a = routing.destinationFor("a.example");
    Destination b = routing.destinationFor("b.example");
    assertEquals(a, b, "every domain shares the smarthost destination");
    assertEquals(TlsPolicy.REQUIRED_VERIFIED, a.tlsPolicy());
    assertEquals(587, a.port());
    assertTrue(!relay.toString().contains("secret"), relay.toString());
  }

  @Test
  void perDomainRoutesMostSpecificWins() {
    Smarthost partner = Smarthost.of("10.0.0.5", 2525).withTls(TlsPolicy.REQUIRED);
    Routing routing =
        Routing.builder()
            .mxPort(2500)
            .route("partner.example", NextHop.smarthost(partner))
            .route(".corp.example", NextHop.mx().withPort(2601))
            .route("eu.corp.example", NextHop.mx().withPort(2602))
            .requireTls("bank.example")
            .localDomain("internal.example")
            .localDelivery(NOWHERE)
            .build();
    assertEquals(NextHop.smarthost(partner), routing.destinationFor("partner.example").hop());
    assertEquals(2500, routing.destinationFor("sub.partner.example").port(), "exact key only");
    assertEquals(2601, routing.destinationFor("x.corp.example").port());
    assertEquals(2601, routing.destinationFor("a.b.corp.example").port());
    assertEquals(2500, routing.destinationFor("corp.example").port(), ".key excludes the domain");
    assertEquals(2602, routing.destinationFor("eu.corp.example").port());
    assertEquals(TlsPolicy.REQUIRED_VERIFIED, routing.destinationFor("BANK.example").tlsPolicy());
    assertEquals(2500, routing.destinationFor("bank.example").port());
    assertTrue(routing.destinationFor("internal.example").isLocal());
    assertEquals(TlsPolicy.OPPORTUNISTIC, routing.destinationFor("other.example").tlsPolicy());
  }

  @Test
  void localDomainWithoutCallbackIsRefused() {
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> Routing.builder().localDomain("me.example").build());
    assertTrue(e.getMessage().contains("me.example"), e.getMessage());
  }

  @Test
  void badValuesAreRefusedWithTheirName() {
    IllegalArgumentException port =
        assertThrows(IllegalArgumentException.class, () -> Routing.builder().mxPort(0));
    assertTrue(port.getMessage().contains("mxPort"), port.getMessage());
    IllegalArgumentException key =
        assertThrows(IllegalArgumentException.class, () -> Routing.builder().route("bad domain", NextHop.mx()));
    assertTrue(key.getMessage().contains("'bad domain'"), key.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Smarthost.of("relay\r\nx", 25));
    assertThrows(IllegalArgumentException.class, () -> Smarthost.of("relay", 70000));
    assertThrows(IllegalArgumentException.class, () -> Routing.direct().destinationFor("a b.example"));
  }
}
