package org.relaymail.queue;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A filter and page request for {@link QueueStore#list}. Results are ordered by queue id (ids sort by
 * arrival in the shipped stores); {@code after} is the cursor from the previous {@link QueuePage}.
 * Built with {@link #builder()}; an unset filter matches everything.
 *
 * <p>Thread-safe (immutable).
 *
 * @param statuses the statuses to match; empty matches all
 * @param tenant the tenant to match exactly
 * @param tag a tag the message must carry
 * @param senderDomain the sender's domain (case-insensitive)
 * @param recipientDomain a recipient's domain (case-insensitive)
 * @param after only ids greater than this one (the previous page's cursor)
 * @param limit the page size, 1 to 10,000
 */
public record QueueQuery(
    Set<MessageStatus> statuses,
    Optional<String> tenant,
    Optional<String> tag,
    Optional<String> senderDomain,
    Optional<String> recipientDomain,
    Optional<QueueId> after,
    int limit) {

  /** The largest page. */
  public static final int MAX_LIMIT = 10_000;

  /**
   * Checks the query.
   *
   * @throws IllegalArgumentException if the limit is outside 1 to 10,000
   */
  public QueueQuery {
    statuses = statuses.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(statuses));
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(tag, "tag");
    senderDomain = senderDomain.map(d -> d.toLowerCase(Locale.ROOT));
    recipientDomain = recipientDomain.map(d -> d.toLowerCase(Locale.ROOT));
    Objects.requireNonNull(after, "after");
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new IllegalArgumentException("limit must be 1 to " + MAX_LIMIT + ": " + limit);
    }
  }

  /**
   * Whether a message matches the filters (not the cursor).
   *
   * @param m the message
   * @return true if it matches
   */
  public boolean matches(QueuedMessage m) {
    if (!statuses.isEmpty() && !statuses.contains(m.status())) {
      return false;
    }
    if (tenant.isPresent() && !tenant.equals(m.tenant())) {
      return false;
    }
    if (tag.isPresent() && !m.tags().contains(tag.get())) {
      return false;
    }
    if (senderDomain.isPresent() && (m.sender().isNull() || !m.sender().domain().equalsIgnoreCase(senderDomain.get()))) {
      return false;
    }
    return recipientDomain.isEmpty()
        || m.recipients().stream().anyMatch(r -> r.mailbox().domain().equalsIgnoreCase(recipientDomain.get()));
  }

  /**
   * A query matching everything, first page of 100.
   *
   * @return the query
   */
  public static QueueQuery all() {
    return builder().build();
  }

  /**
   * Starts a query.
   *
   * @return a builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link QueueQuery}. Not thread-safe. */
  public static final class Builder {
    private final Set<MessageStatus> statuses = EnumSet.noneOf(MessageStatus.class);
    private String tenant;
    private String tag;
    private String senderDomain;
    private String recipientDomain;
    private QueueId after;
    private int limit = 100;

    private Builder() {}

    /**
     * Adds a status to match.
     *
     * @param status the status
     * @return this
     */
    public Builder status(MessageStatus status) {
      statuses.add(Objects.requireNonNull(status, "status"));
      return this;
    }

    /**
     * Matches one tenant.
     *
     * @param tenant the tenant
     * @return this
     */
    public Builder tenant(String tenant) {
      this.tenant = tenant;
      return this;
    }

    /**
     * Matches messages carrying a tag.
     *
     * @param tag the tag
     * @return this
     */
    public Builder tag(String tag) {
      this.tag = tag;
      return this;
    }

    /**
     * Matches the sender's domain.
     *
     * @param domain the domain
     * @return this
     */
    public Builder senderDomain(String domain) {
      this.senderDomain = domain;
      return this;
    }

    /**
     * Matches a recipient's domain.
     *
     * @param domain the domain
     * @return this
     */
    public Builder recipientDomain(String domain) {
      this.recipientDomain = domain;
      return this;
    }

    /**
     * Continues after a cursor.
     *
     * @param after the previous page's {@link QueuePage#next()}
     * @return this
     */
    public Builder after(QueueId after) {
      this.after = after;
      return this;
    }

    /**
     * Sets the page size.
     *
     * @param limit 1 to 10,000 (default 100)
     * @return this
     */
    public Builder limit(int limit) {
      this.limit = limit;
      return this;
    }

    /**
     * Builds the query.
     *
     * @return the query
     */
    public QueueQuery build() {
      return new QueueQuery(statuses, Optional.ofNullable(tenant), Optional.ofNullable(tag),
          Optional.ofNullable(senderDomain), Optional.ofNullable(recipientDomain), Optional.ofNullable(after), limit);
    }
  }
}
