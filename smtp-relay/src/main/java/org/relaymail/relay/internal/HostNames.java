package org.relaymail.relay.internal;

import java.net.IDN;
import java.util.Locale;

/** Host name checks. Stateless and thread-safe. */
public final class HostNames {
  private HostNames() {}

  /**
   * Checks that a name is a fully qualified domain name fit for EHLO/HELO (RFC 5321 sections
   * 2.3.5 and 4.1.1.1): at least two labels of letters, digits and hyphens (1 to 63 octets, no
   * leading or trailing hyphen), at most 253 octets, a top-level label that is not all digits (so
   * not an IP address), not {@code localhost}. Unicode labels are converted to A-labels.
   *
   * @param name the configured name
   * @param what what the name is for, e.g. {@code "HELO name"}, used in the error message
   * @return the name in lower-case A-labels, without a trailing dot
   * @throws IllegalArgumentException naming the value and the rule it breaks
   */
  public static String requireFqdn(String name, String what) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException(what + " must be a fully qualified domain name, got: '" + name + "'");
    }
    String d = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    String ascii;
    try {
      ascii = IDN.toASCII(d, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          what + " '" + name + "' is not a valid domain name: " + e.getMessage(), e);
    }
    String[] labels = ascii.split("\\.", -1);
    String rule = null;
    if (labels.length < 2) {
      rule = "it needs at least two labels, e.g. mail.example.com (a bare host name is not enough)";
    } else if (ascii.length() > 253) {
      rule = "it is longer than 253 octets";
    } else if (labels[labels.length - 1].matches("\\d+")) {
      rule = "the top-level label is numeric (an IP address is not a domain name)";
    } else if (ascii.equals("localhost.localdomain") || labels[labels.length - 1].equals("localhost")) {
      rule = "localhost names are not valid on the Internet";
    } else {
      for (String label : labels) {
        if (label.isEmpty() || label.length() > 63) {
          rule = "every label must have 1 to 63 octets";
          break;
        }
        if (!label.matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?")) {
          rule = "labels hold letters, digits and inner hyphens only ('" + label + "')";
          break;
        }
      }
    }
    if (rule != null) {
      throw new IllegalArgumentException(
          what + " must be a fully qualified domain name (RFC 5321 section 2.3.5): '" + name + "': " + rule);
    }
    return ascii;
  }
}
