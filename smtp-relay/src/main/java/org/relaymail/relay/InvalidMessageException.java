package org.relaymail.relay;

import java.util.Objects;
import org.relaymail.protocol.EnhancedStatus;

/**
 * A message that the relay refuses before queueing it: no {@code From} header field, a line
 * longer than 998 octets (RFC 5321 section 4.5.3.1.6), too large, or looping (too many {@code
 * Received} header fields, RFC 5321 section 6.3). Nothing is queued when this is thrown.
 *
 * <p>Thread-safe (immutable).
 */
public class InvalidMessageException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** The RFC 3463 status a bounce for this reason would carry. */
  private final transient EnhancedStatus status;

  /**
   * Creates the exception.
   *
   * @param status the RFC 3463 status describing the reason, e.g. 5.4.6 for a loop
   * @param message what is wrong and which rule it breaks
   * @param cause the underlying failure, or {@code null}
   */
  public InvalidMessageException(EnhancedStatus status, String message, Throwable cause) {
    super(message, cause);
    this.status = Objects.requireNonNull(status, "status");
  }

  /**
   * Returns the RFC 3463 status describing the reason.
   *
   * @return the status, e.g. 5.6.0, 5.3.4 or 5.4.6
   */
  public EnhancedStatus status() {
    return status;
  }
}
