package org.relaymail.relay;

import java.io.IOException;
import java.util.Objects;

/**
 * The running relay answered an admin request with an error ({@link RelayAdmin}): its message is
 * the relay's, and {@link #code()} says what kind of error it is: {@code bad-request}, {@code
 * too-large}, {@code unknown-operation}, {@code unsupported-version}, {@code forbidden} (the caller
 * is not the relay's user), {@code busy} (too many admin connections), {@code io} (the relay's queue
 * store failed), {@code unavailable} (the relay is closing), {@code internal}; or, found on this
 * side, {@code protocol} when the relay's answer could not be understood, {@code timeout} when it
 * did not come in time, and {@code closed} when the connection ended (the relay stopped). After
 * {@code protocol}, {@code timeout} or {@code closed} the connection is unusable: connect again.
 *
 * <p>Thread-safe (immutable after construction).
 */
public final class RelayAdminException extends IOException {
  private static final long serialVersionUID = 1L;
  private final String code;

  /**
   * Creates the exception.
   *
   * @param code the error code
   * @param message the relay's message
   */
  public RelayAdminException(String code, String message) {
    super(message);
    this.code = Objects.requireNonNull(code, "code");
  }

  /**
   * Creates the exception with a cause.
   *
   * @param code the error code
   * @param message the message
   * @param cause the cause
   */
  public RelayAdminException(String code, String message, Throwable cause) {
    super(message, cause);
    this.code = Objects.requireNonNull(code, "code");
  }

  /**
   * The error code the relay sent.
   *
   * @return e.g. {@code bad-request}
   */
  public String code() {
    return code;
  }
}
