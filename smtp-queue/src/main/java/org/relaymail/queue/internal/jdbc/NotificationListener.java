package org.relaymail.queue.internal.jdbc;

import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one connection in PostgreSQL's {@code LISTEN} on a channel and counts the notifications, so
 * that dispatchers in this process wake up when any process enqueues. Uses the PostgreSQL JDBC
 * driver's {@code PGConnection.getNotifications(int)} through reflection, so that the queue needs
 * only {@code java.sql} at compile time; without that driver it only polls. Reconnects after errors.
 * Thread-safe.
 */
public final class NotificationListener implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NotificationListener.class);

  private final DataSource dataSource;
  private final String channel;
  private final Duration pollInterval;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final Thread thread;
  private long signals;
  private volatile boolean closed;
  private volatile boolean listening;

  /**
   * Starts listening.
   *
   * @param dataSource where to take the listening connection from
   * @param channel the channel name (an SQL identifier)
   * @param pollInterval how long a waiter waits at most without a notification
   */
  public NotificationListener(DataSource dataSource, String channel, Duration pollInterval) {
    this.dataSource = dataSource;
    this.channel = channel;
    this.pollInterval = pollInterval;
    this.thread = new Thread(this::run, "relaymail-jdbc-listen");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Whether the listening connection is established (for tests and health checks).
   *
   * @return true while LISTEN is active
   */
  public boolean isListening() {
    return listening;
  }

  /** Wakes this process's waiters (after a local enqueue). */
  public void signal() {
    lock.lock();
    try {
      signals++;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * The number of wake-ups so far (notifications and local signals).
   *
   * @return the count
   */
  public long signals() {
    lock.lock();
    try {
      return signals;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits for a wake-up after {@code seen} signals, at most {@code max} and at most the poll interval.
   *
   * @param seen the count the caller has seen ({@link #signals()})
   * @param max the longest wait
   * @return true if woken by a signal, false on timeout
   * @throws InterruptedException if interrupted
   */
  public boolean await(long seen, Duration max) throws InterruptedException {
    long nanos = Math.min(max.toNanos(), pollInterval.toNanos());
    lock.lock();
    try {
      while (signals == seen && !closed) {
        if (nanos <= 0) {
          return false;
        }
        nanos = changed.awaitNanos(nanos);
      }
      return signals != seen;
    } finally {
      lock.unlock();
    }
  }

  private void run() {
    Class<?> pgConnection;
    Method getNotifications;
    try {
      pgConnection = Class.forName("org.postgresql.PGConnection");
      getNotifications = pgConnection.getMethod("getNotifications", int.class);
    } catch (ReflectiveOperationException e) {
      LOG.warn("PostgreSQL JDBC driver (org.postgresql.PGConnection) not found: no LISTEN/NOTIFY wake-ups, "
          + "dispatchers poll every {}", pollInterval);
      return;
    }
    int waitMillis = (int) Math.max(50, Math.min(1000, pollInterval.toMillis()));
    while (!closed) {
      try (Connection c = dataSource.getConnection()) {
        c.setAutoCommit(true);
        try (Statement s = c.createStatement()) {
          s.execute("LISTEN " + channel);
        }
        Object pg = c.unwrap(pgConnection);
        listening = true;
        while (!closed) {
          Object batch = getNotifications.invoke(pg, waitMillis);
          if (batch != null && Array.getLength(batch) > 0) {
            signal();
          }
        }
      } catch (SQLException | ReflectiveOperationException | RuntimeException e) {
        listening = false;
        if (closed) {
          return;
        }
        LOG.warn("LISTEN {} failed; retrying in {} (dispatchers poll meanwhile)", channel, pollInterval, e);
        lock.lock();
        try {
          changed.await(pollInterval.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        } finally {
          lock.unlock();
        }
      } finally {
        listening = false;
      }
    }
  }

  /** Stops listening and releases the connection. */
  @Override
  public void close() {
    closed = true;
    signal();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
