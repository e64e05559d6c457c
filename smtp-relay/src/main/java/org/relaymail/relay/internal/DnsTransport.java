package org.relaymail.relay.internal;

import java.io.IOException;
import org.xbill.DNS.Message;

/**
 * Sends one DNS query and returns the response. The production transport is {@link
 * ResolverTransport}; tests may answer from a table. Implementations must be thread-safe.
 */
@FunctionalInterface
public interface DnsTransport {
  /**
   * Sends the query.
   *
   * @param query the query message
   * @return the response, whatever its rcode
   * @throws IOException when no resolver answered (timeouts included)
   */
  Message send(Message query) throws IOException;
}
