package org.relaymail.examples.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.relaymail.queue.MessageStatus;
import org.relaymail.queue.QueueCounts;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.QueuePage;
import org.relaymail.queue.QueueQuery;
import org.relaymail.queue.QueueStore;
import org.relaymail.queue.QueuedMessage;
import org.relaymail.queue.RecipientRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code relaymail queue}: list and manage queued messages, like Postfix's {@code postqueue} and
 * {@code postsuper}, on a spool directory or a PostgreSQL queue (see {@link StoreOptions} for when a
 * spool can be opened).
 */
@Command(name = "queue", mixinStandardHelpOptions = true,
    description = "List and manage queued messages (postqueue/postsuper) in a spool directory or PostgreSQL.",
    subcommands = {QueueCommand.ListCmd.class, QueueCommand.Show.class, QueueCommand.Hold.class,
        QueueCommand.Release.class, QueueCommand.Retry.class, QueueCommand.Delete.class, QueueCommand.Bounce.class})
final class QueueCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(),
        "name a queue command: list, show, hold, release, retry, delete or bounce");
  }

  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

  /** Base: opens the store, runs, closes. */
  abstract static class StoreCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    StoreOptions store;

    @Override
    public Integer call() throws Exception {
      try (QueueStore s = store.open()) {
        int code = run(s, spec.commandLine().getOut(), Instant.now());
        spec.commandLine().getOut().flush();
        return code;
      }
    }

    abstract int run(QueueStore s, PrintWriter out, Instant now) throws IOException;
  }

  /** Base for commands on one message. */
  abstract static class OneMessage extends StoreCommand {
    @Parameters(index = "0", paramLabel = "QUEUE_ID", description = "the message's queue id (from `queue list`)")
    String id;

    QueueId queueId() {
      try {
        return new QueueId(id);
      } catch (IllegalArgumentException e) {
        throw new RelaymailCommand.CliException(RelaymailCommand.EX_USAGE, "bad queue id '" + id + "': " + e.getMessage(), e);
      }
    }

    int done(boolean found, PrintWriter out, String what) {
      if (!found) {
        throw new RelaymailCommand.CliException(1, "no message " + id + " in the queue");
      }
      out.println(id + ": " + what);
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List queued messages (postqueue -p).")
  static final class ListCmd extends StoreCommand {
    @Option(names = "--status", description = "only messages with this status: ${COMPLETION-CANDIDATES}")
    MessageStatus status;

    @Option(names = "--limit", defaultValue = "1000", description = "at most this many (default ${DEFAULT-VALUE})")
    int limit;

    @Override
    int run(QueueStore s, PrintWriter out, Instant now) throws IOException {
      QueueQuery.Builder q = QueueQuery.builder().limit(Math.min(limit, QueueQuery.MAX_LIMIT));
      if (status != null) {
        q.status(status);
      }
      QueuePage page = s.list(q.build(), now);
      out.printf("%-24s %9s %-20s %-9s %s%n", "QUEUE ID", "SIZE", "ARRIVAL", "STATUS", "SENDER");
      for (QueuedMessage m : page.messages()) {
        out.printf("%-24s %9d %-20s %-9s <%s>%n", m.id(), m.size(), TIME.format(m.arrivalTime()), m.status(),
            m.sender().address());
        for (RecipientRecord r : m.recipients()) {
          out.printf("    %-9s %s%s%n", r.state(), r.mailbox(), r.lastReply().map(x -> "  (" + x + ")").orElse(""));
        }
      }
      QueueCounts c = s.counts(now);
      out.println("-- " + c.messages() + " messages" + (page.next().isPresent() ? " (first " + page.messages().size() + " shown)" : "")
          + ": " + c.byStatus());
      return 0;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one message: envelope, recipients, attempts.")
  static final class Show extends OneMessage {
    @Option(names = "--headers", description = "also print the message's header section")
    boolean headers;

    @Override
    int run(QueueStore s, PrintWriter out, Instant now) throws IOException {
      Optional<QueuedMessage> found = s.find(queueId(), now);
      if (found.isEmpty()) {
        return done(false, out, "");
      }
      QueuedMessage m = found.get();
      out.println("queue id:    " + m.id());
      out.println("status:      " + m.status() + (m.held() ? " (held)" : ""));
      out.println("sender:      <" + m.sender().address() + ">");
      out.println("size:        " + m.size() + " octets, body " + m.body() + (m.smtpUtf8() ? ", SMTPUTF8" : ""));
      out.println("arrival:     " + TIME.format(m.arrivalTime()));
      out.println("next try:    " + TIME.format(m.nextAttemptAt()));
      m.envId().ifPresent(e -> out.println("envid:       " + e));
      m.ret().ifPresent(r -> out.println("ret:         " + r));
      for (RecipientRecord r : m.recipients()) {
        out.println("recipient:   " + r.mailbox() + "  " + r.state() + ", " + r.attempts() + " attempts"
            + (r.failureClass().name().equals("NONE") ? "" : ", " + r.failureClass())
            + r.remoteMta().map(x -> ", by " + x).orElse("")
            + r.lastReply().map(x -> "\n             last reply: " + x).orElse(""));
      }
      if (headers) {
        out.println();
        try (InputStream in = s.openContent(m.id())) {
          String text = new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8);
          int end = text.indexOf("\r\n\r\n");
          out.print(end >= 0 ? text.substring(0, end + 2) : text);
        }
      }
      return 0;
    }
  }

  @Command(name = "hold", mixinStandardHelpOptions = true, description = "Hold a message: never delivered until released (postsuper -h).")
  static final class Hold extends OneMessage {
    @Override
    int run(QueueStore s, PrintWriter out, Instant now) throws IOException {
      return done(s.hold(queueId(), now), out, "held");
    }
  }

  @Command(name = "release", mixinStandardHelpOptions = true, description = "Release a held message (postsuper -H).")
  static final class Release extends OneMessage {
    @Override
    int run(QueueStore s, PrintWriter out, Instant now) throws IOException {
      return done(s.releaseHold(queueId(), now), out, "released");
    }
  }

  @Command(name = "retry", mixinStandardHelpOptions = true,
      description = "Make a message (or, with --all, every message) due now (postqueue -i / -f).")
  static final class Retry extends StoreCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "QUEUE_ID")
    String id;

    @Option(names = "--all", description = "every queued message")
    boolean all;

    @Override
    int run(QueueStore s, PrintWriter out, Instant now) throws IOException {
      if (all == (id != null)) {
        throw new RelaymailCommand.CliException(RelaymailCommand.EX_USAGE, "give either a QUEUE_ID or --all");
      }
      if (all) {
        out.println(s.retryAllNow(now) + " messages due now");
        return 0;
      }
      if (!s.retryNow(new QueueId(id), now)) {
        throw new RelaymailCommand.CliException(1, "no message " + id + " in the queue");
      }
      out.println(id + ": due now");
      return 0;
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a message without notice (postsuper -d).")
  static final class Delete extends OneMessage {
    @Override
    int run(QueueStore s, PrintWriter out, Instant now) throws IOException {
      return done(s.delete(queueId(), now), out, "deleted");
    }
  }

  @Command(name = "bounce", mixinStandardHelpOptions = true,
      description = "Give up on a message's undelivered recipients; the relay returns it to the sender with a bounce.")
  static final class Bounce extends OneMessage {
    @Override
    int run(QueueStore s, PrintWriter out, Instant now) throws IOException {
      return done(s.forceBounce(queueId(), now), out,
          "undelivered recipients failed; the relay on this queue sends the bounce at its next run");
    }
  }

}
