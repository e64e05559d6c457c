package org.relaymail.relay;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.relaymail.client.ConnectionSettings;
import org.relaymail.client.SmtpTimeouts;
import org.relaymail.queue.InMemoryQueueStore;
import org.relaymail.queue.QueueStore;
import org.relaymail.queue.RetryPolicy;
import org.relaymail.testsupport.DnsTestServer;
import org.relaymail.testsupport.Loopback;
import org.relaymail.testsupport.ScriptedSmtpServer;

/**
 * Real parts for relay tests: a DNS test server on 127.0.0.1, MX hosts on 127.0.0.2, 127.0.0.3,
 * ... sharing one port, a test clock. Closes everything it started.
 */
final class RelayHarness implements AutoCloseable {
  static final Instant START = Instant.parse("2025-06-02T10:00:00Z");
  final DnsTestServer dns;
  final int mxPort;
  final TestClock clock = new TestClock(START);
  final RecordingListener events = new RecordingListener();
  final List<AutoCloseable> closeables = new ArrayList<>();
  QueueStore store = new InMemoryQueueStore();

  RelayHarness() throws IOException {
    dns = DnsTestServer.start();
    closeables.add(dns);
    mxPort = Loopback.freePort(Loopback.v4(2));
  }

  /** Declares {@code domain} with one MX host {@code mx.<domain>} at 127.0.0.n. */
  RelayHarness mx(String domain, int n) {
    dns.mx(domain, 10, "mx." + domain);
    dns.address("mx." + domain, "127.0.0." + n);
    return this;
  }

  /** Starts a scripted MX server on 127.0.0.n. */
  ScriptedSmtpServer server(int n, Consumer<ScriptedSmtpServer.Builder> config) throws IOException {
    InetAddress a = Loopback.v4(n);
    ScriptedSmtpServer.Builder b = ScriptedSmtpServer.builder().address(a).port(mxPort).hostname("mx" + n + ".test");
    config.accept(b);
    ScriptedSmtpServer s = b.start();
    closeables.add(s);
    return s;
  }

  RelayClient.Builder relay() {
    return RelayClient.builder()
        .store(store)
        .heloName("relay.example.net")
        .clock(clock)
        .listener(events)
        // Generous: on a loaded 2-core machine a loopback answer can take seconds, and a timed-out
        // address lookup of the first MX would send the message to the second one.
        .dns(DnsSettings.builder().server(dns.socketAddress()).timeout(Duration.ofSeconds(5)).retries(2).build())
        .routing(Routing.builder().mxPort(mxPort).build())
        .connectionSettings(ConnectionSettings.builder()
            .timeouts(SmtpTimeouts.all(Duration.ofSeconds(20)).withConnect(Duration.ofSeconds(5)))
            .build())
        .retryPolicy(RetryPolicy.builder().fixedDelay(Duration.ofMinutes(15)).giveUpAfter(Duration.ofHours(4)).build())
        .closeTimeout(Duration.ofSeconds(20));
  }

  RelayClient start(RelayClient.Builder b) {
    RelayClient c = b.build();
    closeables.add(0, c);
    return c;
  }

  @Override
  public void close() throws Exception {
    Exception first = null;
    for (AutoCloseable c : closeables) {
      try {
        c.close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
