package org.relaymail.testsupport;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Decides how the {@link ScriptedSmtpServer} answers a command: returns a {@link Response}, or
 * null to leave the decision to the next rule and finally to the server's default behaviour.
 * Rules are called on the session's thread; a rule shared between sessions must be thread-safe
 * (the factories here are).
 */
@FunctionalInterface
public interface Rule {

  /**
   * Decides the answer to one command.
   *
   * @param session the session state (before the command takes effect)
   * @param command the command
   * @return the response, or null to pass
   */
  Response apply(SmtpSession session, Command command);

  /**
   * Answers every command of a stage with the same response.
   *
   * @param stage the stage
   * @param response the response
   * @return the rule
   */
  static Rule at(Stage stage, Response response) {
    return (s, c) -> c.stage() == stage ? response : null;
  }

  /**
   * Answers the {@code n}-th command of a stage, counted over the whole server (all sessions),
   * with the response; the others pass. Thread-safe.
   *
   * @param stage the stage
   * @param n 1 for the first
   * @param response the response
   * @return the rule
   */
  static Rule atNth(Stage stage, int n, Response response) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be at least 1: " + n);
    }
    AtomicInteger seen = new AtomicInteger();
    return (s, c) -> c.stage() == stage && seen.incrementAndGet() == n ? response : null;
  }

  /**
   * Answers the {@code n}-th command of a stage within each session with the response.
   *
   * @param stage the stage
   * @param n 1 for the first in each session
   * @param response the response
   * @return the rule
   */
  static Rule atNthInSession(Stage stage, int n, Response response) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be at least 1: " + n);
    }
    return (s, c) -> c.stage() == stage && s.count(stage) == n ? response : null;
  }

  /**
   * Rejects RCPT to the given mailbox with {@code 550 5.1.1} (RFC 3463 section 3.2: bad
   * destination mailbox address). The comparison ignores case.
   *
   * @param address the mailbox, {@code local@domain}
   * @return the rule
   */
  static Rule rejectRecipient(String address) {
    String wanted = address.toLowerCase(Locale.ROOT);
    return (s, c) ->
        c.stage() == Stage.RCPT
                && c.path() != null
                && c.path().toLowerCase(Locale.ROOT).equals(wanted)
            ? Response.reply(550, "5.1.1 <" + c.path() + ">: Recipient address rejected: User unknown")
            : null;
  }

  /**
   * Greylisting: the first {@code attempts} RCPT commands for each (sender, recipient) pair,
   * counted over all sessions, get {@code 450 4.2.0}; later ones pass. Thread-safe.
   *
   * @param attempts how many attempts are refused, at least 1
   * @return the rule
   */
  static Rule greylist(int attempts) {
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts must be at least 1: " + attempts);
    }
    Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    return (s, c) -> {
      if (c.stage() != Stage.RCPT || c.path() == null || !s.inTransaction()) {
        return null;
      }
      String key = s.sender().orElse("").toLowerCase(Locale.ROOT) + "\u0000"
          + c.path().toLowerCase(Locale.ROOT);
      int n = counts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
      return n <= attempts
          ? Response.reply(450, "4.2.0 <" + c.path() + ">: Recipient address rejected: Greylisted")
          : null;
    };
  }

  /**
   * Refuses recipients beyond {@code max} in one transaction with {@code 452 4.5.3} (RFC 5321
   * section 4.5.3.1.10).
   *
   * @param max recipients accepted per transaction, at least 1
   * @return the rule
   */
  static Rule maxRecipients(int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max must be at least 1: " + max);
    }
    return (s, c) ->
        c.stage() == Stage.RCPT && s.recipients().size() >= max
            ? Response.reply(452, "4.5.3 Error: too many recipients")
            : null;
  }
}
