package org.relaymail.examples.cli;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.relaymail.queue.InMemoryQueueStore;
import org.relaymail.relay.RelayClient;
import org.relaymail.relay.RouteDecision;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code relaymail mx DOMAIN}: the routing decision the relay would make (RFC 5321 section 5.1, RFC 7505). */
@Command(name = "mx", mixinStandardHelpOptions = true,
    description = "Print where mail for DOMAIN goes: MX hosts in order, their addresses, the TLS policy. "
        + "Exit 0 when the domain can be routed, 1 when it cannot (NXDOMAIN, null MX, no address).")
final class MxCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "DOMAIN", description = "a domain, or an address literal such as [192.0.2.1]")
  String domain;

  @Mixin
  DnsOptions dns;

  @Override
  public Integer call() throws IOException {
    try (InMemoryQueueStore store = new InMemoryQueueStore();
        RelayClient relay = RelayClient.builder()
            .store(store)
            .heloName("relaymail-cli.invalid")
            .dns(dns.settings())
            .routing(dns.routing())
            .closeTimeout(Duration.ofSeconds(1))
            .build()) {
      RouteDecision d;
      try {
        d = relay.explainRoute(domain);
      } catch (IllegalArgumentException e) {
        throw new RelaymailCommand.CliException(RelaymailCommand.EX_USAGE, "not a domain: " + domain + " (" + e.getMessage() + ")", e);
      }
      spec.commandLine().getOut().print(d);
      spec.commandLine().getOut().flush();
      return d.failure().isPresent() ? 1 : 0;
    }
  }

}
