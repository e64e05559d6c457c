package org.relaymail.client;

/**
 * TLS could not be established or was required but not offered (RFC 3207, RFC 8314). The message
 * says why, including that JDK 17 and later refuse TLS 1.0 and 1.1 when the handshake fails on the
 * protocol version.
 *
 * <p>Thread-safe (immutable).
 */
public class SmtpTlsException extends SmtpClientException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param host the server
   * @param port the port
   * @param message what went wrong
   * @param cause the TLS failure, or {@code null}
   */
  public SmtpTlsException(String host, int port, String message, Throwable cause) {
    super(host, port, message, cause);
  }
}
