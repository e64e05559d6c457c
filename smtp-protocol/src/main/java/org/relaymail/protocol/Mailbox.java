package org.relaymail.protocol;

import java.util.Objects;
import org.relaymail.protocol.internal.Domains;
import org.relaymail.protocol.internal.RuleViolation;
import org.relaymail.protocol.internal.Text;

/**
 * An SMTP mailbox ({@code local-part@domain}) as used in the envelope, or the null reverse path
 * {@code <>} ({@link #NULL}); RFC 5321 section 4.1.2, with the internationalised forms of RFC 6531.
 *
 * <p>The local part is kept exactly as written, including the quotes of a quoted string; it is
 * compared case-sensitively (RFC 5321 section 2.4). The domain is lower-cased; an internationalised
 * domain keeps its U-labels in {@link #domain()} and is sent as A-labels ({@link #toPath()}).
 * Domains compare case-insensitively, as A-labels. Address literals ({@code [192.0.2.1]}, {@code
 * [IPv6:2001:db8::1]}) are accepted as domains.
 *
 * <p>Labels holding the IDNA deviation characters (sharp s, final sigma, ZWJ, ZWNJ) are rejected,
 * because {@code java.net.IDN} (IDNA2003) would silently map them to a different domain; pass such
 * a domain as an A-label.
 *
 * <p>Length limits (RFC 5321 section 4.5.3.1): local part 64 octets, domain 255 octets, path
 * (with the angle brackets) 256 octets, counted in UTF-8 with the domain in A-label form.
 *
 * <p>Source routes in a path ({@code <@a.example,@b.example:user@c.example>}) are accepted by
 * {@link #parsePath(String)} and dropped, as RFC 5321 section 4.1.2 and appendix C ask.
 *
 * <p>Immutable and thread-safe.
 */
public final class Mailbox {
  /** Maximum octets of a local part (RFC 5321 section 4.5.3.1.1). */
  public static final int MAX_LOCAL_PART = 64;

  /** Maximum octets of a domain (RFC 5321 section 4.5.3.1.2). */
  public static final int MAX_DOMAIN = Domains.MAX_DOMAIN;

  /** Maximum octets of a reverse or forward path, angle brackets included (section 4.5.3.1.3). */
  public static final int MAX_PATH = 256;

  /** The null reverse path {@code <>} (RFC 5321 section 4.5.5), used for bounces. */
  public static final Mailbox NULL = new Mailbox("", "", "", "");

  private final String localPart;
  private final String domain;
  private final String asciiDomain;
  private final String unicodeDomain;

  private Mailbox(String localPart, String domain, String asciiDomain, String unicodeDomain) {
    this.localPart = localPart;
    this.domain = domain;
    this.asciiDomain = asciiDomain;
    this.unicodeDomain = unicodeDomain;
  }

  /**
   * Parses an address written without angle brackets, e.g. {@code user@example.com}, {@code
   * "john doe"@example.com}, {@code user@[192.0.2.1]}, {@code jösé@bücher.example}.
   *
   * @param address the address
   * @return the mailbox
   * @throws InvalidAddressException if the address breaks RFC 5321 section 4.1.2 (or RFC 6531) or
   *     a length limit
   * @throws NullPointerException if {@code address} is null
   */
  public static Mailbox parse(String address) {
    Objects.requireNonNull(address, "address");
    try {
      return parseMailbox(address);
    } catch (RuleViolation e) {
      throw new InvalidAddressException(address, e.rule());
    }
  }

  /**
   * Parses a path as written in {@code MAIL FROM:} and {@code RCPT TO:}: {@code <user@example.com>}
   * or the null path {@code <>} (which yields {@link #NULL}). A source route is accepted and
   * dropped.
   *
   * @param path the path with its angle brackets
   * @return the mailbox, or {@link #NULL} for {@code <>}
   * @throws InvalidAddressException if the path breaks RFC 5321 section 4.1.2 or a length limit
   * @throws NullPointerException if {@code path} is null
   */
  public static Mailbox parsePath(String path) {
    Objects.requireNonNull(path, "path");
    if (path.length() < 2 || path.charAt(0) != '<' || path.charAt(path.length() - 1) != '>') {
      throw new InvalidAddressException(
          path, "a path is enclosed in angle brackets, e.g. <user@example.com> or <>"
              + " (RFC 5321 section 4.1.2)");
    }
    String inner = path.substring(1, path.length() - 1);
    if (inner.isEmpty()) {
      return NULL;
    }
    try {
      if (inner.charAt(0) == '@') {
        inner = stripSourceRoute(inner);
      }
      Mailbox m = parseMailbox(inner);
      return m;
    } catch (RuleViolation e) {
      throw new InvalidAddressException(path, e.rule());
    }
  }

  /**
   * Creates a mailbox from its parts; equivalent to {@code parse(localPart + "@" + domain)}.
   *
   * @param localPart a dot-string or quoted string (with its quotes)
   * @param domain a domain or address literal
   * @return the mailbox
   * @throws InvalidAddressException if the result breaks RFC 5321 section 4.1.2 or a length limit
   */
  public static Mailbox of(String localPart, String domain) {
    Objects.requireNonNull(localPart, "localPart");
    Objects.requireNonNull(domain, "domain");
    return parse(localPart + "@" + domain);
  }

  private static String stripSourceRoute(String inner) throws RuleViolation {
    // A-d-l = At-domain *( "," At-domain ) ":" ; At-domain = "@" Domain
    int colon = inner.indexOf(':');
    if (colon < 0) {
      throw new RuleViolation("a source route must end with ':' (RFC 5321 section 4.1.2)");
    }
    String adl = inner.substring(0, colon);
    for (String at : adl.split(",", -1)) {
      if (at.length() < 2 || at.charAt(0) != '@') {
        throw new RuleViolation(
            "a source route is a list of @domain separated by ',' (RFC 5321 section 4.1.2)");
      }
      Domains.parse(at.substring(1));
    }
    return inner.substring(colon + 1);
  }

  private static Mailbox parseMailbox(String s) throws RuleViolation {
    if (s.isEmpty()) {
      throw new RuleViolation(
          "the address is empty; use Mailbox.NULL for the null reverse path <>"
              + " (RFC 5321 section 4.1.2)");
    }
    int at = localPartEnd(s);
    if (at >= s.length() || s.charAt(at) != '@') {
      throw new RuleViolation(
          "an address is local-part@domain; the '@' is missing after the local part"
              + " (RFC 5321 section 4.1.2)");
    }
    String local = s.substring(0, at);
    if (Text.utf8Length(local) > MAX_LOCAL_PART) {
      throw new RuleViolation(
          "the local part is "
              + Text.utf8Length(local)
              + " octets long; at most "
              + MAX_LOCAL_PART
              + " are allowed (RFC 5321 section 4.5.3.1.1)");
    }
    Domains.Parsed d = Domains.parse(s.substring(at + 1));
    int pathLength = Text.utf8Length(local) + 1 + d.ascii().length() + 2;
    if (pathLength > MAX_PATH) {
      throw new RuleViolation(
          "the path <local@domain> is "
              + pathLength
              + " octets long; at most "
              + MAX_PATH
              + " are allowed (RFC 5321 section 4.5.3.1.3)");
    }
    return new Mailbox(local, d.domain(), d.ascii(), d.unicode());
  }

  /** Index just after the local part (dot-string or quoted string). */
  private static int localPartEnd(String s) throws RuleViolation {
    if (s.charAt(0) == '"') {
      int i = 1;
      while (i < s.length()) {
        char c = s.charAt(i);
        if (c == '"') {
          return i + 1;
        }
        if (c == '\\') {
          if (i + 1 >= s.length() || s.charAt(i + 1) < 32 || s.charAt(i + 1) > 126) {
            throw new RuleViolation(
                "a backslash in a quoted local part must be followed by a printable ASCII"
                    + " character (RFC 5321 section 4.1.2, quoted-pairSMTP)");
          }
          i += 2;
          continue;
        }
        if (!(c == 32 || c == 33 || (c >= 35 && c <= 126) || validNonAscii(s, i))) {
          throw new RuleViolation(
              "the quoted local part contains "
                  + Text.quote(String.valueOf(c))
                  + ", which is not allowed in a quoted string (RFC 5321 section 4.1.2, qtextSMTP)");
        }
        i += Character.isHighSurrogate(c) ? 2 : 1;
      }
      throw new RuleViolation(
          "the quoted local part has no closing '\"' (RFC 5321 section 4.1.2)");
    }
    int i = 0;
    boolean atomStart = true;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '@') {
        break;
      }
      if (c == '.') {
        if (atomStart) {
          throw new RuleViolation(
              "the local part has a leading dot or two dots in a row; quote it or remove the dot"
                  + " (RFC 5321 section 4.1.2, Dot-string)");
        }
        atomStart = true;
        i++;
        continue;
      }
      if (!isAtext(c) && !validNonAscii(s, i)) {
        throw new RuleViolation(
            "the local part contains "
                + Text.quote(String.valueOf(c))
                + ", which is only allowed in a quoted local part (RFC 5321 section 4.1.2, atext)");
      }
      atomStart = false;
      i += Character.isHighSurrogate(c) ? 2 : 1;
    }
    if (i == 0) {
      throw new RuleViolation("the local part is empty (RFC 5321 section 4.1.2)");
    }
    if (atomStart) {
      throw new RuleViolation(
          "the local part ends with a dot; quote it or remove the dot"
              + " (RFC 5321 section 4.1.2, Dot-string)");
    }
    return i;
  }

  /** atext of RFC 5322 section 3.2.3 as used by RFC 5321. */
  private static boolean isAtext(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || "!#$%&'*+-/=?^_`{|}~".indexOf(c) >= 0;
  }

  /**
   * UTF8-non-ascii of RFC 6531 section 3.3: any non-ASCII character except C1 controls, line and
   * paragraph separators and broken surrogate pairs.
   */
  private static boolean validNonAscii(String s, int i) {
    char c = s.charAt(i);
    if (c < 0x80 || Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
      return false;
    }
    if (Character.isHighSurrogate(c)) {
      return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
    }
    return !Character.isLowSurrogate(c);
  }

  /**
   * Whether this is the null reverse path {@code <>}.
   *
   * @return true for {@link #NULL}
   */
  public boolean isNull() {
    return localPart.isEmpty();
  }

  /**
   * The local part exactly as written (a quoted string keeps its quotes and backslashes).
   *
   * @return the local part; "" for {@link #NULL}
   */
  public String localPart() {
    return localPart;
  }

  /**
   * The domain as given, lower-cased, with U-labels kept (NFC); an address literal such as {@code
   * [192.0.2.1]}.
   *
   * @return the domain; "" for {@link #NULL}
   */
  public String domain() {
    return domain;
  }

  /**
   * The domain with every label in ASCII (A-labels, RFC 5890), as used in DNS and on the wire.
   *
   * @return the ASCII domain; "" for {@link #NULL}
   */
  public String asciiDomain() {
    return asciiDomain;
  }

  /**
   * The domain with A-labels decoded to U-labels where {@code java.net.IDN} can decode them.
   *
   * @return the Unicode domain; "" for {@link #NULL}
   */
  public String unicodeDomain() {
    return unicodeDomain;
  }

  /**
   * Whether this is an address literal ({@code [192.0.2.1]}, {@code [IPv6:...]}) rather than a
   * domain name.
   *
   * @return true for an address literal
   */
  public boolean isAddressLiteral() {
    return domain.startsWith("[");
  }

  /**
   * The address {@code local@domain} (domain as in {@link #domain()}).
   *
   * @return the address; "" for {@link #NULL}
   */
  public String address() {
    return isNull() ? "" : localPart + "@" + domain;
  }

  /**
   * The path as sent on the wire: {@code <local@asciiDomain>}, or {@code <>} for {@link #NULL}.
   *
   * @return the path
   */
  public String toPath() {
    return isNull() ? "<>" : "<" + localPart + "@" + asciiDomain + ">";
  }

  /**
   * Whether sending this address needs the SMTPUTF8 extension (RFC 6531 section 3.4): true when
   * the local part holds non-ASCII characters. An internationalised domain does not need it,
   * because it is sent as A-labels.
   *
   * @return true if the MAIL command must carry SMTPUTF8
   */
  public boolean needsSmtpUtf8() {
    return !Text.isAscii(localPart);
  }

  /**
   * Equal when the local parts are identical and the domains are equal ignoring case, compared as
   * A-labels.
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof Mailbox m
        && localPart.equals(m.localPart)
        && asciiDomain.equals(m.asciiDomain);
  }

  @Override
  public int hashCode() {
    return localPart.hashCode() * 31 + asciiDomain.hashCode();
  }

  /** The address, as {@link #address()}. */
  @Override
  public String toString() {
    return address();
  }
}
