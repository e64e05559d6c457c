package org.relaymail.relay.internal.admin;

import org.relaymail.relay.QueueAdministration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.relaymail.queue.MessageStatus;
import org.relaymail.queue.QueueCounts;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.QueuePage;
import org.relaymail.queue.QueueQuery;
import org.relaymail.queue.QueuedMessage;
import org.relaymail.queue.RecipientState;
import org.relaymail.relay.RelayAdmin;
import org.relaymail.relay.RelayAdminException;

/** The server's limits (idle timeout, connection cap, close) and error answers, on a real socket. */
class AdminServerTest {
  @TempDir
  Path dir;
  private AdminServer server;

  @AfterEach
  void tearDown() {
    if (server != null) {
      server.close();
    }
  }

  /** Answers with fixed values, or fails as told. Thread-safe. */
  static final class FixedOperations implements AdminOperations, QueueAdministration {
    volatile IOException failure;

    private void maybeFail() throws IOException {
      IOException f = failure;
      if (f != null) {
        throw f;
      }
    }

    @Override
    public QueuePage list(QueueQuery query) throws IOException {
      maybeFail();
      return new QueuePage(List.of(), Optional.empty());
    }

    @Override
    public Optional<QueuedMessage> inspect(QueueId id) throws IOException {
      maybeFail();
      return Optional.empty();
    }

    @Override
    public QueueCounts counts() throws IOException {
      maybeFail();
      Map<MessageStatus, Long> s = new EnumMap<>(MessageStatus.class);
      s.put(MessageStatus.QUEUED, 3L);
      return new QueueCounts(3, s, Map.of(RecipientState.PENDING, 4L));
    }

    @Override
    public boolean hold(QueueId id) throws IOException {
      maybeFail();
      return id.value().equals("known");
    }

    @Override
    public boolean release(QueueId id) throws IOException {
      return hold(id);
    }

    @Override
    public boolean retryNow(QueueId id) throws IOException {
      return hold(id);
    }

    @Override
    public int retryAllNow() throws IOException {
      maybeFail();
      return 7;
    }

    @Override
    public boolean delete(QueueId id) throws IOException {
      return hold(id);
    }

    @Override
    public boolean bounce(QueueId id) throws IOException {
      return hold(id);
    }

    @Override
    public Optional<byte[]> headerSection(QueueId id, int maxBytes) throws IOException {
      maybeFail();
      return Optional.empty();
    }
  }

  private LineChannel connect(Path socket) throws IOException {
    return new LineChannel(SocketChannel.open(UnixDomainSocketAddress.of(socket)));
  }

  private static long in30s() {
    return System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
  }

  private static void await(String what, BooleanSupplier c) {
    long deadline = in30s();
    while (!c.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
  }

  @Test
  void aSilentClientIsDisconnectedAfterTheIdleTimeout() throws Exception {
    Path socket = dir.resolve("a.sock");
    server = AdminServer.start(socket, new FixedOperations(), new AdminServer.Settings(4, Duration.ofMillis(300),
        Duration.ofSeconds(5)));
    try (LineChannel silent = connect(socket); LineChannel afterHello = connect(socket)) {
      afterHello.writeLines(List.of("RELAYMAIL-ADMIN version=1"), in30s());
      assertEquals("OK version=1", afterHello.readLine(1000, in30s()));
      // neither sends a request: the server hangs up on both within a generous deadline
      assertNull(silent.readLine(1000, in30s()), "closed by the server");
      assertNull(afterHello.readLine(1000, in30s()), "closed by the server");
    }
    await("no connection left", () -> server.connections() == 0);
  }

  @Test
  void connectionsOverTheCapAreToldBusy() throws Exception {
    Path socket = dir.resolve("a.sock");
    server = AdminServer.start(socket, new FixedOperations(), new AdminServer.Settings(1, Duration.ofSeconds(60),
        Duration.ofSeconds(5)));
    try (LineChannel first = connect(socket)) {
      first.writeLines(List.of("RELAYMAIL-ADMIN version=1"), in30s());
      assertEquals("OK version=1", first.readLine(1000, in30s()));
      try (LineChannel second = connect(socket)) {
        String busy = second.readLine(1000, in30s());
        assertTrue(busy.startsWith("ERR code=busy "), busy);
        assertNull(second.readLine(1000, in30s()));
      }
      RelayAdminException e = assertThrows(RelayAdminException.class,
          () -> RelayAdmin.connectSocket(socket, Duration.ofSeconds(30)));
      assertEquals("busy", e.code());
      assertTrue(e.getMessage().contains("at most 1 admin connections"), e.getMessage());
    }
    await("the first connection ended", () -> server.connections() == 0);
    try (RelayAdmin admin = RelayAdmin.connectSocket(socket, Duration.ofSeconds(30))) {
      assertEquals(3, admin.counts().messages());
    }
  }

  @Test
  void aStoreFailureComesBackAsAnExceptionWithTheRelaysMessage() throws Exception {
    Path socket = dir.resolve("a.sock");
    FixedOperations ops = new FixedOperations();
    server = AdminServer.start(socket, ops, AdminServer.Settings.defaults());
    try (RelayAdmin admin = RelayAdmin.connectSocket(socket, Duration.ofSeconds(30))) {
      assertEquals(7, admin.retryAllNow());
      assertTrue(admin.hold(new QueueId("known")));
      assertFalse(admin.hold(new QueueId("unknown")));
      QueueCounts c = admin.counts();
      assertEquals(3, c.count(MessageStatus.QUEUED));
      assertEquals(4, c.recipients(RecipientState.PENDING));

      ops.failure = new IOException("disk on fire:\r\nline two ☃");
      RelayAdminException e = assertThrows(RelayAdminException.class, () -> admin.hold(new QueueId("known")));
      assertEquals("io", e.code());
      assertEquals("disk on fire:\r\nline two ☃", e.getMessage());
      ops.failure = null;
      assertTrue(admin.hold(new QueueId("known")), "the connection is still usable after an error answer");
    }
  }

  @Test
  void closeEndsConnectionsAndDeletesTheSocket() throws Exception {
    Path socket = dir.resolve("a.sock");
    server = AdminServer.start(socket, new FixedOperations(), AdminServer.Settings.defaults());
    try (LineChannel c = connect(socket)) {
      c.writeLines(List.of("RELAYMAIL-ADMIN version=1"), in30s());
      assertEquals("OK version=1", c.readLine(1000, in30s()));
      await("the connection is served", () -> server.connections() == 1);
      server.close();
      assertNull(c.readLine(1000, in30s()));
    }
    assertFalse(Files.exists(socket));
    assertEquals(0, server.connections());
  }

  @Test
  void aClientGivesUpOnARelayThatDoesNotAnswer() throws Exception {
    Path socket = dir.resolve("mute.sock");
    try (ServerSocketChannel mute = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      mute.bind(UnixDomainSocketAddress.of(socket));
      // accepted by the kernel, never answered
      RelayAdminException e = assertThrows(RelayAdminException.class,
          () -> RelayAdmin.connectSocket(socket, Duration.ofMillis(300)));
      assertEquals("timeout", e.code(), e.toString());
    }
  }

  @Test
  void aClientRefusesAGarbledAnswer() throws Exception {
    Path socket = dir.resolve("garbled.sock");
    try (ServerSocketChannel fake = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      fake.bind(UnixDomainSocketAddress.of(socket));
      Thread t = new Thread(() -> {
        try (LineChannel c = new LineChannel(fake.accept())) {
          c.readLine(1000, in30s());
          c.writeLines(List.of("OK version=1"), in30s());
          c.readLine(1000, in30s());
          c.writeLines(List.of("OK lines=1", "message id=x"), in30s());
          c.readLine(1000, in30s());
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      t.start();
      try (RelayAdmin admin = RelayAdmin.connectSocket(socket, Duration.ofSeconds(30))) {
        RelayAdminException e = assertThrows(RelayAdminException.class, () -> admin.inspect(new QueueId("x")));
        assertEquals("protocol", e.code());
      }
      t.join(30_000);
    }
  }

  @Test
  void startRefusesANonSocketInTheWay() throws Exception {
    Path socket = Files.createDirectory(dir.resolve("a.sock"));
    IOException e = assertThrows(IOException.class,
        () -> AdminServer.start(socket, new FixedOperations(), AdminServer.Settings.defaults()));
    assertTrue(e.getMessage().contains("directory is in the way"), e.getMessage());
    assertTrue(Files.isDirectory(socket), "left alone");
  }
}
