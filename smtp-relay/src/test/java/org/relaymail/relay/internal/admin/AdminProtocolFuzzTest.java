package org.relaymail.relay.internal.admin;

import org.relaymail.relay.QueueAdministration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.SmtpReply;
import org.relaymail.queue.BodyKind;
import org.relaymail.queue.FailureClass;
import org.relaymail.queue.MessageStatus;
import org.relaymail.queue.NotifyCondition;
import org.relaymail.queue.QueueCounts;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.QueuePage;
import org.relaymail.queue.QueueQuery;
import org.relaymail.queue.QueuedMessage;
import org.relaymail.queue.RecipientRecord;
import org.relaymail.queue.RecipientState;

/**
 * Coverage-guided fuzzing of both sides of the admin protocol. The relay's side: any request line
 * gets either {@code OK lines=N} with exactly N printable data lines or one {@code ERR} line, and
 * never an exception. The client's side: any response lines are decoded into the queue's values or
 * refused with {@link IllegalArgumentException}, nothing else. In a normal build the inputs under
 * {@code src/test/resources/org/relaymail/relay/internal/admin/AdminProtocolFuzzTestInputs/} are
 * replayed; with {@code JAZZER_FUZZ=1 -Dtest=AdminProtocolFuzzTest} Jazzer searches for more.
 */
class AdminProtocolFuzzTest {
  private static final QueuedMessage M1 = new QueuedMessage(new QueueId("m1"), Mailbox.parse("app@example.com"),
      List.of(new RecipientRecord(Mailbox.parse("a@bücher.example"), Set.of(NotifyCondition.FAILURE),
          Optional.of("rfc822;a@b"), RecipientState.DEFERRED, 1, Optional.of(Instant.EPOCH), Optional.of(Instant.EPOCH),
          Optional.of(SmtpReply.of(451, "4.7.1 Grüße % = ☃", "")), Optional.of("mx.example[127.0.0.2]"),
          FailureClass.THROTTLED, false, false)),
      Optional.of("env"), Optional.empty(), BodyKind.EIGHT_BIT_MIME, true, Instant.EPOCH, 10, Optional.of("t"),
      Set.of("x y", "%"), Optional.empty(), Instant.EPOCH, false, Optional.empty());

  /** Real values with every field in use. */
  private static final Ops OPS = new Ops();

  private static final class Ops implements AdminOperations, QueueAdministration {
    @Override
    public QueuePage list(QueueQuery query) {
      return new QueuePage(List.of(M1), Optional.of(M1.id()));
    }

    @Override
    public Optional<QueuedMessage> inspect(QueueId id) {
      return id.equals(M1.id()) ? Optional.of(M1) : Optional.empty();
    }

    @Override
    public QueueCounts counts() {
      Map<MessageStatus, Long> s = new EnumMap<>(MessageStatus.class);
      s.put(MessageStatus.DEFERRED, 1L);
      return new QueueCounts(1, s, Map.of(RecipientState.DEFERRED, 1L));
    }

    @Override
    public boolean hold(QueueId id) {
      return id.equals(M1.id());
    }

    @Override
    public boolean release(QueueId id) {
      return hold(id);
    }

    @Override
    public boolean retryNow(QueueId id) {
      return hold(id);
    }

    @Override
    public int retryAllNow() {
      return 1;
    }

    @Override
    public boolean delete(QueueId id) throws IOException {
      throw new IOException("disk full\r\nsecond line");
    }

    @Override
    public boolean bounce(QueueId id) {
      throw new IllegalStateException("closing");
    }

    @Override
    public Optional<byte[]> headerSection(QueueId id, int maxBytes) {
      return Optional.of(new byte[] {'S', ':', ' ', (byte) 0xff, '\r', '\n'});
    }
  }

  @FuzzTest(maxDuration = "60s")
  void requestLines(byte[] input) {
    String raw = new String(input, StandardCharsets.ISO_8859_1); // as LineChannel hands a line over
    int lf = raw.indexOf('\n');
    if (lf >= 0) {
      raw = raw.substring(0, lf);
    }
    List<String> out = new AdminRequests(OPS).handle(raw);
    assertFalse(out.isEmpty());
    for (String line : out) {
      assertTrue(line.chars().allMatch(c -> c >= 0x20 && c <= 0x7e), "not printable: " + line);
      AdminLine.parse(line);
    }
    AdminLine first = AdminLine.parse(out.get(0));
    if (first.word().equals(AdminProtocol.OK)) {
      assertEquals(out.size() - 1, Integer.parseInt(first.require("lines")), out.toString());
    } else {
      assertEquals(AdminProtocol.ERR, first.word(), out.toString());
      assertEquals(1, out.size());
      assertTrue(first.get("code").isPresent() && first.get("message").isPresent(), out.get(0));
    }
  }

  @FuzzTest(maxDuration = "60s")
  void responseLines(byte[] input) {
    String text = new String(input, StandardCharsets.ISO_8859_1);
    List<AdminLine> lines = new ArrayList<>();
    try {
      for (String l : text.split("\n", -1)) {
        lines.add(AdminLine.parse(l));
      }
      AdminLine head = lines.get(0);
      switch (head.word()) {
        case AdminProtocol.MESSAGE -> {
          QueuedMessage m = AdminCodec.message(lines, 0);
          List<AdminLine> again = AdminCodec.message(m);
          assertEquals(m, AdminCodec.message(again, 0), "a decoded message encodes to itself");
        }
        case AdminProtocol.COUNTS -> AdminCodec.counts(head);
        default -> AdminCodec.query(head);
      }
    } catch (IllegalArgumentException expected) {
      // refused with the reason: what the client turns into a protocol error
      assertTrue(expected.getMessage() != null, "a refusal names its reason");
    }
  }
}
