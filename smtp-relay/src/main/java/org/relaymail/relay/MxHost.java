package org.relaymail.relay;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * One mail exchanger of a destination, resolved: its name, its MX preference and its addresses in
 * the order they will be tried (RFC 5321 section 5.1). An implicit MX (no MX records, the domain's
 * own A/AAAA records) has preference 0 and the domain as its name.
 *
 * <p>Thread-safe (immutable).
 *
 * @param name the host name in ASCII (A-labels), lower case, without the trailing dot
 * @param preference the MX preference, 0 to 65535; lower is tried first
 * @param addresses the host's addresses in the order to try; empty when none could be found
 */
public record MxHost(String name, int preference, List<InetAddress> addresses) {
  /**
   * Validates and copies the values.
   *
   * @throws IllegalArgumentException if the preference is outside 0..65535 or the name is blank
   */
  public MxHost {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("MX host name must not be blank");
    }
    if (preference < 0 || preference > 0xFFFF) {
      throw new IllegalArgumentException("MX preference must be 0..65535: " + preference);
    }
    addresses = List.copyOf(addresses);
  }
}
