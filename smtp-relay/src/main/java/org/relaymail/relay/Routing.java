package org.relaymail.relay;

import java.net.IDN;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The routing table: which {@link NextHop} each recipient domain goes to. Direct delivery to the
 * domain's MX hosts by default (RFC 5321 section 5.1); optionally a smarthost for everything,
 * per-domain routes (a smarthost, or MX with another port or TLS policy), and local domains handed
 * to the application's {@link LocalDelivery}. Also the MX attempt limits, after Postfix's defaults:
 * at most 5 addresses ({@code smtp_mx_address_limit}) and 2 sessions ({@code
 * smtp_mx_session_limit}) per delivery attempt.
 *
 * <p>Domain keys: {@code example.com} matches exactly that domain; {@code .example.com} matches
 * every subdomain of it (not the domain itself). The most specific key wins. Keys and looked-up
 * domains are compared as lower-case A-labels.
 *
 * <p>Thread-safe (immutable).
 */
public final class Routing {
  private final NextHop defaultHop;
  private final Map<String, NextHop> routes;
  private final int mxPort;
  private final TlsPolicy mxTls;
  private final AddressPreference addressPreference;
  private final int maxAddresses;
  private final int maxSessions;
  private final int maxRecipientsPerTransaction;
  private final Duration hostFailureTtl;
  private final Optional<LocalDelivery> localDelivery;

  private Routing(Builder b) {
    this.defaultHop = b.defaultHop;
    this.routes = Map.copyOf(b.routes);
    this.mxPort = b.mxPort;
    this.mxTls = b.mxTls;
    this.addressPreference = b.addressPreference;
    this.maxAddresses = b.maxAddresses;
    this.maxSessions = b.maxSessions;
    this.maxRecipientsPerTransaction = b.maxRecipientsPerTransaction;
    this.hostFailureTtl = b.hostFailureTtl;
    this.localDelivery = Optional.ofNullable(b.localDelivery);
  }

  /**
   * Returns the default table: every domain by MX on port 25 with opportunistic TLS.
   *
   * @return the direct-MX routing table
   */
  public static Routing direct() {
    return builder().build();
  }

  /**
   * Returns a builder starting from the defaults of {@link #direct()}.
   *
   * @return a new builder (not thread-safe)
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns where recipients of a domain go, the table's defaults filled in.
   *
   * @param domain the recipient domain (ASCII or Unicode) or an address literal
   * @return the destination; for MX, named by the domain in lower-case A-labels
   * @throws IllegalArgumentException if {@code domain} is not a domain name
   */
  public Destination destinationFor(String domain) {
    Objects.requireNonNull(domain, "domain");
    String key = domain.startsWith("[") ? domain : asciiDomain(domain, "recipient domain");
    NextHop hop = lookup(key);
    if (hop instanceof NextHop.Mx mx) {
      NextHop.Mx full =
          new NextHop.Mx(
              OptionalInt.of(mx.port().orElse(mxPort)), Optional.of(mx.tls().orElse(mxTls)));
      return new Destination(key, full);
    }
    if (hop instanceof NextHop.Relay relay) {
      return new Destination(relay.smarthost().host(), hop);
    }
    return new Destination("local", hop);
  }

  private NextHop lookup(String key) {
    NextHop exact = routes.get(key);
    if (exact != null) {
      return exact;
    }
    if (!key.startsWith("[")) {
      for (int dot = key.indexOf('.'); dot >= 0; dot = key.indexOf('.', dot + 1)) {
        NextHop parent = routes.get(key.substring(dot));
        if (parent != null) {
          return parent;
        }
      }
    }
    return defaultHop;
  }

  /**
   * Returns the next hop for domains without a route of their own.
   *
   * @return the default hop
   */
  public NextHop defaultHop() {
    return defaultHop;
  }

  /**
   * Returns the per-domain routes, keyed by lower-case A-label domain ({@code .domain} for
   * subdomains).
   *
   * @return the routes, unmodifiable
   */
  public Map<String, NextHop> routes() {
    return routes;
  }

  /**
   * Returns the address families used to reach MX hosts and smarthosts.
   *
   * @return the preference (default {@link AddressPreference#PREFER_IPV4})
   */
  public AddressPreference addressPreference() {
    return addressPreference;
  }

  /**
   * Returns the maximum number of addresses tried in one delivery attempt (Postfix {@code
   * smtp_mx_address_limit}).
   *
   * @return the limit (default 5)
   */
  public int maxAddresses() {
    return maxAddresses;
  }

  /**
   * Returns the maximum number of SMTP sessions (connections that reached a greeting) in one
   * delivery attempt (Postfix {@code smtp_mx_session_limit}).
   *
   * @return the limit (default 2)
   */
  public int maxSessions() {
    return maxSessions;
  }

  /**
   * Returns the maximum number of recipients in one transaction (Postfix {@code
   * smtp_destination_recipient_limit}); more recipients for one destination make several
   * transactions.
   *
   * @return the limit (default 50)
   */
  public int maxRecipientsPerTransaction() {
    return maxRecipientsPerTransaction;
  }

  /**
   * Returns how long an address that could not be reached is skipped.
   *
   * @return the duration (default 60 seconds)
   */
  public Duration hostFailureTtl() {
    return hostFailureTtl;
  }

  /**
   * Returns the application's delivery for local domains.
   *
   * @return the callback, empty when no domain is local
   */
  public Optional<LocalDelivery> localDelivery() {
    return localDelivery;
  }

  @Override
  public String toString() {
    return "Routing{default="
        + defaultHop
        + ", routes="
        + routes
        + ", mxPort="
        + mxPort
        + ", mxTls="
        + mxTls
        + ", addressPreference="
        + addressPreference
        + ", maxAddresses="
        + maxAddresses
        + ", maxSessions="
        + maxSessions
        + "}";
  }

  static String asciiDomain(String domain, String what) {
    String d = domain.endsWith(".") ? domain.substring(0, domain.length() - 1) : domain;
    String ascii;
    try {
      ascii = IDN.toASCII(d, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(what + " is not a valid domain name: '" + domain + "'", e);
    }
    if (ascii.isEmpty() || !ascii.matches("[a-z0-9_-]+(\\.[a-z0-9_-]+)*")) {
      throw new IllegalArgumentException(
          what + " is not a valid domain name (letters, digits, hyphens, dots): '" + domain + "'");
    }
    return ascii;
  }

  /** Builds a {@link Routing}; every setter validates at once. Not thread-safe. */
  public static final class Builder {
    private NextHop defaultHop = NextHop.mx();
    private final Map<String, NextHop> routes = new LinkedHashMap<>();
    private int mxPort = 25;
    private TlsPolicy mxTls = TlsPolicy.OPPORTUNISTIC;
    private AddressPreference addressPreference = AddressPreference.PREFER_IPV4;
    private int maxAddresses = 5;
    private int maxSessions = 2;
    private int maxRecipientsPerTransaction = 50;
    private Duration hostFailureTtl = Duration.ofSeconds(60);
    private LocalDelivery localDelivery;

    private Builder() {}

    /**
     * Sends every domain without its own route through this smarthost.
     *
     * @param smarthost the relay host
     * @return this builder
     */
    public Builder smarthost(Smarthost smarthost) {
      this.defaultHop = NextHop.smarthost(Objects.requireNonNull(smarthost, "smarthost"));
      return this;
    }

    /**
     * Sets the next hop for domains without their own route (default {@link NextHop#mx()}).
     *
     * @param hop the hop; {@link NextHop#local()} makes every unrouted domain local
     * @return this builder
     */
    public Builder defaultHop(NextHop hop) {
      this.defaultHop = Objects.requireNonNull(hop, "hop");
      return this;
    }

    /**
     * Routes one domain ({@code example.com}) or all its subdomains ({@code .example.com}).
     *
     * @param domainKey the domain or {@code .domain}
     * @param hop where its mail goes
     * @return this builder
     */
    public Builder route(String domainKey, NextHop hop) {
      Objects.requireNonNull(hop, "hop");
      routes.put(key(domainKey), hop);
      return this;
    }

    private static String key(String domainKey) {
      Objects.requireNonNull(domainKey, "domainKey");
      return domainKey.startsWith(".")
          ? "." + asciiDomain(domainKey.substring(1), "route key")
          : asciiDomain(domainKey, "route key");
    }

    /**
     * Makes a domain local: its recipients go to the {@link #localDelivery(LocalDelivery)}.
     *
     * @param domainKey the domain or {@code .domain}
     * @return this builder
     */
    public Builder localDomain(String domainKey) {
      return route(domainKey, NextHop.local());
    }

    /**
     * Requires verified TLS (RFC 3207, certificate checked) towards a domain's MX hosts instead of
     * opportunistic TLS, keeping any port set for it.
     *
     * @param domainKey the domain or {@code .domain}
     * @return this builder
     */
    public Builder requireTls(String domainKey) {
      NextHop existing = routes.get(key(domainKey));
      NextHop.Mx mx = existing instanceof NextHop.Mx m ? m : NextHop.mx();
      return route(domainKey, mx.withTls(TlsPolicy.REQUIRED_VERIFIED));
    }

    /**
     * Sets the application's delivery for local domains.
     *
     * @param delivery the callback
     * @return this builder
     */
    public Builder localDelivery(LocalDelivery delivery) {
      this.localDelivery = Objects.requireNonNull(delivery, "delivery");
      return this;
    }

    /**
     * Sets the port of MX hosts (default 25; tests use a loopback port).
     *
     * @param port 1 to 65535
     * @return this builder
     */
    public Builder mxPort(int port) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("mxPort must be 1..65535: " + port);
      }
      this.mxPort = port;
      return this;
    }

    /**
     * Sets the TLS policy towards MX hosts (default {@link TlsPolicy#OPPORTUNISTIC}, RFC 7435).
     *
     * @param policy the policy
     * @return this builder
     */
    public Builder mxTls(TlsPolicy policy) {
      this.mxTls = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Sets the address families and their order (default {@link AddressPreference#PREFER_IPV4}).
     *
     * @param preference the preference
     * @return this builder
     */
    public Builder addressPreference(AddressPreference preference) {
      this.addressPreference = Objects.requireNonNull(preference, "preference");
      return this;
    }

    /**
     * Sets how many addresses one delivery attempt tries at most (default 5).
     *
     * @param max 1 to 100
     * @return this builder
     */
    public Builder maxAddresses(int max) {
      this.maxAddresses = range(max, 1, 100, "maxAddresses");
      return this;
    }

    /**
     * Sets how many SMTP sessions one delivery attempt opens at most (default 2).
     *
     * @param max 1 to 100
     * @return this builder
     */
    public Builder maxSessions(int max) {
      this.maxSessions = range(max, 1, 100, "maxSessions");
      return this;
    }

    /**
     * Sets how many recipients go in one transaction at most (default 50).
     *
     * @param max 1 to 10,000
     * @return this builder
     */
    public Builder maxRecipientsPerTransaction(int max) {
      this.maxRecipientsPerTransaction = range(max, 1, 10_000, "maxRecipientsPerTransaction");
      return this;
    }

    /**
     * Sets how long an unreachable address is skipped (default 60 seconds); {@link Duration#ZERO}
     * never skips.
     *
     * @param ttl zero or positive
     * @return this builder
     */
    public Builder hostFailureTtl(Duration ttl) {
      Objects.requireNonNull(ttl, "ttl");
      if (ttl.isNegative()) {
        throw new IllegalArgumentException("hostFailureTtl must not be negative: " + ttl);
      }
      this.hostFailureTtl = ttl;
      return this;
    }

    /**
     * Builds the table.
     *
     * @return the immutable table
     * @throws IllegalStateException if a domain is local but no {@link LocalDelivery} is set
     */
    public Routing build() {
      boolean anyLocal =
          defaultHop instanceof NextHop.Local
              || routes.values().stream().anyMatch(h -> h instanceof NextHop.Local);
      if (anyLocal && localDelivery == null) {
        throw new IllegalStateException(
            "local domains " + localKeys() + " need a LocalDelivery: call localDelivery(...)");
      }
      return new Routing(this);
    }

    private String localKeys() {
      StringBuilder sb = new StringBuilder();
      routes.forEach(
          (k, v) -> {
            if (v instanceof NextHop.Local) {
              sb.append(sb.length() == 0 ? "" : ", ").append(k);
            }
          });
      return sb.length() == 0 ? "(default)" : sb.toString();
    }

    private static int range(int v, int min, int max, String what) {
      if (v < min || v > max) {
        throw new IllegalArgumentException(what + " must be " + min + ".." + max + ": " + v);
      }
      return v;
    }
  }
}
