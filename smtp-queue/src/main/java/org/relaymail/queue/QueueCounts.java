package org.relaymail.queue;

import java.util.EnumMap;
import java.util.Map;

/**
 * How many messages the queue holds by status, and how many recipients by state.
 *
 * <p>Thread-safe (immutable).
 *
 * @param messages the number of messages
 * @param byStatus messages by status; every status present; the values add up to {@code messages}
 * @param recipientsByState recipients by state; every state present
 */
public record QueueCounts(long messages, Map<MessageStatus, Long> byStatus, Map<RecipientState, Long> recipientsByState) {
  /**
   * Checks that the counts add up.
   *
   * @throws IllegalArgumentException if the statuses do not add up to the message count
   */
  public QueueCounts {
    EnumMap<MessageStatus, Long> s = new EnumMap<>(MessageStatus.class);
    for (MessageStatus st : MessageStatus.values()) {
      s.put(st, byStatus.getOrDefault(st, 0L));
    }
    EnumMap<RecipientState, Long> r = new EnumMap<>(RecipientState.class);
    for (RecipientState st : RecipientState.values()) {
      r.put(st, recipientsByState.getOrDefault(st, 0L));
    }
    long sum = s.values().stream().mapToLong(Long::longValue).sum();
    if (sum != messages) {
      throw new IllegalArgumentException("message counts by status add up to " + sum + ", not " + messages);
    }
    byStatus = Map.copyOf(s);
    recipientsByState = Map.copyOf(r);
  }

  /**
   * Messages with one status.
   *
   * @param status the status
   * @return the count
   */
  public long count(MessageStatus status) {
    return byStatus.get(status);
  }

  /**
   * Recipients in one state.
   *
   * @param state the state
   * @return the count
   */
  public long recipients(RecipientState state) {
    return recipientsByState.get(state);
  }
}
