package org.relaymail.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.relaymail.testsupport.Loopback;
import org.relaymail.testsupport.ScriptedSmtpServer;
import org.relaymail.testsupport.TestCertificate;

/**
 * A route can connect to an address and verify TLS against a name: the test certificate names
 * {@code *.relaymail.test} and 127.0.0.1, not 127.0.0.2.
 */
class RouteTlsNameTest {
  private static Route.Builder to(ScriptedSmtpServer s) {
    return Route.builder(s.address().getHostAddress(), s.port())
        .tlsMode(TlsMode.REQUIRED_VERIFIED)
        .heloName("client.example.test");
  }

  private static ConnectionSettings verifying() {
    return ScriptedPeerTest.settings().sslContext(TestCertificate.shared().clientContext()).build();
  }

  @Test
  void verifiesTheTlsServerNameWhileConnectingToTheAddress() throws Exception {
    try (ScriptedSmtpServer s = ScriptedSmtpServer.builder().address(Loopback.v4(2))
        .startTls(TestCertificate.shared()).start()) {
      try (SmtpConnection c = SmtpConnection.open(to(s).tlsServerName("mx.relaymail.test").build(), verifying())) {
        assertTrue(c.isEncrypted(), "STARTTLS done");
        assertTrue(c.send(Envelope.of("a@example.test", "b@example.test"),
            MessageContent.of(ScriptedPeerTest.BODY)).allAccepted());
      }
      // the address alone is not a name the certificate vouches for
      assertThrows(SmtpTlsException.class, () -> SmtpConnection.open(to(s).build(), verifying()).close());
      // nor is a name outside it
      assertThrows(SmtpTlsException.class,
          () -> SmtpConnection.open(to(s).tlsServerName("mx.other.test").build(), verifying()).close());
      s.awaitNoOpenConnections(ScriptedPeerTest.WAIT);
    }
  }

  @Test
  void theTlsServerNameIsPartOfTheRoute() {
    Route plain = Route.builder("127.0.0.2", 25).heloName("c.example.test").build();
    Route named = plain.toBuilder().tlsServerName("mx.relaymail.test").build();
    assertEquals(Optional.empty(), plain.tlsServerName());
    assertEquals("127.0.0.2", plain.tlsName());
    assertEquals("mx.relaymail.test", named.tlsName());
    assertNotEquals(plain, named, "pooled connections verified for another name are not shared");
    assertEquals(named, named.toBuilder().build());
    assertEquals(named, plain.toBuilder().tlsServerName("MX.relaymail.test").build(), "names ignore case");
    assertEquals(named.hashCode(), plain.toBuilder().tlsServerName("MX.relaymail.test").build().hashCode());
    assertTrue(named.toString().contains("tlsName=mx.relaymail.test"), named.toString());
    for (String bad : new String[] {"", "a b", "[127.0.0.1]", "mx.exämple.test", "mx\r\n"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Route.builder("127.0.0.2", 25).tlsServerName(bad));
      assertTrue(e.getMessage().contains("TLS server name"), e.getMessage());
    }
  }
}
