package org.relaymail.relay;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.relaymail.protocol.DsnNotify;
import org.relaymail.protocol.Mailbox;

/**
 * One envelope recipient of an {@link OutgoingMessage} with its DSN options (RFC 3461 section
 * 4): when to report ({@code NOTIFY}) and the original recipient ({@code ORCPT}).
 *
 * <p>Thread-safe (immutable).
 *
 * @param mailbox the recipient; never the null path
 * @param notifyOn when a delivery status notification is wanted; empty for the default (failure
 *     and delay, RFC 3461 section 4.1), or {@code {NEVER}}, or any of SUCCESS, FAILURE, DELAY
 * @param originalRecipient the original recipient address (ORCPT, type rfc822), if known
 */
public record Recipient(Mailbox mailbox, Set<DsnNotify> notifyOn, Optional<String> originalRecipient) {
  /**
   * Validates and copies.
   *
   * @throws IllegalArgumentException for the null path, NEVER combined with another value, or an
   *     original recipient holding CR, LF or other control characters
   */
  public Recipient {
    Objects.requireNonNull(mailbox, "mailbox");
    Objects.requireNonNull(notifyOn, "notifyOn");
    Objects.requireNonNull(originalRecipient, "originalRecipient");
    if (mailbox.isNull()) {
      throw new IllegalArgumentException("a recipient cannot be the null path <>");
    }
    notifyOn = notifyOn.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(notifyOn));
    if (notifyOn.contains(DsnNotify.NEVER) && notifyOn.size() > 1) {
      throw new IllegalArgumentException(
          "NOTIFY=NEVER cannot be combined with other values (RFC 3461 section 4.1): " + notifyOn);
    }
    originalRecipient.ifPresent(
        o -> {
          if (o.isEmpty() || o.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException(
                "original recipient must be a non-empty address without control characters: '"
                    + o.replace("\r", "\\r").replace("\n", "\\n") + "'");
          }
        });
  }

  /**
   * Returns a recipient with default DSN options.
   *
   * @param mailbox the recipient
   * @return the recipient
   */
  public static Recipient of(Mailbox mailbox) {
    return new Recipient(mailbox, Set.of(), Optional.empty());
  }

  /**
   * Tells whether a failure report (bounce) is wanted: NOTIFY absent or containing FAILURE.
   *
   * @return true unless NOTIFY was given without FAILURE
   */
  public boolean wantsFailureReport() {
    return notifyOn.isEmpty() || notifyOn.contains(DsnNotify.FAILURE);
  }

  /**
   * Tells whether a delay warning is wanted: NOTIFY absent or containing DELAY.
   *
   * @return true unless NOTIFY was given without DELAY
   */
  public boolean wantsDelayReport() {
    return notifyOn.isEmpty() || notifyOn.contains(DsnNotify.DELAY);
  }

  /**
   * Tells whether a success report ("delivered" or "relayed") is wanted: NOTIFY contains SUCCESS.
   *
   * @return true only when SUCCESS was asked for
   */
  public boolean wantsSuccessReport() {
    return notifyOn.contains(DsnNotify.SUCCESS);
  }
}
