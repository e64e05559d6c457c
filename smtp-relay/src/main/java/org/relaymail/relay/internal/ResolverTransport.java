package org.relaymail.relay.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.relaymail.relay.DnsSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.SimpleResolver;

/**
 * The DNS transport over dnsjava's {@link SimpleResolver}s, one per configured server: UDP first,
 * TCP when the answer is truncated (dnsjava does that), each server in turn, the whole round
 * repeated {@code retries} times. A SERVFAIL or REFUSED answer moves on to the next server and is
 * returned only when no server gave a better one. Never touches dnsjava's static {@code Lookup}
 * cache or search list. Thread-safe.
 */
public final class ResolverTransport implements DnsTransport {
  private static final Logger LOG = LoggerFactory.getLogger(ResolverTransport.class);

  private final List<SimpleResolver> resolvers;
  private final int retries;

  /**
   * Creates the transport.
   *
   * @param settings the servers (empty: the machine's, from {@link ResolverConfig}), timeout and
   *     retries
   */
  public ResolverTransport(DnsSettings settings) {
    List<InetSocketAddress> servers = settings.servers();
    if (servers.isEmpty()) {
      servers = ResolverConfig.getCurrentConfig().servers();
      if (servers.isEmpty()) {
        throw new IllegalStateException(
            "no DNS server configured on this machine; name one with DnsSettings.builder().server()");
      }
    }
    List<SimpleResolver> list = new ArrayList<>();
    for (InetSocketAddress server : servers) {
      SimpleResolver r = new SimpleResolver(server);
      r.setTimeout(settings.timeout());
      list.add(r);
    }
    this.resolvers = List.copyOf(list);
    this.retries = settings.retries();
  }

  @Override
  public Message send(Message query) throws IOException {
    IOException lastError = null;
    Message lastFailure = null;
    for (int attempt = 0; attempt <= retries; attempt++) {
      for (SimpleResolver resolver : resolvers) {
        try {
          Message response = resolver.send(query);
          int rcode = response.getRcode();
          if (rcode == Rcode.NOERROR || rcode == Rcode.NXDOMAIN) {
            return response;
          }
          LOG.debug(
              "DNS server {} answered {} for {}",
              resolver.getAddress(),
              Rcode.string(rcode),
              query.getQuestion());
          lastFailure = response;
        } catch (IOException e) {
          LOG.debug("DNS server {} failed for {}: {}", resolver.getAddress(), query.getQuestion(), e.toString());
          lastError = e;
        }
      }
      if (lastFailure != null) {
        // A server that answers SERVFAIL will keep answering it; retries are for silence.
        return lastFailure;
      }
    }
    throw lastError;
  }
}
