package org.relaymail.client;

/**
 * The server did not answer, or did not read what was written, within the configured
 * {@link SmtpTimeouts} (RFC 5321 section 4.5.3.2). The connection is closed.
 *
 * <p>Thread-safe (immutable).
 */
public class SmtpTimeoutException extends SmtpClientException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param host the server
   * @param port the port
   * @param message which stage timed out, and after how long
   * @param cause the socket's timeout, or {@code null}
   */
  public SmtpTimeoutException(String host, int port, String message, Throwable cause) {
    super(host, port, message, cause);
  }
}
