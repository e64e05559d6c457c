package org.relaymail.queue;

import java.util.Objects;

/**
 * The identity of a queued message, stable for its whole life in the queue and across restarts.
 * Printable: letters and digits only, so it can go into log lines and the MDC as is.
 *
 * <p>Thread-safe (immutable).
 *
 * @param value the id's text
 */
public record QueueId(String value) {
  /**
   * Checks the id's text.
   *
   * @throws IllegalArgumentException if the text is empty, longer than 64 characters or holds
   *     anything but ASCII letters, digits, '-' and '_'
   */
  public QueueId {
    Objects.requireNonNull(value, "value");
    if (value.isEmpty() || value.length() > 64 || !value.chars().allMatch(QueueId::allowed)) {
      throw new IllegalArgumentException(
          "queue id must be 1 to 64 ASCII letters, digits, '-' or '_': \"" + value + "\"");
    }
  }

  private static boolean allowed(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  }

  @Override
  public String toString() {
    return value;
  }
}
