package org.relaymail.relay.internal;

import java.util.Optional;
import org.relaymail.protocol.SmtpReply;
import org.relaymail.relay.FailureClass;

/**
 * Maps the relay's detailed {@link FailureClass} to the coarser one the queue records ({@link
 * org.relaymail.queue.FailureClass}) and back. The way back prefers classifying the stored reply
 * again, which keeps the detail. Stateless and thread-safe.
 */
public final class FailureClasses {
  private FailureClasses() {}

  /**
   * The queue's class for a relay class.
   *
   * @param c the relay's class
   * @return the queue's class (never NONE)
   */
  public static org.relaymail.queue.FailureClass toQueue(FailureClass c) {
    return switch (c) {
      case UNKNOWN_RECIPIENT -> org.relaymail.queue.FailureClass.UNKNOWN_USER;
      case MAILBOX_FULL -> org.relaymail.queue.FailureClass.MAILBOX_FULL;
      case MESSAGE_TOO_LARGE, POLICY -> org.relaymail.queue.FailureClass.MESSAGE_REJECTED;
      case BLOCKED_REPUTATION -> org.relaymail.queue.FailureClass.BLOCKED;
      case THROTTLED -> org.relaymail.queue.FailureClass.THROTTLED;
      case TLS_FAILURE -> org.relaymail.queue.FailureClass.TLS;
      case DNS_FAILURE -> org.relaymail.queue.FailureClass.DNS;
      case CONNECTION_FAILURE, TIMEOUT -> org.relaymail.queue.FailureClass.CONNECTION;
      case OTHER -> org.relaymail.queue.FailureClass.OTHER;
    };
  }

  /**
   * The relay's class for a recorded failure.
   *
   * @param c the queue's class
   * @param reply the recorded reply, if any
   * @return the relay's class, empty for NONE
   */
  public static Optional<FailureClass> fromQueue(org.relaymail.queue.FailureClass c, Optional<SmtpReply> reply) {
    if (c == org.relaymail.queue.FailureClass.NONE) {
      return Optional.empty();
    }
    FailureClass mapped =
        switch (c) {
          case UNKNOWN_USER -> FailureClass.UNKNOWN_RECIPIENT;
          case MAILBOX_FULL -> FailureClass.MAILBOX_FULL;
          case BLOCKED -> FailureClass.BLOCKED_REPUTATION;
          case THROTTLED -> FailureClass.THROTTLED;
          case MESSAGE_REJECTED, ADMINISTRATIVE -> FailureClass.POLICY;
          case DNS -> FailureClass.DNS_FAILURE;
          case CONNECTION -> FailureClass.CONNECTION_FAILURE;
          case TLS -> FailureClass.TLS_FAILURE;
          default -> FailureClass.OTHER;
        };
    if (reply.isPresent() && !reply.get().isPositive()) {
      FailureClass again = FailureClassifier.classify(reply.get());
      // the reply refines the class only where the stored class is a coarse bucket of it
      if (toQueue(again) == c) {
        return Optional.of(again);
      }
    }
    return Optional.of(mapped);
  }
}
