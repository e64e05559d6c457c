package org.relaymail.client;

import java.net.InetAddress;
import java.net.Proxy;
import java.util.Objects;
import java.util.Optional;

/**
 * Where and how to reach one SMTP server: host, port, TLS mode, the identity to authenticate as,
 * the local address to send from, the proxy, and the name to announce in EHLO/HELO. The host may
 * be an address the caller resolved itself (an MX host's address from its own DNS); the TLS
 * server name then names the server for SNI and certificate verification (RFC 6125, RFC 7672
 * section 3.2.2 for MX hosts) while the connection goes to the address. The key of
 * {@link SmtpClientPool}: two routes are equal when every one of these is equal (credentials by
 * identity, see {@link Credentials#equals(Object)}).
 *
 * <p>Thread-safe (immutable). Build with {@link #builder(String, int)}.
 */
public final class Route {
  private final String host;
  private final int port;
  private final TlsMode tlsMode;
  private final Credentials credentials;
  private final InetAddress localAddress;
  private final Proxy proxy;
  private final String heloName;
  private final String tlsServerName;

  private Route(Builder b) {
    this.host = b.host;
    this.port = b.port;
    this.tlsMode = b.tlsMode;
    this.credentials = b.credentials;
    this.localAddress = b.localAddress;
    this.proxy = b.proxy;
    this.heloName = b.heloName;
    this.tlsServerName = b.tlsServerName;
  }

  /**
   * Starts a route to a host and port (25 for relay, 587 submission with STARTTLS, 465 implicit
   * TLS: RFC 8314).
   *
   * @param host the server's host name or address literal (no brackets), not empty
   * @param port the TCP port, 1 to 65535
   * @return a builder
   */
  public static Builder builder(String host, int port) {
    return new Builder(host, port);
  }

  /**
   * A plain route with default settings: opportunistic STARTTLS, no AUTH, no proxy.
   *
   * @param host the host
   * @param port the port
   * @return the route
   */
  public static Route of(String host, int port) {
    return builder(host, port).build();
  }

  /** @return the server's host name or address */
  public String host() {
    return host;
  }

  /** @return the server's port */
  public int port() {
    return port;
  }

  /** @return the TLS mode */
  public TlsMode tlsMode() {
    return tlsMode;
  }

  /** @return the credentials to authenticate with, if any */
  public Optional<Credentials> credentials() {
    return Optional.ofNullable(credentials);
  }

  /** @return the local address to bind before connecting, if any */
  public Optional<InetAddress> localAddress() {
    return Optional.ofNullable(localAddress);
  }

  /** @return the proxy ({@link Proxy#NO_PROXY} for a direct connection) */
  public Proxy proxy() {
    return proxy;
  }

  /** @return the name announced in EHLO/HELO */
  public String heloName() {
    return heloName;
  }

  /**
   * Returns the name sent as SNI and checked against the server's certificate when the TLS mode
   * verifies it; empty when that is the {@link #host()} itself.
   *
   * @return the TLS server name, if set apart from the host
   */
  public Optional<String> tlsServerName() {
    return Optional.ofNullable(tlsServerName);
  }

  /**
   * Returns the name TLS uses for SNI and certificate verification: the TLS server name when set,
   * else the host.
   *
   * @return the name
   */
  public String tlsName() {
    return tlsServerName != null ? tlsServerName : host;
  }

  /**
   * @return a builder holding this route's values
   */
  public Builder toBuilder() {
    Builder b = new Builder(host, port);
    b.tlsMode = tlsMode;
    b.credentials = credentials;
    b.localAddress = localAddress;
    b.proxy = proxy;
    b.heloName = heloName;
    b.tlsServerName = tlsServerName;
    return b;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Route)) {
      return false;
    }
    Route r = (Route) o;
    return port == r.port
        && host.equalsIgnoreCase(r.host)
        && tlsMode == r.tlsMode
        && Objects.equals(credentials, r.credentials)
        && Objects.equals(localAddress, r.localAddress)
        && proxy.equals(r.proxy)
        && heloName.equals(r.heloName)
        && tlsName().equalsIgnoreCase(r.tlsName());
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        host.toLowerCase(java.util.Locale.ROOT), port, tlsMode, credentials, localAddress, proxy,
        heloName, tlsName().toLowerCase(java.util.Locale.ROOT));
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Route[").append(host).append(':').append(port);
    sb.append(", ").append(tlsMode);
    if (tlsServerName != null) {
      sb.append(", tlsName=").append(tlsServerName);
    }
    if (credentials != null) {
      sb.append(", auth=").append(credentials.username());
    }
    if (localAddress != null) {
      sb.append(", from=").append(localAddress.getHostAddress());
    }
    if (proxy.type() != Proxy.Type.DIRECT) {
      sb.append(", proxy=").append(proxy);
    }
    return sb.append(", helo=").append(heloName).append(']').toString();
  }

  /** Builds a {@link Route}. Not thread-safe. */
  public static final class Builder {
    private final String host;
    private final int port;
    private TlsMode tlsMode = TlsMode.OPPORTUNISTIC;
    private Credentials credentials;
    private InetAddress localAddress;
    private Proxy proxy = Proxy.NO_PROXY;
    private String heloName = DefaultHeloName.VALUE;
    private String tlsServerName;

    private Builder(String host, int port) {
      Objects.requireNonNull(host, "host");
      if (host.isEmpty() || host.chars().anyMatch(c -> c <= ' ' || c == '[' || c == ']')) {
        throw new IllegalArgumentException(
            "host must be a non-empty name or address without spaces or brackets: '" + host + "'");
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port must be 1..65535: " + port);
      }
      this.host = host;
      this.port = port;
    }

    /**
     * @param mode the TLS mode (default {@link TlsMode#OPPORTUNISTIC})
     * @return this builder
     */
    public Builder tlsMode(TlsMode mode) {
      this.tlsMode = Objects.requireNonNull(mode, "tlsMode");
      return this;
    }

    /**
     * @param credentials what to authenticate with, or {@code null} for no AUTH
     * @return this builder
     */
    public Builder credentials(Credentials credentials) {
      this.credentials = credentials;
      return this;
    }

    /**
     * @param address the local address to bind to (a dedicated sending IP), or {@code null}
     * @return this builder
     */
    public Builder localAddress(InetAddress address) {
      this.localAddress = address;
      return this;
    }

    /**
     * @param proxy a SOCKS proxy, or {@link Proxy#NO_PROXY}
     * @return this builder
     * @throws IllegalArgumentException for an HTTP proxy
     */
    public Builder proxy(Proxy proxy) {
      Objects.requireNonNull(proxy, "proxy");
      if (proxy.type() == Proxy.Type.HTTP) {
        throw new IllegalArgumentException("only SOCKS or DIRECT proxies carry SMTP: " + proxy);
      }
      this.proxy = proxy;
      return this;
    }

    /**
     * @param name the domain (or address literal such as {@code [192.0.2.1]}) announced in
     *     EHLO/HELO (RFC 5321 section 4.1.1.1)
     * @return this builder
     */
    public Builder heloName(String name) {
      Objects.requireNonNull(name, "heloName");
      if (name.isEmpty() || name.chars().anyMatch(c -> c <= ' ' || c >= 127)) {
        throw new IllegalArgumentException(
            "HELO name must be non-empty printable ASCII without spaces: '" + name + "'");
      }
      this.heloName = name;
      return this;
    }

    /**
     * Sets the name used for SNI and certificate verification when it differs from the host to
     * connect to, for example the MX host name when the host is the address the relay resolved.
     *
     * @param name a host name (no spaces or brackets), or {@code null} to use the host
     * @return this builder
     * @throws IllegalArgumentException for an empty name or one with spaces, brackets or non-ASCII
     */
    public Builder tlsServerName(String name) {
      if (name != null && (name.isEmpty()
          || name.chars().anyMatch(c -> c <= ' ' || c >= 127 || c == '[' || c == ']'))) {
        throw new IllegalArgumentException(
            "TLS server name must be a non-empty ASCII host name without spaces or brackets: '" + name + "'");
      }
      this.tlsServerName = name;
      return this;
    }

    /** @return the route */
    public Route build() {
      return new Route(this);
    }
  }

  /** The local host name, looked up once (lazily, on first use). */
  private static final class DefaultHeloName {
    static final String VALUE = lookup();

    private static String lookup() {
      try {
        String n = InetAddress.getLocalHost().getCanonicalHostName();
        if (n.indexOf('.') > 0 && n.chars().allMatch(c -> c > ' ' && c < 127 && c != ':')) {
          return n;
        }
        return "localhost";
      } catch (java.io.IOException e) {
        return "localhost"; // no resolvable local name: "localhost" is what RFC 5321 tolerates
      }
    }
  }
}
