package org.relaymail.relay.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.relaymail.protocol.EnhancedStatus;
import org.relaymail.protocol.InvalidAddressException;
import org.relaymail.relay.InvalidMessageException;
import org.relaymail.relay.OutgoingMessage;

class MessagePreparerTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2025-06-03T10:15:30Z"), ZoneOffset.ofHours(2));

  private final MessagePreparer preparer =
      new MessagePreparer("Relay.Example.COM", CLOCK, true, true, 50, 10_000, () -> "abc123");

  private static OutgoingMessage message(String content) {
    return message(content.getBytes(StandardCharsets.UTF_8));
  }

  private static OutgoingMessage message(byte[] content) {
    return OutgoingMessage.builder()
        .sender("sender@example.com")
        .recipient("rcpt@example.net")
        .content(content)
        .build();
  }

  private static String text(PreparedMessage p) {
    return new String(p.content(), StandardCharsets.UTF_8);
  }

  @Test
  void addsReceivedMessageIdAndDateAndCanonicalLineEndings() throws IOException {
    PreparedMessage p = preparer.prepare(message("From: a@example.com\nSubject: hi\n\nline 1\rline 2"), "Q42");
    assertEquals(
        "Received: by relay.example.com (relaymail) id Q42;\r\n"
            + "\tTue, 3 Jun 2025 12:15:30 +0200\r\n"
            + "From: a@example.com\r\n"
            + "Subject: hi\r\n"
            + "Message-ID: <abc123@relay.example.com>\r\n"
            + "Date: Tue, 3 Jun 2025 12:15:30 +0200\r\n"
            + "\r\n"
            + "line 1\r\n"
            + "line 2\r\n",
        text(p));
    assertEquals(Optional.of("abc123@relay.example.com"), p.messageId());
    assertFalse(p.smtpUtf8());
    assertFalse(p.eightBit());
  }

  @Test
  void keepsExistingMessageIdAndDateAndAddsOnlyReceived() throws IOException {
    String original =
        "Date: Mon, 2 Jun 2025 08:00:00 +0000\r\n"
            + "Message-ID:\r\n <orig@example.com>\r\n"
            + "From: a@example.com\r\n\r\nbody\r\n";
    PreparedMessage p = preparer.prepare(message(original), null);
    assertEquals(
        "Received: by relay.example.com (relaymail);\r\n\tTue, 3 Jun 2025 12:15:30 +0200\r\n" + original,
        text(p));
    assertEquals(Optional.of("orig@example.com"), p.messageId());
  }

  @Test
  void addingDateAndMessageIdCanBeTurnedOff() throws IOException {
    MessagePreparer plain = new MessagePreparer("relay.example.com", CLOCK, false, false, 50, 10_000, () -> "x");
    PreparedMessage p = plain.prepare(message("From: a@example.com\r\n\r\nbody\r\n"), null);
    assertEquals(
        "Received: by relay.example.com (relaymail);\r\n\tTue, 3 Jun 2025 12:15:30 +0200\r\n"
            + "From: a@example.com\r\n\r\nbody\r\n",
        text(p));
    assertEquals(Optional.empty(), p.messageId());
  }

  @Test
  void bodyWithoutSeparatorGetsOneAndHeaderOnlyMessagesStayHeaderOnly() throws IOException {
    PreparedMessage p = preparer.prepare(message("From: a@example.com\r\nnot a header line\r\n"), null);
    assertTrue(text(p).endsWith("Date: Tue, 3 Jun 2025 12:15:30 +0200\r\n\r\nnot a header line\r\n"), text(p));
    PreparedMessage h = preparer.prepare(message("From: a@example.com"), null);
    assertTrue(text(h).endsWith("From: a@example.com\r\nMessage-ID: <abc123@relay.example.com>\r\n"
        + "Date: Tue, 3 Jun 2025 12:15:30 +0200\r\n"), text(h));
  }

  @Test
  void messageWithoutFromIsRefused() {
    InvalidMessageException e =
        assertThrows(InvalidMessageException.class,
            () -> preparer.prepare(message("Subject: no sender\r\n\r\nbody\r\n"), null));
    assertTrue(e.getMessage().contains("no From header field"), e.getMessage());
    assertEquals(EnhancedStatus.of(5, 6, 0), e.status());
    // "From" in the body does not count.
    assertThrows(InvalidMessageException.class,
        () -> preparer.prepare(message("Subject: x\r\n\r\nFrom: a@example.com\r\n"), null));
  }

  @Test
  void fiftyReceivedFieldsAreALoop() throws IOException {
    String hop = "Received: from a by b; Mon, 2 Jun 2025 08:00:00 +0000\r\n";
    String from = "From: a@example.com\r\n\r\nbody\r\n";
    InvalidMessageException e =
        assertThrows(InvalidMessageException.class, () -> preparer.prepare(message(hop.repeat(50) + from), null));
    assertEquals(EnhancedStatus.of(5, 4, 6), e.status());
    assertTrue(e.getMessage().contains("50 Received"), e.getMessage());
    PreparedMessage ok = preparer.prepare(message(hop.repeat(49) + from), null);
    assertEquals(50, MessageHeaders.parse(ok.content()).count("Received"));
  }

  @Test
  void overlongLineIsRefusedWithItsNumber() {
    String content = "From: a@example.com\r\n\r\nshort\r\n" + "x".repeat(999) + "\r\n";
    InvalidMessageException e =
        assertThrows(InvalidMessageException.class, () -> preparer.prepare(message(content), null));
    assertTrue(e.getMessage().contains("line 4 is 999 octets"), e.getMessage());
  }

  @Test
  void tooLargeIsRefused() {
    String content = "From: a@example.com\r\n\r\n" + "y".repeat(10_000);
    InvalidMessageException e =
        assertThrows(InvalidMessageException.class, () -> preparer.prepare(message(content), null));
    assertEquals(EnhancedStatus.of(5, 3, 4), e.status());
  }

  @Test
  void utf8HeadersNeedSmtpUtf8AndEightBitBodiesAreFlagged() throws IOException {
    PreparedMessage u = preparer.prepare(message("From: Jürgen <j@example.com>\r\n\r\nplain\r\n"), null);
    assertTrue(u.smtpUtf8());
    assertTrue(u.eightBit());
    PreparedMessage b = preparer.prepare(message("From: j@example.com\r\n\r\nGrüße\r\n"), null);
    assertFalse(b.smtpUtf8());
    assertTrue(b.eightBit());
    OutgoingMessage utf8Rcpt =
        OutgoingMessage.builder().sender("a@example.com").recipient("jürgen@example.de")
            .content("From: a@example.com\r\n\r\nx\r\n".getBytes(StandardCharsets.US_ASCII)).build();
    assertTrue(preparer.prepare(utf8Rcpt, null).smtpUtf8());
  }

  @Test
  void readsFilesAndReportsUnreadableContent(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("m.eml");
    Files.write(file, "From: a@example.com\n\nfile body\n".getBytes(StandardCharsets.US_ASCII));
    OutgoingMessage m = OutgoingMessage.builder().sender("a@example.com").recipient("b@example.com").content(file).build();
    assertTrue(text(preparer.prepare(m, null)).endsWith("\r\n\r\nfile body\r\n"));
    OutgoingMessage missing =
        OutgoingMessage.builder().sender("a@example.com").recipient("b@example.com").content(dir.resolve("nope")).build();
    assertThrows(IOException.class, () -> preparer.prepare(missing, null));
  }

  @Test
  void addressesWithCrLfAreRefusedAtTheBoundary() {
    assertThrows(InvalidAddressException.class,
        () -> OutgoingMessage.builder().recipient("a@example.com\r\nRCPT TO:<b@example.com>"));
    assertThrows(InvalidAddressException.class, () -> OutgoingMessage.builder().sender("a\n@example.com"));
    IllegalArgumentException envid =
        assertThrows(IllegalArgumentException.class, () -> OutgoingMessage.builder().envelopeId("a\r\nb"));
    assertTrue(envid.getMessage().contains("ENVID"), envid.getMessage());
    IllegalStateException incomplete =
        assertThrows(IllegalStateException.class, () -> OutgoingMessage.builder().sender("a@example.com").build());
    assertTrue(incomplete.getMessage().contains("at least one recipient"), incomplete.getMessage());
  }

  @Test
  void duplicateRecipientsAreDropped() {
    OutgoingMessage m =
        OutgoingMessage.builder().sender("a@example.com").recipient("b@example.com").recipient("b@EXAMPLE.com")
            .recipient("c@example.com").content(new byte[] {'x'}).build();
    assertEquals(2, m.recipients().size());
  }

  @Test
  void heloNameMustBeFullyQualified() {
    for (String bad : new String[] {"localhost", "mail", "192.0.2.1", "-bad.example.com", "a..example.com",
        "under_score.example.com", "localhost.localdomain", "", "x.".repeat(130) + "com"}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> HostNames.requireFqdn(bad, "HELO name"), bad);
      assertTrue(e.getMessage().startsWith("HELO name"), e.getMessage());
    }
    assertEquals("mail.example.com", HostNames.requireFqdn("Mail.Example.com.", "HELO name"));
    assertEquals("mx.xn--bcher-kva.example", HostNames.requireFqdn("mx.bücher.example", "HELO name"));
    assertThrows(IllegalArgumentException.class,
        () -> new MessagePreparer("localhost", CLOCK, true, true, 50, 10, () -> "x"));
  }

  @Test
  void canonicalInputIsKeptByteForByteAfterTheAddedFields() throws IOException {
    byte[] original = "From: a@example.com\r\nDate: x\r\nMessage-ID: <m@x>\r\n\r\n.leading dot\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    byte[] out = preparer.prepare(message(original), null).content();
    byte[] tail = java.util.Arrays.copyOfRange(out, out.length - original.length, out.length);
    assertArrayEquals(original, tail);
  }
}
