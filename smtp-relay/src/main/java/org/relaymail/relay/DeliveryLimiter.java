package org.relaymail.relay;

import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;
import org.relaymail.queue.FailureClass;
import org.relaymail.queue.QueueId;

/**
 * A hook consulted before each connection and before each mail transaction, where sending policy
 * (per-destination concurrency and rates, quotas) plugs in. The default allows everything. A
 * refusal defers the affected recipients ({@code 451 4.7.0}, class {@link FailureClass#THROTTLED})
 * until the retry policy's next attempt; nothing is sent.
 *
 * <p>Called from delivery threads concurrently: implementations must be thread-safe and quick.
 */
public interface DeliveryLimiter {
  /** Allows everything. */
  DeliveryLimiter UNLIMITED = new DeliveryLimiter() {};

  /**
   * Before opening a connection.
   *
   * @param destination where the recipients go
   * @param address the address about to be connected to
   * @return whether to go ahead
   */
  default Decision beforeConnection(Destination destination, InetSocketAddress address) {
    return Decision.ALLOW;
  }

  /**
   * Before a mail transaction on an open connection.
   *
   * @param destination where the recipients go
   * @param queueId the message
   * @param recipients how many recipients the transaction carries
   * @return whether to go ahead
   */
  default Decision beforeTransaction(Destination destination, QueueId queueId, int recipients) {
    return Decision.ALLOW;
  }

  /**
   * A limiter's answer.
   *
   * <p>Thread-safe (immutable record).
   *
   * @param allowed whether to go ahead
   * @param reason why not, when refused
   */
  record Decision(boolean allowed, Optional<String> reason) {
    /** Go ahead. */
    public static final Decision ALLOW = new Decision(true, Optional.empty());

    /** Validates. */
    public Decision {
      Objects.requireNonNull(reason, "reason");
      if (allowed == reason.isPresent()) {
        throw new IllegalArgumentException("a reason is given exactly when refused");
      }
    }

    /**
     * Refuses for now.
     *
     * @param reason why, for logs and the deferral's reply text (printable ASCII)
     * @return the decision
     */
    public static Decision defer(String reason) {
      Objects.requireNonNull(reason, "reason");
      return new Decision(false, Optional.of(reason));
    }
  }
}
