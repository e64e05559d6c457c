package org.relaymail.testsupport;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One command as the {@link ScriptedSmtpServer} received it, parsed by the server's own minimal
 * parser (independent of the codec under test). For {@link Stage#MESSAGE} it also carries the
 * received content. Immutable and thread-safe.
 */
public final class Command {
  private final Stage stage;
  private final String verb;
  private final String argument;
  private final String line;
  private final String path;
  private final Map<String, String> parameters;
  private final byte[] content;

  Command(Stage stage, String verb, String argument, String line, String path,
      Map<String, String> parameters, byte[] content) {
    this.stage = stage;
    this.verb = verb;
    this.argument = argument;
    this.line = line;
    this.path = path;
    this.parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    this.content = content == null ? null : content.clone();
  }

  /**
   * Parses a command line (without CRLF) the way a minimal server would: the verb is the text up
   * to the first space, case-insensitive (RFC 5321 section 2.4); for MAIL and RCPT the path in
   * angle brackets and the {@code KEY[=VALUE]} parameters follow (RFC 5321 section 4.1.2).
   *
   * @param line the line without its CRLF
   * @return the command; a line that cannot be understood has stage {@link Stage#UNKNOWN} or a
   *     null {@link #path()}
   */
  public static Command parse(String line) {
    String trimmed = line;
    int sp = trimmed.indexOf(' ');
    String verb = (sp < 0 ? trimmed : trimmed.substring(0, sp)).toUpperCase(Locale.ROOT);
    String arg = sp < 0 ? "" : trimmed.substring(sp + 1);
    Stage stage =
        switch (verb) {
          case "EHLO" -> Stage.EHLO;
          case "HELO" -> Stage.HELO;
          case "MAIL" -> Stage.MAIL;
          case "RCPT" -> Stage.RCPT;
          case "DATA" -> Stage.DATA;
          case "BDAT" -> Stage.BDAT;
          case "RSET" -> Stage.RSET;
          case "NOOP" -> Stage.NOOP;
          case "QUIT" -> Stage.QUIT;
          case "VRFY" -> Stage.VRFY;
          case "EXPN" -> Stage.EXPN;
          case "HELP" -> Stage.HELP;
          case "STARTTLS" -> Stage.STARTTLS;
          case "AUTH" -> Stage.AUTH;
          default -> Stage.UNKNOWN;
        };
    String path = null;
    Map<String, String> params = new LinkedHashMap<>();
    if (stage == Stage.MAIL || stage == Stage.RCPT) {
      String prefix = stage == Stage.MAIL ? "FROM:" : "TO:";
      if (arg.regionMatches(true, 0, prefix, 0, prefix.length())) {
        String rest = arg.substring(prefix.length());
        if (rest.startsWith("<")) {
          int end = closingBracket(rest);
          if (end > 0) {
            path = rest.substring(1, end);
            int colon = path.startsWith("@") ? path.indexOf(':') : -1;
            if (colon > 0) {
              path = path.substring(colon + 1); // an obsolete source route, RFC 5321 section 4.1.2
            }
            String ps = rest.substring(end + 1);
            if (ps.isEmpty() || ps.startsWith(" ")) {
              for (String p : ps.trim().split(" +")) {
                if (p.isEmpty()) {
                  continue;
                }
                int eq = p.indexOf('=');
                params.put(
                    (eq < 0 ? p : p.substring(0, eq)).toUpperCase(Locale.ROOT),
                    eq < 0 ? null : p.substring(eq + 1));
              }
            } else {
              path = null;
            }
          }
        }
      }
    }
    return new Command(stage, verb, arg, line, path, params, null);
  }

  private static int closingBracket(String s) {
    boolean quoted = false;
    for (int i = 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && quoted) {
        i++;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == '>' && !quoted) {
        return i;
      }
    }
    return -1;
  }

  Command withContent(Stage newStage, byte[] bytes) {
    return new Command(newStage, verb, argument, line, path, parameters, bytes);
  }

  /**
   * The stage this command belongs to.
   *
   * @return the stage
   */
  public Stage stage() {
    return stage;
  }

  /**
   * The verb, upper-cased ({@code "MAIL"}); {@code "."} for the end of DATA content.
   *
   * @return the verb
   */
  public String verb() {
    return verb;
  }

  /**
   * Everything after the verb and its space, as received.
   *
   * @return the argument, empty when none
   */
  public String argument() {
    return argument;
  }

  /**
   * The whole command line as received, without CRLF.
   *
   * @return the line
   */
  public String line() {
    return line;
  }

  /**
   * For MAIL and RCPT, the address between the angle brackets ({@code ""} for the null path
   * {@code <>}); null when there is none or the syntax is broken.
   *
   * @return the address or null
   */
  public String path() {
    return path;
  }

  /**
   * For MAIL and RCPT, the ESMTP parameters, keys upper-cased, values as received (null for a
   * keyword without value), in the order received.
   *
   * @return the parameters
   */
  public Map<String, String> parameters() {
    return parameters;
  }

  /**
   * For {@link Stage#MESSAGE}, the received content (after dot-unstuffing, or the BDAT chunks
   * joined).
   *
   * @return a copy of the content, if this is the end of a message
   */
  public Optional<byte[]> content() {
    return content == null ? Optional.empty() : Optional.of(content.clone());
  }

  @Override
  public String toString() {
    if (stage == Stage.AUTH) {
      String[] parts = line.split(" ");
      return parts.length > 2 ? String.join(" ", Arrays.copyOf(parts, 2)) + " <redacted>" : line;
    }
    return content == null ? line : line + " (" + content.length + " bytes)";
  }
}
