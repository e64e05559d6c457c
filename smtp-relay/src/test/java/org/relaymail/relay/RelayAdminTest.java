package org.relaymail.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.relaymail.protocol.Mailbox;
import org.relaymail.queue.FailureClass;
import org.relaymail.queue.InMemoryQueueStore;
import org.relaymail.queue.MessageStatus;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.QueuePage;
import org.relaymail.queue.QueueQuery;
import org.relaymail.queue.QueuedMessage;
import org.relaymail.queue.RecipientRecord;
import org.relaymail.queue.RecipientState;
import org.relaymail.relay.internal.admin.LineChannel;
import org.relaymail.testsupport.Response;
import org.relaymail.testsupport.ScriptedSmtpServer;
import org.relaymail.testsupport.Stage;

/**
 * The admin channel end to end: a {@link RelayClient} on a temporary spool serves its socket, and
 * {@link RelayAdmin} (or a raw client speaking the protocol) administers it; every effect is checked
 * through the relay itself.
 */
class RelayAdminTest {
  /** Deferral text with what a line protocol must survive: Unicode, '%', '=', spaces, an escape look-alike. */
  private static final List<String> ODD_REPLY = List.of("4.7.1 Grüße – später wieder % = %0A x", "zweite Zeile ☃ ");

  @TempDir
  Path dir;
  private RelayHarness h;

  @BeforeEach
  void setUp() throws IOException {
    h = new RelayHarness();
  }

  @AfterEach
  void tearDown() throws Exception {
    h.close();
  }

  private static int attempts(RelayClient relay, QueueId id) throws IOException {
    return relay.inspect(id).orElseThrow().recipients().get(0).attempts();
  }

  private void awaitIdle(RelayClient relay, String what, IoCondition c) throws InterruptedException {
    RecordingListener.await(what, Duration.ofSeconds(60), () -> {
      try {
        return relay.deliveriesInFlight() == 0 && c.test();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  @FunctionalInterface
  interface IoCondition {
    boolean test() throws IOException;
  }

  @Test
  void everyOperationRoundTripsAndActsOnTheRunningRelay() throws Exception {
    h.mx("example.test", 2).mx("example.net", 4);
    h.server(2, b -> b.replyAt(Stage.RCPT, Response.reply(451, ODD_REPLY.toArray(String[]::new))));
    ScriptedSmtpServer senderMx = h.server(4, b -> {});
    Path spool = dir.resolve("spool");
    RelayClient relay = h.start(h.relay().spoolDirectory(spool));

    Path socket = relay.adminSocket().orElseThrow();
    assertEquals(spool.resolve("admin.sock"), socket);
    assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
        Files.getPosixFilePermissions(socket), "owner-only socket");

    SendReceipt one = relay.send(RelayClientMxTest.message("app@example.net", "one", "a@example.test"));
    SendReceipt two = relay.send(RelayClientMxTest.message("app@example.net", "two", "b@example.test"));
    QueueId id1 = one.queueId();
    QueueId id2 = two.queueId();
    awaitIdle(relay, "first attempts", () -> attempts(relay, id1) == 1 && attempts(relay, id2) == 1);

    try (RelayAdmin admin = RelayAdmin.connect(spool)) {
      // reads: the same values RelayClient returns
      assertEquals(relay.list(QueueQuery.all()), admin.list(QueueQuery.all()));
      QueuedMessage m1 = admin.inspect(id1).orElseThrow();
      assertEquals(relay.inspect(id1).orElseThrow(), m1);
      RecipientRecord r = m1.recipients().get(0);
      assertEquals(RecipientState.DEFERRED, r.state());
      assertEquals(451, r.lastReply().orElseThrow().code());
      assertEquals(ODD_REPLY, r.lastReply().orElseThrow().lines(), "reply text round-trips");
      assertEquals(relay.counts(), admin.counts());
      assertEquals(2, admin.counts().count(MessageStatus.DEFERRED));

      QueuePage first = admin.list(QueueQuery.builder().limit(1).build());
      assertEquals(List.of(m1), first.messages());
      QueuePage second = admin.list(QueueQuery.builder().limit(1).after(first.next().orElseThrow()).build());
      assertEquals(relay.list(QueueQuery.builder().limit(1).after(id1).build()), second);
      assertEquals(id2, second.messages().get(0).id());
      assertTrue(admin.list(QueueQuery.builder().status(MessageStatus.HELD).build()).messages().isEmpty());
      assertEquals(2, admin.list(QueueQuery.builder().recipientDomain("EXAMPLE.test").senderDomain("example.net")
          .status(MessageStatus.DEFERRED).status(MessageStatus.QUEUED).build()).messages().size());

      // hold: the relay leaves the held message alone when both are due
      assertTrue(admin.hold(id1));
      assertEquals(MessageStatus.HELD, relay.inspect(id1).orElseThrow().status());
      assertEquals(List.of(id1), admin.list(QueueQuery.builder().status(MessageStatus.HELD).build()).messages()
          .stream().map(QueuedMessage::id).toList());
      h.clock.advance(Duration.ofMinutes(30));
      relay.wakeUp();
      awaitIdle(relay, "the second attempt of the message not held", () -> attempts(relay, id2) == 2);
      assertEquals(1, attempts(relay, id1), "held: not attempted though due");

      // release and retry now
      assertTrue(admin.release(id1));
      assertFalse(relay.inspect(id1).orElseThrow().held());
      // released, id1 is due at once (its retry time passed while held), so the dispatcher may take
      // it before retryNow arrives, and retryNow may then add one more attempt: at least one
      assertTrue(admin.retryNow(id1));
      awaitIdle(relay, "the released message retried", () -> attempts(relay, id1) >= 2);
      int id1Attempts = attempts(relay, id1);
      assertEquals(2, admin.retryAllNow());
      awaitIdle(relay, "both retried", () -> attempts(relay, id1) > id1Attempts && attempts(relay, id2) == 3);

      String headers = admin.headerSection(id1).orElseThrow();
      assertTrue(headers.contains("Subject: one\r\n"), headers);
      assertTrue(headers.startsWith("Received: "), headers);
      assertFalse(headers.contains("Hello one"), "the header section only: " + headers);

      // bounce: the relay returns the message to its sender
      assertTrue(admin.bounce(id1));
      DeliveryReport report = one.outcome().get(60, TimeUnit.SECONDS);
      assertEquals(RecipientState.FAILED, report.recipients().get(0).state());
      assertEquals(java.util.Optional.of(FailureClass.ADMINISTRATIVE), report.recipients().get(0).failureClass());
      String dsn = senderMx.awaitMessages(1, Duration.ofSeconds(60)).get(0).contentAsString();
      assertTrue(dsn.contains("Final-Recipient: rfc822; a@example.test"), dsn);

      // delete
      assertTrue(admin.delete(id2));
      assertTrue(relay.inspect(id2).isEmpty());
      assertFalse(admin.delete(id2), "already gone");
      assertFalse(admin.hold(id2));
      assertFalse(admin.release(id2));
      assertFalse(admin.retryNow(id2));
      assertFalse(admin.bounce(id2));
      assertTrue(admin.inspect(id2).isEmpty());
      assertTrue(admin.headerSection(id2).isEmpty());
    }

    relay.close();
    assertFalse(Files.exists(socket), "the socket file is deleted on close");
    assertThrows(ConnectException.class, () -> RelayAdmin.connect(spool));
  }

  @Test
  void dataWithCrLfCannotBreakTheFraming() throws Exception {
    Path spool = dir.resolve("spool");
    RelayClient relay = h.start(h.relay().spoolDirectory(spool));
    h.mx("example.test", 2);
    QueueId id = relay.send(RelayClientMxTest.message("app@example.net", "x", "a@example.test")).queueId();
    try (RelayAdmin admin = RelayAdmin.connect(spool)) {
      // a filter value carrying a second "request": it stays data and matches nothing
      QueuePage page = admin.list(QueueQuery.builder().tenant("t\r\nhold id=" + id + "\n").tag("a b\u0000c").build());
      assertTrue(page.messages().isEmpty());
      assertFalse(relay.inspect(id).orElseThrow().held(), "nothing was injected");
      assertEquals(1, admin.counts().messages());
    }
  }

  /** A raw client: sends lines, reads lines, with deadlines. */
  private static final class Raw implements AutoCloseable {
    final LineChannel io;

    Raw(Path socket) throws IOException {
      io = new LineChannel(SocketChannel.open(UnixDomainSocketAddress.of(socket)));
    }

    String ask(String line) throws IOException {
      send(line.getBytes(StandardCharsets.UTF_8));
      return read();
    }

    void send(byte[] bytes) throws IOException {
      byte[] line = java.util.Arrays.copyOf(bytes, bytes.length + 1);
      line[bytes.length] = '\n';
      io.write(line, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
    }

    String read() throws IOException {
      return io.readLine(1 << 22, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
    }

    @Override
    public void close() throws IOException {
      io.close();
    }
  }

  @Test
  void malformedAndOversizedRequestsGetErrorsAndTheRelayKeepsServing() throws Exception {
    Path spool = dir.resolve("spool");
    RelayClient relay = h.start(h.relay().spoolDirectory(spool));
    Path socket = relay.adminSocket().orElseThrow();

    try (Raw raw = new Raw(socket)) {
      assertTrue(raw.ask("RELAYMAIL-ADMIN version=2").startsWith("ERR code=unsupported-version "));
      assertEquals(null, raw.read(), "closed after a version mismatch");
    }
    try (Raw raw = new Raw(socket)) {
      assertTrue(raw.ask("counts").startsWith("ERR code=bad-request "), "the hello comes first");
      assertEquals(null, raw.read());
    }
    try (Raw raw = new Raw(socket)) {
      assertEquals("OK version=1", raw.ask("RELAYMAIL-ADMIN version=1"));
      assertTrue(raw.ask("frobnicate").startsWith("ERR code=unknown-operation "));
      String noId = raw.ask("hold");
      assertTrue(noId.startsWith("ERR code=bad-request message=") && noId.contains("field%20id="), noId);
      assertTrue(raw.ask("hold id=bad%ZZ").startsWith("ERR code=bad-request "));
      assertTrue(raw.ask("hold id=has%20space").startsWith("ERR code=bad-request "));
      assertTrue(raw.ask("hold id=%C3").startsWith("ERR code=bad-request "), "not UTF-8");
      assertTrue(raw.ask("list limit=0").startsWith("ERR code=bad-request "));
      assertTrue(raw.ask("list status=NOPE").startsWith("ERR code=bad-request "));
      assertTrue(raw.ask("list  limit=1").startsWith("ERR code=bad-request "), "empty field");
      assertTrue(raw.ask("hold id=caf\u00e9").startsWith("ERR code=bad-request "), "raw non-ASCII");
      assertTrue(raw.ask("hold id=x\u0007").startsWith("ERR code=bad-request "), "control character");
      // still in step after every error
      assertEquals("OK lines=1", raw.ask("counts"));
      assertTrue(raw.read().startsWith("counts messages=0 "));

      byte[] huge = new byte[70_000];
      java.util.Arrays.fill(huge, (byte) 'a');
      raw.send(huge);
      assertTrue(raw.read().startsWith("ERR code=too-large "));
      assertEquals(null, raw.read(), "closed after an oversized line");
    }
    // the relay serves the next client as before
    try (RelayAdmin admin = RelayAdmin.connect(spool)) {
      assertEquals(0, admin.counts().messages());
    }
  }

  @Test
  void closingTheRelayEndsOpenAdminConnections() throws Exception {
    Path spool = dir.resolve("spool");
    RelayClient relay = h.start(h.relay().spoolDirectory(spool));
    try (RelayAdmin admin = RelayAdmin.connect(spool)) {
      assertEquals(0, admin.counts().messages());
      relay.close();
      RelayAdminException e = assertThrows(RelayAdminException.class, admin::counts);
      assertEquals("closed", e.code(), e.toString());
      assertTrue(e.getMessage().contains("admin.sock"), e.getMessage());
      RelayAdminException again = assertThrows(RelayAdminException.class, admin::counts);
      assertTrue(again.getMessage().contains("connect again"), again.getMessage());
    }
  }

  @Test
  void aStaleSocketIsReplacedAndAFileInTheWayRefused() throws Exception {
    Path spool = Files.createDirectories(dir.resolve("spool"));
    Path socket = spool.resolve(RelayAdmin.SOCKET_NAME);
    // a crashed relay leaves its socket file behind: nothing answers on it
    try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      dead.bind(UnixDomainSocketAddress.of(socket));
    }
    assertTrue(Files.exists(socket));
    assertThrows(ConnectException.class, () -> RelayAdmin.connect(spool));

    RelayClient relay = h.relay().spoolDirectory(spool).build();
    try (RelayAdmin admin = RelayAdmin.connect(spool)) {
      assertEquals(0, admin.counts().messages());
    } finally {
      relay.close();
    }
    assertFalse(Files.exists(socket));

    Files.writeString(socket, "not a socket");
    UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> h.relay().spoolDirectory(spool).build());
    assertTrue(e.getMessage().contains("not a socket") && e.getMessage().contains(socket.toString()), e.getMessage());
    Files.delete(socket);
    // the failed start released the spool: the next one opens it
    h.start(h.relay().spoolDirectory(spool));
  }

  @Test
  void anExplicitSocketServesAnyStoreAndRefusesOneAnotherProcessServes() throws Exception {
    Path taken = dir.resolve("taken.sock");
    try (ServerSocketChannel other = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      other.bind(UnixDomainSocketAddress.of(taken));
      UncheckedIOException e = assertThrows(UncheckedIOException.class,
          () -> h.relay().store(new InMemoryQueueStore()).adminSocket(taken).build());
      assertTrue(e.getMessage().contains("another process already serves"), e.getMessage());
    }

    Path mine = dir.resolve("mine.sock");
    RelayClient relay = h.start(h.relay().store(new InMemoryQueueStore()).adminSocket(mine));
    assertEquals(mine, relay.adminSocket().orElseThrow());
    h.mx("example.test", 2);
    QueueId id = relay.send(RelayClientMxTest.message("app@example.net", "x", "a@example.test")).queueId();
    try (RelayAdmin admin = RelayAdmin.connectSocket(mine, Duration.ofSeconds(30))) {
      assertEquals(relay.inspect(id), admin.inspect(id));
      assertEquals(Mailbox.parse("a@example.test"), admin.inspect(id).orElseThrow().recipients().get(0).mailbox());
    }

    RelayClient plain = h.start(h.relay().store(new InMemoryQueueStore()));
    assertTrue(plain.adminSocket().isEmpty(), "an application's store: no channel unless asked");
  }

  @Test
  void aSocketPathOverTheKernelLimitTurnsTheDefaultChannelOffAndRefusesAnExplicitOne() throws Exception {
    Path deep = dir;
    while (deep.resolve(RelayAdmin.SOCKET_NAME).toString().length() <= 107) {
      deep = deep.resolve("a-rather-long-directory-name");
    }
    RelayClient relay = h.start(h.relay().spoolDirectory(deep));
    assertTrue(relay.adminSocket().isEmpty(), "started without the channel");
    assertFalse(Files.exists(deep.resolve(RelayAdmin.SOCKET_NAME)));

    Path tooLong = deep.resolve(RelayAdmin.SOCKET_NAME);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> h.relay().adminSocket(tooLong));
    assertTrue(e.getMessage().contains("at most 107 bytes"), e.getMessage());

    Path spool = dir.resolve("off");
    RelayClient off = h.start(h.relay().spoolDirectory(spool).disableAdminSocket());
    assertTrue(off.adminSocket().isEmpty());
    assertFalse(Files.exists(spool.resolve(RelayAdmin.SOCKET_NAME)));
  }

  @Test
  void severalClientsAtOnceEachGetTheirAnswers() throws Exception {
    Path spool = dir.resolve("spool");
    RelayClient relay = h.start(h.relay().spoolDirectory(spool));
    h.mx("example.test", 2);
    List<QueueId> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(relay.send(RelayClientMxTest.message("app@example.net", "m" + i, "a" + i + "@example.test")).queueId());
    }
    List<RelayAdmin> admins = new ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) {
        admins.add(RelayAdmin.connect(spool));
      }
      for (int i = 0; i < 4; i++) {
        assertEquals(ids.get(i), admins.get(i).inspect(ids.get(i)).orElseThrow().id());
      }
    } finally {
      for (RelayAdmin a : admins) {
        a.close();
      }
    }
  }
}
