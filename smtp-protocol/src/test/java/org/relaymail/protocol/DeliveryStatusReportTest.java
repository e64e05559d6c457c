package org.relaymail.protocol;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.relaymail.protocol.DeliveryStatusReport.ReturnedContent;
import org.relaymail.protocol.RecipientStatus.Action;

class DeliveryStatusReportTest {
  static final OffsetDateTime T0 = OffsetDateTime.of(2026, 11, 25, 1, 54, 24, 0, ZoneOffset.UTC);
  static final byte[] ORIGINAL = ("From: Alice <alice@example.com>\r\nTo: bob@example.net\r\n"
      + "Subject: lunch\r\nMessage-ID: <m1@example.com>\r\n\r\nSee you at noon.\r\n").getBytes(ISO_8859_1);

  static RecipientStatus failed() {
    return RecipientStatus.builder(Mailbox.parse("bob@example.net"), Action.FAILED, EnhancedStatus.parse("5.1.1"))
        .originalRecipient(Mailbox.parse("Bob@Example.NET"))
        .remoteMta("mx.example.net")
        .diagnosticCode(SmtpReply.of(550, "5.1.1 <bob@example.net>: Recipient address rejected: User unknown"))
        .lastAttemptDate(T0.plusMinutes(1))
        .build();
  }

  static RecipientStatus delayed() {
    return RecipientStatus.builder(Mailbox.parse("carol@example.org"), Action.DELAYED, EnhancedStatus.parse("4.7.1"))
        .remoteMta("mx2.example.org")
        .diagnosticCode(SmtpReply.of(451, "4.7.1 Greylisted, try again", "4.7.1 in 5 minutes"))
        .lastAttemptDate(T0.plusMinutes(2))
        .willRetryUntil(T0.plusHours(4))
        .build();
  }

  static DeliveryStatusReport.Builder builder() {
    return DeliveryStatusReport.builder()
        .from(Mailbox.parse("postmaster@relay.example.com"))
        .to(Mailbox.parse("alice@example.com"))
        .date(T0.plusMinutes(3))
        .messageId("dsn.1@relay.example.com")
        .reportingMta("relay.example.com")
        .originalEnvelopeId("QQ314159")
        .arrivalDate(T0)
        .addRecipient(failed())
        .addRecipient(delayed())
        .boundary("b0undary");
  }

  @Test
  void buildsTheExactReport() {
    byte[] report = builder().humanReadableText("Your message could not be delivered.\n")
        .returnHeaders(ORIGINAL).build();
    String expected = String.join("\r\n",
        "From: Mail Delivery System <postmaster@relay.example.com>",
        "To: <alice@example.com>",
        "Subject: Undelivered Mail Returned to Sender",
        "Date: Wed, 25 Nov 2026 01:57:24 +0000",
        "Message-ID: <dsn.1@relay.example.com>",
        "MIME-Version: 1.0",
        "Auto-Submitted: auto-replied",
        "Content-Type: multipart/report; report-type=delivery-status;",
        "\tboundary=\"b0undary\"",
        "",
        "This is a MIME-encapsulated message: a delivery status notification (RFC 3464).",
        "",
        "--b0undary",
        "Content-Description: Notification",
        "Content-Type: text/plain; charset=us-ascii",
        "Content-Transfer-Encoding: 7bit",
        "",
        "Your message could not be delivered.",
        "",
        "--b0undary",
        "Content-Description: Delivery report",
        "Content-Type: message/delivery-status",
        "",
        "Reporting-MTA: dns; relay.example.com",
        "Original-Envelope-Id: QQ314159",
        "Arrival-Date: Wed, 25 Nov 2026 01:54:24 +0000",
        "",
        "Original-Recipient: rfc822; Bob@example.net",
        "Final-Recipient: rfc822; bob@example.net",
        "Action: failed",
        "Status: 5.1.1",
        "Remote-MTA: dns; mx.example.net",
        "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown",
        "Last-Attempt-Date: Wed, 25 Nov 2026 01:55:24 +0000",
        "",
        "Final-Recipient: rfc822; carol@example.org",
        "Action: delayed",
        "Status: 4.7.1",
        "Remote-MTA: dns; mx2.example.org",
        "Diagnostic-Code: smtp; 451-4.7.1 Greylisted, try again",
        " 451 4.7.1 in 5 minutes",
        "Last-Attempt-Date: Wed, 25 Nov 2026 01:56:24 +0000",
        "Will-Retry-Until: Wed, 25 Nov 2026 05:54:24 +0000",
        "",
        "--b0undary",
        "Content-Description: Undelivered message headers",
        "Content-Type: text/rfc822-headers",
        "",
        "From: Alice <alice@example.com>",
        "To: bob@example.net",
        "Subject: lunch",
        "Message-ID: <m1@example.com>",
        "",
        "--b0undary--",
        "");
    assertEquals(expected, new String(report, ISO_8859_1));
    assertTrue(MessageNormalizer.isCanonical(report), "canonical CRLF, lines <= 998");
    for (byte b : report) {
      assertTrue(b >= 0, "7-bit");
    }
  }

  @Test
  void buildThenParseGivesTheSameValues() {
    DeliveryStatusReport.Builder b = builder().humanReadableText("Sorry.\nTwo lines.").returnMessage(ORIGINAL);
    byte[] bytes = b.build();
    DeliveryStatusReport r = DeliveryStatusReport.parse(bytes);
    assertEquals(Optional.of(Mailbox.parse("postmaster@relay.example.com")), r.from());
    assertEquals(Optional.of(Mailbox.parse("alice@example.com")), r.to());
    assertEquals("Undelivered Mail Returned to Sender", r.subject());
    assertEquals(Optional.of(T0.plusMinutes(3)), r.date());
    assertEquals(Optional.of("dsn.1@relay.example.com"), r.messageId());
    assertEquals("Sorry.\r\nTwo lines.\r\n", r.humanReadableText());
    assertEquals("relay.example.com", r.reportingMta());
    assertEquals(Optional.of("QQ314159"), r.originalEnvelopeId());
    assertEquals(Optional.of(T0), r.arrivalDate());
    assertEquals(List.of(failed(), delayed()), r.recipients());
    assertEquals(ReturnedContent.MESSAGE, r.returnedContent());
    assertArrayEquals(ORIGINAL, r.returned());
    assertFalse(r.isGlobal());
    assertEquals("b0undary", r.boundary());
    assertEquals(2, r.recipients().get(1).diagnosticCode().orElseThrow().lines().size());
    // and the value rebuilds the same bytes
    assertArrayEquals(bytes, r.toBuilder().build());
    assertEquals(r, DeliveryStatusReport.parse(r.toBuilder().build()));
    assertTrue(r.toString().contains("bob@example.net failed 5.1.1"), r.toString());
  }

  @Test
  void defaultsTextSubjectAndBoundary() {
    byte[] bytes = DeliveryStatusReport.builder()
        .from(Mailbox.parse("postmaster@relay.example.com"))
        .reportingMta("relay.example.com")
        .addRecipient(delayed())
        .build();
    DeliveryStatusReport r = DeliveryStatusReport.parse(bytes);
    assertEquals("Delayed Mail (still being retried)", r.subject());
    assertTrue(r.humanReadableText().contains("<carol@example.org>: delivery is delayed"), r.humanReadableText());
    assertTrue(r.humanReadableText().contains("451 Greylisted, try again in 5 minutes"), r.humanReadableText());
    assertTrue(r.boundary().startsWith("=_relaymail_"), r.boundary());
    assertTrue(r.date().isPresent());
    assertEquals(ReturnedContent.NONE, r.returnedContent());
    assertEquals(0, r.returned().length);
    assertTrue(new String(bytes, ISO_8859_1).contains("Auto-Submitted: auto-replied\r\n"));
  }

  @Test
  void nonAsciiTextGoesQuotedPrintableAndDiagnosticsAreFoldedTo7Bit() {
    RecipientStatus r = RecipientStatus.builder(Mailbox.parse("bob@example.net"), Action.FAILED,
            EnhancedStatus.parse("5.2.2"))
        .diagnosticCode(SmtpReply.of(552, "5.2.2 Postfach voll – mailbox full"))
        .build();
    byte[] bytes = builder().humanReadableText("Zustellung fehlgeschlagen: Grüße\n")
        .addRecipient(r).build();
    for (byte b : bytes) {
      assertTrue(b >= 0, "7-bit");
    }
    String s = new String(bytes, ISO_8859_1);
    assertTrue(s.contains("Content-Transfer-Encoding: quoted-printable"), s);
    assertTrue(s.contains("Gr=C3=BC=C3=9Fe"), s);
    assertTrue(s.contains("Diagnostic-Code: smtp; 552 5.2.2 Postfach voll ? mailbox full"), s);
    DeliveryStatusReport parsed = DeliveryStatusReport.parse(bytes);
    assertEquals("Zustellung fehlgeschlagen: Grüße\r\n", parsed.humanReadableText());
    assertEquals("5.2.2 Postfach voll ? mailbox full",
        parsed.recipients().get(2).diagnosticCode().orElseThrow().lines().get(0));
  }

  @Test
  void globalReportCarriesUtf8() {
    Mailbox utf8 = Mailbox.parse("jörg@bücher.example");
    RecipientStatus r = RecipientStatus.builder(utf8, Action.FAILED, EnhancedStatus.parse("5.1.1"))
        .diagnosticCode(SmtpReply.of(550, "5.1.1 Benutzer unbekannt: jörg"))
        .build();
    byte[] headers = "From: jörg@bücher.example\r\nSubject: Grüße\r\n\r\nbody\r\n".getBytes(UTF_8);
    DeliveryStatusReport.Builder b = DeliveryStatusReport.builder()
        .from(Mailbox.parse("postmaster@relay.example.com"))
        .to(utf8)
        .reportingMta("relay.example.com")
        .date(T0)
        .subject("Unzustellbar: Grüße")
        .humanReadableText("Die Nachricht an jörg@bücher.example kam nicht an.\r\n")
        .addRecipient(r)
        .returnHeaders(headers)
        .boundary("zz");
    IllegalStateException notGlobal = assertThrows(IllegalStateException.class, b::build);
    assertTrue(notGlobal.getMessage().contains("RFC 6533"), notGlobal.getMessage());

    byte[] bytes = b.global(true).build();
    String s = new String(bytes, UTF_8);
    assertTrue(s.contains("report-type=global-delivery-status"), s);
    assertTrue(s.contains("Content-Type: message/global-delivery-status\r\n"), s);
    assertTrue(s.contains("Final-Recipient: utf-8; jörg@bücher.example\r\n"), s);
    assertTrue(s.contains("Content-Type: message/global-headers\r\n"), s);
    assertTrue(s.contains("Diagnostic-Code: smtp; 550 5.1.1 Benutzer unbekannt: jörg\r\n"), s);
    DeliveryStatusReport parsed = DeliveryStatusReport.parse(bytes);
    assertTrue(parsed.isGlobal());
    assertEquals(List.of(r), parsed.recipients());
    assertEquals(Optional.of(utf8), parsed.to());
    assertEquals("Unzustellbar: Grüße", parsed.subject());
    assertEquals("Die Nachricht an jörg@bücher.example kam nicht an.\r\n", parsed.humanReadableText());
    assertArrayEquals("From: jörg@bücher.example\r\nSubject: Grüße\r\n".getBytes(UTF_8), parsed.returned());
    assertArrayEquals(bytes, parsed.toBuilder().build());
  }

  @Test
  void parsesAForeignStyleReport() {
    String foreign = String.join("\n",
        "Return-Path: <>",
        "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)",
        "Subject: Undelivered Mail",
        "Date: Tue, 3 Nov 2026 10:00:00 -0500 (EST)",
        "MIME-Version: 1.0",
        "Content-Type: multipart/report; boundary=XYZ;",
        "  report-type=delivery-status",
        "",
        "preamble",
        "--XYZ",
        "",
        "plain text without part header",
        "--XYZ",
        "Content-Type: message/delivery-status",
        "",
        "Reporting-MTA: dns;mx.example.net",
        "X-Postfix-Queue-ID: 12345",
        "",
        "Final-Recipient: RFC822; <dave@example.net>",
        "Action: Failed",
        "Status: 5.0.0 (permanent failure)",
        "Diagnostic-Code: X-Postfix; host said no",
        "",
        "--XYZ--",
        "epilogue");
    DeliveryStatusReport r = DeliveryStatusReport.parse(foreign.getBytes(ISO_8859_1));
    assertEquals("mx.example.net", r.reportingMta());
    assertEquals("plain text without part header", r.humanReadableText());
    assertEquals(Optional.of(OffsetDateTime.of(2026, 11, 3, 10, 0, 0, 0, ZoneOffset.ofHours(-5))), r.date());
    RecipientStatus only = r.recipients().get(0);
    assertEquals(Mailbox.parse("dave@example.net"), only.finalRecipient());
    assertEquals(Action.FAILED, only.action());
    assertEquals(EnhancedStatus.parse("5.0.0"), only.status());
    assertEquals(Optional.empty(), only.diagnosticCode(), "not an smtp diagnostic");
    assertEquals(Optional.of(Mailbox.parse("MAILER-DAEMON@mx.example.net")), r.from());
  }

  @Test
  void malformedReportsNameTheProblem() {
    MalformedReportException notReport = assertThrows(MalformedReportException.class,
        () -> DeliveryStatusReport.parse("Subject: hi\r\n\r\nbody\r\n".getBytes(ISO_8859_1)));
    assertTrue(notReport.getMessage().contains("multipart/report"), notReport.getMessage());

    String noStatus = "Content-Type: multipart/report; boundary=b\r\n\r\n--b\r\n\r\ntext\r\n--b--\r\n";
    MalformedReportException e = assertThrows(MalformedReportException.class,
        () -> DeliveryStatusReport.parse(noStatus.getBytes(ISO_8859_1)));
    assertTrue(e.getMessage().contains("message/delivery-status"), e.getMessage());

    String badStatus = new String(builder().build(), ISO_8859_1).replace("Status: 5.1.1", "Status: 9.9.9");
    MalformedReportException bad = assertThrows(MalformedReportException.class,
        () -> DeliveryStatusReport.parse(badStatus.getBytes(ISO_8859_1)));
    assertTrue(bad.getMessage().contains("9.9.9"), bad.getMessage());

    String mismatch = new String(builder().build(), ISO_8859_1).replace("Action: failed", "Action: delivered");
    assertThrows(MalformedReportException.class, () -> DeliveryStatusReport.parse(mismatch.getBytes(ISO_8859_1)));
  }

  @Test
  void builderRejectsBadValues() {
    assertThrows(IllegalStateException.class, () -> DeliveryStatusReport.builder().build());
    assertThrows(IllegalStateException.class, () -> builder().boundary("See").humanReadableText("x\n--See\n").build());
    assertThrows(IllegalArgumentException.class, () -> builder().subject("a\r\nBcc: x@y"));
    assertThrows(IllegalArgumentException.class, () -> builder().messageId("a b"));
    assertThrows(IllegalArgumentException.class, () -> builder().reportingMta("bad host"));
    assertThrows(IllegalArgumentException.class, () -> builder().boundary(""));
    assertThrows(IllegalArgumentException.class, () -> builder().originalEnvelopeId("x\ny"));
    IllegalArgumentException wrongClass = assertThrows(IllegalArgumentException.class,
        () -> RecipientStatus.builder(Mailbox.parse("a@b.example"), Action.DELIVERED, EnhancedStatus.parse("5.0.0")).build());
    assertTrue(wrongClass.getMessage().contains("class 2"), wrongClass.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> RecipientStatus.builder(Mailbox.NULL, Action.FAILED, EnhancedStatus.parse("5.0.0")).build());
    assertThrows(IllegalArgumentException.class, () -> Action.parse("bounced"));
  }
}
