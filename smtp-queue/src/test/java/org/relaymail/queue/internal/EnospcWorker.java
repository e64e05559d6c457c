package org.relaymail.queue.internal;

import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.SmtpReply;
import org.relaymail.queue.ClaimedMessage;
import org.relaymail.queue.DeliveryAttempt;
import org.relaymail.queue.FileQueueStore;
import org.relaymail.queue.MessageContent;
import org.relaymail.queue.NewMessage;
import org.relaymail.queue.QueueFullException;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.RecipientOutcome;

/**
 * The child of {@link EnospcTest}, run inside {@code unshare -Urm} on a small tmpfs: fills the spool
 * until the watermark refuses, checks delivery still works from the reserve, then fills it to a real
 * ENOSPC and checks every acknowledged message survives a reopen. Prints {@code OK ...} lines and exits
 * 0, or exits 1 with the reason.
 */
public final class EnospcWorker {
  private EnospcWorker() {}

  private static void check(boolean ok, String what) {
    if (!ok) {
      System.out.println("FAILED " + what);
      System.exit(1);
    }
  }

  /**
   * Runs the scenario.
   *
   * @param args the tmpfs mount point
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    Path spool = Path.of(args[0], "spool");
    Instant now = Instant.parse("2026-01-05T08:00:00Z");
    NewMessage m = NewMessage.builder(Mailbox.parse("s@example.org")).recipient(Mailbox.parse("r@example.com")).build();
    byte[] content = new byte[10 * 1024];
    SmtpReply ok = SmtpReply.of(250, "2.0.0 ok");
    List<QueueId> acked = new ArrayList<>();
    // 1. the watermark refuses enqueues while state records still fit in the reserve
    try (FileQueueStore s = FileQueueStore.builder(spool).segmentSize(128 * 1024).minFreeBytes(512 * 1024).open()) {
      String refusal = null;
      for (int i = 0; i < 10_000 && refusal == null; i++) {
        try {
          acked.add(s.enqueue(m, MessageContent.of(content), now));
        } catch (QueueFullException e) {
          refusal = e.getMessage();
        }
      }
      check(refusal != null && refusal.contains("minFreeBytes"), "the watermark did not refuse: " + refusal);
      System.out.println("OK watermark refused after " + acked.size() + " messages: " + refusal);
      int delivered = 0;
      for (List<ClaimedMessage> batch; !(batch = s.claimDue(now, 100, Duration.ofMinutes(5))).isEmpty(); ) {
        for (ClaimedMessage c : batch) {
          s.recordAttempt(c.lease(), DeliveryAttempt.of(List.of(RecipientOutcome.delivered(
              c.message().recipients().get(0).mailbox(), ok, "mx"))), now);
          s.complete(c.lease(), now);
          delivered++;
        }
      }
      check(delivered == acked.size(), "delivered " + delivered + " of " + acked.size());
      s.compact();
      s.enqueue(m, MessageContent.of(content), now);
      System.out.println("OK delivered all " + delivered + " below the watermark, compacted, enqueue works again");
    }
    // 2. without a watermark the disk itself fills: a clear exception, nothing acknowledged is lost
    acked.clear();
    String full = null;
    try (FileQueueStore s = FileQueueStore.builder(spool).segmentSize(128 * 1024).minFreeBytes(0).open()) {
      for (int i = 0; i < 10_000 && full == null; i++) {
        try {
          acked.add(s.enqueue(m, MessageContent.of(content), now));
        } catch (QueueFullException e) {
          full = e.getMessage();
        }
      }
    }
    check(full != null && full.contains("full"), "no QueueFullException on a full disk: " + full);
    System.out.println("OK the full disk refused after " + acked.size() + " more messages: " + full);
    try (FileQueueStore s = FileQueueStore.builder(spool).segmentSize(128 * 1024).minFreeBytes(0).open()) {
      for (QueueId id : acked) {
        check(s.find(id, now).isPresent(), "acknowledged " + id + " lost after ENOSPC");
        try (InputStream in = s.openContent(id)) {
          check(in.readAllBytes().length == content.length, "content of " + id);
        }
      }
      System.out.println("OK all " + acked.size() + " acknowledged messages are intact after a reopen; "
          + s.counts(now).messages() + " queued");
    }
  }
}
