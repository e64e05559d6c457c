package org.relaymail.queue.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.SmtpReply;
import org.relaymail.queue.ClaimedMessage;
import org.relaymail.queue.DeliveryAttempt;
import org.relaymail.queue.FailureClass;
import org.relaymail.queue.MessageContent;
import org.relaymail.queue.NewMessage;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.QueuePage;
import org.relaymail.queue.QueueQuery;
import org.relaymail.queue.QueuedMessage;
import org.relaymail.queue.RecipientOutcome;
import org.relaymail.queue.RecipientRecord;

/**
 * Jazzer fuzz test of the file store's recovery. A valid spool (four messages: one plain with an
 * idempotency key, one deferred, one delivered and completed, one held) is damaged by the fuzzer's
 * input, read as a list of operations: overwrite bytes of the segment, append raw bytes, append a
 * correctly framed record whose body is fuzzer bytes (so the checksum passes and the record parser
 * sees arbitrary content), truncate, or add a second segment of raw or framed bytes. Opening the
 * store on the result must:
 *
 * <ul>
 *   <li>not throw (start-up never fails on corrupt data);
 *   <li>keep every message whose ENQUEUE record lies wholly before the first damaged byte, with its
 *       content, in one of the states it really had (unless the fuzzer's own bytes name its id, as a
 *       framed REMOVE record would);
 *   <li>never offer a message whose content cannot be read back or fails its checksum, and keep
 *       list, counts and claims working;
 *   <li>copy every byte it cuts out of a segment or pads over to {@code quarantine/} (a torn tail of
 *       the last segment, an unacknowledged write, may be cut without a copy);
 *   <li>recover the same messages when opened again.
 * </ul>
 *
 * A normal build replays the inputs under
 * {@code src/test/resources/org/relaymail/queue/internal/RecoveryFuzzTestInputs/recoverDamagedSpool/}.
 */
class RecoveryFuzzTest {
  private static final Instant NOW = Instant.parse("2026-01-05T08:00:00Z");
  private static final FileStoreEngine.Settings SETTINGS =
      new FileStoreEngine.Settings(1 << 20, 0, Duration.ofHours(24));
  private static final String SEG1 = "seg-0000000001.log";
  private static final String SEG2 = "seg-0000000002.log";
  private static final Spool SPOOL = buildSpool();

  /** The undamaged spool and what the test knows about it. */
  private record Spool(byte[] segment, Map<Long, Original> messages) {}

  /** One message: where its ENQUEUE record ends, its content, every recipient list it ever had. */
  private record Original(QueueId id, long enqueueEnd, byte[] content, Set<List<RecipientRecord>> states,
      boolean mayBeGone) {}

  private static Spool buildSpool() {
    try {
      PowerLossStorage storage = new PowerLossStorage(new Random(1));
      Map<Long, Original> out = new LinkedHashMap<>();
      Map<QueueId, Set<List<RecipientRecord>>> states = new HashMap<>();
      Map<QueueId, byte[]> contents = new LinkedHashMap<>();
      try (FileStoreEngine e = FileStoreEngine.open(storage, SETTINGS)) {
        QueueId[] ids = new QueueId[4];
        for (int i = 0; i < 4; i++) {
          byte[] content = ("Subject: m" + i + "\r\n\r\nbody of message " + i + "\r\n").getBytes();
          NewMessage.Builder b = NewMessage.builder(Mailbox.parse("sender@example.org"))
              .recipient(Mailbox.parse("a" + i + "@example.com")).recipient(Mailbox.parse("b" + i + "@example.net"));
          if (i == 0) {
            b.idempotencyKey("key-0").tenant("acme").tag("vip");
          }
          ids[i] = e.enqueue(b.build(), MessageContent.of(content), NOW);
          contents.put(ids[i], content);
          states.computeIfAbsent(ids[i], k -> new HashSet<>()).add(e.find(ids[i], NOW).orElseThrow().recipients());
        }
        SmtpReply ok = SmtpReply.of(250, "2.0.0 Ok");
        SmtpReply later = SmtpReply.of(451, "4.3.0 Later");
        for (ClaimedMessage c : e.claimDue(NOW, 10, Duration.ofMinutes(5))) {
          QueuedMessage m = c.message();
          Mailbox a = m.recipients().get(0).mailbox();
          Mailbox b = m.recipients().get(1).mailbox();
          if (m.id().equals(ids[1])) {
            e.recordAttempt(c.lease(), DeliveryAttempt.of(List.of(RecipientOutcome.delivered(a, ok, "mx"),
                RecipientOutcome.deferred(b, later, "mx", FailureClass.OTHER)), NOW.plusSeconds(900)), NOW);
          } else if (m.id().equals(ids[2])) {
            e.recordAttempt(c.lease(), DeliveryAttempt.of(List.of(RecipientOutcome.delivered(a, ok, "mx"),
                RecipientOutcome.delivered(b, ok, "mx"))), NOW);
            states.get(m.id()).add(e.find(m.id(), NOW).orElseThrow().recipients());
            e.complete(c.lease(), NOW);
            continue;
          }
          e.find(m.id(), NOW).ifPresent(q -> states.get(q.id()).add(q.recipients()));
          e.releaseLease(c.lease(), NOW);
        }
        e.hold(ids[3], NOW);
      }
      byte[] seg = readAll(storage, SEG1);
      // walk the framing to find where each ENQUEUE record ends (type byte 1 at body offset 1)
      Map<Long, Long> enqueueEnd = new HashMap<>();
      for (int p = 0; p + RecordCodec.HEADER <= seg.length; ) {
        ByteBuffer h = ByteBuffer.wrap(seg, p, RecordCodec.HEADER);
        if (h.getInt() != RecordCodec.MAGIC) {
          throw new IllegalStateException("unexpected bytes in the fresh segment at " + p);
        }
        int len = h.getInt();
        if (seg[p + RecordCodec.HEADER + 1] == RecordCodec.ENQUEUE) {
          long id = ByteBuffer.wrap(seg, p + RecordCodec.HEADER + 6, 8).getLong();
          enqueueEnd.put(id, (long) p + RecordCodec.HEADER + len);
        }
        p += RecordCodec.HEADER + len;
      }
      for (Map.Entry<QueueId, byte[]> c : contents.entrySet()) {
        long n = Ids.parse(c.getKey());
        out.put(n, new Original(c.getKey(), enqueueEnd.get(n), c.getValue(), states.get(c.getKey()),
            c.getKey().equals(new ArrayList<>(contents.keySet()).get(2))));
      }
      return new Spool(seg, out);
    } catch (IOException e) {
      throw new IllegalStateException("cannot build the fuzz test's spool", e);
    }
  }

  private static byte[] readAll(Storage storage, String name) throws IOException {
    try (Storage.StorageFile f = storage.open(name, false)) {
      byte[] b = new byte[(int) f.size()];
      ByteBuffer buf = ByteBuffer.wrap(b);
      while (buf.hasRemaining() && f.read(buf, buf.position()) > 0) {
        // read until full
      }
      return b;
    }
  }

  /** The damaged segments and the bytes the fuzzer contributed. */
  private static final class Damage {
    byte[] seg1 = SPOOL.segment().clone();
    byte[] seg2; // null: no second segment
    final List<byte[]> fuzzBytes = new ArrayList<>();

    static byte[] put(byte[] target, int at, byte[] data) {
      byte[] out = target.length < at + data.length ? Arrays.copyOf(target, at + data.length) : target;
      System.arraycopy(data, 0, out, at, data.length);
      return out;
    }

    /** Reads operations: op byte, 16-bit offset, 16-bit length, data. */
    static Damage parse(byte[] input) {
      Damage d = new Damage();
      ByteBuffer in = ByteBuffer.wrap(input);
      while (in.remaining() >= 5) {
        int op = (in.get() & 0xff) % 6;
        int off = in.getShort() & 0xffff;
        int len = Math.min(in.getShort() & 0xffff, in.remaining());
        byte[] data = new byte[len];
        in.get(data);
        d.fuzzBytes.add(data);
        switch (op) {
          case 0 -> d.seg1 = put(d.seg1, off % (d.seg1.length + 1), data);
          case 1 -> d.seg1 = put(d.seg1, d.seg1.length, data);
          case 2 -> d.seg1 = put(d.seg1, d.seg1.length, RecordCodec.frame(data));
          case 3 -> d.seg1 = Arrays.copyOf(d.seg1, off % (d.seg1.length + 1));
          case 4 -> d.seg2 = put(d.seg2 == null ? new byte[0] : d.seg2, d.seg2 == null ? 0 : d.seg2.length, data);
          default -> d.seg2 = put(d.seg2 == null ? new byte[0] : d.seg2, d.seg2 == null ? 0 : d.seg2.length,
              RecordCodec.frame(data));
        }
      }
      return d;
    }

    /** The first byte of the original segment that is changed or gone. */
    long damageStart() {
      byte[] orig = SPOOL.segment();
      for (int i = 0; i < orig.length; i++) {
        if (i >= seg1.length || seg1[i] != orig[i]) {
          return i;
        }
      }
      return orig.length;
    }

    boolean fuzzNames(long id) {
      byte[] needle = ByteBuffer.allocate(8).putLong(id).array();
      return fuzzBytes.stream().anyMatch(b -> GroupCommitTest.indexOf(b, needle) >= 0);
    }
  }

  @FuzzTest(maxDuration = "60s")
  void recoverDamagedSpool(byte[] input) throws IOException {
    Damage d = Damage.parse(input);
    PowerLossStorage storage = new PowerLossStorage(new Random(2));
    write(storage, SEG1, d.seg1);
    if (d.seg2 != null) {
      write(storage, SEG2, d.seg2);
    }
    storage.syncDirectory();

    Set<QueueId> recovered;
    try (FileStoreEngine e = FileStoreEngine.open(storage, SETTINGS)) {
      recovered = check(e, d);
    }
    checkQuarantine(storage, SEG1, d.seg1, d.seg2 == null, false);
    if (d.seg2 != null) {
      // when the first segment was compacted away, its live records were appended to the second
      checkQuarantine(storage, SEG2, d.seg2, true, !storage.list().contains(SEG1));
    }
    try (FileStoreEngine again = FileStoreEngine.open(storage, SETTINGS)) {
      assertEquals(recovered, check(again, d), "a second recovery found other messages");
    }
  }

  private static void write(PowerLossStorage storage, String name, byte[] bytes) throws IOException {
    try (Storage.StorageFile f = storage.open(name, true)) {
      f.write(ByteBuffer.wrap(bytes), 0);
      f.force();
    }
  }

  /** Checks the recovered store and returns its message ids. */
  private static Set<QueueId> check(FileStoreEngine e, Damage d) throws IOException {
    Set<QueueId> ids = new TreeSet<>(java.util.Comparator.comparing(QueueId::value));
    QueuePage page = e.list(QueueQuery.builder().limit(QueueQuery.MAX_LIMIT).build(), NOW);
    for (QueuedMessage m : page.messages()) {
      ids.add(m.id());
      byte[] content;
      try (InputStream in = e.openContent(m.id())) {
        content = in.readAllBytes();
      } catch (IOException ex) {
        throw new AssertionError("recovery kept " + m.id() + " but its content cannot be read back", ex);
      }
      assertEquals(m.size(), content.length, "size of " + m.id());
      Original o = SPOOL.messages().get(Ids.parse(m.id()));
      if (o != null && !d.fuzzNames(Ids.parse(m.id())) && d.damageStart() >= o.enqueueEnd()) {
        assertArrayEquals(o.content(), content, "content of " + m.id());
        assertTrue(o.states().contains(m.recipients()), "recipients of " + m.id() + " in a state they never had: "
            + m.recipients());
      }
    }
    assertEquals(ids.size(), page.messages().size(), "an id listed twice");
    assertEquals(ids.size(), e.counts(NOW).messages(), "counts disagree with list");
    long damage = d.damageStart();
    for (Original o : SPOOL.messages().values()) {
      if (!o.mayBeGone() && o.enqueueEnd() <= damage && !d.fuzzNames(Ids.parse(o.id()))) {
        assertTrue(ids.contains(o.id()), "lost " + o.id() + ", whose record ends at " + o.enqueueEnd()
            + " before the damage at " + damage);
      }
    }
    e.nextDueTime(NOW);
    for (ClaimedMessage c : e.claimDue(NOW.plus(Duration.ofDays(3650)), 1000, Duration.ofMinutes(1))) {
      assertTrue(ids.contains(c.message().id()), "claimed a message that list did not show: " + c.message().id());
    }
    return ids;
  }

  /**
   * Every byte cut out of or padded over in {@code name} is in quarantine, byte for byte; only the
   * last segment may lose a torn tail without a copy (and, if compaction appended to it, have new
   * records where that tail was).
   */
  private static void checkQuarantine(PowerLossStorage storage, String name, byte[] before, boolean last,
      boolean appendedTo) throws IOException {
    boolean[] covered = new boolean[before.length];
    String prefix = FileStoreEngine.QUARANTINE + "/" + name + "@";
    for (String f : storage.allFiles()) {
      if (!f.startsWith(prefix)) {
        continue;
      }
      int from = Integer.parseInt(f.substring(prefix.length(), f.length() - ".bad".length()));
      byte[] q = readAll(storage, f);
      assertTrue(from + q.length <= before.length, f + " holds more bytes than the segment had");
      assertArrayEquals(Arrays.copyOfRange(before, from, from + q.length), q, f + " is not the bytes cut out");
      Arrays.fill(covered, from, from + q.length, true);
    }
    if (!storage.list().contains(name)) {
      return; // compacted away after recovery: its live records were copied forward
    }
    byte[] after = readAll(storage, name);
    int keep = Math.min(after.length, before.length);
    for (int i = 0; i < keep; i++) {
      if (after[i] != before[i] && !covered[i]) {
        if (last && appendedTo) {
          break; // a torn tail cut here, then records copied forward were appended
        }
        fail(name + ": byte " + i + " was changed by recovery but not quarantined");
      }
    }
    if (!last) {
      for (int i = keep; i < before.length; i++) {
        if (!covered[i]) {
          fail(name + ": bytes from " + i + " were cut from a finished segment but not quarantined");
        }
      }
    }
  }
}
