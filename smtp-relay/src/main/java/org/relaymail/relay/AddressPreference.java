package org.relaymail.relay;

/**
 * Which address families are used to reach a mail exchanger, and in which order (Postfix's
 * {@code inet_protocols} and {@code smtp_address_preference}). Within one family, addresses keep
 * the order of the DNS answer.
 *
 * <p>Thread-safe (immutable).
 */
public enum AddressPreference {
  /** Only A records (IPv4); AAAA is never queried. */
  IPV4_ONLY,
  /** Only AAAA records (IPv6); A is never queried. */
  IPV6_ONLY,
  /** Both families, a host's IPv4 addresses before its IPv6 addresses (the default). */
  PREFER_IPV4,
  /** Both families, a host's IPv6 addresses before its IPv4 addresses. */
  PREFER_IPV6;

  /**
   * Tells whether A records are looked up under this preference.
   *
   * @return true if IPv4 addresses are used
   */
  public boolean usesIpv4() {
    return this != IPV6_ONLY;
  }

  /**
   * Tells whether AAAA records are looked up under this preference.
   *
   * @return true if IPv6 addresses are used
   */
  public boolean usesIpv6() {
    return this != IPV4_ONLY;
  }
}
