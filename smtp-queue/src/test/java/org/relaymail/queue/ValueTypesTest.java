package org.relaymail.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.SmtpReply;

/** The value types reject impossible combinations with a message naming the value. */
class ValueTypesTest {
  private static final Mailbox A = Mailbox.parse("a@example.com");
  private static final SmtpReply OK = SmtpReply.of(250, "2.0.0 ok");
  private static final SmtpReply LATER = SmtpReply.of(451, "4.3.0 later");

  @Test
  void outcomesRejectImpossibleCombinations() {
    assertThrows(IllegalArgumentException.class, () -> RecipientOutcome.delivered(A, LATER, null));
    assertThrows(IllegalArgumentException.class, () -> RecipientOutcome.deferred(A, OK, null, FailureClass.OTHER));
    assertThrows(IllegalArgumentException.class, () -> RecipientOutcome.failed(A, null, null, FailureClass.NONE));
    assertThrows(IllegalArgumentException.class,
        () -> new RecipientOutcome(A, RecipientState.PENDING, Optional.empty(), Optional.empty(), FailureClass.OTHER));
    assertThrows(IllegalArgumentException.class,
        () -> new RecipientOutcome(A, RecipientState.DELIVERED, Optional.of(OK), Optional.empty(), FailureClass.OTHER));
    assertEquals(RecipientState.DEFERRED, RecipientOutcome.deferred(A, null, null, FailureClass.CONNECTION_FAILURE).state());
  }

  @Test
  void failureClassesReadTheirOwnAndTheFormerStoredNames() {
    for (FailureClass c : FailureClass.values()) {
      assertEquals(c, FailureClass.fromStoredName(c.name()));
    }
    // names written by the coarser enum of earlier versions still load
    assertEquals(FailureClass.UNKNOWN_RECIPIENT, FailureClass.fromStoredName("UNKNOWN_USER"));
    assertEquals(FailureClass.BLOCKED_REPUTATION, FailureClass.fromStoredName("BLOCKED"));
    assertEquals(FailureClass.POLICY, FailureClass.fromStoredName("MESSAGE_REJECTED"));
    assertEquals(FailureClass.DNS_FAILURE, FailureClass.fromStoredName("DNS"));
    assertEquals(FailureClass.CONNECTION_FAILURE, FailureClass.fromStoredName("CONNECTION"));
    assertEquals(FailureClass.TLS_FAILURE, FailureClass.fromStoredName("TLS"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FailureClass.fromStoredName("BOGUS"));
    assertTrue(e.getMessage().contains("BOGUS"), e.getMessage());
  }

  @Test
  void attemptsNeedANextTimeForDeferralsAndOneOutcomePerRecipient() {
    RecipientOutcome d = RecipientOutcome.deferred(A, LATER, "mx", FailureClass.OTHER);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeliveryAttempt.of(List.of(d)));
    assertTrue(e.getMessage().contains("a@example.com"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> DeliveryAttempt.of(List.of(d, d), Instant.EPOCH));
    assertThrows(IllegalArgumentException.class, () -> DeliveryAttempt.of(List.of()));
  }

  @Test
  void recipientRecordsRejectImpossibleStates() {
    RecipientRecord p = RecipientRecord.pending(NewRecipient.of(A));
    assertThrows(IllegalStateException.class, () -> p.withNotification(Notification.BOUNCE));
    assertThrows(IllegalArgumentException.class, () -> new RecipientRecord(A, Set.of(), Optional.empty(),
        RecipientState.DELIVERED, 0, Optional.empty(), Optional.empty(), Optional.of(OK), Optional.empty(),
        FailureClass.NONE, false, false));
    assertThrows(IllegalArgumentException.class, () -> new RecipientRecord(A, Set.of(), Optional.empty(),
        RecipientState.PENDING, 1, Optional.of(Instant.EPOCH), Optional.of(Instant.EPOCH), Optional.empty(),
        Optional.empty(), FailureClass.NONE, false, false));
    RecipientRecord delivered = p.apply(RecipientOutcome.delivered(A, OK, "mx"), Instant.EPOCH);
    assertThrows(IllegalStateException.class,
        () -> delivered.apply(RecipientOutcome.failed(A, null, null, FailureClass.OTHER), Instant.EPOCH));
  }

  @Test
  void messagesRejectBadEnvelopes() {
    assertThrows(IllegalArgumentException.class, () -> NewMessage.builder(A).build());
    assertThrows(IllegalArgumentException.class, () -> NewMessage.builder(A).recipient(A).recipient(A).build());
    assertThrows(IllegalArgumentException.class, () -> NewMessage.builder(A).recipient(Mailbox.NULL).build());
    assertThrows(IllegalArgumentException.class,
        () -> NewMessage.builder(A).recipient(Mailbox.parse("用户@例子.中国")).smtpUtf8(false).build());
    assertThrows(IllegalArgumentException.class, () -> NewMessage.builder(A).recipient(A).envId("has space").build());
    assertThrows(IllegalArgumentException.class, () -> NewMessage.builder(A).tag("bad tag"));
    assertThrows(IllegalArgumentException.class, () -> new NewRecipient(A,
        Set.of(NotifyCondition.NEVER, NotifyCondition.FAILURE), Optional.empty()));
    assertThrows(IllegalArgumentException.class, () -> QueueQuery.builder().limit(0).build());
    assertThrows(IllegalArgumentException.class, () -> new Lease(new QueueId("x"), "", Instant.EPOCH));
  }
}
