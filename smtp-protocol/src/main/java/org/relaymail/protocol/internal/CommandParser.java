package org.relaymail.protocol.internal;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.relaymail.protocol.BodyType;
import org.relaymail.protocol.DsnNotify;
import org.relaymail.protocol.DsnReturn;
import org.relaymail.protocol.EnhancedStatus;
import org.relaymail.protocol.InvalidAddressException;
import org.relaymail.protocol.MailParameters;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.RcptParameters;
import org.relaymail.protocol.SmtpCommand;
import org.relaymail.protocol.SmtpReply;
import org.relaymail.protocol.SmtpSyntaxException;
import org.relaymail.protocol.Xtext;

/**
 * Server-side parsing of command lines (RFC 5321 section 4.1); backs {@link SmtpCommand#parse}.
 * Every failure is a {@link SmtpSyntaxException} carrying the reply to send. Replies never echo
 * the client's input; the exception message quotes it (escaped, shortened).
 */
public final class CommandParser {
  private static final SmtpReply UNRECOGNIZED =
      SmtpReply.of(500, EnhancedStatus.of(5, 5, 1), "Command unrecognized");
  private static final SmtpReply BAD_LINE =
      SmtpReply.of(500, EnhancedStatus.of(5, 5, 2), "Syntax error: CR, LF or NUL in command line");
  private static final SmtpReply BAD_PARAMS =
      SmtpReply.of(501, EnhancedStatus.of(5, 5, 4), "Syntax error in parameters or arguments");
  private static final SmtpReply BAD_SENDER =
      SmtpReply.of(501, EnhancedStatus.of(5, 1, 7), "Bad sender address syntax");
  private static final SmtpReply BAD_RECIPIENT =
      SmtpReply.of(501, EnhancedStatus.of(5, 1, 3), "Bad recipient address syntax");
  private static final SmtpReply UNKNOWN_PARAM =
      SmtpReply.of(555, EnhancedStatus.of(5, 5, 4),
          "MAIL FROM/RCPT TO parameters not recognized or not implemented");

  private CommandParser() {}

  /** Parses a line without CRLF. */
  public static SmtpCommand parse(String line) {
    if (Text.hasCrLfNul(line)) {
      throw error(BAD_LINE, line, "command line contains CR, LF or NUL");
    }
    int end = line.length();
    while (end > 0 && line.charAt(end - 1) == ' ') {
      end--;
    }
    String l = line.substring(0, end);
    int sp = l.indexOf(' ');
    String rawVerb = sp < 0 ? l : l.substring(0, sp);
    String rest = sp < 0 ? "" : l.substring(sp + 1);
    if (rawVerb.isEmpty() || rawVerb.length() > 10 || !asciiLetters(rawVerb)) {
      throw error(UNRECOGNIZED, line, "not an SMTP verb");
    }
    String verb = rawVerb.toUpperCase(Locale.ROOT);
    try {
      return switch (verb) {
        case "EHLO" -> SmtpCommand.ehlo(single(line, rest));
        case "HELO" -> SmtpCommand.helo(single(line, rest));
        case "MAIL" -> mail(line, rest);
        case "RCPT" -> rcpt(line, rest);
        case "DATA" -> none(line, rest, SmtpCommand.data());
        case "RSET" -> none(line, rest, SmtpCommand.rset());
        case "QUIT" -> none(line, rest, SmtpCommand.quit());
        case "STARTTLS" -> none(line, rest, SmtpCommand.starttls());
        case "NOOP" -> SmtpCommand.noop();
        case "VERB" -> SmtpCommand.verbose();
        case "VRFY" -> SmtpCommand.vrfy(rest);
        case "EXPN" -> SmtpCommand.expn(rest);
        case "HELP" -> rest.isEmpty() ? SmtpCommand.help() : SmtpCommand.help(rest);
        case "BDAT" -> bdat(line, rest);
        case "AUTH" -> auth(line, rest);
        default -> throw error(UNRECOGNIZED, line, "unknown verb");
      };
    } catch (SmtpSyntaxException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw error(BAD_PARAMS, line, e.getMessage());
    }
  }

  private static boolean asciiLetters(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
        return false;
      }
    }
    return true;
  }

  private static String single(String line, String rest) {
    if (rest.isEmpty() || rest.indexOf(' ') >= 0) {
      throw error(BAD_PARAMS, line, "exactly one argument expected");
    }
    return rest;
  }

  private static SmtpCommand none(String line, String rest, SmtpCommand cmd) {
    if (!rest.isEmpty()) {
      throw error(BAD_PARAMS, line, cmd.verb() + " takes no parameters");
    }
    return cmd;
  }

  private static SmtpCommand bdat(String line, String rest) {
    String[] parts = rest.split(" ", -1);
    if (parts.length < 1 || parts.length > 2 || !isLong(parts[0])) {
      throw error(BAD_PARAMS, line,
          "BDAT needs a chunk size of 1-19 digits up to 2^63-1 (RFC 3030 section 2)");
    }
    boolean last = false;
    if (parts.length == 2) {
      if (!parts[1].equalsIgnoreCase("LAST") || !asciiLetters(parts[1])) {
        throw error(BAD_PARAMS, line, "BDAT size may only be followed by LAST (RFC 3030 section 2)");
      }
      last = true;
    }
    return SmtpCommand.bdat(Long.parseLong(parts[0]), last);
  }

  private static SmtpCommand auth(String line, String rest) {
    String[] parts = rest.split(" ", -1);
    if (rest.isEmpty() || parts.length > 2) {
      throw error(BAD_PARAMS, line, "AUTH needs a mechanism and at most an initial response");
    }
    if (parts.length == 1) {
      return SmtpCommand.auth(parts[0]);
    }
    String ir = parts[1].equals("=") ? "" : parts[1];
    if (ir.isEmpty() && !parts[1].equals("=")) {
      throw error(BAD_PARAMS, line, "empty initial response must be sent as '=' (RFC 4954)");
    }
    try {
      return SmtpCommand.auth(parts[0], ir);
    } catch (IllegalArgumentException e) {
      // never quote the line: it holds credentials
      throw new SmtpSyntaxException(BAD_PARAMS,
          "AUTH command rejected (" + line.length() + " characters, not shown): " + e.getMessage());
    }
  }

  /** 1-19 ASCII digits whose value fits in a long. */
  private static boolean isLong(String s) {
    if (!digits(s, 19)) {
      return false;
    }
    try {
      Long.parseLong(s);
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static boolean digits(String s, int max) {
    if (s.isEmpty() || s.length() > max) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  /** Splits "FROM:<path> params" into the path and the parameter text. */
  private static String[] pathAndParams(String line, String rest, String prefix, SmtpReply bad) {
    if (!rest.regionMatches(true, 0, prefix, 0, prefix.length())
        || !asciiLetters(rest.substring(0, prefix.length() - 1))) {
      throw error(BAD_PARAMS, line, "expected " + prefix + "<path> (RFC 5321 section 4.1.1)");
    }
    int i = prefix.length();
    while (i < rest.length() && rest.charAt(i) == ' ') {
      i++;
    }
    if (i >= rest.length() || rest.charAt(i) != '<') {
      throw error(bad, line, "the path must be in angle brackets (RFC 5321 section 4.1.2)");
    }
    int start = i;
    boolean quoted = false;
    for (i = start + 1; i < rest.length(); i++) {
      char c = rest.charAt(i);
      if (quoted) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          quoted = false;
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == '>') {
        break;
      }
    }
    if (i >= rest.length()) {
      throw error(bad, line, "the path has no closing '>' (RFC 5321 section 4.1.2)");
    }
    String path = rest.substring(start, i + 1);
    String params = rest.substring(i + 1);
    if (!params.isEmpty() && params.charAt(0) != ' ') {
      throw error(BAD_PARAMS, line, "parameters must be separated by a space (RFC 5321 section 4.1.2)");
    }
    return new String[] {path, params.strip()};
  }

  private static SmtpCommand mail(String line, String rest) {
    String[] pp = pathAndParams(line, rest, "FROM:", BAD_SENDER);
    Mailbox from;
    try {
      from = Mailbox.parsePath(pp[0]);
    } catch (InvalidAddressException e) {
      throw error(BAD_SENDER, line, e.getMessage());
    }
    MailParameters.Builder b = MailParameters.builder();
    Set<String> seen = new HashSet<>();
    for (String p : params(pp[1])) {
      String[] kv = keywordValue(line, p, seen);
      String k = kv[0];
      String v = kv[1];
      try {
        switch (k) {
          case "SIZE" -> {
            if (v == null || !isLong(v)) {
              throw error(BAD_PARAMS, line,
                  "SIZE needs 1-19 digits up to 2^63-1 (RFC 1870 section 6)");
            }
            b.size(Long.parseLong(v));
          }
          case "BODY" -> b.body(BodyType.fromKeyword(value(line, k, v)));
          case "SMTPUTF8" -> b.smtpUtf8(noValue(line, k, v));
          case "RET" -> {
            String r = value(line, k, v).toUpperCase(Locale.ROOT);
            if (!r.equals("FULL") && !r.equals("HDRS")) {
              throw error(BAD_PARAMS, line, "RET must be FULL or HDRS (RFC 3461 section 4.3)");
            }
            b.ret(DsnReturn.valueOf(r));
          }
          case "ENVID" -> b.envelopeId(Xtext.decode(value(line, k, v)));
          case "AUTH" -> b.auth(Xtext.decode(value(line, k, v)));
          case "REQUIRETLS" -> b.requireTls(noValue(line, k, v));
          default -> throw error(UNKNOWN_PARAM, line, "unknown MAIL parameter " + k);
        }
      } catch (SmtpSyntaxException e) {
        throw e;
      } catch (IllegalArgumentException e) {
        throw error(BAD_PARAMS, line, e.getMessage());
      }
    }
    return SmtpCommand.mail(from, b.build());
  }

  private static SmtpCommand rcpt(String line, String rest) {
    String[] pp = pathAndParams(line, rest, "TO:", BAD_RECIPIENT);
    Mailbox to;
    try {
      to = Mailbox.parsePath(pp[0]);
    } catch (InvalidAddressException e) {
      throw error(BAD_RECIPIENT, line, e.getMessage());
    }
    if (to.isNull()) {
      throw error(BAD_RECIPIENT, line, "RCPT TO:<> is not allowed (RFC 5321 section 4.1.1.3)");
    }
    RcptParameters.Builder b = RcptParameters.builder();
    Set<String> seen = new HashSet<>();
    for (String p : params(pp[1])) {
      String[] kv = keywordValue(line, p, seen);
      String k = kv[0];
      String v = kv[1];
      try {
        switch (k) {
          case "NOTIFY" -> {
            Set<DsnNotify> set = new HashSet<>();
            for (String n : value(line, k, v).split(",", -1)) {
              String u = n.toUpperCase(Locale.ROOT);
              if (!asciiLetters(n)
                  || !(u.equals("NEVER") || u.equals("SUCCESS") || u.equals("FAILURE")
                      || u.equals("DELAY"))
                  || !set.add(DsnNotify.valueOf(u))) {
                throw error(BAD_PARAMS, line,
                    "NOTIFY is NEVER or a list of SUCCESS, FAILURE, DELAY (RFC 3461 section 4.1)");
              }
            }
            b.notifyOn(set);
          }
          case "ORCPT" -> {
            String val = value(line, k, v);
            int semi = val.indexOf(';');
            if (semi <= 0) {
              throw error(BAD_PARAMS, line, "ORCPT is addr-type;xtext (RFC 3461 section 4.2)");
            }
            b.originalRecipient(val.substring(0, semi), Xtext.decode(val.substring(semi + 1)));
          }
          default -> throw error(UNKNOWN_PARAM, line, "unknown RCPT parameter " + k);
        }
      } catch (SmtpSyntaxException e) {
        throw e;
      } catch (IllegalArgumentException e) {
        throw error(BAD_PARAMS, line, e.getMessage());
      }
    }
    return SmtpCommand.rcpt(to, b.build());
  }

  private static String[] params(String s) {
    return s.isEmpty() ? new String[0] : s.split(" +");
  }

  /** esmtp-keyword ["=" esmtp-value]; keyword upper-cased, value null when absent. */
  private static String[] keywordValue(String line, String p, Set<String> seen) {
    int eq = p.indexOf('=');
    String k = eq < 0 ? p : p.substring(0, eq);
    String v = eq < 0 ? null : p.substring(eq + 1);
    if (k.isEmpty() || !esmtpKeyword(k)) {
      throw error(BAD_PARAMS, line, "malformed parameter keyword (RFC 5321 section 4.1.2)");
    }
    if (v != null && !esmtpValue(v)) {
      throw error(BAD_PARAMS, line, "malformed value of parameter " + k
          + " (RFC 5321 section 4.1.2)");
    }
    String upper = k.toUpperCase(Locale.ROOT);
    if (!seen.add(upper)) {
      throw error(BAD_PARAMS, line, "parameter " + upper + " given twice");
    }
    return new String[] {upper, v};
  }

  private static boolean esmtpKeyword(String k) {
    for (int i = 0; i < k.length(); i++) {
      char c = k.charAt(i);
      boolean alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!alnum && (i == 0 || c != '-')) {
        return false;
      }
    }
    return true;
  }

  /** 1*(%d33-60 / %d62-126): ASCII only, since none of the parameters we know carries UTF-8. */
  private static boolean esmtpValue(String v) {
    if (v.isEmpty()) {
      return false;
    }
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c < 33 || c > 126 || c == '=') {
        return false;
      }
    }
    return true;
  }

  private static String value(String line, String k, String v) {
    if (v == null) {
      throw error(BAD_PARAMS, line, "parameter " + k + " needs a value");
    }
    return v;
  }

  private static boolean noValue(String line, String k, String v) {
    if (v != null) {
      throw error(BAD_PARAMS, line, "parameter " + k + " takes no value");
    }
    return true;
  }

  private static SmtpSyntaxException error(SmtpReply reply, String line, String why) {
    return new SmtpSyntaxException(reply, "Invalid SMTP command " + Text.quote(line) + ": " + why);
  }
}
