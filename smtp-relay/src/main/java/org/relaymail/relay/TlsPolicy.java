package org.relaymail.relay;

/**
 * What the relay demands of TLS towards a next hop. Towards MX hosts the default is {@link
 * #OPPORTUNISTIC} (RFC 7435: encrypt when offered, never fail because of it); towards a smarthost
 * {@link #REQUIRED_VERIFIED}.
 *
 * <p>Under a policy that verifies no name ({@link #NONE}, {@link #OPPORTUNISTIC}, {@link
 * #REQUIRED}) a pooled connection belongs to the server's address, port and settings, not to the
 * MX host name: destinations whose MX hosts resolve to the same address share connections (as
 * Postfix's connection cache does), and the name sent as SNI is the MX host name that opened the
 * route first, whichever destination a later transaction belongs to. Under {@link
 * #REQUIRED_VERIFIED} and {@link #IMPLICIT} each host name has its own connections, verified
 * against that name.
 *
 * <p>Thread-safe (immutable).
 */
public enum TlsPolicy {
  /** Never use TLS (test peers only). */
  NONE,
  /** STARTTLS when the server offers it, no certificate check, plain text otherwise (RFC 7435). */
  OPPORTUNISTIC,
  /** STARTTLS required (RFC 3207); the certificate is not verified. No TLS: the attempt fails. */
  REQUIRED,
  /** STARTTLS required and the certificate verified against the host name (RFC 6125). */
  REQUIRED_VERIFIED,
  /** Implicit TLS from the first byte, certificate verified (RFC 8314, port 465). */
  IMPLICIT;

  /**
   * Tells whether a connection without TLS is refused under this policy.
   *
   * @return true for {@link #REQUIRED}, {@link #REQUIRED_VERIFIED} and {@link #IMPLICIT}
   */
  public boolean requiresTls() {
    return this == REQUIRED || this == REQUIRED_VERIFIED || this == IMPLICIT;
  }

  /**
   * Tells whether the peer certificate must be verified.
   *
   * @return true for {@link #REQUIRED_VERIFIED} and {@link #IMPLICIT}
   */
  public boolean verifiesCertificate() {
    return this == REQUIRED_VERIFIED || this == IMPLICIT;
  }
}
