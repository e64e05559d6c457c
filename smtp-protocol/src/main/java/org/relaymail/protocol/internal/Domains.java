package org.relaymail.protocol.internal;

import java.net.IDN;
import java.text.Normalizer;
import java.util.Locale;

/**
 * Domain and address-literal syntax of RFC 5321 section 4.1.2 and 4.1.3, with internationalised
 * labels (RFC 6531) converted through {@link IDN}.
 *
 * <p>{@code java.net.IDN} implements IDNA2003, which maps the deviation characters (sharp s, final
 * sigma, ZWJ, ZWNJ) to other characters and so silently turns {@code faß.de} into {@code fass.de},
 * a different domain under IDNA2008. Such labels are rejected here, as is any label that IDNA2003
 * would change in some other way than lower-casing (compatibility mappings, for instance), so a
 * domain never changes silently.
 */
public final class Domains {
  /** Maximum octets of a domain (RFC 5321 section 4.5.3.1.2). */
  public static final int MAX_DOMAIN = 255;

  /** Maximum octets of one DNS label (RFC 1035 section 2.3.4). */
  public static final int MAX_LABEL = 63;

  private Domains() {}

  /**
   * A checked domain: {@code domain} as given but lower-cased (U-labels kept, NFC), {@code ascii}
   * with A-labels, {@code unicode} with U-labels where they can be decoded.
   */
  public record Parsed(String domain, String ascii, String unicode, boolean literal) {}

  /**
   * Checks a domain or address literal.
   *
   * @param s the domain, e.g. {@code example.com}, {@code bücher.example}, {@code [192.0.2.1]}
   * @return the normalised forms
   * @throws RuleViolation naming the broken rule
   */
  public static Parsed parse(String s) throws RuleViolation {
    if (s.isEmpty()) {
      throw new RuleViolation("the domain is empty (RFC 5321 section 4.1.2)");
    }
    if (s.charAt(0) == '[') {
      String lit = parseLiteral(s);
      return new Parsed(lit, lit, lit, true);
    }
    if (s.endsWith(".")) {
      throw new RuleViolation(
          "the domain ends with a dot; SMTP domains are written without the root dot"
              + " (RFC 5321 section 4.1.2)");
    }
    String[] labels = s.split("\\.", -1);
    StringBuilder dom = new StringBuilder(s.length());
    StringBuilder ascii = new StringBuilder(s.length());
    StringBuilder uni = new StringBuilder(s.length());
    for (int i = 0; i < labels.length; i++) {
      String label = labels[i];
      if (i > 0) {
        dom.append('.');
        ascii.append('.');
        uni.append('.');
      }
      if (label.isEmpty()) {
        throw new RuleViolation(
            "the domain has an empty label (two dots in a row or a leading dot)"
                + " (RFC 5321 section 4.1.2)");
      }
      if (Text.isAscii(label)) {
        checkLdh(label);
        String lower = label.toLowerCase(Locale.ROOT);
        dom.append(lower);
        ascii.append(lower);
        uni.append(toUnicode(lower));
      } else {
        String[] forms = checkULabel(label);
        dom.append(forms[0]);
        ascii.append(forms[1]);
        uni.append(forms[0]);
      }
    }
    if (ascii.length() > MAX_DOMAIN) {
      throw new RuleViolation(
          "the domain is "
              + ascii.length()
              + " octets long in A-label form; at most "
              + MAX_DOMAIN
              + " are allowed (RFC 5321 section 4.5.3.1.2)");
    }
    return new Parsed(dom.toString(), ascii.toString(), uni.toString(), false);
  }

  private static String toUnicode(String asciiLabel) {
    if (!asciiLabel.startsWith("xn--")) {
      return asciiLabel;
    }
    try {
      // Falls back to the A-label itself when IDNA2003 cannot decode it (an IDNA2008-only label).
      return IDN.toUnicode(asciiLabel, IDN.USE_STD3_ASCII_RULES);
    } catch (IllegalArgumentException e) {
      return asciiLabel;
    }
  }

  /** Let-dig [Ldh-str], at most 63 octets. */
  private static void checkLdh(String label) throws RuleViolation {
    if (label.length() > MAX_LABEL) {
      throw new RuleViolation(
          "the label "
              + Text.quote(label)
              + " is longer than "
              + MAX_LABEL
              + " octets (RFC 1035 section 2.3.4)");
    }
    for (int i = 0; i < label.length(); i++) {
      char c = label.charAt(i);
      boolean letDig = isAlpha(c) || isDigit(c);
      if (!letDig && c != '-') {
        throw new RuleViolation(
            "the label "
                + Text.quote(label)
                + " contains "
                + Text.quote(String.valueOf(c))
                + "; a domain label holds only letters, digits and hyphens"
                + " (RFC 5321 section 4.1.2)");
      }
      if (!letDig && (i == 0 || i == label.length() - 1)) {
        throw new RuleViolation(
            "the label "
                + Text.quote(label)
                + " starts or ends with a hyphen (RFC 5321 section 4.1.2)");
      }
    }
  }

  /** Returns {lower-cased NFC U-label, A-label}. */
  private static String[] checkULabel(String label) throws RuleViolation {
    for (int i = 0; i < label.length(); i++) {
      char c = label.charAt(i);
      String name =
          switch (c) {
            case '\u00DF' -> "U+00DF LATIN SMALL LETTER SHARP S";
            case '\u03C2' -> "U+03C2 GREEK SMALL LETTER FINAL SIGMA";
            case '\u200D' -> "U+200D ZERO WIDTH JOINER";
            case '\u200C' -> "U+200C ZERO WIDTH NON-JOINER";
            default -> null;
          };
      if (name != null) {
        throw new RuleViolation(
            "the label "
                + Text.quote(label)
                + " contains the IDNA deviation character "
                + name
                + ", which IDNA2003 (java.net.IDN) would silently map to a different domain;"
                + " give the domain as an A-label (xn--...) instead (UTS #46 section 4, RFC 5891)");
      }
      if (Character.isISOControl(c) || Character.isWhitespace(c) || Character.isSurrogate(c)
          && !validSurrogate(label, i)) {
        throw new RuleViolation(
            "the label " + Text.quote(label) + " contains a control character, a space or a broken surrogate pair"
                + " (RFC 5890 section 2.3.2.1)");
      }
    }
    String nfc = Normalizer.normalize(label, Normalizer.Form.NFC).toLowerCase(Locale.ROOT);
    String a;
    try {
      a = IDN.toASCII(nfc, IDN.USE_STD3_ASCII_RULES);
    } catch (IllegalArgumentException e) {
      throw new RuleViolation(
          "the label "
              + Text.quote(label)
              + " is not a valid internationalised domain label: "
              + e.getMessage()
              + " (RFC 3490)");
    }
    String back;
    try {
      back = IDN.toUnicode(a, IDN.USE_STD3_ASCII_RULES);
    } catch (IllegalArgumentException e) {
      back = a;
    }
    if (!back.equals(nfc)) {
      throw new RuleViolation(
          "the label "
              + Text.quote(label)
              + " would be changed to "
              + Text.quote(back)
              + " by IDNA2003 mapping (java.net.IDN); give the domain in its canonical form"
              + " (RFC 5891 section 5)");
    }
    if (a.length() > MAX_LABEL || a.isEmpty()) {
      throw new RuleViolation(
          "the label " + Text.quote(label) + " is longer than 63 octets as an A-label (RFC 5890)");
    }
    return new String[] {nfc, a};
  }

  private static boolean validSurrogate(String s, int i) {
    char c = s.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
    }
    return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
  }

  /**
   * address-literal = "[" ( IPv4-address-literal / IPv6-address-literal ) "]". General address
   * literals are refused: IANA has registered no tag besides IPv6.
   */
  private static String parseLiteral(String s) throws RuleViolation {
    if (s.length() < 3 || s.charAt(s.length() - 1) != ']') {
      throw new RuleViolation(
          "an address literal is written [192.0.2.1] or [IPv6:2001:db8::1]"
              + " (RFC 5321 section 4.1.3)");
    }
    String inner = s.substring(1, s.length() - 1);
    if (inner.regionMatches(true, 0, "IPv6:", 0, 5)) {
      String v6 = inner.substring(5);
      if (!isIpv6(v6)) {
        throw new RuleViolation(
            "the IPv6 address literal " + Text.quote(s) + " is malformed (RFC 5321 section 4.1.3)");
      }
      return "[IPv6:" + v6.toLowerCase(Locale.ROOT) + "]";
    }
    if (inner.indexOf(':') >= 0) {
      throw new RuleViolation(
          "the address literal "
              + Text.quote(s)
              + " has an unknown tag; only IPv4 and IPv6: literals are supported"
              + " (RFC 5321 section 4.1.3)");
    }
    if (!isIpv4(inner)) {
      throw new RuleViolation(
          "the IPv4 address literal " + Text.quote(s) + " is malformed (RFC 5321 section 4.1.3)");
    }
    return s;
  }

  /** Snum 3("." Snum), Snum = 1*3DIGIT with a value 0-255. */
  public static boolean isIpv4(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3) {
        return false;
      }
      for (int i = 0; i < p.length(); i++) {
        if (!isDigit(p.charAt(i))) {
          return false;
        }
      }
      if (Integer.parseInt(p) > 255) {
        return false;
      }
    }
    return true;
  }

  /**
   * IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp of RFC 5321 section 4.1.3: eight hex groups,
   * or at most six around a "::" (which stands for at least two groups); with a trailing IPv4
   * address six, or at most four around a "::".
   */
  public static boolean isIpv6(String s) {
    if (s.isEmpty()) {
      return false;
    }
    int groupsAllowed = 8;
    String head = s;
    int lastColon = s.lastIndexOf(':');
    if (lastColon >= 0 && s.indexOf('.', lastColon) > 0) {
      if (!isIpv4(s.substring(lastColon + 1))) {
        return false;
      }
      groupsAllowed = 6;
      head = s.substring(0, lastColon + 1);
      // "1:2:3:4:5:6:" -> groups end with ':' ; "::" stays "::"
      if (head.endsWith(":") && !head.endsWith("::")) {
        head = head.substring(0, head.length() - 1);
      }
      if (head.isEmpty()) {
        return false;
      }
    }
    int dc = head.indexOf("::");
    if (dc >= 0) {
      if (head.indexOf("::", dc + 1) >= 0) {
        return false;
      }
      String left = head.substring(0, dc);
      String right = head.substring(dc + 2);
      int n = countGroups(left) + countGroups(right);
      return n >= 0
          && countGroups(left) >= 0
          && countGroups(right) >= 0
          && n <= groupsAllowed - 2;
    }
    return countGroups(head) == groupsAllowed;
  }

  /** Number of 1*4HEXDIG groups separated by single colons; -1 if malformed; 0 for "". */
  private static int countGroups(String s) {
    if (s.isEmpty()) {
      return 0;
    }
    String[] g = s.split(":", -1);
    for (String x : g) {
      if (x.isEmpty() || x.length() > 4) {
        return -1;
      }
      for (int i = 0; i < x.length(); i++) {
        if (Character.digit(x.charAt(i), 16) < 0 || x.charAt(i) > 'f') {
          return -1;
        }
      }
    }
    return g.length;
  }

  static boolean isAlpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }
}
