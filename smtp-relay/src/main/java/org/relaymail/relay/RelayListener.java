package org.relaymail.relay;

/**
 * Hears what the relay does with each recipient. Every method has an empty default; override the
 * ones you need. {@link #onAttempt} sees every recipient outcome of every delivery attempt
 * (delivered, deferred, bounced, expired); the specific methods see the same events by type, plus
 * delay warnings and dropped bounces; {@link #onCompleted} sees each message once all its
 * recipients are final.
 *
 * <p>Listeners are called on delivery threads, after the outcome is recorded in the queue, so they
 * should return quickly. A listener that throws is logged and ignored: it never breaks or repeats a
 * delivery. Implementations must be thread-safe: several deliveries report at once.
 *
 * <p>After a restart, or with a queue shared by several processes, events come from whichever
 * process made the attempt; this is the way to learn outcomes of messages queued before a restart.
 */
public interface RelayListener {
  /**
   * Called for each recipient in each attempt: {@link DeliveryEvent.Type#DELIVERED}, {@code
   * DEFERRED}, {@code BOUNCED} or {@code EXPIRED}.
   *
   * @param event the outcome
   */
  default void onAttempt(DeliveryEvent event) {}

  /**
   * A recipient was accepted by the next hop (final).
   *
   * @param event the event
   */
  default void onDelivered(DeliveryEvent event) {}

  /**
   * A recipient was not delivered in this attempt and will be retried.
   *
   * @param event the event
   */
  default void onDeferred(DeliveryEvent event) {}

  /**
   * A recipient failed permanently (final); a bounce to the sender is queued unless the sender is
   * null or the recipient's NOTIFY excludes FAILURE (RFC 3461 section 4.1).
   *
   * @param event the event
   */
  default void onBounced(DeliveryEvent event) {}

  /**
   * A recipient was still undelivered when the retry policy gave up (final); a bounce is queued as
   * for {@link #onBounced}.
   *
   * @param event the event
   */
  default void onExpired(DeliveryEvent event) {}

  /**
   * A delay notice (RFC 3464 {@code action: delayed}) was queued for a recipient still undelivered.
   *
   * @param event the event
   */
  default void onDelayWarning(DeliveryEvent event) {}

  /**
   * A bounce (a message with the null sender) could not be delivered and is dropped.
   *
   * @param event the event
   */
  default void onBounceDropped(DeliveryEvent event) {}

  /**
   * Every recipient of a message is final and the message left the queue.
   *
   * @param report the outcome
   */
  default void onCompleted(DeliveryReport report) {}
}
