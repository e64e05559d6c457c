package org.relaymail.queue;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.relaymail.protocol.Mailbox;

/**
 * One delivery attempt for some recipients of a leased message: an outcome per recipient and when
 * the message is due again for the recipients that remain pending or deferred.
 *
 * <p>Thread-safe (immutable).
 *
 * @param outcomes the outcomes, at least one, at most one per recipient; recipients not listed keep
 *     their state
 * @param nextAttemptAt when the message is due again (computed with {@link RetryPolicy}); required
 *     when an outcome is {@link RecipientState#DEFERRED}; when empty and recipients remain not final,
 *     the message keeps its previous due time
 */
public record DeliveryAttempt(List<RecipientOutcome> outcomes, Optional<Instant> nextAttemptAt) {
  /**
   * Checks the attempt.
   *
   * @throws IllegalArgumentException on no outcomes, two outcomes for one recipient, or a deferral
   *     without a next attempt time
   */
  public DeliveryAttempt {
    outcomes = List.copyOf(outcomes);
    Objects.requireNonNull(nextAttemptAt, "nextAttemptAt");
    if (outcomes.isEmpty()) {
      throw new IllegalArgumentException("a delivery attempt needs at least one recipient outcome");
    }
    Set<Mailbox> seen = new HashSet<>();
    for (RecipientOutcome o : outcomes) {
      if (!seen.add(o.recipient())) {
        throw new IllegalArgumentException("two outcomes for recipient " + o.recipient());
      }
      if (o.state() == RecipientState.DEFERRED && nextAttemptAt.isEmpty()) {
        throw new IllegalArgumentException("recipient " + o.recipient() + " is DEFERRED but no next attempt time is given");
      }
    }
  }

  /**
   * An attempt whose recipients are all final, or that keeps the message's due time.
   *
   * @param outcomes the outcomes
   * @return the attempt
   */
  public static DeliveryAttempt of(List<RecipientOutcome> outcomes) {
    return new DeliveryAttempt(outcomes, Optional.empty());
  }

  /**
   * An attempt after which the remaining recipients are due at {@code nextAttemptAt}.
   *
   * @param outcomes the outcomes
   * @param nextAttemptAt the next attempt time
   * @return the attempt
   */
  public static DeliveryAttempt of(List<RecipientOutcome> outcomes, Instant nextAttemptAt) {
    return new DeliveryAttempt(outcomes, Optional.of(nextAttemptAt));
  }
}
