package org.relaymail.client;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The simple front door for an application that sends through one smarthost:
 *
 * <pre>{@code
 * try (SmtpClient client = SmtpClient.builder("smtp.example.com", 587)
 *     .tlsMode(TlsMode.REQUIRED_VERIFIED)
 *     .credentials(Credentials.password("app", secret))
 *     .build()) {
 *   TransactionResult r = client.send(Envelope.of("app@example.com", "user@example.org"),
 *       MessageContent.of(bytes));
 * }
 * }</pre>
 *
 * <p>Messages from any number of threads share a few pooled connections: {@link #sendAsync} queues
 * the message, and up to {@code maxConnections} workers each stream the queued messages through
 * one connection's pipelining window: a message is written as soon as the window has room, not in
 * batches of one window, so concurrent senders profit from pipelining across transactions (RFC
 * 2920 section 3.1, RFC 3030).
 * A message that was never written because its connection failed is tried once more on another
 * connection; one that may have reached the server is never resent (its recipients are reported
 * TRANSIENT instead).
 *
 * <p>Thread-safe.
 */
public final class SmtpClient implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SmtpClient.class);

  private final Route route;
  private final SmtpClientPool pool;
  private final Executor executor;
  private final ExecutorService ownedExecutor;
  private final int maxConnections;
  private final int window;
  private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger workers = new AtomicInteger();
  private volatile boolean closed;

  private static final class Pending {
    final Envelope envelope;
    final MessageContent content;
    final CompletableFuture<TransactionResult> future = new CompletableFuture<>();
    int attempts;

    Pending(Envelope envelope, MessageContent content) {
      this.envelope = envelope;
      this.content = content;
    }
  }

  private SmtpClient(Builder b) {
    this.route = b.route.build();
    this.maxConnections = b.maxConnections;
    this.window = b.settings.pipeliningWindow();
    this.pool = b.pool.maxTotal(b.maxConnections).maxPerRoute(b.maxConnections).build();
    if (b.executor != null) {
      this.executor = b.executor;
      this.ownedExecutor = null;
    } else {
      AtomicInteger n = new AtomicInteger();
      ThreadPoolExecutor tpe =
          new ThreadPoolExecutor(
              0,
              b.maxConnections,
              30,
              TimeUnit.SECONDS,
              new SynchronousQueue<>(),
              r -> {
                Thread t = new Thread(r, "relaymail-smtp-client-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
              });
      this.executor = tpe;
      this.ownedExecutor = tpe;
    }
  }

  /**
   * Starts a client for one smarthost.
   *
   * @param host the smarthost
   * @param port its port (587 with STARTTLS, 465 with {@link TlsMode#IMPLICIT}, 25)
   * @return a builder
   */
  public static Builder builder(String host, int port) {
    return new Builder(host, port);
  }

  /** @return the route every message goes through */
  public Route route() {
    return route;
  }

  /** @return the pool's counts (for monitoring) */
  public SmtpClientPool.Stats poolStats() {
    return pool.stats();
  }

  /**
   * Sends one message and waits for its outcome.
   *
   * @param envelope sender and recipients
   * @param content the message
   * @return the result per recipient
   * @throws IOException when no connection could be had (connect, TLS, AUTH failure: see {@link
   *     SmtpReplyException}, {@link SmtpTlsException}), or the client is closed
   */
  public TransactionResult send(Envelope envelope, MessageContent content) throws IOException {
    try {
      return sendAsync(envelope, content).get();
    } catch (ExecutionException e) {
      throw SmtpConnection.unwrap(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while sending");
    }
  }

  /**
   * Queues one message; it is sent by a pooled connection's worker.
   *
   * @param envelope sender and recipients
   * @param content the message
   * @return the future result (completed exceptionally with an {@link IOException} when no
   *     connection could be had)
   */
  public CompletableFuture<TransactionResult> sendAsync(Envelope envelope, MessageContent content) {
    Objects.requireNonNull(envelope, "envelope");
    Objects.requireNonNull(content, "content");
    Pending p = new Pending(envelope, content);
    if (closed) {
      p.future.completeExceptionally(
          new SmtpClientException(route.host(), route.port(), "client is closed", null));
      return p.future;
    }
    queue.add(p);
    maybeStartWorker();
    return p.future;
  }

  private void maybeStartWorker() {
    while (true) {
      int w = workers.get();
      if (w >= maxConnections || queue.isEmpty()) {
        return;
      }
      if (workers.compareAndSet(w, w + 1)) {
        try {
          executor.execute(this::work);
        } catch (RuntimeException e) {
          workers.decrementAndGet();
          LOG.warn("could not start an SMTP worker; messages stay queued", e);
          failAll(new SmtpClientException(route.host(), route.port(), "executor refused", e));
        }
        return;
      }
    }
  }

  private void work() {
    try {
      while (!closed) {
        if (queue.isEmpty()) {
          break;
        }
        SmtpClientPool.Lease lease;
        try {
          lease = pool.lease(route);
        } catch (IOException e) {
          Pending p = queue.poll();
          if (p != null) {
            p.future.completeExceptionally(e);
          }
          continue;
        }
        try (lease) {
          runOn(lease);
        }
      }
    } catch (RuntimeException | Error e) {
      LOG.error("SMTP worker failed", e);
      throw e;
    } finally {
      workers.decrementAndGet();
      if (!closed) {
        maybeStartWorker();
      } else {
        failAll(new SmtpClientException(route.host(), route.port(), "client is closed", null));
      }
    }
  }

  private void runOn(SmtpClientPool.Lease lease) {
    SmtpConnection c = lease.connection();
    while (!closed && c.isUsable() && lease.messageBudget() > 0 && !queue.isEmpty()) {
      // the connection asks for the next message whenever its window has room: transactions
      // stream through the window continuously, not in batches of one window
      c.flush(() -> {
        if (closed || lease.messageBudget() <= 0) {
          return false;
        }
        Pending p = queue.poll();
        if (p == null) {
          return false;
        }
        CompletableFuture<TransactionResult> f;
        try {
          f = c.submit(p.envelope, p.content);
        } catch (IOException | RuntimeException e) {
          f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete(
            (r, e) -> {
              if (e == null) {
                p.future.complete(r);
              } else if (e instanceof IOException && p.attempts++ == 0 && !closed) {
                queue.add(p); // never written: safe to try once more on another connection
                maybeStartWorker();
              } else {
                p.future.completeExceptionally(e);
              }
            });
        return true;
      });
    }
  }

  private void failAll(IOException e) {
    Pending p;
    while ((p = queue.poll()) != null) {
      p.future.completeExceptionally(e);
    }
  }

  /**
   * Closes every connection; queued messages complete exceptionally. Does not wait for workers
   * in the middle of a transaction: their connections are closed under them, and their messages
   * are reported not delivered.
   */
  @Override
  public void close() {
    closed = true;
    failAll(new SmtpClientException(route.host(), route.port(), "client is closed", null));
    pool.close();
    if (ownedExecutor != null) {
      ownedExecutor.shutdown();
    }
  }

  /** Builds an {@link SmtpClient}. Not thread-safe. */
  public static final class Builder {
    private final Route.Builder route;
    // The pool's own builder holds and checks the pool settings; only what the client adds is here.
    private final SmtpClientPool.Builder pool =
        SmtpClientPool.builder().leaseTimeout(Duration.ofMinutes(2));
    private ConnectionSettings settings = ConnectionSettings.defaults();
    private int maxConnections = 4;
    private Executor executor;

    private Builder(String host, int port) {
      this.route = Route.builder(host, port);
    }

    /**
     * @param mode the TLS mode (default {@link TlsMode#OPPORTUNISTIC})
     * @return this builder
     */
    public Builder tlsMode(TlsMode mode) {
      route.tlsMode(mode);
      return this;
    }

    /**
     * @param c the credentials for AUTH, or {@code null}
     * @return this builder
     */
    public Builder credentials(Credentials c) {
      route.credentials(c);
      return this;
    }

    /**
     * @param a the local address to send from, or {@code null}
     * @return this builder
     */
    public Builder localAddress(InetAddress a) {
      route.localAddress(a);
      return this;
    }

    /**
     * @param p a SOCKS proxy
     * @return this builder
     */
    public Builder proxy(Proxy p) {
      route.proxy(p);
      return this;
    }

    /**
     * @param name the EHLO name
     * @return this builder
     */
    public Builder heloName(String name) {
      route.heloName(name);
      return this;
    }

    /**
     * @param s connection settings (timeouts, TLS trust, window, listener, ...)
     * @return this builder
     */
    public Builder settings(ConnectionSettings s) {
      settings = Objects.requireNonNull(s, "settings");
      pool.settings(s);
      return this;
    }

    /**
     * @param n connections to the smarthost at most (default 4)
     * @return this builder
     */
    public Builder maxConnections(int n) {
      if (n < 1 || n > 1000) {
        throw new IllegalArgumentException("maxConnections must be 1..1000: " + n);
      }
      maxConnections = n;
      return this;
    }

    /**
     * @param n messages per connection before it is replaced (default 1000)
     * @return this builder
     */
    public Builder maxMessagesPerConnection(int n) {
      pool.maxMessagesPerConnection(n);
      return this;
    }

    /**
     * @param d age after which a connection is replaced (default 5 minutes)
     * @return this builder
     */
    public Builder maxConnectionAge(Duration d) {
      pool.maxConnectionAge(d);
      return this;
    }

    /**
     * @param d idle time after which a connection is closed (default 60 seconds)
     * @return this builder
     */
    public Builder idleTimeout(Duration d) {
      pool.idleTimeout(d);
      return this;
    }

    /**
     * @param d how long a message waits for a connection (default 2 minutes)
     * @return this builder
     */
    public Builder leaseTimeout(Duration d) {
      pool.leaseTimeout(d);
      return this;
    }

    /**
     * @param e runs the connection workers (default: a pool of daemon threads, one per
     *     connection; on Java 21+ pass {@code Executors.newVirtualThreadPerTaskExecutor()})
     * @return this builder
     */
    public Builder executor(Executor e) {
      executor = Objects.requireNonNull(e, "executor");
      return this;
    }

    /**
     * @param c the clock for connection ages
     * @return this builder
     */
    public Builder clock(Clock c) {
      pool.clock(c);
      return this;
    }

    /** @return the client */
    public SmtpClient build() {
      return new SmtpClient(this);
    }
  }
}
