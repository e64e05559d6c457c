package org.relaymail.relay.internal.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.SmtpReply;
import org.relaymail.queue.BodyKind;
import org.relaymail.queue.FailureClass;
import org.relaymail.queue.MessageStatus;
import org.relaymail.queue.NotifyCondition;
import org.relaymail.queue.QueueCounts;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.QueueQuery;
import org.relaymail.queue.QueuedMessage;
import org.relaymail.queue.RecipientRecord;
import org.relaymail.queue.RecipientState;
import org.relaymail.queue.ReturnOption;

/** The protocol's lines and values: escaping, framing safety, round trips of every field. */
class AdminCodecTest {
  /** Fixed seeds; a failure names its seed. */
  private static final long[] SEEDS = {1L, 42L, 20250602L, 0xC0FFEEL, -7L};

  private static String randomText(Random r) {
    StringBuilder sb = new StringBuilder();
    int n = r.nextInt(40);
    for (int i = 0; i < n; i++) {
      switch (r.nextInt(6)) {
        case 0 -> sb.append("\r\n %=\u0000\t".charAt(r.nextInt(7)));
        case 1 -> sb.appendCodePoint(0x80 + r.nextInt(0x700));
        case 2 -> sb.appendCodePoint(0x1F300 + r.nextInt(200)); // outside the BMP
        case 3 -> sb.append("%0A");
        default -> sb.append((char) (0x20 + r.nextInt(0x5f)));
      }
    }
    return sb.toString();
  }

  @Test
  void anyValueRoundTripsAndTheLineStaysPrintableAsciiWithoutCrLf() {
    for (long seed : SEEDS) {
      Random r = new Random(seed);
      for (int i = 0; i < 500; i++) {
        String a = randomText(r);
        String b = randomText(r);
        AdminLine line = AdminLine.of("x").put("a", a).put("b", b).put("a", b).build();
        String wire = line.encode();
        assertTrue(wire.chars().allMatch(c -> c >= 0x20 && c <= 0x7e), "seed " + seed + ": " + wire);
        AdminLine back = AdminLine.parse(wire);
        assertEquals(line, back, "seed " + seed);
        assertEquals(List.of(a, b), back.all("a"), "seed " + seed);
      }
    }
  }

  @Test
  void malformedLinesAreRefusedWithTheReason() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> AdminLine.parse("x a=%4")).getMessage()
        .contains("truncated"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> AdminLine.parse("x a=%G1")).getMessage()
        .contains("bad %-escape"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> AdminLine.parse("x a=%FF")).getMessage()
        .contains("not UTF-8"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> AdminLine.parse("x novalue")).getMessage()
        .contains("not key=value"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> AdminLine.parse("x a=1\r")).getMessage()
        .contains("U+000D"));
    assertThrows(IllegalArgumentException.class, () -> AdminLine.parse(""));
    assertThrows(IllegalArgumentException.class, () -> AdminLine.parse("x =v"));
  }

  private static RecipientRecord record(String mailbox, RecipientState state, int attempts, Optional<SmtpReply> reply,
      FailureClass failure, boolean bounced) {
    Instant t = Instant.parse("2025-06-02T10:15:00.123Z");
    return new RecipientRecord(Mailbox.parse(mailbox), attempts == 0 ? Set.of() : EnumSet.of(NotifyCondition.FAILURE,
        NotifyCondition.DELAY), attempts == 0 ? Optional.empty() : Optional.of("rfc822;" + mailbox), state, attempts,
        attempts == 0 ? Optional.empty() : Optional.of(t), attempts == 0 ? Optional.empty() : Optional.of(t.plusSeconds(900)),
        reply, reply.map(x -> "mx.example.org[127.0.0.2]:25"), failure, attempts > 1, bounced);
  }

  @Test
  void aMessageWithEveryFieldRoundTrips() {
    SmtpReply odd = SmtpReply.of(451, "4.7.1 Grüße – später % = %0A", "", "line ☃ three");
    QueuedMessage m = new QueuedMessage(new QueueId("20250602T100000-0001_x"), Mailbox.parse("app@bücher.example"),
        List.of(
            record("pending@example.org", RecipientState.PENDING, 0, Optional.empty(), FailureClass.NONE, false),
            record("d@example.org", RecipientState.DEFERRED, 2, Optional.of(odd), FailureClass.THROTTLED, false),
            record("ok@example.org", RecipientState.DELIVERED, 1, Optional.of(SmtpReply.of(250, "2.0.0 ok")),
                FailureClass.NONE, false),
            record("gone@example.org", RecipientState.FAILED, 1,
                Optional.of(SmtpReply.of(550, "5.1.1 no such user")), FailureClass.UNKNOWN_RECIPIENT, true),
            record("\"john doe\"@example.org", RecipientState.EXPIRED, 3, Optional.of(SmtpReply.of(421)),
                FailureClass.TIMEOUT, false)),
        Optional.of("order-42"), Optional.of(ReturnOption.HDRS), BodyKind.EIGHT_BIT_MIME, true,
        Instant.parse("2025-06-02T10:00:00Z"), 12345, Optional.of("tenant-a"), Set.of("tag one", "x=y", "%"),
        Optional.of("idem-1"), Instant.parse("2025-06-02T10:30:00Z"), true,
        Optional.of(Instant.parse("2025-06-02T10:05:00Z")));
    List<AdminLine> lines = new ArrayList<>();
    for (AdminLine l : AdminCodec.message(m)) {
      lines.add(AdminLine.parse(l.encode()));
    }
    assertEquals(6, lines.size());
    assertEquals(m, AdminCodec.message(lines, 0));

    QueuedMessage bounce = new QueuedMessage(new QueueId("b1"), Mailbox.NULL,
        List.of(record("app@example.com", RecipientState.PENDING, 0, Optional.empty(), FailureClass.NONE, false)),
        Optional.empty(), Optional.empty(), BodyKind.SEVEN_BIT, false, Instant.EPOCH, 0, Optional.empty(), Set.of(),
        Optional.empty(), Instant.EPOCH, false, Optional.empty());
    assertEquals(bounce, AdminCodec.message(AdminCodec.message(bounce), 0));
  }

  @Test
  void aMessageMissingItsRecipientLinesIsRefused() {
    QueuedMessage m = new QueuedMessage(new QueueId("b1"), Mailbox.NULL,
        List.of(record("app@example.com", RecipientState.PENDING, 0, Optional.empty(), FailureClass.NONE, false)),
        Optional.empty(), Optional.empty(), BodyKind.SEVEN_BIT, false, Instant.EPOCH, 0, Optional.empty(), Set.of(),
        Optional.empty(), Instant.EPOCH, false, Optional.empty());
    List<AdminLine> lines = AdminCodec.message(m);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> AdminCodec.message(lines.subList(0, 1), 0));
    assertTrue(e.getMessage().contains("announces 1 recipient lines but 0 follow"), e.getMessage());
  }

  @Test
  void queriesAndCountsRoundTrip() {
    QueueQuery q = QueueQuery.builder().status(MessageStatus.HELD).status(MessageStatus.DEFERRED).tenant("t 1\r\n")
        .tag("☃").senderDomain("Example.COM").recipientDomain("bücher.example").after(new QueueId("abc")).limit(17)
        .build();
    assertEquals(q, AdminCodec.query(AdminLine.parse(AdminCodec.list(q).encode())));
    assertEquals(QueueQuery.all(), AdminCodec.query(AdminLine.parse(AdminCodec.list(QueueQuery.all()).encode())));

    Map<MessageStatus, Long> s = new EnumMap<>(MessageStatus.class);
    s.put(MessageStatus.QUEUED, 2L);
    s.put(MessageStatus.DEFERRED, 5L);
    Map<RecipientState, Long> r = new EnumMap<>(RecipientState.class);
    r.put(RecipientState.DEFERRED, 9L);
    r.put(RecipientState.DELIVERED, 1L);
    QueueCounts c = new QueueCounts(7, s, r);
    assertEquals(c, AdminCodec.counts(AdminLine.parse(AdminCodec.counts(c).encode())));
    assertThrows(IllegalArgumentException.class, () -> AdminCodec.counts(AdminLine.parse("counts messages=3")),
        "counts that do not add up are refused");
  }
}
