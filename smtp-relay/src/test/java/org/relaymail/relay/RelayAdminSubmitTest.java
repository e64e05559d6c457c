package org.relaymail.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.relaymail.protocol.DsnNotify;
import org.relaymail.protocol.DsnReturn;
import org.relaymail.protocol.Mailbox;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.QueueQuery;
import org.relaymail.relay.internal.admin.LineChannel;
import org.relaymail.testsupport.ReceivedMessage;
import org.relaymail.testsupport.ScriptedSmtpServer;

/**
 * {@link RelayAdmin#submit}: a message queued through the admin channel of a {@link RelayClient}
 * running on a temporary spool goes the relay's usual way (validation, preparation, queue,
 * delivery to a loopback MX); bad input, oversized and cut-off submissions queue nothing.
 */
class RelayAdminSubmitTest {
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

  private static long deadline() {
    return System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
  }

  @Test
  void aSubmittedMessageIsQueuedAndDeliveredByTheRelay() throws Exception {
    h.mx("example.test", 2);
    ScriptedSmtpServer mx = h.server(2, b -> b.dsn(true));
    Path spool = dir.resolve("spool");
    RelayClient relay = h.start(h.relay().spoolDirectory(spool));
    String text = "From: <app@example.net>\r\nTo: a@example.test\r\nSubject: via admin\r\n\r\nHello % = \u00e9\r\n";
    OutgoingMessage m = OutgoingMessage.builder().sender("app@example.net")
        .recipient(new Recipient(Mailbox.parse("a@example.test"), EnumSet.of(DsnNotify.FAILURE, DsnNotify.DELAY),
            Optional.of("orig@example.org")))
        .recipient(Mailbox.parse("b@example.test"))
        .dsnReturn(DsnReturn.HDRS).envelopeId("env=42")
        .content(text.getBytes(StandardCharsets.UTF_8)).build();

    final QueueId id;
    try (RelayAdmin admin = RelayAdmin.connect(spool)) {
      id = admin.submit(m);
      // the connection stays in step after a submission
      assertTrue(admin.counts().messages() <= 1);
    }
    ReceivedMessage got = mx.awaitMessages(1, Duration.ofSeconds(60)).get(0);
    assertEquals("app@example.net", got.sender());
    assertEquals(List.of("a@example.test", "b@example.test"), got.recipients());
    assertEquals("HDRS", got.mailParameters().get("RET"));
    assertEquals("env+3D42", got.mailParameters().get("ENVID"), "ENVID travels xtext-encoded");
    String content = got.contentAsString();
    assertTrue(content.startsWith("Received: "), "prepared by the relay: " + content);
    assertTrue(content.contains("Subject: via admin\r\n"), content);
    assertTrue(content.contains("Hello % = \u00e9\r\n"), "content bytes unchanged: " + content);
    assertTrue(content.contains("\r\nMessage-ID: ") || content.contains("\r\nMessage-Id: "), content);
    RecordingListener.await("the delivery report", Duration.ofSeconds(60),
        () -> h.events.completed.stream().anyMatch(r -> r.queueId().equals(id)));
    DeliveryReport report = h.events.completed.stream().filter(r -> r.queueId().equals(id)).findFirst().orElseThrow();
    assertTrue(report.recipients().stream().allMatch(RecipientReport::delivered), report.toString());
  }

  @Test
  void anInvalidMessageIsRefusedAsBadInputAndNothingIsQueued() throws Exception {
    Path spool = dir.resolve("spool");
    h.start(h.relay().spoolDirectory(spool));
    OutgoingMessage noFrom = OutgoingMessage.builder().sender("app@example.net").recipient("a@example.test")
        .content("Subject: no from\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)).build();
    try (RelayAdmin admin = RelayAdmin.connect(spool)) {
      InvalidMessageException e = assertThrows(InvalidMessageException.class, () -> admin.submit(noFrom));
      assertTrue(e.getMessage().contains("From"), e.getMessage());
      assertEquals(0, admin.counts().messages(), "nothing queued, and the connection is still in step");
      assertTrue(admin.list(QueueQuery.all()).messages().isEmpty());
    }
  }

  @Test
  void aBadAddressIsRefusedBeforeAnyByteAndNothingIsQueued() throws Exception {
    Path spool = dir.resolve("spool");
    RelayClient relay = h.start(h.relay().spoolDirectory(spool));
    try (LineChannel io = new LineChannel(SocketChannel.open(UnixDomainSocketAddress.of(relay.adminSocket().orElseThrow())))) {
      io.writeLines(List.of("RELAYMAIL-ADMIN version=1"), deadline());
      assertEquals("OK version=1", io.readLine(1 << 20, deadline()));
      io.writeLines(List.of("submit sender=app@example.net rcpt=a%0D%0Ab@example.test notify= orcpt= size=5"), deadline());
      String answer = io.readLine(1 << 20, deadline());
      assertTrue(answer.startsWith("ERR code=invalid-message "), answer);
      io.writeLines(List.of("submit sender=app@example.net rcpt=a@example.test notify=SOMETIMES orcpt= size=5"), deadline());
      answer = io.readLine(1 << 20, deadline());
      assertTrue(answer.startsWith("ERR code=bad-request "), answer);
      io.writeLines(List.of("counts"), deadline());
      assertEquals("OK lines=1", io.readLine(1 << 20, deadline()), "no bytes were expected: still in step");
      assertTrue(io.readLine(1 << 20, deadline()).startsWith("counts messages=0 "));
    }
    assertEquals(0, relay.counts().messages());
  }

  @Test
  void anOversizedMessageIsRefusedBeforeItsBytes() throws Exception {
    Path spool = dir.resolve("spool");
    RelayClient relay = h.start(h.relay().spoolDirectory(spool).maxMessageSize(1_000));
    byte[] big = ("From: <app@example.net>\r\nTo: a@example.test\r\n\r\n" + "x".repeat(70) + "\r\n").repeat(30)
        .getBytes(StandardCharsets.US_ASCII);
    OutgoingMessage m = OutgoingMessage.builder().sender("app@example.net").recipient("a@example.test").content(big).build();
    try (RelayAdmin admin = RelayAdmin.connect(spool)) {
      RelayAdminException e = assertThrows(RelayAdminException.class, () -> admin.submit(m));
      assertEquals("too-large", e.code());
      assertTrue(e.getMessage().contains("1000"), e.getMessage());
    }
    try (LineChannel io = new LineChannel(SocketChannel.open(UnixDomainSocketAddress.of(relay.adminSocket().orElseThrow())))) {
      io.writeLines(List.of("RELAYMAIL-ADMIN version=1"), deadline());
      assertEquals("OK version=1", io.readLine(1 << 20, deadline()));
      io.writeLines(List.of("submit sender=app@example.net rcpt=a@example.test notify= orcpt= size=99999999999"),
          deadline());
      assertTrue(io.readLine(1 << 20, deadline()).startsWith("ERR code=too-large "));
    }
    assertEquals(0, relay.counts().messages());
  }

  @Test
  void aClientThatStopsMidMessageQueuesNothing() throws Exception {
    Path spool = dir.resolve("spool");
    RelayClient relay = h.start(h.relay().spoolDirectory(spool));
    try (LineChannel io = new LineChannel(SocketChannel.open(UnixDomainSocketAddress.of(relay.adminSocket().orElseThrow())))) {
      io.writeLines(List.of("RELAYMAIL-ADMIN version=1"), deadline());
      assertEquals("OK version=1", io.readLine(1 << 20, deadline()));
      io.writeLines(List.of("submit sender=app@example.net rcpt=a@example.test notify= orcpt= size=500"), deadline());
      assertEquals("READY size=500", io.readLine(1 << 20, deadline()));
      io.write("From: <app@example.net>\r\nTo: a@example.test\r\n\r\nhalf".getBytes(StandardCharsets.US_ASCII), deadline());
      io.channel().shutdownOutput();
      assertNull(io.readLine(1 << 20, deadline()), "the relay ends the connection without an answer");
    }
    try (RelayAdmin admin = RelayAdmin.connect(spool)) {
      assertEquals(0, admin.counts().messages());
    }
    assertEquals(0, relay.counts().messages());
  }

  @Test
  void aRelayWithoutSubmitGivesAClearError() throws Exception {
    Path socket = dir.resolve("old.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      Thread old = new Thread(() -> {
        try (LineChannel io = new LineChannel(server.accept())) {
          io.readLine(1 << 16, deadline());
          io.writeLines(List.of("OK version=1"), deadline());
          io.readLine(1 << 16, deadline());
          io.writeLines(List.of("ERR code=unknown-operation message=no%20admin%20operation%20'submit'%20in%20version%201"),
              deadline());
          io.readLine(1 << 16, deadline()); // until the client closes
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }, "old-relay");
      old.setDaemon(true);
      old.start();
      OutgoingMessage m = RelayClientMxTest.message("app@example.net", "x", "a@example.test");
      try (RelayAdmin admin = RelayAdmin.connectSocket(socket, Duration.ofSeconds(30))) {
        RelayAdminException e = assertThrows(RelayAdminException.class, () -> admin.submit(m));
        assertEquals("unknown-operation", e.code());
        assertTrue(e.getMessage().contains("too old to take submissions"), e.getMessage());
      }
      old.join(TimeUnit.SECONDS.toMillis(30));
    }
  }
}
