package org.relaymail.protocol.internal;

/**
 * Internal signal that a syntax rule was broken; public callers wrap it in the exception their API
 * documents, adding the offending input. No stack trace: it is control flow, not a bug report.
 */
public final class RuleViolation extends Exception {
  private static final long serialVersionUID = 1L;

  /** @param rule the rule that was broken, worded for an error message */
  public RuleViolation(String rule) {
    super(rule, null, false, false);
  }

  /** The rule that was broken. */
  public String rule() {
    return getMessage();
  }
}
