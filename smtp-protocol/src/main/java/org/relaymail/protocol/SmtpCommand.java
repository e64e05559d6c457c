package org.relaymail.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.relaymail.protocol.internal.CommandParser;
import org.relaymail.protocol.internal.Domains;
import org.relaymail.protocol.internal.Params;
import org.relaymail.protocol.internal.RuleViolation;
import org.relaymail.protocol.internal.Text;

/**
 * One SMTP command (RFC 5321 section 4.1): a verb and its parameters, built by the static
 * factories (client side) or read from a line by {@link #parse(String)} (server side).
 *
 * <p>No factory can produce a command that carries CR, LF or NUL: each checks its arguments and
 * throws {@link IllegalArgumentException} naming the bad value and the rule. {@link #encode()}
 * gives the exact bytes with the trailing CRLF; {@code parse(line)} of those bytes (without CRLF)
 * yields an equal command.
 *
 * <p>{@link #toString()} redacts the initial response of AUTH, which carries credentials.
 *
 * <p>Immutable and thread-safe.
 */
public final class SmtpCommand {
  private static final SmtpCommand DATA = new SmtpCommand("DATA");
  private static final SmtpCommand RSET = new SmtpCommand("RSET");
  private static final SmtpCommand NOOP = new SmtpCommand("NOOP");
  private static final SmtpCommand QUIT = new SmtpCommand("QUIT");
  private static final SmtpCommand HELP = new SmtpCommand("HELP");
  private static final SmtpCommand VERB = new SmtpCommand("VERB");
  private static final SmtpCommand STARTTLS = new SmtpCommand("STARTTLS");

  private final String verb;
  private final String argument;
  private final Mailbox mailbox;
  private final MailParameters mailParameters;
  private final RcptParameters rcptParameters;
  private final long chunkSize;
  private final boolean lastChunk;
  private final String initialResponse;

  private SmtpCommand(String verb) {
    this(verb, "", null, null, null, -1, false, null);
  }

  private SmtpCommand(
      String verb,
      String argument,
      Mailbox mailbox,
      MailParameters mailParameters,
      RcptParameters rcptParameters,
      long chunkSize,
      boolean lastChunk,
      String initialResponse) {
    this.verb = verb;
    this.argument = argument;
    this.mailbox = mailbox;
    this.mailParameters = mailParameters;
    this.rcptParameters = rcptParameters;
    this.chunkSize = chunkSize;
    this.lastChunk = lastChunk;
    this.initialResponse = initialResponse;
  }

  // ---------------------------------------------------------------- factories

  /**
   * {@code EHLO domain} (RFC 5321 section 4.1.1.1). An internationalised domain is sent as
   * A-labels.
   *
   * @param domain the client's domain or an address literal such as {@code [192.0.2.1]}
   * @return the command
   * @throws IllegalArgumentException naming the domain if it is not a valid domain or literal
   */
  public static SmtpCommand ehlo(String domain) {
    return new SmtpCommand("EHLO", clientDomain("EHLO", domain), null, null, null, -1, false, null);
  }

  /**
   * {@code HELO domain} (RFC 5321 section 4.1.1.1).
   *
   * @param domain the client's domain or an address literal
   * @return the command
   * @throws IllegalArgumentException naming the domain if it is not a valid domain or literal
   */
  public static SmtpCommand helo(String domain) {
    return new SmtpCommand("HELO", clientDomain("HELO", domain), null, null, null, -1, false, null);
  }

  private static String clientDomain(String verb, String domain) {
    Params.noCrLfNul(verb + " domain", domain);
    try {
      return Domains.parse(domain).ascii();
    } catch (RuleViolation e) {
      throw new IllegalArgumentException(
          verb + " domain " + Text.quote(domain) + " is invalid: " + e.rule());
    }
  }

  /**
   * {@code MAIL FROM:<reverse-path> [parameters]} (RFC 5321 section 4.1.1.2).
   *
   * @param from the reverse path; {@link Mailbox#NULL} for {@code <>}
   * @param parameters ESMTP parameters; {@link MailParameters#NONE} for none
   * @return the command
   */
  public static SmtpCommand mail(Mailbox from, MailParameters parameters) {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(parameters, "parameters");
    return new SmtpCommand("MAIL", "", from, parameters, null, -1, false, null);
  }

  /**
   * {@code RCPT TO:<forward-path> [parameters]} (RFC 5321 section 4.1.1.3).
   *
   * @param to the recipient; not the null path
   * @param parameters ESMTP parameters; {@link RcptParameters#NONE} for none
   * @return the command
   * @throws IllegalArgumentException if {@code to} is {@link Mailbox#NULL}
   */
  public static SmtpCommand rcpt(Mailbox to, RcptParameters parameters) {
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(parameters, "parameters");
    if (to.isNull()) {
      throw new IllegalArgumentException(
          "RCPT TO:<> is not allowed; the null path is only a reverse path (RFC 5321 section 4.1.1.3)");
    }
    return new SmtpCommand("RCPT", "", to, null, parameters, -1, false, null);
  }

  /**
   * {@code DATA} (RFC 5321 section 4.1.1.4).
   *
   * @return the command
   */
  public static SmtpCommand data() {
    return DATA;
  }

  /**
   * {@code BDAT size [LAST]} (RFC 3030 section 2).
   *
   * @param size octets of the chunk that follows, at least 0
   * @param last whether this is the last chunk
   * @return the command
   * @throws IllegalArgumentException if {@code size} is negative
   */
  public static SmtpCommand bdat(long size, boolean last) {
    if (size < 0) {
      throw new IllegalArgumentException("BDAT size " + size + " is negative (RFC 3030 section 2)");
    }
    return new SmtpCommand("BDAT", "", null, null, null, size, last, null);
  }

  /**
   * {@code RSET} (RFC 5321 section 4.1.1.5).
   *
   * @return the command
   */
  public static SmtpCommand rset() {
    return RSET;
  }

  /**
   * {@code NOOP} (RFC 5321 section 4.1.1.9).
   *
   * @return the command
   */
  public static SmtpCommand noop() {
    return NOOP;
  }

  /**
   * {@code QUIT} (RFC 5321 section 4.1.1.10).
   *
   * @return the command
   */
  public static SmtpCommand quit() {
    return QUIT;
  }

  /**
   * {@code VRFY string} (RFC 5321 section 4.1.1.6).
   *
   * @param user the user name or mailbox to verify
   * @return the command
   * @throws IllegalArgumentException naming the value if empty, with control characters or with
   *     leading/trailing spaces
   */
  public static SmtpCommand vrfy(String user) {
    return new SmtpCommand("VRFY", Params.textArgument("VRFY argument", user),
        null, null, null, -1, false, null);
  }

  /**
   * {@code EXPN string} (RFC 5321 section 4.1.1.7).
   *
   * @param list the mailing list to expand
   * @return the command
   * @throws IllegalArgumentException as {@link #vrfy(String)}
   */
  public static SmtpCommand expn(String list) {
    return new SmtpCommand("EXPN", Params.textArgument("EXPN argument", list),
        null, null, null, -1, false, null);
  }

  /**
   * {@code HELP} (RFC 5321 section 4.1.1.8).
   *
   * @return the command
   */
  public static SmtpCommand help() {
    return HELP;
  }

  /**
   * {@code HELP topic} (RFC 5321 section 4.1.1.8).
   *
   * @param topic the topic
   * @return the command
   * @throws IllegalArgumentException as {@link #vrfy(String)}
   */
  public static SmtpCommand help(String topic) {
    return new SmtpCommand("HELP", Params.textArgument("HELP topic", topic),
        null, null, null, -1, false, null);
  }

  /**
   * {@code VERB} (a Sendmail extension asking for verbose replies; sent without argument). Named
   * {@code verbose()} because {@link #verb()} is the accessor of every command's verb.
   *
   * @return the command
   */
  public static SmtpCommand verbose() {
    return VERB;
  }

  /**
   * {@code STARTTLS} (RFC 3207 section 4).
   *
   * @return the command
   */
  public static SmtpCommand starttls() {
    return STARTTLS;
  }

  /**
   * {@code AUTH mechanism} without initial response (RFC 4954 section 4).
   *
   * @param mechanism a SASL mechanism name, e.g. {@code PLAIN}; upper-cased
   * @return the command
   * @throws IllegalArgumentException naming the value if it is not a SASL mechanism name
   */
  public static SmtpCommand auth(String mechanism) {
    return new SmtpCommand("AUTH", mechanism(mechanism), null, null, null, -1, false, null);
  }

  /**
   * {@code AUTH mechanism initial-response} (RFC 4954 section 4). An empty response is sent as
   * {@code =}. {@link #toString()} redacts the response.
   *
   * @param mechanism a SASL mechanism name, e.g. {@code PLAIN}; upper-cased
   * @param initialResponse the base64-encoded initial response; "" for an empty one
   * @return the command
   * @throws IllegalArgumentException if the mechanism is not a SASL name or the response is not
   *     base64 (the message does not quote the response)
   */
  public static SmtpCommand auth(String mechanism, String initialResponse) {
    String mech = mechanism(mechanism);
    Objects.requireNonNull(initialResponse, "initialResponse");
    if (!isBase64(initialResponse)) {
      throw new IllegalArgumentException(
          "AUTH initial response (" + initialResponse.length()
              + " characters, not shown) is not base64 (RFC 4954 section 4)");
    }
    return new SmtpCommand("AUTH", mech, null, null, null, -1, false, initialResponse);
  }

  private static String mechanism(String mechanism) {
    Params.noCrLfNul("AUTH mechanism", mechanism);
    if (mechanism.isEmpty() || mechanism.length() > 20) {
      throw new IllegalArgumentException(
          "SASL mechanism " + Text.quote(mechanism) + " must be 1-20 characters (RFC 4422 section 3.1)");
    }
    for (int i = 0; i < mechanism.length(); i++) {
      char c = mechanism.charAt(i);
      boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
          || c == '-' || c == '_';
      if (!ok) {
        throw new IllegalArgumentException(
            "SASL mechanism " + Text.quote(mechanism)
                + " holds characters other than letters, digits, '-' and '_' (RFC 4422 section 3.1)");
      }
    }
    return mechanism.toUpperCase(Locale.ROOT);
  }

  /** base64 alphabet with '=' padding only at the end (RFC 4648 section 4); empty allowed. */
  private static boolean isBase64(String s) {
    int pad = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '=') {
        pad++;
      } else if (pad > 0) {
        return false;
      } else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
          || c == '+' || c == '/')) {
        return false;
      }
    }
    return pad <= 2 && (s.isEmpty() || s.length() % 4 == 0);
  }

  // ---------------------------------------------------------------- parsing

  /**
   * Parses one command line as a server receives it, without its CRLF. Verbs and parameter
   * keywords are case-insensitive; trailing spaces are ignored; a space after {@code FROM:} or
   * {@code TO:} is tolerated. An argument given to NOOP or VERB is accepted and dropped.
   *
   * @param line the line without CRLF
   * @return the command
   * @throws SmtpSyntaxException carrying the reply to send: 500 5.5.1 for an unknown verb, 500
   *     5.5.2 for a line with CR, LF or NUL, 501 for bad parameters (5.1.7 / 5.1.3 for a bad
   *     sender / recipient address, 5.5.4 otherwise), 555 5.5.4 for an unknown MAIL or RCPT
   *     parameter
   */
  public static SmtpCommand parse(String line) {
    Objects.requireNonNull(line, "line");
    return CommandParser.parse(line);
  }

  // ---------------------------------------------------------------- accessors

  /**
   * The verb, upper-case, e.g. {@code "MAIL"}.
   *
   * @return the verb
   */
  public String verb() {
    return verb;
  }

  /**
   * The single argument of EHLO/HELO (the domain, A-labels), VRFY, EXPN, HELP (the topic) or AUTH
   * (the mechanism, upper-case).
   *
   * @return the argument, or "" for commands without one
   */
  public String argument() {
    return argument;
  }

  /**
   * The reverse path of MAIL or the forward path of RCPT.
   *
   * @return the mailbox, or empty for other commands
   */
  public Optional<Mailbox> mailbox() {
    return Optional.ofNullable(mailbox);
  }

  /**
   * The parameters of MAIL.
   *
   * @return the parameters, or empty for other commands
   */
  public Optional<MailParameters> mailParameters() {
    return Optional.ofNullable(mailParameters);
  }

  /**
   * The parameters of RCPT.
   *
   * @return the parameters, or empty for other commands
   */
  public Optional<RcptParameters> rcptParameters() {
    return Optional.ofNullable(rcptParameters);
  }

  /**
   * The chunk size of BDAT.
   *
   * @return the size, or empty for other commands
   */
  public OptionalLong chunkSize() {
    return chunkSize < 0 ? OptionalLong.empty() : OptionalLong.of(chunkSize);
  }

  /**
   * Whether this is {@code BDAT n LAST}.
   *
   * @return true for the last BDAT chunk
   */
  public boolean isLastChunk() {
    return lastChunk;
  }

  /**
   * The base64 initial response of AUTH, "" for an empty one ({@code =} on the wire).
   *
   * @return the response, or empty when none was given
   */
  public Optional<String> initialResponse() {
    return Optional.ofNullable(initialResponse);
  }

  /**
   * The command line without CRLF, unredacted.
   *
   * @return the line as sent
   */
  public String toLine() {
    return line(false);
  }

  /**
   * The exact bytes to send: the line in UTF-8 followed by CRLF.
   *
   * @return a new array
   */
  public byte[] encode() {
    return (line(false) + "\r\n").getBytes(StandardCharsets.UTF_8);
  }

  private String line(boolean redact) {
    StringBuilder b = new StringBuilder(32).append(verb);
    switch (verb) {
      case "MAIL" -> {
        b.append(" FROM:").append(mailbox.toPath());
        mailParameters.appendTo(b);
      }
      case "RCPT" -> {
        b.append(" TO:").append(mailbox.toPath());
        rcptParameters.appendTo(b);
      }
      case "BDAT" -> {
        b.append(' ').append(chunkSize);
        if (lastChunk) {
          b.append(" LAST");
        }
      }
      default -> {
        if (!argument.isEmpty()) {
          b.append(' ').append(argument);
        }
        if (initialResponse != null) {
          b.append(' ').append(redact ? "***" : initialResponse.isEmpty() ? "=" : initialResponse);
        }
      }
    }
    return b.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SmtpCommand c
        && verb.equals(c.verb)
        && argument.equals(c.argument)
        && Objects.equals(mailbox, c.mailbox)
        && Objects.equals(mailParameters, c.mailParameters)
        && Objects.equals(rcptParameters, c.rcptParameters)
        && chunkSize == c.chunkSize
        && lastChunk == c.lastChunk
        && Objects.equals(initialResponse, c.initialResponse);
  }

  @Override
  public int hashCode() {
    return Objects.hash(verb, argument, mailbox, mailParameters, rcptParameters, chunkSize,
        lastChunk, initialResponse);
  }

  /** The command line without CRLF, with an AUTH initial response replaced by {@code ***}. */
  @Override
  public String toString() {
    return line(true);
  }
}
