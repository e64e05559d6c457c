package org.relaymail.examples.cli;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.relaymail.relay.DnsSettings;
import org.relaymail.relay.Routing;
import picocli.CommandLine.Option;

/** DNS and MX options shared by {@code mx} and {@code send --mx}. */
final class DnsOptions {
  @Option(names = "--dns", paramLabel = "HOST[:PORT]",
      description = "DNS server to ask (repeatable; default: the system's resolvers)")
  List<String> servers = new ArrayList<>();

  @Option(names = "--dns-timeout", paramLabel = "DURATION", defaultValue = "PT5S",
      description = "DNS query timeout (ISO-8601, default ${DEFAULT-VALUE})")
  Duration timeout;

  @Option(names = "--mx-port", paramLabel = "PORT", defaultValue = "25",
      description = "the port of MX hosts (default ${DEFAULT-VALUE}; tests use another)")
  int mxPort;

  DnsSettings settings() {
    if (servers.isEmpty()) {
      return DnsSettings.systemDefault();
    }
    DnsSettings.Builder b = DnsSettings.builder().timeout(timeout);
    for (String s : servers) {
      b.server(parse(s));
    }
    return b.build();
  }

  Routing routing() {
    return Routing.builder().mxPort(mxPort).build();
  }

  static InetSocketAddress parse(String s) {
    String host = s;
    int port = 53;
    int colon = s.lastIndexOf(':');
    if (s.startsWith("[")) {
      int end = s.indexOf(']');
      host = s.substring(1, end);
      if (end + 1 < s.length() && s.charAt(end + 1) == ':') {
        port = port(s.substring(end + 2), s);
      }
    } else if (colon > 0 && s.indexOf(':') == colon) {
      host = s.substring(0, colon);
      port = port(s.substring(colon + 1), s);
    }
    return new InetSocketAddress(host, port);
  }

  private static int port(String p, String whole) {
    try {
      int v = Integer.parseInt(p);
      if (v < 1 || v > 65535) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new RelaymailCommand.CliException(RelaymailCommand.EX_USAGE, "bad DNS server '" + whole + "': the port must be 1..65535");
    }
  }
}
