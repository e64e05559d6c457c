package org.relaymail.queue.jdbc;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.LoggerFactory;

/**
 * A minimal connection pool for tests (the store's users bring a real one such as HikariCP): at most
 * {@code size} physical connections; closing a handed-out connection rolls back, restores
 * auto-commit and returns it. Thread-safe.
 */
public final class TestPool extends BasicDataSource implements AutoCloseable {
  private final DataSource physical;
  private final Semaphore permits;
  private final Deque<Connection> idle = new ArrayDeque<>();
  private final List<Connection> all = new ArrayList<>();
  private boolean closed;

  TestPool(DataSource physical, int size) {
    this.physical = physical;
    this.permits = new Semaphore(size);
  }

  @Override
  public Connection getConnection() throws SQLException {
    try {
      if (!permits.tryAcquire(60, TimeUnit.SECONDS)) {
        throw new SQLException("test pool exhausted for 60 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted", e);
    }
    Connection real;
    synchronized (this) {
      if (closed) {
        permits.release();
        throw new SQLException("test pool closed");
      }
      real = idle.poll();
    }
    try {
      if (real == null || real.isClosed()) {
        real = physical.getConnection();
        synchronized (this) {
          all.add(real);
        }
      }
    } catch (SQLException | RuntimeException e) {
      permits.release();
      throw e;
    }
    Connection target = real;
    boolean[] returned = {false};
    return (Connection) Proxy.newProxyInstance(TestPool.class.getClassLoader(), new Class<?>[] {Connection.class},
        (proxy, method, args) -> {
          switch (method.getName()) {
            case "close" -> {
              if (!returned[0]) {
                returned[0] = true;
                giveBack(target);
              }
              return null;
            }
            case "isClosed" -> {
              return returned[0] || target.isClosed();
            }
            case "unwrap" -> {
              return ((Class<?>) args[0]).isInstance(proxy) ? proxy : target.unwrap((Class<?>) args[0]);
            }
            default -> {
              if (returned[0]) {
                throw new SQLException("connection returned to the pool");
              }
              try {
                return method.invoke(target, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            }
          }
        });
  }

  private void giveBack(Connection c) {
    boolean ok;
    try {
      if (!c.getAutoCommit()) {
        c.rollback();
        c.setAutoCommit(true);
      }
      ok = !c.isClosed();
    } catch (SQLException e) {
      ok = false;
    }
    synchronized (this) {
      if (ok && !closed) {
        idle.push(c);
      } else {
        closeQuietly(c);
      }
    }
    permits.release();
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException e) {
      LoggerFactory.getLogger(TestPool.class).debug("closing a discarded test connection failed", e);
    }
  }

  /** Closes every physical connection. */
  @Override
  public synchronized void close() {
    closed = true;
    for (Connection c : all) {
      closeQuietly(c);
    }
    idle.clear();
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    throw new SQLFeatureNotSupportedException("test pool uses its data source's credentials");
  }
}
