package org.relaymail.queue.internal;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.SmtpReply;
import org.relaymail.queue.ClaimedMessage;
import org.relaymail.queue.DeliveryAttempt;
import org.relaymail.queue.FailureClass;
import org.relaymail.queue.FileQueueStore;
import org.relaymail.queue.MessageContent;
import org.relaymail.queue.NewMessage;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.QueuedMessage;
import org.relaymail.queue.RecipientOutcome;
import org.relaymail.queue.RecipientRecord;

/**
 * The child process of {@link CrashTest}: works a {@link FileQueueStore} until it is killed, printing
 * one line to stdout after each acknowledged (durable) change:
 * {@code ACK id tag recipients}, {@code REC id address=STATE ...}, {@code COMPLETING id} (before
 * {@code complete}), {@code DONE id}; each line ends with
 * {@code .} so that a line cut by the kill is recognised.
 */
public final class CrashWorker {
  private CrashWorker() {}

  /**
   * Deterministic content for a tag.
   *
   * @param tag the tag
   * @return the content
   */
  public static byte[] content(long tag) {
    Random r = new Random(tag);
    byte[] b = new byte[200 + r.nextInt(20_000)];
    r.nextBytes(b);
    return b;
  }

  /**
   * Recipients for a tag.
   *
   * @param tag the tag
   * @return 1 to 3 addresses
   */
  public static List<Mailbox> recipients(long tag) {
    int n = 1 + (int) (tag % 3);
    List<Mailbox> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(Mailbox.parse("t" + tag + "r" + i + "@d" + i + ".example"));
    }
    return out;
  }

  /**
   * Runs the worker.
   *
   * @param args spool directory, seed, first tag
   * @throws Exception on failure (the parent sees the exit)
   */
  public static void main(String[] args) throws Exception {
    Path spool = Path.of(args[0]);
    Random rnd = new Random(Long.parseLong(args[1]));
    long tag = Long.parseLong(args[2]);
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    SmtpReply ok = SmtpReply.of(250, "2.0.0 ok");
    SmtpReply later = SmtpReply.of(451, "4.3.0 later");
    SmtpReply no = SmtpReply.of(550, "5.1.1 no such user");
    try (FileQueueStore store = FileQueueStore.builder(spool).segmentSize(256 * 1024).minFreeBytes(0).open()) {
      out.println("READY .");
      while (true) {
        if (rnd.nextInt(10) < 5) {
          NewMessage.Builder b = NewMessage.builder(Mailbox.parse("sender@example.org"));
          List<Mailbox> rcpts = recipients(tag);
          rcpts.forEach(b::recipient);
          QueueId id = store.enqueue(b.build(), MessageContent.of(content(tag)), Instant.now());
          out.println("ACK " + id + " " + tag + " " + rcpts.size() + " .");
          tag++;
        } else {
          for (ClaimedMessage c : store.claimDue(Instant.now(), 3, Duration.ofSeconds(30))) {
            List<RecipientOutcome> outcomes = new ArrayList<>();
            for (RecipientRecord r : c.message().recipients()) {
              if (r.state().isFinal()) {
                continue;
              }
              int x = rnd.nextInt(10);
              outcomes.add(x < 6 ? RecipientOutcome.delivered(r.mailbox(), ok, "mx")
                  : x < 9 ? RecipientOutcome.deferred(r.mailbox(), later, "mx", FailureClass.THROTTLED)
                  : RecipientOutcome.failed(r.mailbox(), no, "mx", FailureClass.UNKNOWN_RECIPIENT));
            }
            QueuedMessage after = c.message();
            if (!outcomes.isEmpty()) {
              after = store.recordAttempt(c.lease(), DeliveryAttempt.of(outcomes, Instant.now()), Instant.now());
              StringBuilder line = new StringBuilder("REC ").append(after.id());
              for (RecipientRecord r : after.recipients()) {
                line.append(' ').append(r.mailbox().address()).append('=').append(r.state());
              }
              out.println(line.append(" ."));
            }
            if (after.allFinal()) {
              out.println("COMPLETING " + after.id() + " ."); // printed before: a kill may land in between
              store.complete(c.lease(), Instant.now());
              out.println("DONE " + after.id() + " .");
            } else {
              store.releaseLease(c.lease(), Instant.now());
            }
          }
        }
      }
    }
  }
}
