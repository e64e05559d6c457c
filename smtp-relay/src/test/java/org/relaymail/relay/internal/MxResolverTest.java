package org.relaymail.relay.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.relaymail.protocol.EnhancedStatus;
import org.relaymail.relay.AddressPreference;
import org.relaymail.relay.DnsSettings;
import org.relaymail.relay.MxHost;
import org.relaymail.relay.RouteFailure;

class MxResolverTest {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

  private MxResolver resolver(TableTransport t, long seed) {
    DnsLookup lookup = new DnsLookup(t, DnsSettings.builder().build(), nanos::get);
    return new MxResolver(lookup, new Random(seed));
  }

  private static List<String> names(MxResolution r) {
    return r.hosts().stream().map(MxHost::name).collect(Collectors.toList());
  }

  private static InetAddress ip(String s) throws Exception {
    return InetAddress.getByName(s);
  }

  @Test
  void mxHostsInPreferenceOrderWithAddresses() throws Exception {
    TableTransport t =
        new TableTransport(300, 300)
            .add("example.com. 300 MX 20 mx2.example.com.")
            .add("example.com. 300 MX 10 mx1.example.com.")
            .add("example.com. 300 MX 30 mx3.example.com.")
            .add("mx1.example.com. 300 A 192.0.2.1")
            .add("mx1.example.com. 300 AAAA 2001:db8::1")
            .add("mx2.example.com. 300 A 192.0.2.2")
            .add("mx3.example.com. 300 AAAA 2001:db8::3");
    MxResolution r = resolver(t, 1).resolve("Example.COM", AddressPreference.PREFER_IPV4);
    assertTrue(r.succeeded(), r.toString());
    assertFalse(r.implicitMx());
    assertEquals(List.of("mx1.example.com", "mx2.example.com", "mx3.example.com"), names(r));
    assertEquals(List.of(10, 20, 30), r.hosts().stream().map(MxHost::preference).toList());
    assertEquals(List.of(ip("192.0.2.1"), ip("2001:db8::1")), r.hosts().get(0).addresses());
    assertEquals(List.of(ip("2001:db8::3")), r.hosts().get(2).addresses());

    MxResolution v6 = resolver(t, 1).resolve("example.com", AddressPreference.PREFER_IPV6);
    assertEquals(List.of(ip("2001:db8::1"), ip("192.0.2.1")), v6.hosts().get(0).addresses());
    MxResolution v4only = resolver(t, 1).resolve("example.com", AddressPreference.IPV4_ONLY);
    assertEquals(List.of(), v4only.hosts().get(2).addresses());
    MxResolution v6only = resolver(t, 1).resolve("example.com", AddressPreference.IPV6_ONLY);
    assertEquals(List.of(), v6only.hosts().get(1).addresses());
  }

  @Test
  void equalPreferencesAreShuffledReproduciblyPerSeed() {
    TableTransport t = new TableTransport(300, 300).add("example.com. 300 MX 5 first.example.com.");
    for (String h : List.of("a", "b", "c", "d")) {
      t.add("example.com. 300 MX 10 " + h + ".example.com.");
      t.add(h + ".example.com. 300 A 192.0.2.10");
    }
    t.add("example.com. 300 MX 50 last.example.com.");
    t.add("first.example.com. 300 A 192.0.2.1").add("last.example.com. 300 A 192.0.2.99");
    Set<List<String>> orders = new HashSet<>();
    for (long seed = 0; seed < 40; seed++) {
      List<String> order = names(resolver(t, seed).resolve("example.com", AddressPreference.PREFER_IPV4));
      assertEquals(order, names(resolver(t, seed).resolve("example.com", AddressPreference.PREFER_IPV4)),
          "same seed, same order; seed=" + seed);
      assertEquals("first.example.com", order.get(0), "seed=" + seed);
      assertEquals("last.example.com", order.get(5), "seed=" + seed);
      assertEquals(Set.of("a.example.com", "b.example.com", "c.example.com", "d.example.com"),
          Set.copyOf(order.subList(1, 5)), "seed=" + seed);
      orders.add(order);
    }
    // 24 possible orders of the four equals; 40 seeds must hit several of them.
    assertTrue(orders.size() >= 6, "too few distinct orders: " + orders);
  }

  @Test
  void implicitMxOnlyWithoutMxRecords() throws Exception {
    TableTransport t =
        new TableTransport(300, 300).add("plain.example. 300 A 192.0.2.7").add("plain.example. 300 TXT hi");
    MxResolution r = resolver(t, 1).resolve("plain.example", AddressPreference.PREFER_IPV4);
    assertTrue(r.succeeded(), r.toString());
    assertTrue(r.implicitMx());
    assertEquals(List.of(new MxHost("plain.example", 0, List.of(ip("192.0.2.7")))), r.hosts());
  }

  @Test
  void noMxAndNoAddressIsPermanent() {
    TableTransport t = new TableTransport(300, 300).add("text.example. 300 TXT hi");
    MxResolution r = resolver(t, 1).resolve("text.example", AddressPreference.PREFER_IPV4);
    assertFailure(r, true, "5.4.4");
  }

  @Test
  void nullMxIsPermanent5110() {
    TableTransport t =
        new TableTransport(300, 300).add("nomail.example. 300 MX 0 .").add("nomail.example. 300 A 192.0.2.1");
    MxResolution r = resolver(t, 1).resolve("nomail.example", AddressPreference.PREFER_IPV4);
    assertFailure(r, true, "5.1.10");
    assertTrue(r.failure().get().reason().contains("null MX"), r.toString());
  }

  @Test
  void nxdomainIsPermanent() {
    TableTransport t = new TableTransport(300, 300).add("other.example. 300 A 192.0.2.1");
    assertFailure(resolver(t, 1).resolve("missing.example", AddressPreference.PREFER_IPV4), true, "5.1.2");
  }

  @Test
  void servfailAndTimeoutAreTransient() {
    TableTransport t = new TableTransport(300, 300).servfail("broken.example.").silent("slow.example.");
    MxResolution servfail = resolver(t, 1).resolve("broken.example", AddressPreference.PREFER_IPV4);
    assertFailure(servfail, false, "4.4.3");
    assertTrue(servfail.failure().get().reason().contains("SERVFAIL"), servfail.toString());
    MxResolution timeout = resolver(t, 1).resolve("slow.example", AddressPreference.PREFER_IPV4);
    assertFailure(timeout, false, "4.4.3");
    assertTrue(timeout.failure().get().reason().contains("timed out"), timeout.toString());
  }

  @Test
  void mxHostThatFailsTemporarilyIsSkippedButReportedWhenAlone() throws Exception {
    TableTransport t =
        new TableTransport(300, 300)
            .add("two.example. 300 MX 10 bad.two.example.")
            .add("two.example. 300 MX 20 good.two.example.")
            .add("good.two.example. 300 A 192.0.2.20")
            .servfail("bad.two.example.")
            .add("one.example. 300 MX 10 bad.two.example.");
    MxResolution two = resolver(t, 1).resolve("two.example", AddressPreference.IPV4_ONLY);
    assertTrue(two.succeeded());
    assertEquals(List.of(), two.hosts().get(0).addresses());
    assertEquals(List.of(ip("192.0.2.20")), two.hosts().get(1).addresses());
    assertFailure(resolver(t, 1).resolve("one.example", AddressPreference.IPV4_ONLY), false, "4.4.3");
  }

  @Test
  void cnamesAreFollowedInTheAnswerAndByRequery() throws Exception {
    for (boolean chase : List.of(true, false)) {
      TableTransport t =
          new TableTransport(300, 300)
              .add("alias.example. 300 CNAME real.example.")
              .add("real.example. 300 MX 10 mxalias.example.")
              .add("mxalias.example. 300 CNAME mx.real.example.")
              .add("mx.real.example. 300 A 192.0.2.33");
      if (!chase) {
        t.noCnameChasing();
      }
      MxResolution r = resolver(t, 1).resolve("alias.example", AddressPreference.PREFER_IPV4);
      assertTrue(r.succeeded(), "chase=" + chase + " " + r);
      assertEquals(List.of(ip("192.0.2.33")), r.hosts().get(0).addresses(), "chase=" + chase);
    }
  }

  @Test
  void cnameLoopIsATransientFailure() {
    TableTransport t =
        new TableTransport(300, 300)
            .add("loop1.example. 300 CNAME loop2.example.")
            .add("loop2.example. 300 CNAME loop1.example.")
            .noCnameChasing();
    MxResolution r = resolver(t, 1).resolve("loop1.example", AddressPreference.PREFER_IPV4);
    assertFailure(r, false, "4.4.3");
    assertTrue(r.failure().get().reason().contains("CNAME"), r.toString());
  }

  @Test
  void addressLiteralsNeedNoDns() throws Exception {
    TableTransport t = new TableTransport(300, 300);
    MxResolution v4 = resolver(t, 1).resolve("[192.0.2.5]", AddressPreference.PREFER_IPV4);
    assertEquals(List.of(ip("192.0.2.5")), v4.hosts().get(0).addresses());
    MxResolution v6 = resolver(t, 1).resolve("[IPv6:2001:db8::5]", AddressPreference.PREFER_IPV4);
    assertEquals(List.of(ip("2001:db8::5")), v6.hosts().get(0).addresses());
    assertEquals(0, t.queries.get());
  }

  @Test
  void positiveAnswersAreCachedForTheirTtl() {
    TableTransport t =
        new TableTransport(300, 300)
            .add("cached.example. 60 MX 10 mx.cached.example.")
            .add("mx.cached.example. 600 A 192.0.2.44");
    MxResolver r = resolver(t, 1);
    assertTrue(r.resolve("cached.example", AddressPreference.IPV4_ONLY).succeeded());
    assertEquals(2, t.queries.get());
    nanos.addAndGet(Duration.ofSeconds(59).toNanos());
    assertTrue(r.resolve("cached.example", AddressPreference.IPV4_ONLY).succeeded());
    assertEquals(2, t.queries.get(), "within both TTLs nothing is asked again");
    nanos.addAndGet(Duration.ofSeconds(2).toNanos());
    assertTrue(r.resolve("cached.example", AddressPreference.IPV4_ONLY).succeeded());
    assertEquals(3, t.queries.get(), "the MX answer expired after 60 s, the A answer did not");
  }

  @Test
  void negativeAnswersAreCachedForTheSoaMinimum() {
    // SOA TTL 300, minimum 30: RFC 2308 caches the negative answer min(300, 30) seconds.
    TableTransport t = new TableTransport(300, 30).add("other.example. 300 A 192.0.2.1");
    MxResolver r = resolver(t, 1);
    assertFailure(r.resolve("gone.example", AddressPreference.IPV4_ONLY), true, "5.1.2");
    assertFailure(r.resolve("gone.example", AddressPreference.IPV4_ONLY), true, "5.1.2");
    assertEquals(1, t.queries.get());
    nanos.addAndGet(Duration.ofSeconds(31).toNanos());
    assertFailure(r.resolve("gone.example", AddressPreference.IPV4_ONLY), true, "5.1.2");
    assertEquals(2, t.queries.get());
  }

  @Test
  void temporaryFailuresAreNotCached() {
    TableTransport t = new TableTransport(300, 300).servfail("broken.example.");
    MxResolver r = resolver(t, 1);
    r.resolve("broken.example", AddressPreference.IPV4_ONLY);
    r.resolve("broken.example", AddressPreference.IPV4_ONLY);
    assertEquals(2, t.queries.get());
  }

  private static void assertFailure(MxResolution r, boolean permanent, String status) {
    assertFalse(r.succeeded(), r.toString());
    RouteFailure f = r.failure().get();
    assertEquals(permanent, f.permanent(), r.toString());
    assertEquals(EnhancedStatus.parse(status), f.enhancedStatus(), r.toString());
    assertTrue(r.hosts().isEmpty());
  }
}
