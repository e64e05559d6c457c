package org.relaymail.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LatencyProxyTest {

  @Test
  void forwardsBothWaysAndAddsAtLeastTheConfiguredDelay() throws Exception {
    try (ScriptedSmtpServer server = ScriptedSmtpServer.start();
        LatencyProxy proxy = LatencyProxy.builder()
            .target(new InetSocketAddress(server.address(), server.port()))
            .delay(Duration.ofMillis(20)).start();
        RawClient c = new RawClient(proxy.address(), proxy.port())) {
      assertEquals(220, c.code());
      long t0 = System.nanoTime();
      assertEquals(250, c.cmd("NOOP"));
      long rtt = System.nanoTime() - t0;
      assertTrue(rtt >= Duration.ofMillis(40).toNanos(), "round trip " + rtt + " ns");
      // a big pipelined message goes through intact
      c.cmd("EHLO client.test");
      String body = ("x".repeat(900) + "\r\n").repeat(2000);
      c.send("MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n");
      assertEquals(250, c.code());
      assertEquals(250, c.code());
      assertEquals(354, c.code());
      c.send(body + ".\r\n");
      assertEquals(250, c.code());
      assertEquals(body, server.awaitMessages(1, Duration.ofSeconds(30)).get(0)
          .contentAsString());
      assertEquals(1, proxy.connectionCount());
    }
  }

  @Test
  void closeStopsItsThreads() throws Exception {
    ScriptedSmtpServer server = ScriptedSmtpServer.start();
    LatencyProxy proxy = LatencyProxy.builder()
        .target(new InetSocketAddress(server.address(), server.port())).start();
    String prefix = "latency-proxy-" + proxy.port() + "-";
    try (RawClient c = new RawClient(proxy.address(), proxy.port())) {
      assertEquals(220, c.code());
      proxy.close();
      assertTrue(c.atEof());
    } finally {
      server.close();
    }
    assertFalse(Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.isAlive() && t.getName().startsWith(prefix)), "proxy threads left");
  }

  @Test
  void builderValidates() {
    assertThrows(IllegalStateException.class, () -> LatencyProxy.builder().start());
    assertThrows(IllegalArgumentException.class,
        () -> LatencyProxy.builder().delay(Duration.ofMillis(-1)));
    assertThrows(IllegalArgumentException.class,
        () -> LatencyProxy.builder().target(new InetSocketAddress("192.0.2.1", 25)));
  }
}
