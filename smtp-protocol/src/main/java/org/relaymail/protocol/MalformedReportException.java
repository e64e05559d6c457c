package org.relaymail.protocol;

/**
 * Bytes given to {@link DeliveryStatusReport#parse(byte[])} are not an RFC 3464 delivery status
 * report (RFC 3462 {@code multipart/report} with a {@code message/delivery-status} or
 * {@code message/global-delivery-status} part). The message names what is missing or malformed,
 * quoting the offending text.
 *
 * <p>Thread-safe (immutable).
 */
public class MalformedReportException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what is wrong, quoting the bad input
   */
  public MalformedReportException(String message) {
    super(message);
  }

  /**
   * Creates the exception with the error that revealed the problem.
   *
   * @param message what is wrong, quoting the bad input
   * @param cause the underlying error
   */
  public MalformedReportException(String message, Throwable cause) {
    super(message, cause);
  }
}
