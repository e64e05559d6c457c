package org.relaymail.queue;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.relaymail.protocol.Mailbox;
import org.relaymail.queue.internal.Checks;

/**
 * A recipient as it is enqueued: the address and its DSN parameters (RFC 3461 section 4).
 *
 * <p>Thread-safe (immutable).
 *
 * @param mailbox the recipient address; never the null path
 * @param notifyOn the NOTIFY conditions; empty when the parameter was not given (RFC 3461 section 4.1:
 *     then FAILURE and DELAY apply); {@link NotifyCondition#NEVER} only alone
 * @param orcpt the ORCPT parameter as given (RFC 3461 section 4.2, {@code addr-type;xtext}), if any
 */
public record NewRecipient(Mailbox mailbox, Set<NotifyCondition> notifyOn, Optional<String> orcpt) {
  /**
   * Checks the recipient.
   *
   * @throws IllegalArgumentException if the mailbox is the null path, NOTIFY combines NEVER with
   *     another condition, or ORCPT is not printable ASCII of at most 500 characters
   */
  public NewRecipient {
    Objects.requireNonNull(mailbox, "mailbox");
    if (mailbox.isNull()) {
      throw new IllegalArgumentException("a recipient cannot be the null path <>");
    }
    notifyOn = notifyOn.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(notifyOn));
    if (notifyOn.contains(NotifyCondition.NEVER) && notifyOn.size() > 1) {
      throw new IllegalArgumentException("NOTIFY=NEVER cannot be combined with other conditions: " + notifyOn);
    }
    Objects.requireNonNull(orcpt, "orcpt");
    orcpt.ifPresent(o -> Checks.printable("ORCPT", o, 500, false));
  }

  /**
   * A recipient without DSN parameters.
   *
   * @param mailbox the address
   * @return the recipient
   */
  public static NewRecipient of(Mailbox mailbox) {
    return new NewRecipient(mailbox, Set.of(), Optional.empty());
  }
}
