package org.relaymail.examples.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.relaymail.queue.MessageStatus;
import org.relaymail.queue.QueueCounts;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.QueuePage;
import org.relaymail.queue.QueueQuery;
import org.relaymail.queue.QueuedMessage;
import org.relaymail.queue.RecipientRecord;
import org.relaymail.relay.RelayAdminException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code relaymail queue}: list and manage queued messages, like Postfix's {@code postqueue} and
 * {@code postsuper}, on a spool directory or a PostgreSQL queue: through the relay running on the
 * spool, read-only on a stopped spool, or with {@code --offline} directly on it (see {@link
 * StoreOptions}).
 */
@Command(name = "queue", mixinStandardHelpOptions = true,
    description = {"List and manage queued messages (postqueue/postsuper) in a spool directory or PostgreSQL.",
        "With --spool, the commands go through the relay running on the spool (its admin socket DIR/admin.sock);"
            + " when no relay runs there, list and show read the spool, and the other commands need --offline"
            + " to change the stopped spool directly."},
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

  /** Base: opens the queue (through the relay, read-only, or directly), runs, closes. */
  abstract static class StoreCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    StoreOptions store;

    /** @return whether the command changes the queue (refused on a stopped spool without --offline) */
    abstract boolean changes();

    @Override
    public Integer call() throws Exception {
      try (QueueAccess q = store.open(changes())) {
        try {
          int code = run(q, spec.commandLine().getOut());
          spec.commandLine().getOut().flush();
          return code;
        } catch (RelayAdminException e) {
          int exit = switch (e.code()) {
            case "busy", "closed", "timeout", "unavailable", "io" -> RelaymailCommand.EX_TEMPFAIL;
            case "forbidden" -> RelaymailCommand.EX_NOPERM;
            default -> RelaymailCommand.EX_SOFTWARE;
          };
          throw new RelaymailCommand.CliException(exit, "the relay (" + q.describe() + "): " + e.getMessage(), e);
        }
      }
    }

    abstract int run(QueueAccess q, PrintWriter out) throws IOException;

    static QueueId parseId(String id) {
      try {
        return new QueueId(id);
      } catch (IllegalArgumentException e) {
        throw new RelaymailCommand.CliException(RelaymailCommand.EX_USAGE, "bad queue id '" + id + "': " + e.getMessage(), e);
      }
    }
  }

  /** Base for commands on one message. */
  abstract static class OneMessage extends StoreCommand {
    @Parameters(index = "0", paramLabel = "QUEUE_ID", description = "the message's queue id (from `queue list`)")
    String id;

    @Override
    boolean changes() {
      return true;
    }

    QueueId queueId() {
      return parseId(id);
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
    boolean changes() {
      return false;
    }

    @Override
    int run(QueueAccess s, PrintWriter out) throws IOException {
      QueueQuery.Builder q = QueueQuery.builder().limit(Math.max(1, Math.min(limit, QueueQuery.MAX_LIMIT)));
      if (status != null) {
        q.status(status);
      }
      QueuePage page = s.queue().list(q.build());
      out.printf("%-24s %9s %-20s %-9s %s%n", "QUEUE ID", "SIZE", "ARRIVAL", "STATUS", "SENDER");
      for (QueuedMessage m : page.messages()) {
        out.printf("%-24s %9d %-20s %-9s <%s>%n", m.id(), m.size(), TIME.format(m.arrivalTime()), m.status(),
            m.sender().address());
        for (RecipientRecord r : m.recipients()) {
          out.printf("    %-9s %s%s%n", r.state(), r.mailbox(), r.lastReply().map(x -> "  (" + x + ")").orElse(""));
        }
      }
      QueueCounts c = s.queue().counts();
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
    boolean changes() {
      return false;
    }

    @Override
    int run(QueueAccess s, PrintWriter out) throws IOException {
      Optional<QueuedMessage> found = s.queue().inspect(queueId());
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
        out.print(s.headerSection(m.id()).orElse(""));
      }
      return 0;
    }
  }

  @Command(name = "hold", mixinStandardHelpOptions = true, description = "Hold a message: never delivered until released (postsuper -h).")
  static final class Hold extends OneMessage {
    @Override
    int run(QueueAccess s, PrintWriter out) throws IOException {
      return done(s.queue().hold(queueId()), out, "held");
    }
  }

  @Command(name = "release", mixinStandardHelpOptions = true, description = "Release a held message (postsuper -H).")
  static final class Release extends OneMessage {
    @Override
    int run(QueueAccess s, PrintWriter out) throws IOException {
      return done(s.queue().release(queueId()), out, "released");
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
    boolean changes() {
      return true;
    }

    @Override
    int run(QueueAccess s, PrintWriter out) throws IOException {
      if (all == (id != null)) {
        throw new RelaymailCommand.CliException(RelaymailCommand.EX_USAGE, "give either a QUEUE_ID or --all");
      }
      if (all) {
        out.println(s.queue().retryAllNow() + " messages due now");
        return 0;
      }
      if (!s.queue().retryNow(parseId(id))) {
        throw new RelaymailCommand.CliException(1, "no message " + id + " in the queue");
      }
      out.println(id + ": due now");
      return 0;
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a message without notice (postsuper -d).")
  static final class Delete extends OneMessage {
    @Override
    int run(QueueAccess s, PrintWriter out) throws IOException {
      return done(s.queue().delete(queueId()), out, "deleted");
    }
  }

  @Command(name = "bounce", mixinStandardHelpOptions = true,
      description = "Give up on a message's undelivered recipients; the relay returns it to the sender with a bounce.")
  static final class Bounce extends OneMessage {
    @Override
    int run(QueueAccess s, PrintWriter out) throws IOException {
      return done(s.queue().bounce(queueId()), out,
          "undelivered recipients failed; the relay on this queue sends the bounce");
    }
  }

}
