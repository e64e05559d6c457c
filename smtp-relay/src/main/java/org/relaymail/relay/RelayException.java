package org.relaymail.relay;

/**
 * A failure of the relay itself (not of one delivery): a queue that cannot be opened, a client
 * that is closed. Delivery outcomes are values, never this exception.
 *
 * <p>Thread-safe (immutable).
 */
public class RelayException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what went wrong
   * @param cause the underlying failure, or {@code null}
   */
  public RelayException(String message, Throwable cause) {
    super(message, cause);
  }
}
