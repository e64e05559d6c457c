package org.relaymail.protocol;

import org.relaymail.protocol.internal.Text;

/**
 * An email address or path that breaks the syntax of RFC 5321 section 4.1.2 (or RFC 6531 for
 * internationalised addresses), or one of its length limits (section 4.5.3.1). The message names
 * the address (quoted, control characters escaped) and the rule it breaks.
 *
 * <p>Thread-safe (immutable).
 */
public class InvalidAddressException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String input;
  private final String rule;

  /**
   * Creates the exception.
   *
   * @param input the rejected address or path, exactly as given
   * @param rule the rule it breaks, e.g. "the local part is longer than 64 octets (RFC 5321
   *     section 4.5.3.1.1)"
   */
  public InvalidAddressException(String input, String rule) {
    super("Invalid address " + Text.quote(input) + ": " + rule);
    this.input = input;
    this.rule = rule;
  }

  /**
   * The rejected address or path, exactly as given (it may contain control characters).
   *
   * @return the input
   */
  public String input() {
    return input;
  }

  /**
   * The rule the input breaks.
   *
   * @return a human-readable rule with its RFC reference
   */
  public String rule() {
    return rule;
  }
}
