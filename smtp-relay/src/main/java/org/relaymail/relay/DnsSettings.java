package org.relaymail.relay;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How the relay asks DNS for MX, A and AAAA records (RFC 5321 section 5.1): which resolvers, how
 * long to wait, how often to retry, and how long answers may be cached.
 *
 * <p>By default ({@link #systemDefault()}) the resolvers configured on the machine are used (read
 * once by dnsjava's {@code ResolverConfig}). Tests and demos always name their resolver
 * explicitly, e.g. a loopback DNS test server: {@code DnsSettings.builder().server(addr).build()}.
 * Names are always queried as absolute names; no search list is ever applied.
 *
 * <p>Thread-safe (immutable).
 */
public final class DnsSettings {
  private final List<InetSocketAddress> servers;
  private final Duration timeout;
  private final int retries;
  private final Duration maxCacheTtl;
  private final Duration maxNegativeCacheTtl;
  private final long cacheSize;
  private final int maxCnameChain;

  private DnsSettings(Builder b) {
    this.servers = List.copyOf(b.servers);
    this.timeout = b.timeout;
    this.retries = b.retries;
    this.maxCacheTtl = b.maxCacheTtl;
    this.maxNegativeCacheTtl = b.maxNegativeCacheTtl;
    this.cacheSize = b.cacheSize;
    this.maxCnameChain = b.maxCnameChain;
  }

  /**
   * Returns the default settings: the machine's configured resolvers, 5 second timeout, 2
   * retries.
   *
   * @return the default settings
   */
  public static DnsSettings systemDefault() {
    return builder().build();
  }

  /**
   * Returns a builder with the defaults of {@link #systemDefault()}.
   *
   * @return a new builder (not thread-safe)
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the resolvers to ask, in order; empty means the machine's configured resolvers.
   *
   * @return the resolver addresses, possibly empty
   */
  public List<InetSocketAddress> servers() {
    return servers;
  }

  /**
   * Returns how long one query to one resolver may take before it counts as a timeout.
   *
   * @return the per-query timeout
   */
  public Duration timeout() {
    return timeout;
  }

  /**
   * Returns how many times a query that timed out or failed on every resolver is repeated.
   *
   * @return the retry count, 0 or more
   */
  public int retries() {
    return retries;
  }

  /**
   * Returns the longest time a positive answer is cached, whatever its TTL says.
   *
   * @return the cap on positive caching
   */
  public Duration maxCacheTtl() {
    return maxCacheTtl;
  }

  /**
   * Returns the longest time a negative answer (NXDOMAIN, no data) is cached; RFC 2308 section 5
   * takes the TTL from the SOA record of the answer's authority section.
   *
   * @return the cap on negative caching
   */
  public Duration maxNegativeCacheTtl() {
    return maxNegativeCacheTtl;
  }

  /**
   * Returns the maximum number of cached answers.
   *
   * @return the cache size
   */
  public long cacheSize() {
    return cacheSize;
  }

  /**
   * Returns how many CNAME records are followed for one name before the lookup fails as a loop.
   *
   * @return the CNAME chain limit
   */
  public int maxCnameChain() {
    return maxCnameChain;
  }

  @Override
  public String toString() {
    return "DnsSettings{servers="
        + (servers.isEmpty() ? "system" : servers)
        + ", timeout="
        + timeout
        + ", retries="
        + retries
        + ", maxCacheTtl="
        + maxCacheTtl
        + ", maxNegativeCacheTtl="
        + maxNegativeCacheTtl
        + "}";
  }

  /** Builds {@link DnsSettings}; every setter validates at once. Not thread-safe. */
  public static final class Builder {
    private final List<InetSocketAddress> servers = new ArrayList<>();
    private Duration timeout = Duration.ofSeconds(5);
    private int retries = 2;
    private Duration maxCacheTtl = Duration.ofHours(1);
    private Duration maxNegativeCacheTtl = Duration.ofMinutes(15);
    private long cacheSize = 10_000;
    private int maxCnameChain = 8;

    private Builder() {}

    /**
     * Adds a resolver to ask (in the order added). When none is added, the machine's configured
     * resolvers are used.
     *
     * @param server the resolver's address and port (usually 53)
     * @return this builder
     */
    public Builder server(InetSocketAddress server) {
      Objects.requireNonNull(server, "server");
      if (server.isUnresolved()) {
        throw new IllegalArgumentException(
            "DNS server must be an IP address, not an unresolved name: " + server);
      }
      servers.add(server);
      return this;
    }

    /**
     * Sets the per-query timeout (default 5 seconds).
     *
     * @param timeout a positive duration
     * @return this builder
     */
    public Builder timeout(Duration timeout) {
      this.timeout = positive(timeout, "timeout");
      return this;
    }

    /**
     * Sets how often a failed query is repeated over all resolvers (default 2).
     *
     * @param retries 0 to 10
     * @return this builder
     */
    public Builder retries(int retries) {
      if (retries < 0 || retries > 10) {
        throw new IllegalArgumentException("retries must be 0..10: " + retries);
      }
      this.retries = retries;
      return this;
    }

    /**
     * Caps the caching of positive answers (default 1 hour); {@link Duration#ZERO} disables
     * caching of positive answers.
     *
     * @param maxTtl zero or positive
     * @return this builder
     */
    public Builder maxCacheTtl(Duration maxTtl) {
      this.maxCacheTtl = notNegative(maxTtl, "maxCacheTtl");
      return this;
    }

    /**
     * Caps the caching of negative answers (default 15 minutes); {@link Duration#ZERO} disables
     * negative caching.
     *
     * @param maxTtl zero or positive
     * @return this builder
     */
    public Builder maxNegativeCacheTtl(Duration maxTtl) {
      this.maxNegativeCacheTtl = notNegative(maxTtl, "maxNegativeCacheTtl");
      return this;
    }

    /**
     * Sets the maximum number of cached answers (default 10,000).
     *
     * @param size 1 or more
     * @return this builder
     */
    public Builder cacheSize(long size) {
      if (size < 1) {
        throw new IllegalArgumentException("cacheSize must be at least 1: " + size);
      }
      this.cacheSize = size;
      return this;
    }

    /**
     * Sets how many CNAME records are followed for one name (default 8).
     *
     * @param limit 1 to 32
     * @return this builder
     */
    public Builder maxCnameChain(int limit) {
      if (limit < 1 || limit > 32) {
        throw new IllegalArgumentException("maxCnameChain must be 1..32: " + limit);
      }
      this.maxCnameChain = limit;
      return this;
    }

    /**
     * Builds the settings.
     *
     * @return the immutable settings
     */
    public DnsSettings build() {
      return new DnsSettings(this);
    }

    private static Duration positive(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive: " + d);
      }
      return d;
    }

    private static Duration notNegative(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative()) {
        throw new IllegalArgumentException(what + " must not be negative: " + d);
      }
      return d;
    }
  }
}
