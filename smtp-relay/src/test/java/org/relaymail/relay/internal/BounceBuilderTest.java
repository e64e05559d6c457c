package org.relaymail.relay.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.relaymail.protocol.DeliveryStatusReport;
import org.relaymail.protocol.DsnNotify;
import org.relaymail.protocol.DsnReturn;
import org.relaymail.protocol.EnhancedStatus;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.RecipientStatus;
import org.relaymail.protocol.SmtpReply;
import org.relaymail.queue.FailureClass;
import org.relaymail.relay.OutgoingMessage;
import org.relaymail.relay.Recipient;

class BounceBuilderTest {
  private static final Instant ARRIVAL = Instant.parse("2025-06-03T10:00:00Z");
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2025-06-03T10:20:00Z"), ZoneOffset.UTC);
  private final MessagePreparer preparer =
      new MessagePreparer("relay.example.com", CLOCK, true, true, 50, 1_000_000, () -> "orig1");
  private final BounceBuilder bounces = new BounceBuilder("relay.example.com", CLOCK, 2_000, () -> "dsn1");

  private PreparedMessage prepare(OutgoingMessage.Builder b, String content) throws IOException {
    return preparer.prepare(b.content(content.getBytes(StandardCharsets.UTF_8)).build(), "Q1");
  }

  private static OutgoingMessage.Builder envelope() {
    return OutgoingMessage.builder()
        .sender("alice@example.com")
        .recipient("bob@example.net")
        .recipient(new Recipient(Mailbox.parse("carol@example.org"), Set.of(), Optional.of("carol@old.example")))
        .recipient(Mailbox.parse("dave@example.org"), Set.of(DsnNotify.NEVER))
        .envelopeId("ENV-42");
  }

  private static BounceBuilder.RecipientReport failed(PreparedMessage m, int i, SmtpReply reply, FailureClass c) {
    return new BounceBuilder.RecipientReport(
        m.recipients().get(i), reply.enhancedStatus().orElse(EnhancedStatus.of(5, 0, 0)), Optional.of(reply),
        Optional.of("mx.example.net"), c, "", ARRIVAL.plusSeconds(60));
  }

  @Test
  void bounceRoundTripsThroughTheReportParser() throws IOException {
    PreparedMessage m = prepare(envelope(), "From: alice@example.com\r\nSubject: hello\r\n\r\nbody text\r\n");
    SmtpReply unknown = SmtpReply.of(550, "5.1.1 <bob@example.net>: Recipient address rejected: User unknown");
    SmtpReply full = SmtpReply.of(552, "5.2.2 Mailbox full – sorry");
    List<BounceBuilder.RecipientReport> reports =
        List.of(
            failed(m, 0, unknown, FailureClass.UNKNOWN_RECIPIENT),
            failed(m, 1, full, FailureClass.MAILBOX_FULL),
            failed(m, 2, unknown, FailureClass.UNKNOWN_RECIPIENT));
    BounceBuilder.Notice n = bounces.failure(m, ARRIVAL, reports).orElseThrow();
    assertEquals(Mailbox.NULL, n.sender());
    assertEquals(Mailbox.parse("alice@example.com"), n.recipient());
    assertFalse(n.smtpUtf8());
    String raw = new String(n.content(), StandardCharsets.US_ASCII);
    assertTrue(raw.contains("Auto-Submitted: auto-replied\r\n"), raw);
    assertFalse(n.eightBit(), "remote text folded to 7-bit");

    DeliveryStatusReport r = DeliveryStatusReport.parse(n.content());
    assertEquals(Optional.of(Mailbox.parse("postmaster@relay.example.com")), r.from());
    assertEquals(Optional.of(Mailbox.parse("alice@example.com")), r.to());
    assertEquals("relay.example.com", r.reportingMta());
    assertEquals(Optional.of("ENV-42"), r.originalEnvelopeId());
    assertEquals(2, r.recipients().size(), "dave said NOTIFY=NEVER");
    RecipientStatus bob = r.recipients().get(0);
    assertEquals(Mailbox.parse("bob@example.net"), bob.finalRecipient());
    assertEquals(RecipientStatus.Action.FAILED, bob.action());
    assertEquals(EnhancedStatus.of(5, 1, 1), bob.status());
    assertEquals(Optional.of("mx.example.net"), bob.remoteMta());
    assertEquals(550, bob.diagnosticCode().orElseThrow().code());
    RecipientStatus carol = r.recipients().get(1);
    assertEquals(Optional.of(Mailbox.parse("carol@old.example")), carol.originalRecipient());
    assertTrue(carol.diagnosticCode().orElseThrow().text().contains("Mailbox full ? sorry"), carol.toString());
    String human = r.humanReadableText();
    assertTrue(human.contains("<bob@example.net>: unknown recipient (5.1.1): host mx.example.net said: 550 5.1.1"), human);
    assertTrue(human.contains("<carol@example.org>: mailbox full (5.2.2)"), human);
    assertFalse(human.contains("dave"), human);
    assertEquals(DeliveryStatusReport.ReturnedContent.HEADERS, r.returnedContent(), "no RET: headers only");
    String returned = new String(r.returned(), StandardCharsets.US_ASCII);
    assertTrue(returned.contains("Subject: hello\r\n"), returned);
    assertFalse(returned.contains("body text"), returned);
  }

  @Test
  void retFullReturnsTheMessageUnlessItIsLargerThanTheCap() throws IOException {
    PreparedMessage small = prepare(envelope().dsnReturn(DsnReturn.FULL), "From: alice@example.com\r\n\r\nsmall body\r\n");
    BounceBuilder.RecipientReport f = failed(small, 0, SmtpReply.of(550, "5.1.1 no such user"), FailureClass.UNKNOWN_RECIPIENT);
    DeliveryStatusReport r = DeliveryStatusReport.parse(bounces.failure(small, ARRIVAL, List.of(f)).orElseThrow().content());
    assertEquals(DeliveryStatusReport.ReturnedContent.MESSAGE, r.returnedContent());
    assertArrayEquals(small.content(), r.returned());

    PreparedMessage large =
        prepare(envelope().dsnReturn(DsnReturn.FULL), "From: alice@example.com\r\n\r\n" + "z".repeat(100).concat("\r\n").repeat(30));
    BounceBuilder.RecipientReport g = failed(large, 0, SmtpReply.of(550, "5.1.1 no such user"), FailureClass.UNKNOWN_RECIPIENT);
    DeliveryStatusReport rl = DeliveryStatusReport.parse(bounces.failure(large, ARRIVAL, List.of(g)).orElseThrow().content());
    assertEquals(DeliveryStatusReport.ReturnedContent.HEADERS, rl.returnedContent(), "over the 2,000 octet cap");
  }

  @Test
  void neverABounceForABounceNorForRecipientsThatSaidNever() throws IOException {
    PreparedMessage bounce =
        prepare(OutgoingMessage.builder().sender(Mailbox.NULL).recipient("x@example.com"), "From: MAILER-DAEMON@example.com\r\n\r\nx\r\n");
    BounceBuilder.RecipientReport f = failed(bounce, 0, SmtpReply.of(550, "5.1.1 no"), FailureClass.UNKNOWN_RECIPIENT);
    assertEquals(Optional.empty(), bounces.failure(bounce, ARRIVAL, List.of(f)));
    PreparedMessage m = prepare(envelope(), "From: alice@example.com\r\n\r\nx\r\n");
    assertEquals(Optional.empty(),
        bounces.failure(m, ARRIVAL, List.of(failed(m, 2, SmtpReply.of(550, "5.1.1 no"), FailureClass.UNKNOWN_RECIPIENT))));
  }

  @Test
  void delayWarningAndSuccessNotices() throws IOException {
    OutgoingMessage.Builder b =
        OutgoingMessage.builder().sender("alice@example.com")
            .recipient(Mailbox.parse("bob@example.net"), Set.of(DsnNotify.SUCCESS, DsnNotify.DELAY))
            .recipient("carol@example.org");
    PreparedMessage m = prepare(b, "From: alice@example.com\r\n\r\nx\r\n");
    SmtpReply grey = SmtpReply.of(450, "4.7.1 Greylisted, try again later");
    List<BounceBuilder.RecipientReport> delayed =
        List.of(failed(m, 0, grey, FailureClass.THROTTLED), failed(m, 1, grey, FailureClass.THROTTLED));
    Instant until = ARRIVAL.plusSeconds(4 * 3600);
    DeliveryStatusReport d =
        DeliveryStatusReport.parse(bounces.delay(m, ARRIVAL, delayed, until).orElseThrow().content());
    assertEquals(2, d.recipients().size());
    assertEquals(RecipientStatus.Action.DELAYED, d.recipients().get(0).action());
    assertEquals(Optional.of(until.atOffset(ZoneOffset.UTC)), d.recipients().get(0).willRetryUntil());
    assertTrue(d.humanReadableText().contains("THIS IS A WARNING ONLY"), d.humanReadableText());
    assertTrue(d.humanReadableText().contains("throttled or rate-limited (4.7.1)"), d.humanReadableText());

    BounceBuilder.RecipientReport ok =
        new BounceBuilder.RecipientReport(m.recipients().get(0), EnhancedStatus.of(2, 0, 0),
            Optional.of(SmtpReply.of(250, "2.0.0 Ok: queued as ABC")), Optional.of("mx.example.net"),
            FailureClass.OTHER, "", ARRIVAL);
    BounceBuilder.RecipientReport okCarol =
        new BounceBuilder.RecipientReport(m.recipients().get(1), EnhancedStatus.of(2, 0, 0),
            Optional.empty(), Optional.empty(), FailureClass.OTHER, "", ARRIVAL);
    DeliveryStatusReport s =
        DeliveryStatusReport.parse(bounces.success(m, ARRIVAL, List.of(ok, okCarol), true).orElseThrow().content());
    assertEquals(1, s.recipients().size(), "only bob asked for SUCCESS");
    assertEquals(RecipientStatus.Action.RELAYED, s.recipients().get(0).action());
  }

  @Test
  void smtpUtf8MessagesGetAGlobalReport() throws IOException {
    PreparedMessage m =
        prepare(OutgoingMessage.builder().sender("alice@example.com").recipient("jürgen@example.de"),
            "From: Jürgen <alice@example.com>\r\nSubject: Grüße\r\n\r\nHallo\r\n");
    assertTrue(m.smtpUtf8());
    BounceBuilder.Notice n =
        bounces.failure(m, ARRIVAL, List.of(failed(m, 0, SmtpReply.of(550, "5.1.1 unbekannt"), FailureClass.UNKNOWN_RECIPIENT)))
            .orElseThrow();
    assertTrue(n.smtpUtf8());
    String raw = new String(n.content(), StandardCharsets.UTF_8);
    assertTrue(raw.contains("message/global-delivery-status"), raw);
    DeliveryStatusReport r = DeliveryStatusReport.parse(n.content());
    assertTrue(r.isGlobal());
    assertEquals(Mailbox.parse("jürgen@example.de"), r.recipients().get(0).finalRecipient());
  }
}
