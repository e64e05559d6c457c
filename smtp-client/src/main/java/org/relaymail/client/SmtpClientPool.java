package org.relaymail.client;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.relaymail.client.internal.KeyedPool;
import org.relaymail.client.internal.SafeListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SMTP connections kept open for reuse, keyed by {@link Route}. Limits: max connections in total
 * and per route (a default and per-route overrides); a connection is retired after a number of
 * messages, after a maximum age (time-based reuse, as Postfix does), after a 421, an I/O error or a
 * timeout; idle connections are closed after the idle timeout, and one idle longer than the probe
 * threshold is checked with NOOP before it is handed out. A lease waits up to the lease timeout,
 * first come first served among callers that can proceed.
 *
 * <pre>{@code
 * try (SmtpClientPool pool = SmtpClientPool.builder().maxTotal(20).build();
 *     SmtpClientPool.Lease lease = pool.lease(route)) {
 *   TransactionResult r = lease.connection().send(envelope, content);
 * }
 * }</pre>
 *
 * <p>Thread-safe. {@link #close()} closes every connection (idle ones with QUIT, leased ones at once)
 * and stops the eviction thread.
 */
public final class SmtpClientPool implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SmtpClientPool.class);

  private final KeyedPool<Route, SmtpConnection> pool;
  private final ConnectionSettings settings;
  private final SmtpEventListener listener;
  private final Duration leaseTimeout;
  private final ScheduledExecutorService evictor;
  private final Builder config;

  private SmtpClientPool(Builder b) {
    this.config = b;
    this.settings = b.settings;
    this.listener = SafeListener.wrap(b.settings.listener());
    this.leaseTimeout = b.leaseTimeout;
    Map<Route, Integer> overrides = new HashMap<>(b.perRoute);
    int perRouteDefault = b.maxPerRoute;
    KeyedPool.Limits limits =
        new KeyedPool.Limits(
            b.maxTotal,
            key -> overrides.getOrDefault(key, perRouteDefault),
            b.maxMessagesPerConnection,
            b.maxConnectionAge,
            b.idleTimeout,
            b.probeAfterIdle);
    this.pool = new KeyedPool<>(new Factory(), limits, b.clock);
    if (b.backgroundEviction) {
      evictor =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "relaymail-smtp-pool-evictor");
                t.setDaemon(true);
                return t;
              });
      long period = Math.max(100, Math.min(b.idleTimeout.toMillis() / 2, 30_000));
      evictor.scheduleWithFixedDelay(this::evictQuietly, period, period, TimeUnit.MILLISECONDS);
    } else {
      evictor = null;
    }
  }

  private void evictQuietly() {
    try {
      pool.evictExpired();
    } catch (RuntimeException e) {
      LOG.warn("evicting idle SMTP connections failed", e);
    }
  }

  /** @return a builder with the defaults */
  public static Builder builder() {
    return new Builder();
  }

  /** @return the connection settings used for new connections */
  public ConnectionSettings settings() {
    return settings;
  }

  /** @return the per-connection message limit */
  public int maxMessagesPerConnection() {
    return config.maxMessagesPerConnection;
  }

  /** @return the per-route default limit */
  public int maxPerRoute() {
    return config.maxPerRoute;
  }

  /**
   * @param route a route
   * @return the connection limit for it
   */
  public int maxPerRoute(Route route) {
    return config.perRoute.getOrDefault(route, config.maxPerRoute);
  }

  private final class Factory implements KeyedPool.Factory<Route, SmtpConnection> {
    @Override
    public SmtpConnection open(Route key) throws IOException {
      return SmtpConnection.open(key, settings);
    }

    @Override
    public boolean probe(SmtpConnection c) {
      try {
        return c.isUsable() && c.noop().isPositive();
      } catch (IOException e) {
        LOG.debug("NOOP probe of {} failed: {}", c, e.toString());
        return false;
      }
    }

    @Override
    public void close(SmtpConnection c) {
      c.close();
    }

    @Override
    public void abort(SmtpConnection c) {
      c.abort();
    }
  }

  /**
   * Leases a connection with the pool's lease timeout.
   *
   * @param route where to
   * @return the lease; close it to give the connection back
   * @throws IOException when no connection could be had: the connect failure, a lease timeout, or
   *     the pool being closed
   */
  public Lease lease(Route route) throws IOException {
    return lease(route, leaseTimeout);
  }

  /**
   * Leases a connection.
   *
   * @param route where to
   * @param timeout how long to wait for capacity
   * @return the lease; close it to give the connection back
   * @throws IOException when no connection could be had
   */
  public Lease lease(Route route, Duration timeout) throws IOException {
    Objects.requireNonNull(route, "route");
    Objects.requireNonNull(timeout, "timeout");
    listener.leaseStart(route);
    try {
      KeyedPool.Entry<Route, SmtpConnection> e = pool.lease(route, timeout);
      listener.leaseEnd(route, e.reused());
      return new Lease(e);
    } catch (IOException e) {
      listener.leaseFailed(route, e);
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      InterruptedIOException io = new InterruptedIOException("interrupted waiting for " + route);
      listener.leaseFailed(route, io);
      throw io;
    }
  }

  /**
   * Sends one message on a pooled connection.
   *
   * @param route where to
   * @param envelope sender and recipients
   * @param content the message
   * @return the result
   * @throws IOException when no connection could be had, or it broke before the message was sent
   */
  public TransactionResult send(Route route, Envelope envelope, MessageContent content)
      throws IOException {
    try (Lease lease = lease(route)) {
      return lease.connection().send(envelope, content);
    }
  }

  /**
   * Closes idle connections past their idle timeout or age now (the pool also does this in the
   * background unless built without it).
   *
   * @return how many were closed
   */
  public int evictExpired() {
    return pool.evictExpired();
  }

  /**
   * Counts at one moment.
   *
   * @param total connections open or being opened
   * @param leased connections handed out
   * @param idle connections waiting for reuse
   * @param waiting callers waiting for a connection
   */
  public record Stats(int total, int leased, int idle, int waiting) {}

  /** @return the counts now */
  public Stats stats() {
    KeyedPool.Stats s = pool.stats();
    return new Stats(s.total(), s.leased(), s.idle(), s.waiting());
  }

  @Override
  public void close() {
    if (evictor != null) {
      evictor.shutdownNow();
    }
    pool.close();
  }

  /**
   * A connection handed out by the pool; {@link #close()} gives it back (kept for reuse when it is
   * still usable). Not thread-safe: one caller at a time.
   */
  public final class Lease implements AutoCloseable {
    private final KeyedPool.Entry<Route, SmtpConnection> entry;
    private final long transactionsAtStart;
    private boolean done;
    private boolean retire;

    private Lease(KeyedPool.Entry<Route, SmtpConnection> entry) {
      this.entry = entry;
      this.transactionsAtStart = entry.connection().transactions();
    }

    /** @return the connection */
    public SmtpConnection connection() {
      return entry.connection();
    }

    /** @return whether the connection was used before this lease */
    public boolean reused() {
      return entry.reused();
    }

    /**
     * @return how many more messages this connection may carry under the pool's per-connection
     *     limit (counting this lease's so far)
     */
    public int messageBudget() {
      long used = entry.uses() + (entry.connection().transactions() - transactionsAtStart);
      return (int) Math.max(0, config.maxMessagesPerConnection - used);
    }

    /** Marks the connection to be closed instead of reused when the lease is closed. */
    public void retire() {
      retire = true;
    }

    /** Gives the connection back to the pool. Idempotent. */
    @Override
    public void close() {
      if (done) {
        return;
      }
      done = true;
      SmtpConnection c = entry.connection();
      boolean reusable = !retire && c.isUsable();
      int used = (int) Math.min(Integer.MAX_VALUE, c.transactions() - transactionsAtStart);
      pool.release(entry, reusable, used);
      listener.released(c.route(), reusable);
    }
  }

  /** Builds a {@link SmtpClientPool}. Not thread-safe. */
  public static final class Builder {
    private int maxTotal = 50;
    private int maxPerRoute = 5;
    private final Map<Route, Integer> perRoute = new HashMap<>();
    private int maxMessagesPerConnection = 1000;
    private Duration maxConnectionAge = Duration.ofMinutes(5);
    private Duration idleTimeout = Duration.ofSeconds(60);
    private Duration probeAfterIdle = Duration.ofSeconds(2);
    private Duration leaseTimeout = Duration.ofSeconds(60);
    private ConnectionSettings settings = ConnectionSettings.defaults();
    private Clock clock = Clock.systemUTC();
    private boolean backgroundEviction = true;

    private Builder() {}

    private static int positive(String name, int v) {
      if (v < 1) {
        throw new IllegalArgumentException(name + " must be at least 1: " + v);
      }
      return v;
    }

    private static Duration positive(String name, Duration d) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + d);
      }
      return d;
    }

    /**
     * @param n connections in total (default 50)
     * @return this builder
     */
    public Builder maxTotal(int n) {
      maxTotal = positive("maxTotal", n);
      return this;
    }

    /**
     * @param n connections per route unless overridden (default 5)
     * @return this builder
     */
    public Builder maxPerRoute(int n) {
      maxPerRoute = positive("maxPerRoute", n);
      return this;
    }

    /**
     * @param route a route
     * @param n its connection limit
     * @return this builder
     */
    public Builder maxPerRoute(Route route, int n) {
      perRoute.put(Objects.requireNonNull(route, "route"), positive("maxPerRoute", n));
      return this;
    }

    /**
     * @param n messages per connection before it is retired (default 1000)
     * @return this builder
     */
    public Builder maxMessagesPerConnection(int n) {
      maxMessagesPerConnection = positive("maxMessagesPerConnection", n);
      return this;
    }

    /**
     * @param d age after which a connection is retired (default 5 minutes)
     * @return this builder
     */
    public Builder maxConnectionAge(Duration d) {
      maxConnectionAge = positive("maxConnectionAge", d);
      return this;
    }

    /**
     * @param d idle time after which a connection is closed (default 60 seconds)
     * @return this builder
     */
    public Builder idleTimeout(Duration d) {
      idleTimeout = positive("idleTimeout", d);
      return this;
    }

    /**
     * @param d idle time after which a connection is probed with NOOP before reuse (default 2 s)
     * @return this builder
     */
    public Builder probeAfterIdle(Duration d) {
      Objects.requireNonNull(d, "probeAfterIdle");
      if (d.isNegative()) {
        throw new IllegalArgumentException("probeAfterIdle must not be negative: " + d);
      }
      probeAfterIdle = d;
      return this;
    }

    /**
     * @param d how long {@link SmtpClientPool#lease(Route)} waits (default 60 seconds)
     * @return this builder
     */
    public Builder leaseTimeout(Duration d) {
      Objects.requireNonNull(d, "leaseTimeout");
      if (d.isNegative()) {
        throw new IllegalArgumentException("leaseTimeout must not be negative: " + d);
      }
      leaseTimeout = d;
      return this;
    }

    /**
     * @param s settings for new connections
     * @return this builder
     */
    public Builder settings(ConnectionSettings s) {
      settings = Objects.requireNonNull(s, "settings");
      return this;
    }

    /**
     * @param c the clock for ages and idle times (tests pass their own)
     * @return this builder
     */
    public Builder clock(Clock c) {
      clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    /**
     * @param on whether a background thread evicts idle connections (default true; tests call
     *     {@link SmtpClientPool#evictExpired()} instead)
     * @return this builder
     */
    public Builder backgroundEviction(boolean on) {
      backgroundEviction = on;
      return this;
    }

    /** @return the pool */
    public SmtpClientPool build() {
      return new SmtpClientPool(this);
    }
  }
}
