package org.relaymail.queue;

import java.util.List;
import java.util.Objects;
import org.relaymail.protocol.Mailbox;

/**
 * The caller's lease is no longer the message's current lease: it expired, another worker claimed
 * the message, the message was deleted or completed, or the store restarted. Nothing was changed,
 * except outcomes that only move forward and cannot be thrown away: a DELIVERED outcome (a 250 is
 * never lost) and sent-notification flags, which are listed in {@link #recordedAnyway()}.
 *
 * <p>Thread-safe (immutable after construction).
 */
public final class LeaseLostException extends IllegalStateException {
  private static final long serialVersionUID = 1L;
  private final transient Lease lease;
  private final transient List<Mailbox> recordedAnyway;

  /**
   * Creates the exception.
   *
   * @param lease the stale lease
   * @param reason why it is stale
   * @param recordedAnyway recipients whose forward-only outcome or flag was recorded nonetheless
   */
  public LeaseLostException(Lease lease, String reason, List<Mailbox> recordedAnyway) {
    super("lease " + lease.token() + " on " + lease.id() + " is no longer held: " + reason
        + (recordedAnyway.isEmpty() ? "" : "; recorded anyway (forward only): " + recordedAnyway));
    this.lease = Objects.requireNonNull(lease, "lease");
    this.recordedAnyway = List.copyOf(recordedAnyway);
  }

  /**
   * The stale lease.
   *
   * @return the lease
   */
  public Lease lease() {
    return lease;
  }

  /**
   * Recipients whose DELIVERED outcome or notification flag was recorded although the lease was lost.
   *
   * @return the recipients, possibly empty
   */
  public List<Mailbox> recordedAnyway() {
    return recordedAnyway;
  }
}
