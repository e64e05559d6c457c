package org.relaymail.examples.cli;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.postgresql.ds.PGSimpleDataSource;
import org.relaymail.queue.FileQueueStore;
import org.relaymail.queue.JdbcQueueStore;
import org.relaymail.queue.SpoolLockedException;
import org.relaymail.relay.RelayAdmin;
import org.relaymail.relay.RelayAdminException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/**
 * Where the {@code queue} commands find the queue: a spool directory ({@link FileQueueStore}) or a
 * PostgreSQL URL ({@link JdbcQueueStore}).
 *
 * <p>A spool held by a running relay is administered through that relay: every command goes over
 * its admin channel ({@link RelayAdmin}, the Unix-domain socket {@code DIR/admin.sock}, or the one
 * {@code --admin-socket} names), so a change takes effect at once in the relay (a released message
 * is delivered by it, a held one is left alone). When no relay answers, {@code list} and {@code show}
 * read the spool without its lock (a read-only snapshot: a relay may start meanwhile), and the
 * commands that change the queue refuse with one line unless {@code --offline} is given: then they
 * take the spool's lock and change the stopped spool directly, and a relay opening the spool later
 * sees the changes. A spool locked by a process that serves no admin channel cannot be changed
 * until that process stops. A PostgreSQL queue is shared by design: the commands work on it
 * directly, beside running relays.
 */
final class StoreOptions {
  @ArgGroup(exclusive = true, multiplicity = "1")
  Where where;

  static final class Where {
    @Option(names = "--spool", paramLabel = "DIR", required = true,
        description = "a FileQueueStore spool directory; a relay running on it is administered through its admin socket")
    Path spool;

    @Option(names = "--db", paramLabel = "JDBC_URL", required = true,
        description = "a PostgreSQL queue, e.g. jdbc:postgresql://db.example.com/mail")
    String db;
  }

  @Option(names = "--offline",
      description = "with --spool: when no relay runs on the spool, change it directly (takes the spool's lock)")
  boolean offline;

  @Option(names = "--admin-socket", paramLabel = "PATH",
      description = "with --spool: the running relay's admin socket (default: DIR/admin.sock)")
  Path adminSocket;

  @Option(names = "--db-user", description = "PostgreSQL user (default: from the URL)")
  String dbUser;

  @Option(names = "--db-password-env", paramLabel = "VAR", defaultValue = "PGPASSWORD",
      description = "environment variable holding the PostgreSQL password (default ${DEFAULT-VALUE})")
  String dbPasswordEnv;

  /**
   * Opens the queue for one command.
   *
   * @param changes whether the command changes the queue
   * @return the access; the caller closes it
   * @throws RelaymailCommand.CliException with the exit code and one line when the queue cannot be
   *     reached as asked
   * @throws IOException on a storage failure
   */
  QueueAccess open(boolean changes) throws IOException {
    if (where.spool != null) {
      return openSpool(where.spool, changes);
    }
    if (offline || adminSocket != null) {
      throw new RelaymailCommand.CliException(RelaymailCommand.EX_USAGE,
          "--offline and --admin-socket go with --spool; a PostgreSQL queue is always changed directly");
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
    return QueueAccess.direct(JdbcQueueStore.builder(ds).listen(false).build(), "the PostgreSQL queue " + where.db);
  }

  private QueueAccess openSpool(Path spool, boolean changes) throws IOException {
    if (!Files.isDirectory(spool)) {
      throw new RelaymailCommand.CliException(RelaymailCommand.EX_USAGE, "no spool directory at " + spool);
    }
    Path socket = adminSocket != null ? adminSocket : RelayAdmin.defaultSocket(spool);
    ConnectException noRelay;
    try {
      return QueueAccess.remote(RelayAdmin.connectSocket(socket, RelayAdmin.DEFAULT_TIMEOUT));
    } catch (ConnectException e) {
      noRelay = e; // no relay answers: read a snapshot, or change the stopped spool when asked to
    } catch (RelayAdminException e) {
      int code = e.code().equals("forbidden") ? RelaymailCommand.EX_NOPERM : RelaymailCommand.EX_TEMPFAIL;
      throw new RelaymailCommand.CliException(code, "the relay on " + spool + " refused the admin connection: "
          + e.getMessage(), e);
    }
    if (!changes) {
      return QueueAccess.direct(FileQueueStore.builder(spool).readOnly(true).open(),
          "a read-only snapshot of " + spool);
    }
    if (lockHeld(spool)) {
      throw heldWithoutChannel(spool, socket, noRelay);
    }
    if (!offline) {
      throw new RelaymailCommand.CliException(RelaymailCommand.EX_UNAVAILABLE, "no relay holds the spool " + spool
          + " (nothing answers on " + socket + "): start the relay on it and run this again, or add --offline"
          + " to change the stopped spool directly", noRelay);
    }
    try {
      return QueueAccess.direct(FileQueueStore.open(spool), "the stopped spool " + spool);
    } catch (SpoolLockedException e) {
      throw heldWithoutChannel(spool, socket, e);
    }
  }

  private static RelaymailCommand.CliException heldWithoutChannel(Path spool, Path socket, Exception cause) {
    return new RelaymailCommand.CliException(RelaymailCommand.EX_TEMPFAIL, "the spool " + spool
        + " is held by a running process, but no admin channel answers on " + socket + " (is its admin socket"
        + " turned off or elsewhere? see --admin-socket): change the queue through that process, or stop it and"
        + " use --offline", cause);
  }

  /**
   * Whether a process holds the spool's lock file ({@code spool.lock}, see {@link FileQueueStore}):
   * tried for an instant and released, without creating the file.
   */
  private static boolean lockHeld(Path spool) throws IOException {
    try (FileChannel ch = FileChannel.open(spool.resolve("spool.lock"), StandardOpenOption.WRITE)) {
      try (FileLock lock = ch.tryLock()) {
        return lock == null;
      } catch (OverlappingFileLockException e) {
        return true; // this JVM holds it
      }
    } catch (NoSuchFileException e) {
      return false;
    }
  }
}
