package org.relaymail.queue.jdbc;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.SmtpReply;
import org.relaymail.queue.ClaimedMessage;
import org.relaymail.queue.DeliveryAttempt;
import org.relaymail.queue.FailureClass;
import org.relaymail.queue.JdbcQueueStore;
import org.relaymail.queue.MessageContent;
import org.relaymail.queue.NewMessage;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.QueuedMessage;
import org.relaymail.queue.RecipientOutcome;
import org.relaymail.queue.RecipientRecord;

/**
 * The child process of {@link JdbcCrashTest}: several producer threads enqueue into PostgreSQL through
 * one {@link JdbcQueueStore} (so enqueues share group commits) while one worker claims, records and
 * completes, until the process is killed. After each acknowledged change it prints one line:
 * {@code ACK id tag}, {@code REC id address=STATE ...}, {@code COMPLETING id}, {@code DONE id}, each
 * ending with {@code " ."} so that a line cut by the kill is recognised.
 */
public final class JdbcCrashWorker {
  private JdbcCrashWorker() {}

  /**
   * Deterministic content for a tag (some larger than one 256 KiB chunk).
   *
   * @param tag the tag
   * @return the content
   */
  public static byte[] content(long tag) {
    Random r = new Random(tag);
    byte[] b = new byte[r.nextInt(20) == 0 ? 300_000 + r.nextInt(700_000) : 100 + r.nextInt(20_000)];
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
    List<Mailbox> out = new ArrayList<>();
    for (int i = 0; i <= tag % 3; i++) {
      out.add(Mailbox.parse("t" + tag + "r" + i + "@d" + i + ".example"));
    }
    return out;
  }

  /**
   * Runs the worker.
   *
   * @param args JDBC URL, seed, first tag
   * @throws Exception on failure (the parent sees the exit)
   */
  public static void main(String[] args) throws Exception {
    String url = args[0];
    long seed = Long.parseLong(args[1]);
    AtomicLong tags = new AtomicLong(Long.parseLong(args[2]));
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    TestPool pool = TestPostgres.pool(new UrlDataSource(url), 8);
    JdbcQueueStore store = JdbcQueueStore.builder(pool).build();
    out.println("READY .");
    List<Thread> producers = new ArrayList<>();
    for (int p = 0; p < 4; p++) {
      Thread t = new Thread(() -> {
        try {
          while (true) {
            long tag = tags.getAndIncrement();
            NewMessage.Builder b = NewMessage.builder(Mailbox.parse("sender@example.org"));
            recipients(tag).forEach(b::recipient);
            QueueId id = store.enqueue(b.build(), MessageContent.of(content(tag)), Instant.now());
            out.println("ACK " + id + " " + tag + " .");
          }
        } catch (Exception e) {
          e.printStackTrace();
          System.exit(3);
        }
      }, "producer-" + p);
      t.start();
      producers.add(t);
    }
    Random rnd = new Random(seed);
    SmtpReply ok = SmtpReply.of(250, "2.0.0 ok");
    SmtpReply later = SmtpReply.of(451, "4.3.0 later");
    SmtpReply no = SmtpReply.of(550, "5.1.1 no such user");
    while (true) {
      for (ClaimedMessage c : store.claimDue(Instant.now(), 3, Duration.ofSeconds(30))) {
        List<RecipientOutcome> outcomes = new ArrayList<>();
        for (RecipientRecord r : c.message().recipients()) {
          if (!r.state().isFinal()) {
            int x = rnd.nextInt(10);
            outcomes.add(x < 6 ? RecipientOutcome.delivered(r.mailbox(), ok, "mx")
                : x < 9 ? RecipientOutcome.deferred(r.mailbox(), later, "mx", FailureClass.THROTTLED)
                : RecipientOutcome.failed(r.mailbox(), no, "mx", FailureClass.UNKNOWN_RECIPIENT));
          }
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
          out.println("COMPLETING " + after.id() + " .");
          store.complete(c.lease(), Instant.now());
          out.println("DONE " + after.id() + " .");
        } else {
          store.releaseLease(c.lease(), Instant.now());
        }
      }
    }
  }
}
