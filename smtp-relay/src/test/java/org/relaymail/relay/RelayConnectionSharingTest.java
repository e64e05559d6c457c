package org.relaymail.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relaymail.client.ConnectionSettings;
import org.relaymail.client.SmtpTimeouts;
import org.relaymail.testsupport.ReceivedMessage;
import org.relaymail.testsupport.ScriptedSmtpServer;
import org.relaymail.testsupport.TestCertificate;

/**
 * Pooled connections shared across destinations: MX host names that resolve to the same address
 * share one connection when the TLS policy verifies no name, never when it verifies the name.
 */
class RelayConnectionSharingTest {
  private RelayHarness h;

  @BeforeEach
  void setUp() throws Exception {
    h = new RelayHarness();
  }

  @AfterEach
  void tearDown() throws Exception {
    h.close();
  }

  private DeliveryReport send(RelayClient relay, String to) throws Exception {
    return relay.send(RelayClientMxTest.message("app@example.net", "to " + to, to)).outcome().get(60, TimeUnit.SECONDS);
  }

  @Test
  void twoDomainsWhoseMxHostsShareAnAddressShareOneOpportunisticTlsSession() throws Exception {
    h.mx("one.test", 2).mx("two.test", 2); // mx.one.test and mx.two.test both at 127.0.0.2
    ScriptedSmtpServer mx = h.server(2, b -> b.startTls(TestCertificate.shared()));
    RelayClient relay = h.start(h.relay());
    assertEquals(TlsPolicy.OPPORTUNISTIC, relay.explainRoute("two.test").tlsPolicy());

    DeliveryReport one = send(relay, "alice@one.test");
    DeliveryReport two = send(relay, "bob@two.test");

    assertTrue(one.allDelivered(), one.toString());
    assertTrue(two.allDelivered(), two.toString());
    List<ReceivedMessage> got = mx.awaitMessages(2, Duration.ofSeconds(30));
    assertEquals(List.of("alice@one.test"), got.get(0).recipients());
    assertEquals(List.of("bob@two.test"), got.get(1).recipients());
    assertEquals(got.get(0).sessionId(), got.get(1).sessionId(), "both transactions on one session: " + got);
    assertEquals(1, mx.connectionCount(), "one connection for both domains");
    assertTrue(got.get(0).tls() && got.get(1).tls(), "opportunistic STARTTLS was used: " + got);
    // each recipient's report names its own MX host, whichever name opened the connection
    assertTrue(two.recipients().get(0).remoteMta().orElseThrow().startsWith("mx.two.test[127.0.0.2]"), two.toString());
  }

  @Test
  void plainTextRoutesToOneAddressAreSharedToo() throws Exception {
    h.mx("one.test", 2).mx("two.test", 2).mx("three.test", 2);
    ScriptedSmtpServer mx = h.server(2, b -> {});
    RelayClient relay = h.start(h.relay().routing(Routing.builder().mxPort(h.mxPort).mxTls(TlsPolicy.NONE).build()));

    for (String to : List.of("a@one.test", "b@two.test", "c@three.test")) {
      DeliveryReport r = send(relay, to);
      assertTrue(r.allDelivered(), r.toString());
    }

    List<ReceivedMessage> got = mx.awaitMessages(3, Duration.ofSeconds(30));
    assertEquals(1, mx.connectionCount(), "one connection for three domains: " + got);
  }

  @Test
  void requiredVerifiedRoutesAreNeverSharedAcrossMxNames() throws Exception {
    // two MX names the test certificate (*.relaymail.test) covers, at one address
    h.dns.mx("one.test", 10, "mxa.relaymail.test");
    h.dns.address("mxa.relaymail.test", "127.0.0.2");
    h.dns.mx("two.test", 10, "mxb.relaymail.test");
    h.dns.address("mxb.relaymail.test", "127.0.0.2");
    ScriptedSmtpServer mx = h.server(2, b -> b.startTls(TestCertificate.shared()));
    RelayClient relay = h.start(h.relay()
        .routing(Routing.builder().mxPort(h.mxPort).requireTls("one.test").requireTls("two.test").build())
        .connectionSettings(ConnectionSettings.builder()
            .timeouts(SmtpTimeouts.all(Duration.ofSeconds(20)).withConnect(Duration.ofSeconds(5)))
            .sslContext(TestCertificate.shared().clientContext())
            .build()));
    assertEquals(TlsPolicy.REQUIRED_VERIFIED, relay.explainRoute("two.test").tlsPolicy());

    DeliveryReport one = send(relay, "alice@one.test");
    DeliveryReport again = send(relay, "carol@one.test");
    DeliveryReport two = send(relay, "bob@two.test");

    assertTrue(one.allDelivered(), one.toString());
    assertTrue(again.allDelivered(), again.toString());
    assertTrue(two.allDelivered(), two.toString());
    List<ReceivedMessage> got = mx.awaitMessages(3, Duration.ofSeconds(30));
    assertEquals(got.get(0).sessionId(), got.get(1).sessionId(), "the same name reuses its connection: " + got);
    assertNotEquals(got.get(0).sessionId(), got.get(2).sessionId(), "another verified name gets its own: " + got);
    assertEquals(2, mx.connectionCount(), "one connection per verified MX name");
    assertTrue(got.stream().allMatch(ReceivedMessage::tls), got.toString());
  }
}
