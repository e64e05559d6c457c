package org.relaymail.relay.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.relaymail.relay.Destination;
import org.relaymail.relay.Routing;

/**
 * Groups recipients by {@link Destination}, one mail transaction per group (RFC 5321 section 3.3:
 * all recipients of a destination share one MAIL transaction), splitting groups larger than
 * {@link Routing#maxRecipientsPerTransaction()}. Order is kept: groups in order of their first
 * recipient, recipients in input order. Stateless and thread-safe.
 */
public final class RecipientGroups {
  private RecipientGroups() {}

  /**
   * One transaction's worth of recipients.
   *
   * @param destination where they go
   * @param recipients the recipients, at least one
   * @param <T> the recipient type (a {@code Mailbox}, a queue's recipient record, ...)
   */
  public record Batch<T>(Destination destination, List<T> recipients) {
    /** Validates and copies. */
    public Batch {
      Objects.requireNonNull(destination, "destination");
      recipients = List.copyOf(recipients);
      if (recipients.isEmpty()) {
        throw new IllegalArgumentException("a batch has at least one recipient");
      }
    }
  }

  /**
   * Groups recipients.
   *
   * @param routing the routing table
   * @param recipients the recipients
   * @param domainOf the recipient's domain (e.g. {@code Mailbox::domain})
   * @param <T> the recipient type
   * @return the batches
   */
  public static <T> List<Batch<T>> group(
      Routing routing, Collection<T> recipients, Function<T, String> domainOf) {
    Map<Destination, List<T>> byDestination = new LinkedHashMap<>();
    for (T r : recipients) {
      byDestination.computeIfAbsent(routing.destinationFor(domainOf.apply(r)), d -> new ArrayList<>()).add(r);
    }
    int max = routing.maxRecipientsPerTransaction();
    List<Batch<T>> batches = new ArrayList<>();
    byDestination.forEach(
        (d, list) -> {
          for (int i = 0; i < list.size(); i += max) {
            batches.add(new Batch<>(d, list.subList(i, Math.min(list.size(), i + max))));
          }
        });
    return batches;
  }
}
