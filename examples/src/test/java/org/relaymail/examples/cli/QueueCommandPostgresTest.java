package org.relaymail.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relaymail.protocol.Mailbox;
import org.relaymail.queue.FailureClass;
import org.relaymail.queue.JdbcQueueStore;
import org.relaymail.queue.MessageContent;
import org.relaymail.queue.MessageStatus;
import org.relaymail.queue.NewMessage;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.QueuedMessage;
import org.relaymail.queue.RecipientRecord;
import org.relaymail.queue.RecipientState;
import org.relaymail.queue.jdbc.TestPostgres;
import picocli.CommandLine;

/**
 * The {@code queue} commands on a PostgreSQL queue ({@code --db jdbc:postgresql:...}), against a
 * real PostgreSQL on loopback (smtp-queue's test harness), each effect checked through a separate
 * {@link JdbcQueueStore} on the same schema.
 */
class QueueCommandPostgresTest {
  private String url;
  private DataSource ds;
  private JdbcQueueStore store;

  record Run(int code, String out, String err) {}

  @BeforeEach
  void setUp() throws Exception {
    TestPostgres pg = TestPostgres.shared();
    String schema = pg.newSchema();
    ds = pg.dataSource(schema);
    JdbcQueueStore.createSchema(ds);
    url = pg.jdbcUrl() + "&currentSchema=" + schema;
    store = JdbcQueueStore.builder(ds).listen(false).build();
  }

  @AfterEach
  void tearDown() {
    store.close();
  }

  private static Run run(String... args) {
    CommandLine cmd = RelaymailCommand.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int code = cmd.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  private QueueId enqueue(String sender, String subject, String... recipients) throws Exception {
    NewMessage.Builder b = NewMessage.builder(Mailbox.parse(sender)).envId("env-" + subject);
    for (String r : recipients) {
      b.recipient(Mailbox.parse(r));
    }
    byte[] content = ("From: " + sender + "\r\nSubject: " + subject + "\r\n\r\nbody\r\n").getBytes(StandardCharsets.UTF_8);
    return store.enqueue(b.build(), MessageContent.of(content), Instant.now());
  }

  private QueuedMessage get(QueueId id) throws Exception {
    return store.find(id, Instant.now()).orElseThrow(() -> new AssertionError("message " + id + " is missing"));
  }

  @Test
  void listShowHoldReleaseRetryDeleteBounceWorkOnAPostgresQueue() throws Exception {
    QueueId first = enqueue("app@example.com", "first", "alice@example.org", "bob@example.org");
    QueueId second = enqueue("news@example.com", "second", "carol@example.net");

    Run list = run("queue", "list", "--db", url);
    assertEquals(0, list.code(), list.toString());
    assertTrue(list.out().contains(first.toString()) && list.out().contains(second.toString()), list.out());
    assertTrue(list.out().contains("<app@example.com>") && list.out().contains("<news@example.com>"), list.out());
    assertTrue(list.out().contains("PENDING   bob@example.org"), list.out());
    assertTrue(list.out().contains("-- 2 messages"), list.out());

    Run hold = run("queue", "hold", "--db", url, first.toString());
    assertEquals(0, hold.code(), hold.toString());
    assertEquals(first + ": held", hold.out().strip());
    assertTrue(get(first).held(), "held in the database");
    assertEquals(MessageStatus.HELD, get(first).status());

    Run show = run("queue", "show", "--db", url, "--headers", first.toString());
    assertEquals(0, show.code(), show.toString());
    assertTrue(show.out().contains("status:      HELD"), show.out());
    assertTrue(show.out().contains("envid:       env-first"), show.out());
    assertTrue(show.out().contains("recipient:   alice@example.org  PENDING, 0 attempts"), show.out());
    assertTrue(show.out().contains("Subject: first"), show.out());

    Run heldOnly = run("queue", "list", "--db", url, "--status", "HELD");
    assertEquals(0, heldOnly.code(), heldOnly.toString());
    assertTrue(heldOnly.out().contains(first.toString()), heldOnly.out());
    assertFalse(heldOnly.out().contains(second.toString()), heldOnly.out());

    assertEquals(0, run("queue", "release", "--db", url, first.toString()).code());
    assertFalse(get(first).held(), "released in the database");

    Run retryAll = run("queue", "retry", "--db", url, "--all");
    assertEquals(0, retryAll.code(), retryAll.toString());
    assertTrue(retryAll.out().matches("(?s)\\d+ messages due now\\s*"), retryAll.out());
    Run retryOne = run("queue", "retry", "--db", url, second.toString());
    assertEquals(0, retryOne.code(), retryOne.toString());
    assertEquals(second + ": due now", retryOne.out().strip());

    Run bounce = run("queue", "bounce", "--db", url, second.toString());
    assertEquals(0, bounce.code(), bounce.toString());
    RecipientRecord carol = get(second).recipients().get(0);
    assertEquals(RecipientState.FAILED, carol.state(), carol.toString());
    assertEquals(FailureClass.ADMINISTRATIVE, carol.failureClass(), carol.toString());

    Run delete = run("queue", "delete", "--db", url, first.toString());
    assertEquals(0, delete.code(), delete.toString());
    assertTrue(store.find(first, Instant.now()).isEmpty(), "deleted from the database");
    Run gone = run("queue", "show", "--db", url, first.toString());
    assertEquals(1, gone.code(), gone.toString());
    assertEquals("relaymail: no message " + first + " in the queue", gone.err().strip());
    assertEquals(1, run("queue", "hold", "--db", url, first.toString()).code());
  }

  @Test
  void badDatabaseUrlsAreOneLineErrors() {
    Run notPostgres = run("queue", "list", "--db", "jdbc:mysql://localhost/mail");
    assertEquals(64, notPostgres.code(), notPostgres.toString());
    assertEquals("relaymail: --db takes a PostgreSQL JDBC URL (jdbc:postgresql://host/database): jdbc:mysql://localhost/mail",
        notPostgres.err().strip());

    // a schema without relaymail's tables: the store refuses to open, in one line without a stack trace
    Run noSchema = run("queue", "list", "--db", url.replaceAll("currentSchema=\\w+", "currentSchema=no_such_schema"));
    assertTrue(noSchema.code() != 0, noSchema.toString());
    assertTrue(noSchema.err().startsWith("relaymail: "), noSchema.err());
    assertEquals(1, noSchema.err().strip().lines().count(), noSchema.err());
    assertFalse(noSchema.err().contains("\tat "), noSchema.err());
    assertFalse(noSchema.out().contains("QUEUE ID"), noSchema.out());
  }
}
