package org.relaymail.relay.internal.admin;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Optional;
import org.relaymail.protocol.DsnNotify;
import org.relaymail.protocol.DsnReturn;
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
import org.relaymail.relay.OutgoingMessage;
import org.relaymail.relay.Recipient;

/**
 * The admin protocol's value lines: the queue's public value types ({@link QueueQuery},
 * {@link QueuedMessage} with its {@link RecipientRecord}s, {@link QueueCounts}) to and from
 * {@link AdminLine}s. Decoding rebuilds the values through their constructors, so a line that
 * describes an impossible value is refused with the value type's own message. Stateless and
 * thread-safe.
 */
public final class AdminCodec {
  private AdminCodec() {}

  // ---------------------------------------------------------------- queries

  /**
   * A {@code list} request.
   *
   * @param q the query
   * @return the request line
   */
  public static AdminLine list(QueueQuery q) {
    AdminLine.Builder b = AdminLine.of(AdminProtocol.LIST);
    for (MessageStatus s : MessageStatus.values()) {
      if (q.statuses().contains(s)) {
        b.put("status", s.name());
      }
    }
    b.put("tenant", q.tenant()).put("tag", q.tag()).put("sender-domain", q.senderDomain())
        .put("rcpt-domain", q.recipientDomain()).put("after", q.after().map(QueueId::value)).put("limit", q.limit());
    return b.build();
  }

  /**
   * Reads a {@code list} request.
   *
   * @param l the request line
   * @return the query
   * @throws IllegalArgumentException on a bad field
   */
  public static QueueQuery query(AdminLine l) {
    QueueQuery.Builder b = QueueQuery.builder();
    for (String s : l.all("status")) {
      b.status(enumValue(MessageStatus.class, s, "status"));
    }
    l.get("tenant").ifPresent(b::tenant);
    l.get("tag").ifPresent(b::tag);
    l.get("sender-domain").ifPresent(b::senderDomain);
    l.get("rcpt-domain").ifPresent(b::recipientDomain);
    l.get("after").ifPresent(a -> b.after(new QueueId(a)));
    l.get("limit").ifPresent(v -> b.limit(integer(v, "limit")));
    return b.build();
  }

  // ---------------------------------------------------------------- messages

  /**
   * A message as a {@code message} line followed by one {@code rcpt} line per recipient.
   *
   * @param m the message
   * @return the lines
   */
  public static List<AdminLine> message(QueuedMessage m) {
    List<AdminLine> out = new ArrayList<>(1 + m.recipients().size());
    AdminLine.Builder b = AdminLine.of(AdminProtocol.MESSAGE)
        .put("id", m.id().value())
        .put("sender", m.sender().address())
        .put("envid", m.envId())
        .put("ret", m.ret().map(Enum::name))
        .put("body", m.body().name())
        .put("smtputf8", m.smtpUtf8())
        .put("arrival", m.arrivalTime())
        .put("size", m.size())
        .put("tenant", m.tenant());
    for (String t : m.tags()) {
      b.put("tag", t);
    }
    b.put("idempotency-key", m.idempotencyKey())
        .put("next", m.nextAttemptAt())
        .put("held", m.held())
        .put("leased-until", m.leasedUntil())
        .put("rcpts", m.recipients().size());
    out.add(b.build());
    for (RecipientRecord r : m.recipients()) {
      AdminLine.Builder rb = AdminLine.of(AdminProtocol.RCPT)
          .put("mailbox", r.mailbox().address());
      if (!r.notifyOn().isEmpty()) {
        rb.put("notify", String.join(",", EnumSet.copyOf(r.notifyOn()).stream().map(Enum::name).toList()));
      }
      rb.put("orcpt", r.orcpt())
          .put("state", r.state().name())
          .put("attempts", r.attempts())
          .put("first", r.firstAttemptAt())
          .put("last", r.lastAttemptAt())
          .put("reply", r.lastReply().map(AdminCodec::reply))
          .put("remote-mta", r.remoteMta())
          .put("class", r.failureClass().name())
          .put("warned", r.delayWarningSent())
          .put("bounced", r.bounceSent());
      out.add(rb.build());
    }
    return out;
  }

  /**
   * Reads a message from its {@code message} line and the {@code rcpt} lines after it.
   *
   * @param lines the response lines
   * @param at the index of the {@code message} line
   * @return the message; it used {@code 1 + recipients} lines
   * @throws IllegalArgumentException on a malformed or impossible message
   */
  public static QueuedMessage message(List<AdminLine> lines, int at) {
    AdminLine l = lines.get(at);
    expect(l, AdminProtocol.MESSAGE);
    int n = integer(l.require("rcpts"), "rcpts");
    if (n < 1 || at + n >= lines.size()) {
      throw new IllegalArgumentException("message " + l.get("id").orElse("?") + " announces " + n
          + " recipient lines but " + (lines.size() - at - 1) + " follow");
    }
    List<RecipientRecord> rcpts = new ArrayList<>(n);
    for (int i = 1; i <= n; i++) {
      rcpts.add(recipient(lines.get(at + i)));
    }
    Set<String> tags = new LinkedHashSet<>(l.all("tag"));
    return new QueuedMessage(
        new QueueId(l.require("id")),
        mailbox(l.require("sender"), true),
        rcpts,
        l.get("envid"),
        l.get("ret").map(v -> enumValue(ReturnOption.class, v, "ret")),
        enumValue(BodyKind.class, l.require("body"), "body"),
        bool(l.require("smtputf8"), "smtputf8"),
        instant(l.require("arrival"), "arrival"),
        longValue(l.require("size"), "size"),
        l.get("tenant"),
        tags,
        l.get("idempotency-key"),
        instant(l.require("next"), "next"),
        bool(l.require("held"), "held"),
        l.get("leased-until").map(v -> instant(v, "leased-until")));
  }

  private static RecipientRecord recipient(AdminLine l) {
    expect(l, AdminProtocol.RCPT);
    Set<NotifyCondition> notify = EnumSet.noneOf(NotifyCondition.class);
    for (String v : l.get("notify").map(s -> Arrays.asList(s.split(",", -1))).orElse(List.of())) {
      notify.add(enumValue(NotifyCondition.class, v, "notify"));
    }
    return new RecipientRecord(
        mailbox(l.require("mailbox"), false),
        notify,
        l.get("orcpt"),
        enumValue(RecipientState.class, l.require("state"), "state"),
        integer(l.require("attempts"), "attempts"),
        l.get("first").map(v -> instant(v, "first")),
        l.get("last").map(v -> instant(v, "last")),
        l.get("reply").map(AdminCodec::reply),
        l.get("remote-mta"),
        enumValue(FailureClass.class, l.require("class"), "class"),
        bool(l.require("warned"), "warned"),
        bool(l.require("bounced"), "bounced"));
  }

  /**
   * A reply as one value: the code, then a line feed before each line's text (escaped on the wire).
   *
   * @param r the reply
   * @return the value
   */
  static String reply(SmtpReply r) {
    StringBuilder sb = new StringBuilder().append(r.code());
    for (String line : r.lines()) {
      sb.append('\n').append(line);
    }
    return sb.toString();
  }

  static SmtpReply reply(String v) {
    String[] parts = v.split("\n", -1);
    return SmtpReply.of(integer(parts[0], "reply code"), Arrays.asList(parts).subList(1, parts.length));
  }

  private static Mailbox mailbox(String v, boolean nullAllowed) {
    if (v.isEmpty() && nullAllowed) {
      return Mailbox.NULL;
    }
    return Mailbox.parse(v);
  }

  // ---------------------------------------------------------------- submit

  /**
   * A {@code submit} request line: the message's envelope and DSN options, and the size of the
   * content that follows.
   *
   * @param m the message (its content is not read)
   * @param size the content's length in bytes
   * @return the line
   */
  public static AdminLine submit(OutgoingMessage m, long size) {
    AdminLine.Builder b = AdminLine.of(AdminProtocol.SUBMIT).put("sender", m.sender().address());
    for (Recipient r : m.recipients()) {
      b.put("rcpt", r.mailbox().address());
    }
    for (Recipient r : m.recipients()) {
      b.put("notify", String.join(",", r.notifyOn().stream().map(Enum::name).toList()));
    }
    for (Recipient r : m.recipients()) {
      b.put("orcpt", r.originalRecipient().orElse(""));
    }
    return b.put("ret", m.dsnReturn().map(Enum::name)).put("envid", m.envelopeId()).put("size", size).build();
  }

  /**
   * The envelope of a {@code submit} request line, ready for its content.
   *
   * @param l the line
   * @return a builder with sender, recipients and DSN options set
   * @throws org.relaymail.protocol.InvalidAddressException if an address is bad
   * @throws IllegalArgumentException if a field is missing or malformed
   */
  public static OutgoingMessage.Builder submission(AdminLine l) {
    expect(l, AdminProtocol.SUBMIT);
    OutgoingMessage.Builder b = OutgoingMessage.builder().sender(mailbox(l.require("sender"), true));
    List<String> rcpts = l.all("rcpt");
    List<String> notify = l.all("notify");
    List<String> orcpt = l.all("orcpt");
    if (rcpts.isEmpty()) {
      throw new IllegalArgumentException("a submit request needs at least one rcpt field");
    }
    if (notify.size() != rcpts.size() || orcpt.size() != rcpts.size()) {
      throw new IllegalArgumentException("a submit request needs one notify and one orcpt field per rcpt: "
          + rcpts.size() + " rcpt, " + notify.size() + " notify, " + orcpt.size() + " orcpt");
    }
    for (int i = 0; i < rcpts.size(); i++) {
      Set<DsnNotify> n = EnumSet.noneOf(DsnNotify.class);
      if (!notify.get(i).isEmpty()) {
        for (String x : notify.get(i).split(",", -1)) {
          n.add(enumValue(DsnNotify.class, x, "notify"));
        }
      }
      String o = orcpt.get(i);
      b.recipient(new Recipient(mailbox(rcpts.get(i), false), n, o.isEmpty() ? Optional.empty() : Optional.of(o)));
    }
    l.get("ret").ifPresent(r -> b.dsnReturn(enumValue(DsnReturn.class, r, "ret")));
    l.get("envid").ifPresent(b::envelopeId);
    return b;
  }

  /**
   * The {@code size} field of a {@code submit} request line.
   *
   * @param l the line
   * @return the size
   * @throws IllegalArgumentException if it is missing, not a number or negative
   */
  public static long submitSize(AdminLine l) {
    long n = longValue(l.require("size"), "size");
    if (n < 0) {
      throw new IllegalArgumentException("size must not be negative: " + n);
    }
    return n;
  }

  // ---------------------------------------------------------------- counts

  /**
   * Counts as one {@code counts} line.
   *
   * @param c the counts
   * @return the line
   */
  public static AdminLine counts(QueueCounts c) {
    AdminLine.Builder b = AdminLine.of(AdminProtocol.COUNTS).put("messages", c.messages());
    for (MessageStatus s : MessageStatus.values()) {
      b.put("status." + s.name(), c.count(s));
    }
    for (RecipientState s : RecipientState.values()) {
      b.put("rcpt." + s.name(), c.recipients(s));
    }
    return b.build();
  }

  /**
   * Reads a {@code counts} line; statuses and states the line does not name count 0.
   *
   * @param l the line
   * @return the counts
   * @throws IllegalArgumentException if the counts do not add up or a number is bad
   */
  public static QueueCounts counts(AdminLine l) {
    expect(l, AdminProtocol.COUNTS);
    Map<MessageStatus, Long> byStatus = new EnumMap<>(MessageStatus.class);
    for (MessageStatus s : MessageStatus.values()) {
      byStatus.put(s, l.get("status." + s.name()).map(v -> longValue(v, "status count")).orElse(0L));
    }
    Map<RecipientState, Long> byState = new EnumMap<>(RecipientState.class);
    for (RecipientState s : RecipientState.values()) {
      byState.put(s, l.get("rcpt." + s.name()).map(v -> longValue(v, "recipient count")).orElse(0L));
    }
    return new QueueCounts(longValue(l.require("messages"), "messages"), byStatus, byState);
  }

  // ---------------------------------------------------------------- scalars

  static void expect(AdminLine l, String word) {
    if (!l.word().equals(word)) {
      throw new IllegalArgumentException("expected a '" + word + "' line, got '" + l.word() + "'");
    }
  }

  /**
   * Parses an int field.
   *
   * @param v the text
   * @param what the field, for the message
   * @return the number
   * @throws IllegalArgumentException if it is not a decimal int
   */
  public static int integer(String v, String what) {
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + " must be a decimal integer: \"" + v + "\"", e);
    }
  }

  static long longValue(String v, String what) {
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + " must be a decimal integer: \"" + v + "\"", e);
    }
  }

  /**
   * Parses a boolean field.
   *
   * @param v {@code true} or {@code false}
   * @param what the field, for the message
   * @return the value
   * @throws IllegalArgumentException otherwise
   */
  public static boolean bool(String v, String what) {
    return switch (v) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new IllegalArgumentException(what + " must be true or false: \"" + v + "\"");
    };
  }

  static Instant instant(String v, String what) {
    try {
      return Instant.parse(v);
    } catch (java.time.format.DateTimeParseException e) {
      throw new IllegalArgumentException(what + " must be an ISO-8601 instant: \"" + v + "\"", e);
    }
  }

  static <E extends Enum<E>> E enumValue(Class<E> type, String v, String what) {
    try {
      return Enum.valueOf(type, v);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(what + " must be one of " + Arrays.toString(type.getEnumConstants()) + ": \""
          + v + "\"", e);
    }
  }
}
