package org.relaymail.relay.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relaymail.relay.AddressPreference;
import org.relaymail.relay.DnsSettings;
import org.relaymail.relay.MxHost;
import org.relaymail.relay.RouteDecision;
import org.relaymail.relay.Routing;
import org.relaymail.testsupport.DnsTestServer;
import org.xbill.DNS.Type;

/** MX resolution over the wire, against the loopback DNS test server (UDP and TCP). */
class MxResolverDnsServerTest {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private DnsTestServer dns;

  @BeforeEach
  void start() throws IOException {
    dns = DnsTestServer.builder().negativeTtl(Duration.ofSeconds(30)).start();
  }

  @AfterEach
  void stop() {
    dns.close();
  }

  private DnsSettings.Builder settings() {
    return DnsSettings.builder().server(dns.socketAddress()).timeout(Duration.ofSeconds(5)).retries(1);
  }

  private MxResolver resolver(DnsSettings settings) {
    return new MxResolver(new DnsLookup(new ResolverTransport(settings), settings, nanos::get), new Random(3));
  }

  private MxResolver resolver() {
    return resolver(settings().build());
  }

  private static InetAddress ip(String s) throws IOException {
    return InetAddress.getByName(s);
  }

  @Test
  void resolvesMxInPreferenceOrderOverUdp() throws IOException {
    dns.mx("example.test", 20, "mx2.example.test")
        .mx("example.test", 10, "mx1.example.test")
        .address("mx1.example.test", "127.0.0.2", "::1")
        .address("mx2.example.test", "127.0.0.3");
    MxResolution r = resolver().resolve("example.test", AddressPreference.PREFER_IPV4);
    assertTrue(r.succeeded(), r.toString());
    assertEquals(
        List.of(
            new MxHost("mx1.example.test", 10, List.of(ip("127.0.0.2"), ip("::1"))),
            new MxHost("mx2.example.test", 20, List.of(ip("127.0.0.3")))),
        r.hosts());
    assertEquals(0, dns.tcpQueryCount());
  }

  @Test
  void implicitMxNullMxNxdomainAndServfail() throws IOException {
    dns.address("plain.test", "127.0.0.4").nullMx("nomail.test").servfail("broken.test").address("other.test", "127.0.0.9");
    MxResolver r = resolver();
    MxResolution plain = r.resolve("plain.test", AddressPreference.PREFER_IPV4);
    assertTrue(plain.implicitMx(), plain.toString());
    assertEquals(List.of(new MxHost("plain.test", 0, List.of(ip("127.0.0.4")))), plain.hosts());
    assertStatus(r.resolve("nomail.test", AddressPreference.PREFER_IPV4), true, "5.1.10");
    assertStatus(r.resolve("missing.test", AddressPreference.PREFER_IPV4), true, "5.1.2");
    assertStatus(r.resolve("broken.test", AddressPreference.PREFER_IPV4), false, "4.4.3");
  }

  @Test
  void timeoutIsTransientAndTheNextServerIsAsked() throws IOException {
    dns.noAnswer("slow.test");
    DnsSettings quick = settings().timeout(Duration.ofMillis(300)).retries(0).build();
    MxResolution slow = resolver(quick).resolve("slow.test", AddressPreference.PREFER_IPV4);
    assertStatus(slow, false, "4.4.3");
    assertTrue(slow.failure().get().reason().contains("timed out"), slow.toString());

    try (DnsTestServer silent = DnsTestServer.start()) {
      silent.noAnswer("good.test").noAnswer("mx.good.test");
      dns.mx("good.test", 10, "mx.good.test").address("mx.good.test", "127.0.0.5");
      DnsSettings two =
          DnsSettings.builder().server(silent.socketAddress()).server(dns.socketAddress())
              .timeout(Duration.ofMillis(300)).retries(0).build();
      MxResolution good = resolver(two).resolve("good.test", AddressPreference.PREFER_IPV4);
      assertTrue(good.succeeded(), good.toString());
      assertTrue(silent.queryCount("good.test") >= 1, "the first server was asked first");
    }
  }

  @Test
  void cnamesAreFollowed() throws IOException {
    dns.cname("alias.test", "real.test").mx("real.test", 10, "mxalias.real.test")
        .cname("mxalias.real.test", "mx.real.test").address("mx.real.test", "127.0.0.6");
    MxResolution r = resolver().resolve("alias.test", AddressPreference.PREFER_IPV4);
    assertTrue(r.succeeded(), r.toString());
    assertEquals(List.of(ip("127.0.0.6")), r.hosts().get(0).addresses());
  }

  @Test
  void truncatedUdpAnswerIsRetriedOverTcp() throws IOException {
    for (int i = 0; i < 40; i++) {
      dns.mx("big.test", 10 + i, "mx" + i + ".a-rather-long-mail-exchanger-name.big.test");
    }
    dns.address("mx0.a-rather-long-mail-exchanger-name.big.test", "127.0.0.7");
    dns.truncateOverUdp("big.test");
    MxResolution r = resolver().resolve("big.test", AddressPreference.IPV4_ONLY);
    assertTrue(r.succeeded(), r.toString());
    assertEquals(40, r.hosts().size());
    assertEquals(List.of(ip("127.0.0.7")), r.hosts().get(0).addresses());
    assertTrue(dns.tcpQueryCount() >= 1, "the MX query went over TCP after TC=1");
  }

  @Test
  void answersAreCachedForTheirTtlAndNegativeAnswersForTheSoaMinimum() throws IOException {
    dns.mx("cached.test", 10, "mx.cached.test", Duration.ofSeconds(60))
        .address("mx.cached.test", Duration.ofSeconds(600), "127.0.0.8")
        .address("unrelated.test", "127.0.0.1");
    MxResolver r = resolver();
    for (int i = 0; i < 3; i++) {
      assertTrue(r.resolve("cached.test", AddressPreference.IPV4_ONLY).succeeded());
      assertStatus(r.resolve("gone.test", AddressPreference.IPV4_ONLY), true, "5.1.2");
    }
    assertEquals(1, dns.queryCount("cached.test", Type.MX));
    assertEquals(1, dns.queryCount("gone.test", Type.MX));
    nanos.addAndGet(Duration.ofSeconds(31).toNanos());
    r.resolve("gone.test", AddressPreference.IPV4_ONLY);
    r.resolve("cached.test", AddressPreference.IPV4_ONLY);
    assertEquals(2, dns.queryCount("gone.test", Type.MX), "negative TTL (30 s) over");
    assertEquals(1, dns.queryCount("cached.test", Type.MX), "positive TTL (60 s) not over");
    nanos.addAndGet(Duration.ofSeconds(30).toNanos());
    r.resolve("cached.test", AddressPreference.IPV4_ONLY);
    assertEquals(2, dns.queryCount("cached.test", Type.MX));
    assertEquals(1, dns.queryCount("mx.cached.test", Type.A), "the A answer lives 600 s");
  }

  @Test
  void explainRouteThroughTheWire() throws IOException {
    dns.mx("shop.test", 10, "mx1.shop.test").mx("shop.test", 10, "mx2.shop.test")
        .address("mx1.shop.test", "127.0.0.2").address("mx2.shop.test", "127.0.0.3");
    Router router = Router.create(Routing.builder().mxPort(2525).build(), settings().build(), nanos::get, new Random(1));
    RouteDecision d = router.explain("shop.test");
    assertEquals(2, d.targets().size(), d.toString());
    assertTrue(d.toString().startsWith("shop.test: MX, port 2525, TLS OPPORTUNISTIC\n"), d.toString());
    assertFalse(d.failure().isPresent());
  }

  private static void assertStatus(MxResolution r, boolean permanent, String status) {
    assertFalse(r.succeeded(), r.toString());
    assertEquals(permanent, r.failure().get().permanent(), r.toString());
    assertEquals(status, r.failure().get().enhancedStatus().toString(), r.toString());
  }
}
