package org.relaymail.queue.internal;

import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.zip.CRC32C;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.SmtpReply;
import org.relaymail.queue.BodyKind;
import org.relaymail.queue.FailureClass;
import org.relaymail.queue.NotifyCondition;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.QueuedMessage;
import org.relaymail.queue.RecipientRecord;
import org.relaymail.queue.RecipientState;
import org.relaymail.queue.ReturnOption;

/**
 * The segment log's record format, version 1. Every record is
 *
 * <pre>
 *   int  magic   0x524D5131 ("RMQ1")
 *   int  length  of the body (at least 2)
 *   int  crc     CRC32C of the body
 *   body: byte version (1), byte type, payload
 * </pre>
 *
 * Types: ENQUEUE (id, envelope header with its own length, content length, content), STATE (id and a
 * full snapshot of the mutable part: next attempt, hold flag, every recipient's state), REMOVE (id),
 * IDEMPOTENCY (key, id, until), PAD (covers bytes cut out at recovery). Numbers are big-endian,
 * strings modified UTF-8 ({@link DataOutputStream#writeUTF}), times epoch milliseconds.
 * Stateless; thread-safe.
 */
public final class RecordCodec {
  /** The record magic. */
  public static final int MAGIC = 0x524D5131;
  /** Header bytes before the body. */
  public static final int HEADER = 12;
  /** The format version written. */
  public static final byte VERSION = 1;
  /** Record types. */
  public static final byte ENQUEUE = 1;
  /** State snapshot. */
  public static final byte STATE = 2;
  /** Removal. */
  public static final byte REMOVE = 3;
  /** Padding. */
  public static final byte PAD = 4;
  /** Remembered idempotency key. */
  public static final byte IDEMPOTENCY = 5;

  private RecordCodec() {}

  /** The immutable part of a message as stored in its ENQUEUE record. */
  public record Header(long id, Mailbox sender, List<RecipientRecord> recipients, Optional<String> envId,
      Optional<ReturnOption> ret, BodyKind body, boolean smtpUtf8, Instant arrival, long size, Optional<String> tenant,
      Set<String> tags, Optional<String> idempotencyKey, int headerLength) {

    /**
     * The offset of the content from the start of the body.
     *
     * @return 2 (version, type) + 4 (header length) + header + 8 (content length)
     */
    public long contentOffsetInBody() {
      return 2 + 4 + headerLength + 8;
    }
  }

  /** The mutable part of a message as stored in its STATE record. */
  public record State(long id, Instant nextAttemptAt, boolean held, List<RecipientRecord> recipients) {}

  // ------------------------------------------------------------------ framing

  /**
   * Frames a body: magic, length, CRC32C, body.
   *
   * @param body the body (version and type first)
   * @return the record
   */
  public static byte[] frame(byte[] body) {
    ByteBuffer b = ByteBuffer.allocate(HEADER + body.length);
    CRC32C crc = new CRC32C();
    crc.update(body);
    b.putInt(MAGIC).putInt(body.length).putInt((int) crc.getValue()).put(body);
    return b.array();
  }

  /**
   * A PAD record of exactly {@code total} bytes.
   *
   * @param total at least {@link #HEADER} + 2
   * @return the record
   */
  public static byte[] pad(int total) {
    byte[] body = new byte[total - HEADER];
    body[0] = VERSION;
    body[1] = PAD;
    return frame(body);
  }

  // ------------------------------------------------------------------ encode

  /**
   * The body prefix of an ENQUEUE record, up to and including the content length; the content follows.
   *
   * @param m the message (its id is a number from {@link Ids})
   * @param id the id as a number
   * @return version, type, header length, header, content length
   */
  public static byte[] enqueuePrefix(QueuedMessage m, long id) {
    try {
      ByteArrayOutputStream hb = new ByteArrayOutputStream(256);
      DataOutputStream h = new DataOutputStream(hb);
      h.writeLong(id);
      h.writeLong(m.arrivalTime().toEpochMilli());
      h.writeUTF(m.sender().isNull() ? "" : m.sender().address());
      int flags = (m.smtpUtf8() ? 1 : 0) | (m.envId().isPresent() ? 2 : 0) | (m.ret().isPresent() ? 4 : 0)
          | (m.tenant().isPresent() ? 8 : 0) | (m.idempotencyKey().isPresent() ? 16 : 0);
      h.writeByte(flags);
      h.writeUTF(m.body().keyword());
      if (m.envId().isPresent()) {
        h.writeUTF(m.envId().get());
      }
      if (m.ret().isPresent()) {
        h.writeUTF(m.ret().get().name());
      }
      if (m.tenant().isPresent()) {
        h.writeUTF(m.tenant().get());
      }
      if (m.idempotencyKey().isPresent()) {
        h.writeUTF(m.idempotencyKey().get());
      }
      h.writeShort(m.tags().size());
      for (String t : m.tags()) {
        h.writeUTF(t);
      }
      h.writeInt(m.recipients().size());
      for (RecipientRecord r : m.recipients()) {
        h.writeUTF(r.mailbox().address());
        int bits = 0;
        for (NotifyCondition c : r.notifyOn()) {
          bits |= 1 << c.ordinal();
        }
        h.writeByte(bits);
        h.writeBoolean(r.orcpt().isPresent());
        if (r.orcpt().isPresent()) {
          h.writeUTF(r.orcpt().get());
        }
      }
      h.flush();
      ByteArrayOutputStream out = new ByteArrayOutputStream(hb.size() + 16);
      DataOutputStream d = new DataOutputStream(out);
      d.writeByte(VERSION);
      d.writeByte(ENQUEUE);
      d.writeInt(hb.size());
      hb.writeTo(d);
      d.writeLong(m.size());
      d.flush();
      return out.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("in-memory encoding failed", e);
    }
  }

  /**
   * The body of a STATE record.
   *
   * @param id the id
   * @param m the message
   * @return the body
   */
  public static byte[] state(long id, QueuedMessage m) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream(64 + 64 * m.recipients().size());
      DataOutputStream d = new DataOutputStream(out);
      d.writeByte(VERSION);
      d.writeByte(STATE);
      d.writeLong(id);
      d.writeLong(m.nextAttemptAt().toEpochMilli());
      d.writeBoolean(m.held());
      d.writeInt(m.recipients().size());
      for (RecipientRecord r : m.recipients()) {
        d.writeByte(stateCode(r.state()));
        d.writeInt(r.attempts());
        d.writeLong(r.firstAttemptAt().map(Instant::toEpochMilli).orElse(Long.MIN_VALUE));
        d.writeLong(r.lastAttemptAt().map(Instant::toEpochMilli).orElse(Long.MIN_VALUE));
        if (r.lastReply().isPresent()) {
          SmtpReply reply = r.lastReply().get();
          d.writeShort(reply.code());
          d.writeShort(reply.lines().size());
          for (String line : reply.lines()) {
            d.writeUTF(line);
          }
        } else {
          d.writeShort(0);
        }
        d.writeUTF(r.remoteMta().orElse(""));
        d.writeUTF(r.failureClass().name());
        d.writeByte((r.delayWarningSent() ? 1 : 0) | (r.bounceSent() ? 2 : 0));
      }
      d.flush();
      return out.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("in-memory encoding failed", e);
    }
  }

  /**
   * The body of a REMOVE record.
   *
   * @param id the id
   * @return the body
   */
  public static byte[] remove(long id) {
    return ByteBuffer.allocate(10).put(VERSION).put(REMOVE).putLong(id).array();
  }

  /**
   * The body of an IDEMPOTENCY record.
   *
   * @param key the key
   * @param id the id it maps to
   * @param untilMillis until when
   * @return the body
   */
  public static byte[] idempotency(String key, long id, long untilMillis) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      DataOutputStream d = new DataOutputStream(out);
      d.writeByte(VERSION);
      d.writeByte(IDEMPOTENCY);
      d.writeUTF(key);
      d.writeLong(id);
      d.writeLong(untilMillis);
      d.flush();
      return out.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("in-memory encoding failed", e);
    }
  }

  // ------------------------------------------------------------------ decode

  /**
   * Reads an ENQUEUE header; the input is positioned after version and type.
   *
   * @param in the input
   * @return the header, recipients PENDING
   * @throws IOException on a malformed record
   */
  public static Header readHeader(DataInput in) throws IOException {
    int headerLength = in.readInt();
    long id = in.readLong();
    Instant arrival = Instant.ofEpochMilli(in.readLong());
    String sender = in.readUTF();
    int flags = in.readUnsignedByte();
    BodyKind body = BodyKind.fromKeyword(in.readUTF());
    Optional<String> envId = (flags & 2) != 0 ? Optional.of(in.readUTF()) : Optional.empty();
    Optional<ReturnOption> ret = (flags & 4) != 0 ? Optional.of(ReturnOption.valueOf(in.readUTF())) : Optional.empty();
    Optional<String> tenant = (flags & 8) != 0 ? Optional.of(in.readUTF()) : Optional.empty();
    Optional<String> key = (flags & 16) != 0 ? Optional.of(in.readUTF()) : Optional.empty();
    int tagCount = in.readUnsignedShort();
    Set<String> tags = new LinkedHashSet<>();
    for (int i = 0; i < tagCount; i++) {
      tags.add(in.readUTF());
    }
    int n = in.readInt();
    if (n < 1 || n > 100_000) {
      throw new IOException("recipient count out of range: " + n);
    }
    List<RecipientRecord> rs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Mailbox mb = Mailbox.parse(in.readUTF());
      int bits = in.readUnsignedByte();
      Set<NotifyCondition> notify = EnumSet.noneOf(NotifyCondition.class);
      for (NotifyCondition c : NotifyCondition.values()) {
        if ((bits & (1 << c.ordinal())) != 0) {
          notify.add(c);
        }
      }
      Optional<String> orcpt = in.readBoolean() ? Optional.of(in.readUTF()) : Optional.empty();
      rs.add(new RecipientRecord(mb, notify, orcpt, RecipientState.PENDING, 0, Optional.empty(), Optional.empty(),
          Optional.empty(), Optional.empty(), FailureClass.NONE, false, false));
    }
    long size = in.readLong();
    return new Header(id, sender.isEmpty() ? Mailbox.NULL : Mailbox.parse(sender), rs, envId, ret, body,
        (flags & 1) != 0, arrival, size, tenant, tags, key, headerLength);
  }

  /**
   * Reads a STATE record's payload; the input is positioned after version and type.
   *
   * @param in the input
   * @param base the recipients from the header (address, NOTIFY, ORCPT)
   * @return the state
   * @throws IOException on a malformed record
   */
  public static State readState(DataInput in, List<RecipientRecord> base) throws IOException {
    long id = in.readLong();
    Instant next = Instant.ofEpochMilli(in.readLong());
    boolean held = in.readBoolean();
    int n = in.readInt();
    if (n != base.size()) {
      throw new IOException("state record has " + n + " recipients, the message " + base.size());
    }
    List<RecipientRecord> rs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      RecipientState st = stateOf(in.readByte());
      int attempts = in.readInt();
      long first = in.readLong();
      long last = in.readLong();
      int code = in.readUnsignedShort();
      Optional<SmtpReply> reply = Optional.empty();
      if (code != 0) {
        int lines = in.readUnsignedShort();
        List<String> ls = new ArrayList<>(lines);
        for (int j = 0; j < lines; j++) {
          ls.add(in.readUTF());
        }
        reply = Optional.of(SmtpReply.of(code, ls));
      }
      String mta = in.readUTF();
      FailureClass fc = FailureClass.fromStoredName(in.readUTF());
      int fl = in.readUnsignedByte();
      RecipientRecord b = base.get(i);
      rs.add(new RecipientRecord(b.mailbox(), b.notifyOn(), b.orcpt(), st, attempts, time(first), time(last), reply,
          mta.isEmpty() ? Optional.empty() : Optional.of(mta), fc, (fl & 1) != 0, (fl & 2) != 0));
    }
    return new State(id, next, held, rs);
  }

  /**
   * Reads only the fields of a STATE record the index needs.
   *
   * @param in the input after version and type
   * @param stateCounts receives the number of recipients per state (indexed by ordinal)
   * @return {id, nextAttemptMillis, held ? 1 : 0, anyAttempts ? 1 : 0}
   * @throws IOException on a malformed record
   */
  public static long[] readStateSummary(DataInput in, int[] stateCounts) throws IOException {
    long id = in.readLong();
    long next = in.readLong();
    boolean held = in.readBoolean();
    int n = in.readInt();
    boolean tried = false;
    java.util.Arrays.fill(stateCounts, 0);
    for (int i = 0; i < n; i++) {
      RecipientState st = stateOf(in.readByte());
      stateCounts[st.ordinal()]++;
      int attempts = in.readInt();
      tried |= attempts > 0;
      in.readLong();
      in.readLong();
      int code = in.readUnsignedShort();
      if (code != 0) {
        int lines = in.readUnsignedShort();
        for (int j = 0; j < lines; j++) {
          in.readUTF();
        }
      }
      in.readUTF();
      FailureClass.fromStoredName(in.readUTF());
      in.readUnsignedByte();
    }
    return new long[] {id, next, held ? 1 : 0, tried ? 1 : 0};
  }

  private static Optional<Instant> time(long millis) {
    return millis == Long.MIN_VALUE ? Optional.empty() : Optional.of(Instant.ofEpochMilli(millis));
  }

  private static byte stateCode(RecipientState s) {
    return switch (s) {
      case PENDING -> 0;
      case DEFERRED -> 1;
      case DELIVERED -> 2;
      case FAILED -> 3;
      case EXPIRED -> 4;
    };
  }

  private static RecipientState stateOf(byte code) throws IOException {
    return switch (code) {
      case 0 -> RecipientState.PENDING;
      case 1 -> RecipientState.DEFERRED;
      case 2 -> RecipientState.DELIVERED;
      case 3 -> RecipientState.FAILED;
      case 4 -> RecipientState.EXPIRED;
      default -> throw new IOException("unknown recipient state code " + code);
    };
  }

  /**
   * Turns a QueueId into the store's number.
   *
   * @param id the id
   * @return the number or -1
   */
  public static long number(QueueId id) {
    return Ids.parse(id);
  }
}
