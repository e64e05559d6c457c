package org.relaymail.client;

/**
 * How a connection uses TLS (RFC 3207 STARTTLS, RFC 8314 implicit TLS).
 *
 * <p>Thread-safe (an enum).
 */
public enum TlsMode {
  /** Plain text only; STARTTLS is never sent. */
  NONE(false, false, false),
  /**
   * STARTTLS when the server offers it, plain text otherwise; the certificate is not verified
   * (opportunistic TLS as for MX delivery, RFC 7435). A failed handshake fails the connection.
   */
  OPPORTUNISTIC(false, false, false),
  /** STARTTLS is required (the connection fails without it); the certificate is not verified. */
  REQUIRED(true, false, false),
  /**
   * STARTTLS is required and the certificate chain and host name are verified (RFC 6125, endpoint
   * identification as for HTTPS).
   */
  REQUIRED_VERIFIED(true, true, false),
  /**
   * TLS from the first byte (RFC 8314 section 3, port 465), with certificate and host name
   * verification.
   */
  IMPLICIT(true, true, true);

  private final boolean required;
  private final boolean verified;
  private final boolean implicit;

  TlsMode(boolean required, boolean verified, boolean implicit) {
    this.required = required;
    this.verified = verified;
    this.implicit = implicit;
  }

  /** @return whether the connection fails when TLS cannot be established */
  public boolean isRequired() {
    return required;
  }

  /** @return whether the server's certificate chain and host name are verified */
  public boolean isVerified() {
    return verified;
  }

  /** @return whether TLS starts right after the TCP connect, before the greeting */
  public boolean isImplicit() {
    return implicit;
  }
}
