package org.relaymail.examples.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.postgresql.ds.PGSimpleDataSource;
import org.relaymail.queue.FileQueueStore;
import org.relaymail.queue.JdbcQueueStore;
import org.relaymail.queue.QueueStore;
import org.relaymail.queue.SpoolLockedException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/**
 * Where the {@code queue} commands find the queue: a spool directory ({@link FileQueueStore}) or a
 * PostgreSQL URL ({@link JdbcQueueStore}).
 *
 * <p>A spool is opened exclusively: when a relay holds it, the commands refuse with one line
 * (relaymail has no cross-process admin channel yet; a running application administers its queue
 * through {@code RelayClient}'s methods). When no relay holds it, every command works on it
 * directly; changes take effect when a relay next opens the spool. A PostgreSQL queue is shared by
 * design, so the commands work beside running relays.
 */
final class StoreOptions {
  @ArgGroup(exclusive = true, multiplicity = "1")
  Where where;

  static final class Where {
    @Option(names = "--spool", paramLabel = "DIR", required = true, description = "a FileQueueStore spool directory")
    Path spool;

    @Option(names = "--db", paramLabel = "JDBC_URL", required = true,
        description = "a PostgreSQL queue, e.g. jdbc:postgresql://db.example.com/mail")
    String db;
  }

  @Option(names = "--db-user", description = "PostgreSQL user (default: from the URL)")
  String dbUser;

  @Option(names = "--db-password-env", paramLabel = "VAR", defaultValue = "PGPASSWORD",
      description = "environment variable holding the PostgreSQL password (default ${DEFAULT-VALUE})")
  String dbPasswordEnv;

  QueueStore open() throws IOException {
    if (where.spool != null) {
      if (!Files.isDirectory(where.spool)) {
        throw new RelaymailCommand.CliException(RelaymailCommand.EX_USAGE, "no spool directory at " + where.spool);
      }
      try {
        return FileQueueStore.open(where.spool);
      } catch (SpoolLockedException e) {
        throw new RelaymailCommand.CliException(RelaymailCommand.EX_TEMPFAIL, "the spool " + where.spool
            + " is held by a running relay; relaymail has no cross-process admin channel yet: administer it "
            + "in that process (RelayClient list/inspect/hold/release/retryNow/delete/bounce) or stop the relay first", e);
      }
    }
    if (!where.db.startsWith("jdbc:postgresql:")) {
      throw new RelaymailCommand.CliException(RelaymailCommand.EX_USAGE,
          "--db takes a PostgreSQL JDBC URL (jdbc:postgresql://host/database): " + where.db);
    }
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(where.db);
    if (dbUser != null) {
      ds.setUser(dbUser);
    }
    String pw = System.getenv(dbPasswordEnv);
    if (pw != null) {
      ds.setPassword(pw);
    }
    return JdbcQueueStore.builder(ds).listen(false).build();
  }
}
