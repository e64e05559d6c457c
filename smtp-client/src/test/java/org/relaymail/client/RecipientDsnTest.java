package org.relaymail.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.relaymail.client.Envelope.DsnNotify;
import org.relaymail.protocol.Mailbox;
import org.relaymail.testsupport.ScriptedSmtpServer;

/** Per-recipient NOTIFY and ORCPT (RFC 3461 sections 4.1 and 4.2), checked on the wire. */
class RecipientDsnTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Mailbox B = Mailbox.parse("b@example.test");
  private static final Mailbox C = Mailbox.parse("c@example.test");
  private static final Mailbox D = Mailbox.parse("d@example.test");

  private static Envelope envelope() {
    return Envelope.of(Mailbox.parse("a@example.test"), List.of(B, C, D))
        .withRecipientDsn(B, EnumSet.of(DsnNotify.SUCCESS, DsnNotify.FAILURE), "old+b=1@example.org")
        .withRecipientDsn(C, EnumSet.of(DsnNotify.NEVER), null);
  }

  @Test
  void eachRecipientCarriesItsOwnNotifyAndOrcptWhereDsnIsOffered() throws Exception {
    for (boolean pipelining : new boolean[] {true, false}) {
      try (ScriptedSmtpServer s = ScriptedSmtpServer.builder().strict(true).dsn(true).pipelining(pipelining).start()) {
        try (SmtpConnection c = ScriptedPeerTest.open(s)) {
          assertTrue(c.send(envelope(), MessageContent.of(ScriptedPeerTest.BODY)).allAccepted());
        }
        s.awaitMessages(1, WAIT);
        String wire = s.sessions().get(0).receivedText();
        String what = "pipelining=" + pipelining + ": " + wire;
        assertTrue(wire.contains(
            "RCPT TO:<b@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;old+2Bb+3D1@example.org\r\n"), what);
        assertTrue(wire.contains("RCPT TO:<c@example.test> NOTIFY=NEVER ORCPT=rfc822;c@example.test\r\n"), what);
        // no NOTIFY of its own and none on the envelope: none sent; ORCPT names the recipient itself
        assertTrue(wire.contains("RCPT TO:<d@example.test> ORCPT=rfc822;d@example.test\r\n"), what);
        ScriptedPeerTest.noLeak(s);
      }
    }
  }

  @Test
  void noDsnParameterWhereDsnIsNotOffered() throws Exception {
    try (ScriptedSmtpServer s = ScriptedSmtpServer.builder().strict(true).dsn(false).start()) {
      try (SmtpConnection c = ScriptedPeerTest.open(s)) {
        assertTrue(c.send(envelope(), MessageContent.of(ScriptedPeerTest.BODY)).allAccepted());
      }
      s.awaitMessages(1, WAIT);
      String wire = s.sessions().get(0).receivedText();
      assertFalse(wire.contains("NOTIFY="), wire);
      assertFalse(wire.contains("ORCPT="), wire);
      assertTrue(wire.contains("RCPT TO:<b@example.test>\r\nRCPT TO:<c@example.test>\r\nRCPT TO:<d@example.test>\r\n"),
          wire);
      ScriptedPeerTest.noLeak(s);
    }
  }

  @Test
  void perRecipientValuesAreCheckedAndFollowTheRecipients() {
    Envelope e = envelope();
    assertEquals(Set.of(DsnNotify.SUCCESS, DsnNotify.FAILURE), e.notifyFor(B));
    assertEquals(Optional.of("old+b=1@example.org"), e.originalRecipientFor(B));
    assertEquals(Optional.of("d@example.test"), e.originalRecipientFor(D));
    Envelope withDefault = e.withDsn(null, null, EnumSet.of(DsnNotify.DELAY));
    assertEquals(Set.of(DsnNotify.DELAY), withDefault.notifyFor(D), "the envelope's NOTIFY where none of its own");
    assertEquals(Set.of(DsnNotify.NEVER), withDefault.notifyFor(C), "a recipient's own NOTIFY wins");
    assertTrue(e.requestsDsn());
    assertFalse(Envelope.of(Mailbox.parse("a@example.test"), List.of(B)).requestsDsn());
    Envelope onlyD = e.withRecipients(List.of(D));
    assertEquals(Set.of(), onlyD.recipientDsn().keySet(), "parameters of dropped recipients are dropped");
    assertEquals(Set.of(B, C), e.withRecipients(List.of(B, C)).recipientDsn().keySet());

    IllegalArgumentException notMine = assertThrows(IllegalArgumentException.class,
        () -> e.withRecipientDsn(Mailbox.parse("x@example.test"), Set.of(), "x@example.test"));
    assertTrue(notMine.getMessage().contains("x@example.test"), notMine.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> e.withRecipientDsn(B, EnumSet.of(DsnNotify.NEVER, DsnNotify.DELAY), null));
    IllegalArgumentException crlf = assertThrows(IllegalArgumentException.class,
        () -> e.withRecipientDsn(B, Set.of(), "b@example.test\r\nRSET"));
    assertTrue(crlf.getMessage().contains("\\r\\n"), crlf.getMessage());
    assertThrows(IllegalArgumentException.class, () -> e.withRecipientDsn(B, Set.of(), ""));
  }
}
