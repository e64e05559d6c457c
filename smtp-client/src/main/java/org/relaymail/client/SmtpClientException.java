package org.relaymail.client;

import java.io.IOException;

/**
 * A transport failure talking to an SMTP server: it keeps the JDK's {@link IOException} parent and
 * carries the host and port it happened with.
 *
 * <p>Thread-safe (immutable).
 */
public class SmtpClientException extends IOException {
  private static final long serialVersionUID = 1L;
  private final String host;
  private final int port;

  /**
   * Creates the exception.
   *
   * @param host the server's host name or address
   * @param port the server's port
   * @param message what went wrong
   * @param cause the underlying failure, or {@code null}
   */
  public SmtpClientException(String host, int port, String message, Throwable cause) {
    super(host + ":" + port + ": " + message, cause);
    this.host = host;
    this.port = port;
  }

  /** @return the server's host name or address */
  public String host() {
    return host;
  }

  /** @return the server's port */
  public int port() {
    return port;
  }
}
