package org.relaymail.queue.internal.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.SmtpReply;
import org.relaymail.queue.BodyKind;
import org.relaymail.queue.FailureClass;
import org.relaymail.queue.NotifyCondition;
import org.relaymail.queue.QueuedMessage;
import org.relaymail.queue.RecipientRecord;
import org.relaymail.queue.RecipientState;
import org.relaymail.queue.ReturnOption;
import org.relaymail.queue.internal.Ids;

/** Maps the queue tables' rows to snapshots and back. Stateless. */
public final class Rows {
  private Rows() {}

  /** The message columns read by {@link #loadMessages}, followed by the lease clock's now. */
  static final String MESSAGE_COLUMNS = "id, sender, env_id, ret, body, smtp_utf8, arrival_time, size, tenant, tags, "
      + "idempotency_key, next_attempt_at, held, lease_token, lease_expires_at";

  /**
   * Loads messages with their recipients.
   *
   * @param c the connection
   * @param ids the message ids
   * @param leaseNow the lease clock's now to bind (null: the database's now)
   * @param callerNow the caller's now (lease times are translated onto it)
   * @return the snapshots by id (missing ids are absent)
   * @throws SQLException on a database error
   */
  public static Map<Long, QueuedMessage> loadMessages(Connection c, long[] ids, Instant leaseNow, Instant callerNow)
      throws SQLException {
    Map<Long, List<RecipientRecord>> rcpts = new HashMap<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT message_id, mailbox, notify_on, orcpt, state, attempts, "
        + "first_attempt_at, last_attempt_at, last_reply_code, last_reply_lines, remote_mta, failure_class, "
        + "delay_warning_sent, bounce_sent FROM relaymail_recipient WHERE message_id = ANY(?) "
        + "ORDER BY message_id, ordinal")) {
      ps.setArray(1, Sql.bigintArray(c, ids));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          rcpts.computeIfAbsent(rs.getLong("message_id"), k -> new ArrayList<>()).add(recipient(rs));
        }
      }
    }
    Map<Long, QueuedMessage> out = new HashMap<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT " + MESSAGE_COLUMNS + ", " + Sql.LEASE_NOW
        + " AS lease_now FROM relaymail_message WHERE id = ANY(?)")) {
      Sql.setTime(ps, 1, leaseNow);
      ps.setArray(2, Sql.bigintArray(c, ids));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long id = rs.getLong("id");
          out.put(id, message(rs, rcpts.getOrDefault(id, List.of()), callerNow));
        }
      }
    }
    return out;
  }

  private static QueuedMessage message(ResultSet rs, List<RecipientRecord> recipients, Instant callerNow)
      throws SQLException {
    String sender = rs.getString("sender");
    String ret = rs.getString("ret");
    String tenant = rs.getString("tenant");
    List<String> tags = Sql.strings(rs, "tags");
    Optional<Instant> leasedUntil = Optional.empty();
    Instant expiry = Sql.time(rs, "lease_expires_at");
    Instant leaseNow = Sql.time(rs, "lease_now");
    if (rs.getString("lease_token") != null && expiry.isAfter(leaseNow)) {
      leasedUntil = Optional.of(toCallerClock(expiry, leaseNow, callerNow));
    }
    return new QueuedMessage(Ids.format(rs.getLong("id")), sender.isEmpty() ? Mailbox.NULL : Mailbox.parse(sender),
        recipients, Optional.ofNullable(rs.getString("env_id")), Optional.ofNullable(ret).map(ReturnOption::valueOf),
        BodyKind.fromKeyword(rs.getString("body")), rs.getBoolean("smtp_utf8"), Sql.time(rs, "arrival_time"),
        rs.getLong("size"), Optional.ofNullable(tenant), tags == null ? Set.of() : new LinkedHashSet<>(tags),
        Optional.ofNullable(rs.getString("idempotency_key")), Sql.time(rs, "next_attempt_at"), rs.getBoolean("held"),
        leasedUntil);
  }

  /**
   * Translates a time on the lease clock onto the caller's clock (identity when both are the same).
   *
   * @param leaseTime the time on the lease clock
   * @param leaseNow the lease clock's now
   * @param callerNow the caller's now
   * @return {@code callerNow + (leaseTime - leaseNow)}
   */
  public static Instant toCallerClock(Instant leaseTime, Instant leaseNow, Instant callerNow) {
    return callerNow.plus(Duration.between(leaseNow, leaseTime));
  }

  private static RecipientRecord recipient(ResultSet rs) throws SQLException {
    Set<NotifyCondition> notify = EnumSet.noneOf(NotifyCondition.class);
    for (String n : Sql.strings(rs, "notify_on")) {
      notify.add(NotifyCondition.valueOf(n));
    }
    int code = rs.getInt("last_reply_code");
    Optional<SmtpReply> reply = rs.wasNull() ? Optional.empty()
        : Optional.of(SmtpReply.of(code, Sql.strings(rs, "last_reply_lines")));
    return new RecipientRecord(Mailbox.parse(rs.getString("mailbox")), notify, Optional.ofNullable(rs.getString("orcpt")),
        RecipientState.valueOf(rs.getString("state")), rs.getInt("attempts"), Sql.optTime(rs, "first_attempt_at"),
        Sql.optTime(rs, "last_attempt_at"), reply, Optional.ofNullable(rs.getString("remote_mta")),
        FailureClass.fromStoredName(rs.getString("failure_class")), rs.getBoolean("delay_warning_sent"),
        rs.getBoolean("bounce_sent"));
  }

  /** The insert for one recipient row; bind with {@link #bindRecipientInsert}. */
  public static final String INSERT_RECIPIENT = "INSERT INTO relaymail_recipient (message_id, ordinal, mailbox, domain, "
      + "notify_on, orcpt, state, attempts, first_attempt_at, last_attempt_at, last_reply_code, last_reply_lines, "
      + "last_reply_enhanced, remote_mta, failure_class, delay_warning_sent, bounce_sent) "
      + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

  /**
   * Binds {@link #INSERT_RECIPIENT}.
   *
   * @param c the connection
   * @param ps the statement
   * @param messageId the message
   * @param ordinal the recipient's position
   * @param r the record
   * @throws SQLException on a driver error
   */
  public static void bindRecipientInsert(Connection c, PreparedStatement ps, long messageId, int ordinal,
      RecipientRecord r) throws SQLException {
    ps.setLong(1, messageId);
    ps.setInt(2, ordinal);
    ps.setString(3, r.mailbox().address());
    ps.setString(4, r.mailbox().domain().toLowerCase(java.util.Locale.ROOT));
    List<String> notify = new ArrayList<>();
    for (NotifyCondition n : NotifyCondition.values()) {
      if (r.notifyOn().contains(n)) {
        notify.add(n.name());
      }
    }
    ps.setArray(5, Sql.textArray(c, notify));
    ps.setString(6, r.orcpt().orElse(null));
    bindState(c, ps, 7, r);
  }

  /** The update of one recipient's mutable state; bind with {@link #bindRecipientUpdate}. */
  public static final String UPDATE_RECIPIENT = "UPDATE relaymail_recipient SET state = ?, attempts = ?, "
      + "first_attempt_at = ?, last_attempt_at = ?, last_reply_code = ?, last_reply_lines = ?, last_reply_enhanced = ?, "
      + "remote_mta = ?, failure_class = ?, delay_warning_sent = ?, bounce_sent = ? WHERE message_id = ? AND ordinal = ?";

  /**
   * Binds {@link #UPDATE_RECIPIENT}.
   *
   * @param c the connection
   * @param ps the statement
   * @param messageId the message
   * @param ordinal the recipient's position
   * @param r the new record
   * @throws SQLException on a driver error
   */
  public static void bindRecipientUpdate(Connection c, PreparedStatement ps, long messageId, int ordinal,
      RecipientRecord r) throws SQLException {
    bindState(c, ps, 1, r);
    ps.setLong(12, messageId);
    ps.setInt(13, ordinal);
  }

  /** Binds the 11 state columns from state to bounce_sent starting at {@code i}. */
  private static void bindState(Connection c, PreparedStatement ps, int i, RecipientRecord r) throws SQLException {
    ps.setString(i, r.state().name());
    ps.setInt(i + 1, r.attempts());
    Sql.setTime(ps, i + 2, r.firstAttemptAt().orElse(null));
    Sql.setTime(ps, i + 3, r.lastAttemptAt().orElse(null));
    if (r.lastReply().isPresent()) {
      SmtpReply reply = r.lastReply().get();
      ps.setInt(i + 4, reply.code());
      ps.setArray(i + 5, Sql.textArray(c, reply.lines()));
      ps.setString(i + 6, reply.enhancedStatus().map(Object::toString).orElse(null));
    } else {
      ps.setNull(i + 4, Types.INTEGER);
      ps.setNull(i + 5, Types.ARRAY);
      ps.setNull(i + 6, Types.VARCHAR);
    }
    ps.setString(i + 7, r.remoteMta().orElse(null));
    ps.setString(i + 8, r.failureClass().name());
    ps.setBoolean(i + 9, r.delayWarningSent());
    ps.setBoolean(i + 10, r.bounceSent());
  }
}
