package org.relaymail.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relaymail.client.ConnectionSettings;
import org.relaymail.client.SmtpTimeouts;
import org.relaymail.queue.FailureClass;
import org.relaymail.queue.RecipientState;
import org.relaymail.testsupport.ReceivedMessage;
import org.relaymail.testsupport.ScriptedSmtpServer;
import org.relaymail.testsupport.TestCertificate;

/**
 * Verified TLS towards MX hosts: the relay connects to the address its own DNS returned and checks
 * the certificate against the MX host name (the test certificate names {@code *.relaymail.test} but
 * not 127.0.0.2 or 127.0.0.3).
 */
class RelayTlsTest {
  private RelayHarness h;

  @BeforeEach
  void setUp() throws Exception {
    h = new RelayHarness();
  }

  @AfterEach
  void tearDown() throws Exception {
    h.close();
  }

  private RelayClient relay() {
    return h.start(h.relay()
        .routing(Routing.builder().mxPort(h.mxPort).requireTls("relaymail.test").requireTls("elsewhere.test").build())
        .connectionSettings(ConnectionSettings.builder()
            .timeouts(SmtpTimeouts.all(Duration.ofSeconds(20)).withConnect(Duration.ofSeconds(5)))
            .sslContext(TestCertificate.shared().clientContext())
            .build()));
  }

  @Test
  void requiredVerifiedTlsChecksTheMxNameWhileConnectingToTheResolvedAddress() throws Exception {
    h.mx("relaymail.test", 2); // MX mx.relaymail.test -> 127.0.0.2, only in the test DNS server
    ScriptedSmtpServer mx = h.server(2, b -> b.startTls(TestCertificate.shared()));
    RelayClient relay = relay();

    assertEquals(TlsPolicy.REQUIRED_VERIFIED, relay.explainRoute("relaymail.test").tlsPolicy());
    DeliveryReport report = relay.send(RelayClientMxTest.message("app@example.net", "tls", "alice@relaymail.test"))
        .outcome().get(60, TimeUnit.SECONDS);

    assertTrue(report.allDelivered(), report.toString());
    assertTrue(report.recipients().get(0).remoteMta().orElseThrow().startsWith("mx.relaymail.test[127.0.0.2]"),
        report.toString());
    List<ReceivedMessage> got = mx.awaitMessages(1, Duration.ofSeconds(30));
    assertTrue(got.get(0).tls(), "delivered over TLS");
    assertEquals(List.of("alice@relaymail.test"), got.get(0).recipients());
  }

  @Test
  void aCertificateThatDoesNotNameTheMxIsRefused() throws Exception {
    h.mx("elsewhere.test", 3); // MX mx.elsewhere.test -> 127.0.0.3; the certificate does not name it
    ScriptedSmtpServer mx = h.server(3, b -> b.startTls(TestCertificate.shared()));
    RelayClient relay = relay();

    relay.send(RelayClientMxTest.message("app@example.net", "tls", "bob@elsewhere.test"));
    RecordingListener.await("an attempt", Duration.ofSeconds(60),
        () -> !h.events.attempts.isEmpty() && relay.deliveriesInFlight() == 0);

    DeliveryEvent e = h.events.attempts.get(0);
    assertEquals(DeliveryEvent.Type.DEFERRED, e.type(), e.toString());
    assertEquals(FailureClass.TLS_FAILURE, e.failureClass().orElseThrow(), e.toString());
    assertFalse(mx.sessions().isEmpty(), "the relay did reach the MX by address");
    assertEquals(0, mx.messages().size(), "nothing is sent over an unverified connection");
    assertEquals(RecipientState.DEFERRED, relay.list(org.relaymail.queue.QueueQuery.all()).messages().get(0)
        .recipients().get(0).state());
  }
}
