package org.relaymail.client;

import java.security.NoSuchAlgorithmException;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * How connections behave, whatever the route: timeouts, TLS trust, the pipelining window, the
 * recipient cap per transaction, AUTH over plain text, TCP_NODELAY and the event listener.
 *
 * <p>Thread-safe (immutable). Build with {@link #builder()}; {@link #defaults()} gives the RFC 5321
 * timeouts, a window of 16, 100 recipients per transaction, CHUNKING when offered, TCP_NODELAY on,
 * AUTH only over TLS, and the JDK's default trust store for verified TLS.
 */
public final class ConnectionSettings {
  private final SmtpTimeouts timeouts;
  private final SSLContext sslContext;
  private final int pipeliningWindow;
  private final int maxRecipientsPerTransaction;
  private final boolean allowAuthWithoutTls;
  private final boolean tcpNoDelay;
  private final boolean useChunking;
  private final SmtpEventListener listener;

  private ConnectionSettings(Builder b) {
    this.timeouts = b.timeouts;
    this.sslContext = b.sslContext;
    this.pipeliningWindow = b.pipeliningWindow;
    this.maxRecipientsPerTransaction = b.maxRecipientsPerTransaction;
    this.allowAuthWithoutTls = b.allowAuthWithoutTls;
    this.tcpNoDelay = b.tcpNoDelay;
    this.useChunking = b.useChunking;
    this.listener = b.listener;
  }

  /** @return the default settings */
  public static ConnectionSettings defaults() {
    return builder().build();
  }

  /** @return a builder with the defaults */
  public static Builder builder() {
    return new Builder();
  }

  /** @return a builder with these settings */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.timeouts = timeouts;
    b.sslContext = sslContext;
    b.pipeliningWindow = pipeliningWindow;
    b.maxRecipientsPerTransaction = maxRecipientsPerTransaction;
    b.allowAuthWithoutTls = allowAuthWithoutTls;
    b.tcpNoDelay = tcpNoDelay;
    b.useChunking = useChunking;
    b.listener = listener;
    return b;
  }

  /** @return the timeouts */
  public SmtpTimeouts timeouts() {
    return timeouts;
  }

  /** @return the SSL context for verified TLS modes, or {@code null} for the JDK default */
  public SSLContext sslContext() {
    return sslContext;
  }

  /**
   * The SSL context for verified TLS: the configured one or the JDK default.
   *
   * @return the context
   */
  public SSLContext verifyingSslContext() {
    if (sslContext != null) {
      return sslContext;
    }
    try {
      return SSLContext.getDefault();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no default SSLContext", e);
    }
  }

  /** @return how many transactions may be in flight on one connection (1: no pipelining across) */
  public int pipeliningWindow() {
    return pipeliningWindow;
  }

  /** @return the most recipients sent in one transaction */
  public int maxRecipientsPerTransaction() {
    return maxRecipientsPerTransaction;
  }

  /** @return whether AUTH may be used over a connection without TLS */
  public boolean allowAuthWithoutTls() {
    return allowAuthWithoutTls;
  }

  /** @return whether Nagle's algorithm is disabled */
  public boolean tcpNoDelay() {
    return tcpNoDelay;
  }

  /** @return whether BDAT is used when the server offers CHUNKING */
  public boolean useChunking() {
    return useChunking;
  }

  /** @return the event listener */
  public SmtpEventListener listener() {
    return listener;
  }

  /** Builds {@link ConnectionSettings}. Not thread-safe. */
  public static final class Builder {
    private SmtpTimeouts timeouts = SmtpTimeouts.RFC_5321;
    private SSLContext sslContext;
    private int pipeliningWindow = 16;
    private int maxRecipientsPerTransaction = 100;
    private boolean allowAuthWithoutTls;
    private boolean tcpNoDelay = true;
    private boolean useChunking = true;
    private SmtpEventListener listener = SmtpEventListener.NONE;

    private Builder() {}

    /**
     * @param t the timeouts (default {@link SmtpTimeouts#RFC_5321})
     * @return this builder
     */
    public Builder timeouts(SmtpTimeouts t) {
      this.timeouts = Objects.requireNonNull(t, "timeouts");
      return this;
    }

    /**
     * @param ctx trust (and client keys) for the verified TLS modes; {@code null}: JDK default
     * @return this builder
     */
    public Builder sslContext(SSLContext ctx) {
      this.sslContext = ctx;
      return this;
    }

    /**
     * @param window transactions in flight per connection, 1 to 64 (RFC 2920 section 3.1); 1 turns
     *     pipelining across transactions off. The default, 16, keeps one connection busy across a
     *     10 ms round trip against a server that answers a BDAT transaction in two writes (Postfix
     *     {@code smtpd}); see {@code benchmarks/RESULTS.md}
     * @return this builder
     */
    public Builder pipeliningWindow(int window) {
      if (window < 1 || window > 64) {
        throw new IllegalArgumentException("pipelining window must be 1..64: " + window);
      }
      this.pipeliningWindow = window;
      return this;
    }

    /**
     * @param max recipients per transaction, 1 to 1000 (RFC 5321 section 4.5.3.1.8 asks servers
     *     for at least 100)
     * @return this builder
     */
    public Builder maxRecipientsPerTransaction(int max) {
      if (max < 1 || max > 1000) {
        throw new IllegalArgumentException("max recipients per transaction must be 1..1000: " + max);
      }
      this.maxRecipientsPerTransaction = max;
      return this;
    }

    /**
     * @param allow whether AUTH may send credentials over a connection without TLS (default false)
     * @return this builder
     */
    public Builder allowAuthWithoutTls(boolean allow) {
      this.allowAuthWithoutTls = allow;
      return this;
    }

    /**
     * @param noDelay whether to set TCP_NODELAY (default true)
     * @return this builder
     */
    public Builder tcpNoDelay(boolean noDelay) {
      this.tcpNoDelay = noDelay;
      return this;
    }

    /**
     * @param use whether to use BDAT when the server offers CHUNKING (default true)
     * @return this builder
     */
    public Builder useChunking(boolean use) {
      this.useChunking = use;
      return this;
    }

    /**
     * @param l the event listener (default none)
     * @return this builder
     */
    public Builder listener(SmtpEventListener l) {
      this.listener = Objects.requireNonNull(l, "listener");
      return this;
    }

    /** @return the settings */
    public ConnectionSettings build() {
      return new ConnectionSettings(this);
    }
  }
}
