package org.relaymail.queue;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One page of {@link QueueStore#list} results.
 *
 * <p>Thread-safe (immutable).
 *
 * @param messages the matching messages, ordered by id
 * @param next the cursor for the next page ({@link QueueQuery.Builder#after}), empty on the last page
 */
public record QueuePage(List<QueuedMessage> messages, Optional<QueueId> next) {
  /** Copies the list. */
  public QueuePage {
    messages = List.copyOf(messages);
    Objects.requireNonNull(next, "next");
  }
}
