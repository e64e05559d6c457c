package org.relaymail.client;

import java.time.Duration;
import java.util.Objects;

/**
 * The time limits of one SMTP conversation. The defaults are the minimums of RFC 5321 section
 * 4.5.3.2: greeting 5 minutes, MAIL 5, RCPT 5, DATA initiation 2, each data block 3, final dot 10;
 * connect and the other commands (EHLO, STARTTLS, AUTH, RSET, NOOP, QUIT, ...) 5 minutes.
 *
 * <p>Every value must be positive: there is no "infinite" timeout (a stalled server never hangs a
 * thread forever). Thread-safe (immutable record).
 *
 * @param connect TCP connect (and TLS handshake for implicit TLS)
 * @param greeting waiting for the 220 greeting
 * @param command EHLO/HELO, STARTTLS, AUTH, RSET, NOOP, VRFY, EXPN, HELP, QUIT
 * @param mail the reply to MAIL FROM
 * @param rcpt the reply to each RCPT TO
 * @param data the 354 reply to DATA
 * @param dataBlock each write of message content (and each BDAT chunk's progress)
 * @param finalDot the reply after the final dot, or after BDAT LAST
 */
public record SmtpTimeouts(
    Duration connect,
    Duration greeting,
    Duration command,
    Duration mail,
    Duration rcpt,
    Duration data,
    Duration dataBlock,
    Duration finalDot) {

  /** The RFC 5321 section 4.5.3.2 values. */
  public static final SmtpTimeouts RFC_5321 =
      new SmtpTimeouts(
          Duration.ofMinutes(5),
          Duration.ofMinutes(5),
          Duration.ofMinutes(5),
          Duration.ofMinutes(5),
          Duration.ofMinutes(5),
          Duration.ofMinutes(2),
          Duration.ofMinutes(3),
          Duration.ofMinutes(10));

  /** Checks every value. */
  public SmtpTimeouts {
    check("connect", connect);
    check("greeting", greeting);
    check("command", command);
    check("mail", mail);
    check("rcpt", rcpt);
    check("data", data);
    check("dataBlock", dataBlock);
    check("finalDot", finalDot);
  }

  private static void check(String name, Duration d) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " timeout must be positive: " + d);
    }
    if (d.toMillis() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(name + " timeout must be at most 24 days: " + d);
    }
  }

  /**
   * All timeouts set to one value (useful in tests).
   *
   * @param all the value for every stage
   * @return the timeouts
   */
  public static SmtpTimeouts all(Duration all) {
    return new SmtpTimeouts(all, all, all, all, all, all, all, all);
  }

  /**
   * @param d the new connect timeout
   * @return a copy with it
   */
  public SmtpTimeouts withConnect(Duration d) {
    return new SmtpTimeouts(d, greeting, command, mail, rcpt, data, dataBlock, finalDot);
  }

  /**
   * @param d the new greeting timeout
   * @return a copy with it
   */
  public SmtpTimeouts withGreeting(Duration d) {
    return new SmtpTimeouts(connect, d, command, mail, rcpt, data, dataBlock, finalDot);
  }

  /**
   * @param d the new command timeout
   * @return a copy with it
   */
  public SmtpTimeouts withCommand(Duration d) {
    return new SmtpTimeouts(connect, greeting, d, mail, rcpt, data, dataBlock, finalDot);
  }

  /**
   * @param d the new MAIL timeout
   * @return a copy with it
   */
  public SmtpTimeouts withMail(Duration d) {
    return new SmtpTimeouts(connect, greeting, command, d, rcpt, data, dataBlock, finalDot);
  }

  /**
   * @param d the new RCPT timeout
   * @return a copy with it
   */
  public SmtpTimeouts withRcpt(Duration d) {
    return new SmtpTimeouts(connect, greeting, command, mail, d, data, dataBlock, finalDot);
  }

  /**
   * @param d the new DATA timeout
   * @return a copy with it
   */
  public SmtpTimeouts withData(Duration d) {
    return new SmtpTimeouts(connect, greeting, command, mail, rcpt, d, dataBlock, finalDot);
  }

  /**
   * @param d the new data block timeout
   * @return a copy with it
   */
  public SmtpTimeouts withDataBlock(Duration d) {
    return new SmtpTimeouts(connect, greeting, command, mail, rcpt, data, d, finalDot);
  }

  /**
   * @param d the new final dot timeout
   * @return a copy with it
   */
  public SmtpTimeouts withFinalDot(Duration d) {
    return new SmtpTimeouts(connect, greeting, command, mail, rcpt, data, dataBlock, d);
  }
}
