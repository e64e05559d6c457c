package org.relaymail.queue.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.SmtpReply;
import org.relaymail.queue.ClaimedMessage;
import org.relaymail.queue.DeliveryAttempt;
import org.relaymail.queue.FailureClass;
import org.relaymail.queue.InMemoryQueueStore;
import org.relaymail.queue.MessageContent;
import org.relaymail.queue.NewMessage;
import org.relaymail.queue.QueuedMessage;
import org.relaymail.queue.RecipientOutcome;

/**
 * A spool written before the failure classes were unified stored the coarse names ({@code
 * UNKNOWN_USER}, {@code CONNECTION}, ...) in its STATE records; they still load, as the detailed
 * class they stood for.
 */
class LegacyFailureClassTest {
  private static final Instant T0 = Instant.parse("2025-06-02T10:00:00Z");

  @Test
  void stateRecordsWithFormerClassNamesStillLoad() throws IOException {
    InMemoryQueueStore store = new InMemoryQueueStore();
    Mailbox a = Mailbox.parse("a@example.com");
    Mailbox b = Mailbox.parse("b@example.com");
    store.enqueue(NewMessage.builder(Mailbox.parse("s@example.com")).recipient(a).recipient(b).build(),
        MessageContent.of("Subject: x\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)), T0);
    ClaimedMessage c = store.claimDue(T0, 1, Duration.ofMinutes(5)).get(0);
    QueuedMessage m = store.recordAttempt(c.lease(), DeliveryAttempt.of(List.of(
        RecipientOutcome.failed(a, SmtpReply.of(550, "5.1.1 no such user"), "mx", FailureClass.UNKNOWN_RECIPIENT),
        RecipientOutcome.deferred(b, SmtpReply.of(451, "4.4.1 no answer"), "mx", FailureClass.CONNECTION_FAILURE)),
        T0.plusSeconds(900)), T0);

    byte[] current = RecordCodec.state(7, m);
    byte[] legacy = replaceUtf(replaceUtf(current, "UNKNOWN_RECIPIENT", "UNKNOWN_USER"), "CONNECTION_FAILURE",
        "CONNECTION");
    assertTrue(legacy.length < current.length, "the former names were written");

    RecordCodec.State s = read(legacy, m);
    assertEquals(FailureClass.UNKNOWN_RECIPIENT, s.recipients().get(0).failureClass());
    assertEquals(FailureClass.CONNECTION_FAILURE, s.recipients().get(1).failureClass());
    assertEquals(m.recipients(), read(current, m).recipients(), "the current names round-trip");
  }

  private static RecordCodec.State read(byte[] body, QueuedMessage m) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(body));
    in.readByte(); // version
    in.readByte(); // type
    return RecordCodec.readState(in, m.recipients());
  }

  /** Replaces one writeUTF-encoded string (two-byte length, then the bytes) with another. */
  private static byte[] replaceUtf(byte[] in, String from, String to) throws IOException {
    byte[] needle = utf(from);
    for (int i = 0; i + needle.length <= in.length; i++) {
      boolean match = true;
      for (int j = 0; j < needle.length && match; j++) {
        match = in[i + j] == needle[j];
      }
      if (match) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(in, 0, i);
        out.write(utf(to));
        out.write(in, i + needle.length, in.length - i - needle.length);
        return out.toByteArray();
      }
    }
    throw new AssertionError(from + " not found in the record");
  }

  private static byte[] utf(String s) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new DataOutputStream(out).writeUTF(s);
    return out.toByteArray();
  }
}
