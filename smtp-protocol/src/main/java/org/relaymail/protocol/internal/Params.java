package org.relaymail.protocol.internal;

/** Checks shared by command factories and parameter builders. */
public final class Params {
  private Params() {}

  /**
   * Rejects null, CR, LF and NUL; every factory calls this first so no parameter can smuggle a
   * second command onto the wire.
   *
   * @param what the parameter's name for the message
   * @param value the value
   * @return the value
   * @throws IllegalArgumentException naming the value
   */
  public static String noCrLfNul(String what, String value) {
    if (value == null) {
      throw new NullPointerException(what);
    }
    if (Text.hasCrLfNul(value)) {
      throw new IllegalArgumentException(
          what + " " + Text.quote(value)
              + " contains CR, LF or NUL, which no SMTP command parameter may carry"
              + " (RFC 5321 section 2.3.8)");
    }
    return value;
  }

  /**
   * Requires printable US-ASCII (0x20-0x7E), as RFC 3461 asks of ENVID and ORCPT values.
   *
   * @param what the parameter's name for the message
   * @param value the value
   * @param maxLength the longest value allowed
   * @param rfc the rule's reference
   * @return the value
   * @throws IllegalArgumentException naming the value
   */
  public static String printableAscii(String what, String value, int maxLength, String rfc) {
    noCrLfNul(what, value);
    if (value.isEmpty()) {
      throw new IllegalArgumentException(what + " is empty (" + rfc + ")");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        throw new IllegalArgumentException(
            what + " " + Text.quote(value) + " holds " + Text.quote(String.valueOf(c))
                + "; only printable US-ASCII is allowed (" + rfc + ")");
      }
    }
    if (value.length() > maxLength) {
      throw new IllegalArgumentException(
          what + " " + Text.quote(value) + " is " + value.length() + " characters long; at most "
              + maxLength + " are allowed (" + rfc + ")");
    }
    return value;
  }

  /**
   * Text argument of VRFY, EXPN, HELP: non-empty, no control characters, no leading or trailing
   * space.
   */
  public static String textArgument(String what, String value) {
    noCrLfNul(what, value);
    if (value.isEmpty()) {
      throw new IllegalArgumentException(what + " is empty (RFC 5321 section 4.1.1)");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && Character.isISOControl(c))) {
        throw new IllegalArgumentException(
            what + " " + Text.quote(value) + " contains a control character"
                + " (RFC 5321 section 4.1.1)");
      }
    }
    if (value.charAt(0) == ' ' || value.charAt(value.length() - 1) == ' ') {
      throw new IllegalArgumentException(
          what + " " + Text.quote(value) + " starts or ends with a space (RFC 5321 section 4.1.1)");
    }
    return value;
  }

  /** atext characters (RFC 5322 section 3.2.3), ASCII only. */
  public static boolean isAtom(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || "!#$%&'*+-/=?^_`{|}~".indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
