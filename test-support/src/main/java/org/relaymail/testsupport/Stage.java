package org.relaymail.testsupport;

/**
 * The point of an SMTP session at which the {@link ScriptedSmtpServer} answers, used to script
 * replies and faults (RFC 5321 section 4.1 names the commands). Thread-safe (an enum).
 */
public enum Stage {
  /** The connection was accepted; the answer is the greeting (RFC 5321 section 4.3.1). */
  GREETING,
  /** {@code EHLO} (RFC 5321 section 4.1.1.1). */
  EHLO,
  /** {@code HELO} (RFC 5321 section 4.1.1.1). */
  HELO,
  /** {@code MAIL FROM} (RFC 5321 section 4.1.1.2). */
  MAIL,
  /** {@code RCPT TO} (RFC 5321 section 4.1.1.3). */
  RCPT,
  /** {@code DATA}, answered with 354 before the content (RFC 5321 section 4.1.1.4). */
  DATA,
  /** A {@code BDAT} chunk that is not the last one (RFC 3030 section 2). */
  BDAT,
  /**
   * The end of a message: the final dot after {@code DATA}, or {@code BDAT ... LAST}. The command
   * carries the received content (RFC 5321 section 4.1.1.4, RFC 3030 section 2).
   */
  MESSAGE,
  /** {@code RSET} (RFC 5321 section 4.1.1.5). */
  RSET,
  /** {@code NOOP} (RFC 5321 section 4.1.1.9). */
  NOOP,
  /** {@code QUIT} (RFC 5321 section 4.1.1.10). */
  QUIT,
  /** {@code VRFY} (RFC 5321 section 4.1.1.6). */
  VRFY,
  /** {@code EXPN} (RFC 5321 section 4.1.1.7). */
  EXPN,
  /** {@code HELP} (RFC 5321 section 4.1.1.8). */
  HELP,
  /** {@code STARTTLS} (RFC 3207 section 4). */
  STARTTLS,
  /** {@code AUTH} (RFC 4954 section 4). */
  AUTH,
  /** Any other command, or a line that is not a command at all. */
  UNKNOWN
}
