package org.relaymail.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loopback TCP proxy that delays each direction by a fixed amount, to give benchmarks a round
 * trip on loopback (a one-way delay of 5 ms gives a 10 ms round trip). Each chunk read is stamped
 * with its release time and queued; a writer thread per direction waits for the head of the queue
 * and writes every chunk that is due in one go, so throughput is not capped by a sleep per chunk.
 * Both sockets set {@code TCP_NODELAY}. Thread-safe; {@link #close()} stops everything.
 */
public final class LatencyProxy implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LatencyProxy.class);

  private final InetSocketAddress target;
  private final long delayNanos;
  private final ServerSocket server;
  private final Thread acceptThread;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
  private final AtomicInteger connections = new AtomicInteger();
  private volatile boolean closed;

  private LatencyProxy(Builder b) throws IOException {
    this.target = b.target;
    this.delayNanos = b.delay.toNanos();
    this.server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(b.address, b.port), 200);
    this.acceptThread = new Thread(this::acceptLoop, "latency-proxy-" + port() + "-accept");
    acceptThread.setDaemon(true);
    acceptThread.start();
  }

  /**
   * A new builder.
   *
   * @return the builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The proxy's listening address.
   *
   * @return the address
   */
  public InetAddress address() {
    return server.getInetAddress();
  }

  /**
   * The proxy's port.
   *
   * @return the port
   */
  public int port() {
    return server.getLocalPort();
  }

  /**
   * The one-way delay.
   *
   * @return the delay
   */
  public Duration delay() {
    return Duration.ofNanos(delayNanos);
  }

  /**
   * Connections accepted so far.
   *
   * @return the count
   */
  public int connectionCount() {
    return connections.get();
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("latency proxy accept failed", e);
        }
        return;
      }
      int n = connections.incrementAndGet();
      Socket upstream = new Socket();
      try {
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
        upstream.connect(target, 10_000);
      } catch (IOException e) {
        LOG.debug("latency proxy cannot reach {}: {}", target, e.toString());
        closeQuietly(client);
        closeQuietly(upstream);
        continue;
      }
      sockets.add(client);
      sockets.add(upstream);
      Connection c = new Connection(client, upstream);
      c.pipe(client, upstream, "latency-proxy-" + port() + "-" + n + "-up");
      c.pipe(upstream, client, "latency-proxy-" + port() + "-" + n + "-down");
      if (closed) {
        closeQuietly(client);
        closeQuietly(upstream);
      }
    }
  }

  /** A chunk due at a given time; an empty chunk marks end of stream. */
  private record Chunk(long due, byte[] bytes) implements Delayed {
    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(due - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed o) {
      return Long.compare(due, ((Chunk) o).due);
    }
  }

  private final class Connection {
    private final Socket a;
    private final Socket b;
    private final AtomicInteger open = new AtomicInteger(2);

    Connection(Socket a, Socket b) {
      this.a = a;
      this.b = b;
    }

    void pipe(Socket from, Socket to, String name) {
      DelayQueue<Chunk> queue = new DelayQueue<>();
      Thread reader = new Thread(() -> read(from, queue), name + "-read");
      Thread writer = new Thread(() -> write(to, queue), name + "-write");
      for (Thread t : List.of(reader, writer)) {
        t.setDaemon(true);
        threads.add(t);
        t.start();
      }
    }

    private void read(Socket from, DelayQueue<Chunk> queue) {
      byte[] buf = new byte[65536];
      try {
        InputStream in = from.getInputStream();
        int n;
        while ((n = in.read(buf)) > 0) {
          queue.add(new Chunk(System.nanoTime() + delayNanos, java.util.Arrays.copyOf(buf, n)));
        }
      } catch (IOException e) {
        LOG.trace("latency proxy read ended: {}", e.toString());
      } finally {
        queue.add(new Chunk(System.nanoTime() + delayNanos, new byte[0]));
        threads.remove(Thread.currentThread());
      }
    }

    private void write(Socket to, DelayQueue<Chunk> queue) {
      List<Chunk> due = new ArrayList<>();
      try {
        OutputStream out = to.getOutputStream();
        while (true) {
          due.add(queue.take());
          queue.drainTo(due);
          boolean eof = false;
          for (Chunk c : due) {
            if (c.bytes().length == 0) {
              eof = true;
              break;
            }
            out.write(c.bytes());
          }
          out.flush();
          due.clear();
          if (eof) {
            to.shutdownOutput();
            return;
          }
        }
      } catch (IOException e) {
        LOG.trace("latency proxy write ended: {}", e.toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        threads.remove(Thread.currentThread());
        if (open.decrementAndGet() == 0) {
          closeQuietly(a);
          closeQuietly(b);
          sockets.remove(a);
          sockets.remove(b);
        }
      }
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      LOG.debug("closing proxied socket: {}", e.toString());
    }
  }

  /** Closes the listener and every proxied connection, and waits for the threads to end. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      LOG.debug("closing proxy listener: {}", e.toString());
    }
    for (Socket s : sockets) {
      closeQuietly(s);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    List<Thread> all = new ArrayList<>(threads);
    all.add(acceptThread);
    for (Thread t : all) {
      t.interrupt();
      try {
        t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Configures a {@link LatencyProxy}. Not thread-safe. */
  public static final class Builder {
    private InetAddress address = Loopback.v4(1);
    private int port;
    private InetSocketAddress target;
    private Duration delay = Duration.ofMillis(5);

    private Builder() {}

    /**
     * The loopback address to listen on (default 127.0.0.1).
     *
     * @param address a loopback address
     * @return this
     */
    public Builder address(InetAddress address) {
      this.address = Loopback.requireLoopback(address);
      return this;
    }

    /**
     * The port; 0 (default) picks a free one.
     *
     * @param port 0 to 65535
     * @return this
     */
    public Builder port(int port) {
      this.port = Loopback.requirePort(port);
      return this;
    }

    /**
     * Where connections go (required; loopback only).
     *
     * @param target the server's address and port
     * @return this
     */
    public Builder target(InetSocketAddress target) {
      Objects.requireNonNull(target, "target");
      if (target.getAddress() == null || !target.getAddress().isLoopbackAddress()) {
        throw new IllegalArgumentException("the proxy target must be on loopback: " + target);
      }
      this.target = target;
      return this;
    }

    /**
     * The delay added to each direction (default 5 ms, i.e. 10 ms round trip).
     *
     * @param oneWay the one-way delay, not negative
     * @return this
     */
    public Builder delay(Duration oneWay) {
      if (oneWay.isNegative()) {
        throw new IllegalArgumentException("delay must not be negative: " + oneWay);
      }
      this.delay = oneWay;
      return this;
    }

    /**
     * Starts the proxy.
     *
     * @return the running proxy
     * @throws IOException if it cannot bind
     * @throws IllegalStateException if no target was set
     */
    public LatencyProxy start() throws IOException {
      if (target == null) {
        throw new IllegalStateException("target is required");
      }
      return new LatencyProxy(this);
    }
  }
}
