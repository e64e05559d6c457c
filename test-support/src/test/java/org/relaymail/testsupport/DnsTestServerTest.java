package org.relaymail.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

class DnsTestServerTest {

  private static Message ask(SimpleResolver r, String name, int type) throws IOException {
    return r.send(Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN)));
  }

  @Test
  void servesMxAddressesAndCountsQueries() throws Exception {
    try (DnsTestServer dns = DnsTestServer.builder().address(Loopback.v4(1)).start()) {
      dns.mx("example.test", 20, "mx2.example.test")
          .mx("example.test", 10, "mx1.example.test", Duration.ofSeconds(42))
          .address("mx1.example.test", "127.0.0.2", "::1")
          .txt("example.test", "v=spf1 -all");
      SimpleResolver r = dns.resolver();
      Message m = ask(r, "example.test.", Type.MX);
      assertEquals(Rcode.NOERROR, m.getRcode());
      List<Record> mx = m.getSection(Section.ANSWER);
      assertEquals(2, mx.size());
      MXRecord first = (MXRecord) mx.stream().filter(x -> ((MXRecord) x).getPriority() == 10)
          .findFirst().orElseThrow();
      assertEquals("mx1.example.test.", first.getTarget().toString());
      assertEquals(42, first.getTTL());
      List<Record> a = ask(r, "mx1.example.test.", Type.A).getSection(Section.ANSWER);
      assertEquals("127.0.0.2", ((ARecord) a.get(0)).getAddress().getHostAddress());
      assertEquals(1, ask(r, "mx1.example.test.", Type.AAAA).getSection(Section.ANSWER).size());
      assertEquals("v=spf1 -all", ((TXTRecord) ask(r, "example.test.", Type.TXT)
          .getSection(Section.ANSWER).get(0)).getStrings().get(0));
      assertEquals(2, dns.queryCount("example.test"));
      assertEquals(1, dns.queryCount("example.test", Type.MX));
      assertEquals(2, dns.queryCount("MX1.example.test."));
    }
  }

  @Test
  void negativeAnswersNullMxAndFaults() throws Exception {
    try (DnsTestServer dns = DnsTestServer.builder()
        .negativeTtl(Duration.ofSeconds(30)).start()) {
      dns.nullMx("nomail.test").address("aonly.test", "127.0.0.3")
          .servfail("broken.test").nxdomain("gone.test");
      SimpleResolver r = dns.resolver();
      MXRecord nullMx = (MXRecord) ask(r, "nomail.test.", Type.MX).getSection(Section.ANSWER)
          .get(0);
      assertEquals(0, nullMx.getPriority());
      assertEquals(Name.root, nullMx.getTarget());
      Message nodata = ask(r, "aonly.test.", Type.MX);
      assertEquals(Rcode.NOERROR, nodata.getRcode());
      assertTrue(nodata.getSection(Section.ANSWER).isEmpty());
      assertEquals(30, nodata.getSection(Section.AUTHORITY).get(0).getTTL());
      Message nx = ask(r, "unknown.test.", Type.MX);
      assertEquals(Rcode.NXDOMAIN, nx.getRcode());
      assertEquals(Type.SOA, nx.getSection(Section.AUTHORITY).get(0).getType());
      assertEquals(Rcode.NXDOMAIN, ask(r, "gone.test.", Type.A).getRcode());
      assertEquals(Rcode.SERVFAIL, ask(r, "broken.test.", Type.MX).getRcode());
    }
  }

  @Test
  void cnameIsChased() throws Exception {
    try (DnsTestServer dns = DnsTestServer.start()) {
      dns.cname("alias.test", "real.test").mx("real.test", 5, "mx.real.test");
      List<Record> ans = ask(dns.resolver(), "alias.test.", Type.MX).getSection(Section.ANSWER);
      assertEquals(Type.CNAME, ans.get(0).getType());
      assertEquals(Type.MX, ans.get(1).getType());
    }
  }

  @Test
  void truncationOverUdpForcesTcp() throws Exception {
    try (DnsTestServer dns = DnsTestServer.start()) {
      dns.mx("big.test", 10, "mx.big.test").truncateOverUdp("big.test");
      Message m = ask(dns.resolver(), "big.test.", Type.MX);
      assertEquals(1, m.getSection(Section.ANSWER).size());
      assertEquals(1, dns.udpQueryCount());
      assertEquals(1, dns.tcpQueryCount());
      assertEquals(2, dns.queryCount("big.test", Type.MX));
    }
  }

  @Test
  void largeAnswersAreTruncatedOverUdpAutomatically() throws Exception {
    try (DnsTestServer dns = DnsTestServer.start()) {
      for (int i = 0; i < 40; i++) {
        dns.mx("many.test", i, "a-rather-long-exchange-name-number-" + i + ".many.test");
      }
      SimpleResolver r = dns.resolver();
      r.setEDNS(-1); // no EDNS: 512-octet UDP limit
      assertEquals(40, ask(r, "many.test.", Type.MX).getSection(Section.ANSWER).size());
      assertTrue(dns.tcpQueryCount() >= 1);
    }
  }

  @Test
  void delayAndNoAnswer() throws Exception {
    try (DnsTestServer dns = DnsTestServer.start()) {
      dns.address("slow.test", "127.0.0.4").delay("slow.test", Duration.ofMillis(100))
          .noAnswer("dead.test");
      SimpleResolver r = dns.resolver();
      long t0 = System.nanoTime();
      assertEquals(1, ask(r, "slow.test.", Type.A).getSection(Section.ANSWER).size());
      assertTrue(System.nanoTime() - t0 >= 100_000_000L);
      r.setTimeout(Duration.ofMillis(300));
      assertThrows(IOException.class, () -> ask(r, "dead.test.", Type.A));
      assertTrue(dns.queryCount("dead.test") >= 1);
    }
  }

  @Test
  void ptrAndValidation() throws Exception {
    try (DnsTestServer dns = DnsTestServer.start()) {
      dns.ptr("127.0.0.2", "mx1.example.test");
      Message m = ask(dns.resolver(), "2.0.0.127.in-addr.arpa.", Type.PTR);
      assertFalse(m.getSection(Section.ANSWER).isEmpty());
      assertThrows(IllegalArgumentException.class, () -> dns.address("x.test", "not-an-ip"));
      assertThrows(IllegalArgumentException.class, () -> dns.rcode("x.test", 99));
      assertThrows(IllegalArgumentException.class,
          () -> DnsTestServer.builder().address(java.net.InetAddress.getByName("192.0.2.1")));
    }
  }
}
