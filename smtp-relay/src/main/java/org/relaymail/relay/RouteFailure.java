package org.relaymail.relay;

import java.util.Objects;
import org.relaymail.protocol.EnhancedStatus;
import org.relaymail.queue.FailureClass;

/**
 * Why a destination has no mail exchanger to try: DNS said the domain does not exist (5.1.2), has
 * a null MX (5.1.10, RFC 7505) or no address (5.4.4), or DNS could not answer now (4.4.3), or every
 * host was recently unreachable (4.4.1). Its {@link FailureClass} is {@link
 * FailureClass#DNS_FAILURE} except for the last case ({@link FailureClass#CONNECTION_FAILURE}).
 *
 * <p>Thread-safe (immutable).
 *
 * @param permanent true when retrying cannot help; the recipients bounce at once
 * @param enhancedStatus the RFC 3463 status code to report, e.g. {@code "5.1.10"}
 * @param reason a human-readable reason naming the query or host
 */
public record RouteFailure(boolean permanent, EnhancedStatus enhancedStatus, String reason) {
  /**
   * Creates a failure.
   *
   * @param permanent true when retrying cannot help
   * @param status the status code text, e.g. {@code "5.1.10"}
   * @param reason the reason
   * @return the failure
   * @throws IllegalArgumentException if the status is malformed or does not match {@code permanent}
   */
  public static RouteFailure of(boolean permanent, String status, String reason) {
    return new RouteFailure(permanent, EnhancedStatus.parse(status), reason);
  }

  /**
   * Validates.
   *
   * @throws IllegalArgumentException if the status class does not match {@code permanent} (5
   *     permanent, 4 transient)
   */
  public RouteFailure {
    Objects.requireNonNull(enhancedStatus, "enhancedStatus");
    Objects.requireNonNull(reason, "reason");
    if (enhancedStatus.statusClass() != (permanent ? 5 : 4)) {
      throw new IllegalArgumentException(
          "enhanced status " + enhancedStatus + " must be " + (permanent ? "5" : "4") + ".x.y");
    }
  }

  /**
   * Returns the classification of this failure.
   *
   * @return {@link FailureClass#CONNECTION_FAILURE} for "4.4.1", else {@link
   *     FailureClass#DNS_FAILURE}
   */
  public FailureClass failureClass() {
    return enhancedStatus.equals(EnhancedStatus.of(4, 4, 1)) ? FailureClass.CONNECTION_FAILURE : FailureClass.DNS_FAILURE;
  }

  @Override
  public String toString() {
    return enhancedStatus + " " + reason;
  }
}
