package org.relaymail.queue;

import java.util.Objects;

/**
 * One entry of {@link QueueStore#recordAttempts}: a leased message, the outcomes of its attempt and
 * whether to remove it when nothing is left to do afterwards (the effect of {@link
 * QueueStore#recordAttempt} followed by {@link QueueStore#complete}): every recipient final, and
 * every failed or expired one with its bounce recorded as sent ({@link Notification#BOUNCE}), so
 * that a failure recorded meanwhile by someone else (for instance {@link QueueStore#forceBounce})
 * is never removed unreported.
 *
 * <p>Thread-safe (immutable).
 *
 * @param lease the current lease of the message
 * @param attempt the outcomes and next attempt time
 * @param completeIfDone true to remove the message, ending its lease, when {@link #done} holds after
 *     this attempt; false to keep it leased (for instance to send a notice first)
 */
public record AttemptRecord(Lease lease, DeliveryAttempt attempt, boolean completeIfDone) {
  /**
   * Checks the entry.
   *
   * @throws NullPointerException if the lease or the attempt is null
   */
  public AttemptRecord {
    Objects.requireNonNull(lease, "lease");
    Objects.requireNonNull(attempt, "attempt");
  }

  /**
   * Whether nothing is left to do for a message: every recipient DELIVERED, or FAILED or EXPIRED
   * with its bounce recorded as sent. This is when {@link QueueStore#recordAttempts} removes a
   * message whose entry sets {@link #completeIfDone()}.
   *
   * @param m the message
   * @return true when the message may be completed without further notices
   */
  public static boolean done(QueuedMessage m) {
    for (RecipientRecord r : m.recipients()) {
      if (r.state() != RecipientState.DELIVERED && !(r.state().isFinal() && r.bounceSent())) {
        return false;
      }
    }
    return true;
  }
}
