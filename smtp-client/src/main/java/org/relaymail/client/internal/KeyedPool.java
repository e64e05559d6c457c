package org.relaymail.client.internal;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A keyed pool of connections, generic over what a connection is so that it can be tested without
 * sockets. Limits: max total, max per key (with a per-key function), max uses and max age per
 * connection, idle timeout, and a probe before reusing a connection idle longer than a threshold.
 * Waiters are served first come, first served among those that can proceed. Connections are opened,
 * probed and closed outside the lock.
 *
 * <p>Thread-safe.
 *
 * @param <K> the key (a route)
 * @param <C> the connection
 */
public final class KeyedPool<K, C> {
  private static final Logger LOG = LoggerFactory.getLogger(KeyedPool.class);

  /** Opens, checks and closes connections for the pool. */
  public interface Factory<K, C> {
    /**
     * Opens a connection for a key (called without the pool's lock).
     *
     * @param key the key
     * @return the connection
     * @throws IOException when it cannot be opened
     */
    C open(K key) throws IOException;

    /**
     * Checks a connection that was idle for a while (RSET or NOOP).
     *
     * @param connection the connection
     * @return whether it can be used
     */
    boolean probe(C connection);

    /**
     * Closes a connection politely (QUIT); never throws.
     *
     * @param connection the connection
     */
    void close(C connection);

    /**
     * Closes a connection at once (socket close), possibly while another thread uses it; never
     * throws.
     *
     * @param connection the connection
     */
    void abort(C connection);
  }

  /**
   * The pool's limits.
   *
   * @param maxTotal connections open at once across all keys
   * @param maxPerKey connections per key
   * @param maxUses messages per connection before it is retired
   * @param maxAge age after which a connection is retired on release
   * @param idleTimeout idle time after which a connection is closed
   * @param probeAfterIdle idle time after which a connection is probed before reuse
   */
  public record Limits(
      int maxTotal,
      ToIntFunction<Object> maxPerKey,
      int maxUses,
      Duration maxAge,
      Duration idleTimeout,
      Duration probeAfterIdle) {
    /** Checks the values. */
    public Limits {
      if (maxTotal < 1) {
        throw new IllegalArgumentException("maxTotal must be at least 1: " + maxTotal);
      }
      if (maxUses < 1) {
        throw new IllegalArgumentException("maxMessagesPerConnection must be at least 1: " + maxUses);
      }
      Objects.requireNonNull(maxPerKey, "maxPerKey");
      Objects.requireNonNull(maxAge, "maxAge");
      Objects.requireNonNull(idleTimeout, "idleTimeout");
      Objects.requireNonNull(probeAfterIdle, "probeAfterIdle");
    }
  }

  /** Thrown when no connection became available within the lease timeout. */
  public static final class LeaseTimeoutException extends IOException {
    private static final long serialVersionUID = 1L;

    LeaseTimeoutException(String message) {
      super(message);
    }
  }

  /** Thrown when the pool is closed. */
  public static final class PoolClosedException extends IOException {
    private static final long serialVersionUID = 1L;

    PoolClosedException() {
      super("the connection pool is closed");
    }
  }

  /** A pooled connection, handed to one caller at a time. */
  public static final class Entry<K, C> {
    private final K key;
    private final C connection;
    private final long createdMillis;
    private long lastUsedMillis;
    private int uses;
    private boolean leased;
    private volatile boolean reused;

    Entry(K key, C connection, long now) {
      this.key = key;
      this.connection = connection;
      this.createdMillis = now;
      this.lastUsedMillis = now;
    }

    /** @return the key */
    public K key() {
      return key;
    }

    /** @return the connection */
    public C connection() {
      return connection;
    }

    /** @return how many uses (messages) this connection has had so far */
    public synchronized int uses() {
      return uses;
    }

    /** @return whether the connection had been used before this lease */
    public boolean reused() {
      return reused;
    }

    synchronized void addUses(int n) {
      uses += n;
    }
  }

  private final class Waiter {
    final K key;
    final Condition ready;
    Entry<K, C> assigned;
    boolean mayCreate;

    Waiter(K key) {
      this.key = key;
      this.ready = lock.newCondition();
    }
  }

  private final Factory<K, C> factory;
  private final Limits limits;
  private final Clock clock;
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<K, Deque<Entry<K, C>>> idle = new HashMap<>();
  private final Map<K, Integer> perKey = new HashMap<>();
  private final Set<Entry<K, C>> leased =
      java.util.Collections.newSetFromMap(new IdentityHashMap<>());
  private final Deque<Waiter> waiters = new ArrayDeque<>();
  private int total;
  private boolean closed;

  /**
   * Creates a pool.
   *
   * @param factory opens and closes connections
   * @param limits the limits
   * @param clock the clock for ages and idle times
   */
  public KeyedPool(Factory<K, C> factory, Limits limits, Clock clock) {
    this.factory = Objects.requireNonNull(factory, "factory");
    this.limits = Objects.requireNonNull(limits, "limits");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Leases a connection for a key, opening one when the limits allow.
   *
   * @param key the key
   * @param timeout how long to wait for capacity (zero: do not wait)
   * @return the entry; give it back with {@link #release}
   * @throws IOException the factory's failure, {@link LeaseTimeoutException} or
   *     {@link PoolClosedException}
   * @throws InterruptedException when interrupted while waiting
   */
  public Entry<K, C> lease(K key, Duration timeout) throws IOException, InterruptedException {
    Objects.requireNonNull(key, "key");
    long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
    while (true) {
      Waiter w = new Waiter(key);
      List<C> toClose = new ArrayList<>();
      Entry<K, C> candidate;
      boolean create;
      lock.lock();
      try {
        if (closed) {
          throw new PoolClosedException();
        }
        waiters.addLast(w);
        dispatch(toClose);
        while (w.assigned == null && !w.mayCreate) {
          if (closed) {
            waiters.remove(w);
            throw new PoolClosedException();
          }
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            waiters.remove(w);
            throw new LeaseTimeoutException(
                "no connection for " + key + " within " + timeout + " (" + stateLocked() + ")");
          }
          try {
            w.ready.awaitNanos(left);
          } catch (InterruptedException e) {
            waiters.remove(w);
            if (w.assigned != null) {
              returnIdleLocked(w.assigned, toClose);
            } else if (w.mayCreate) {
              unreserveLocked(key);
            }
            dispatch(toClose);
            throw e;
          }
        }
        candidate = w.assigned;
        create = w.mayCreate;
      } finally {
        lock.unlock();
        closeAll(toClose);
      }
      if (create) {
        return openReserved(key);
      }
      // an idle connection: probe it when it has been idle for more than a moment
      long idleFor = clock.millis() - candidate.lastUsedMillis;
      if (idleFor < limits.probeAfterIdle().toMillis() || safeProbe(candidate.connection)) {
        return candidate;
      }
      LOG.debug("idle connection for {} failed its probe; closing it", key);
      retire(candidate, true);
      // and try again with the time left
    }
  }

  private boolean safeProbe(C c) {
    try {
      return factory.probe(c);
    } catch (RuntimeException e) {
      LOG.warn("connection probe threw; treating the connection as unusable", e);
      return false;
    }
  }

  private Entry<K, C> openReserved(K key) throws IOException {
    C c;
    try {
      c = factory.open(key);
    } catch (IOException | RuntimeException | Error e) {
      List<C> toClose = new ArrayList<>();
      lock.lock();
      try {
        unreserveLocked(key);
        dispatch(toClose);
      } finally {
        lock.unlock();
        closeAll(toClose);
      }
      throw e;
    }
    Entry<K, C> e = new Entry<>(key, c, clock.millis());
    lock.lock();
    try {
      if (closed) {
        unreserveLocked(key);
      } else {
        e.leased = true;
        leased.add(e);
        return e;
      }
    } finally {
      lock.unlock();
    }
    factory.abort(c);
    throw new PoolClosedException();
  }

  /**
   * Gives a leased connection back.
   *
   * @param entry the entry from {@link #lease}
   * @param reusable whether the connection is in a state to be reused (false after a 421, an I/O
   *     error or a timeout: it is closed)
   * @param usesAdded how many messages were sent on it during this lease
   */
  public void release(Entry<K, C> entry, boolean reusable, int usesAdded) {
    entry.addUses(usesAdded);
    List<C> toClose = new ArrayList<>();
    List<C> toAbort = new ArrayList<>();
    lock.lock();
    try {
      if (!leased.remove(entry)) {
        throw new IllegalStateException("connection is not leased from this pool: " + entry.key);
      }
      entry.leased = false;
      long now = clock.millis();
      boolean keep =
          reusable
              && !closed
              && entry.uses() < limits.maxUses()
              && now - entry.createdMillis < limits.maxAge().toMillis();
      if (keep) {
        entry.lastUsedMillis = now;
        returnIdleLocked(entry, toClose);
      } else {
        removeLocked(entry.key);
        (reusable ? toClose : toAbort).add(entry.connection);
      }
      dispatch(toClose);
    } finally {
      lock.unlock();
      closeAll(toClose);
      for (C c : toAbort) {
        factory.abort(c);
      }
    }
  }

  private void retire(Entry<K, C> entry, boolean abort) {
    List<C> toClose = new ArrayList<>();
    lock.lock();
    try {
      leased.remove(entry);
      removeLocked(entry.key);
      dispatch(toClose);
    } finally {
      lock.unlock();
    }
    if (abort) {
      factory.abort(entry.connection);
    } else {
      factory.close(entry.connection);
    }
    closeAll(toClose);
  }

  /**
   * Closes idle connections past the idle timeout or the maximum age.
   *
   * @return how many were closed
   */
  public int evictExpired() {
    List<C> toClose = new ArrayList<>();
    lock.lock();
    try {
      long now = clock.millis();
      for (Iterator<Map.Entry<K, Deque<Entry<K, C>>>> it = idle.entrySet().iterator();
          it.hasNext(); ) {
        Deque<Entry<K, C>> q = it.next().getValue();
        for (Iterator<Entry<K, C>> qi = q.iterator(); qi.hasNext(); ) {
          Entry<K, C> e = qi.next();
          if (expiredLocked(e, now)) {
            qi.remove();
            removeLocked(e.key);
            toClose.add(e.connection);
          }
        }
        if (q.isEmpty()) {
          it.remove();
        }
      }
      dispatch(toClose);
    } finally {
      lock.unlock();
    }
    closeAll(toClose);
    return toClose.size();
  }

  /**
   * Closes every connection: idle ones politely, leased ones at once; wakes every waiter with
   * {@link PoolClosedException}. Idempotent.
   */
  public void close() {
    List<C> toClose = new ArrayList<>();
    List<C> toAbort = new ArrayList<>();
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      for (Deque<Entry<K, C>> q : idle.values()) {
        for (Entry<K, C> e : q) {
          removeLocked(e.key);
          toClose.add(e.connection);
        }
      }
      idle.clear();
      for (Entry<K, C> e : leased) {
        toAbort.add(e.connection);
      }
      for (Waiter w : waiters) {
        w.ready.signal();
      }
    } finally {
      lock.unlock();
    }
    closeAll(toClose);
    for (C c : toAbort) {
      factory.abort(c);
    }
  }

  /** @return a snapshot of the counts */
  public Stats stats() {
    lock.lock();
    try {
      int idleCount = 0;
      for (Deque<Entry<K, C>> q : idle.values()) {
        idleCount += q.size();
      }
      return new Stats(total, leased.size(), idleCount, waiters.size(), new LinkedHashMap<>(perKey));
    } finally {
      lock.unlock();
    }
  }

  /**
   * Counts at one moment.
   *
   * @param total open or opening connections
   * @param leased connections handed out
   * @param idle connections waiting for reuse
   * @param waiting callers waiting for a connection
   * @param perKey open or opening connections per key
   */
  public record Stats(int total, int leased, int idle, int waiting, Map<?, Integer> perKey) {}

  private String stateLocked() {
    int idleCount = 0;
    for (Deque<Entry<K, C>> q : idle.values()) {
      idleCount += q.size();
    }
    return "total " + total + "/" + limits.maxTotal() + ", leased " + leased.size() + ", idle "
        + idleCount + ", waiting " + waiters.size();
  }

  private boolean expiredLocked(Entry<K, C> e, long now) {
    return now - e.lastUsedMillis >= limits.idleTimeout().toMillis()
        || now - e.createdMillis >= limits.maxAge().toMillis();
  }

  /** Serves waiters in order: an idle connection of their key, or a permit to open one. */
  private void dispatch(List<C> toClose) {
    if (waiters.isEmpty()) {
      return;
    }
    long now = clock.millis();
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      if (closed) {
        w.ready.signal();
        continue;
      }
      Deque<Entry<K, C>> q = idle.get(w.key);
      Entry<K, C> found = null;
      while (q != null && !q.isEmpty()) {
        Entry<K, C> e = q.pollFirst(); // most recently used first
        if (expiredLocked(e, now)) {
          removeLocked(e.key);
          toClose.add(e.connection);
        } else {
          found = e;
          break;
        }
      }
      if (q != null && q.isEmpty()) {
        idle.remove(w.key);
      }
      if (found != null) {
        found.leased = true;
        found.reused = true;
        leased.add(found);
        w.assigned = found;
        it.remove();
        w.ready.signal();
        continue;
      }
      int keyCount = perKey.getOrDefault(w.key, 0);
      if (keyCount >= limits.maxPerKey().applyAsInt(w.key)) {
        continue;
      }
      if (total >= limits.maxTotal() && !evictOldestIdleLocked(toClose)) {
        continue;
      }
      reserveLocked(w.key);
      w.mayCreate = true;
      it.remove();
      w.ready.signal();
    }
  }

  private boolean evictOldestIdleLocked(List<C> toClose) {
    Entry<K, C> oldest = null;
    for (Deque<Entry<K, C>> q : idle.values()) {
      Entry<K, C> e = q.peekLast();
      if (e != null && (oldest == null || e.lastUsedMillis < oldest.lastUsedMillis)) {
        oldest = e;
      }
    }
    if (oldest == null) {
      return false;
    }
    Deque<Entry<K, C>> q = idle.get(oldest.key);
    q.removeLast();
    if (q.isEmpty()) {
      idle.remove(oldest.key);
    }
    removeLocked(oldest.key);
    toClose.add(oldest.connection);
    return true;
  }

  private void returnIdleLocked(Entry<K, C> e, List<C> toClose) {
    if (closed) {
      removeLocked(e.key);
      toClose.add(e.connection);
      return;
    }
    e.leased = false;
    leased.remove(e);
    idle.computeIfAbsent(e.key, k -> new ArrayDeque<>()).addFirst(e);
  }

  private void reserveLocked(K key) {
    total++;
    perKey.merge(key, 1, Integer::sum);
  }

  private void unreserveLocked(K key) {
    removeLocked(key);
  }

  private void removeLocked(K key) {
    total--;
    perKey.computeIfPresent(key, (k, n) -> n == 1 ? null : n - 1);
  }

  private void closeAll(List<C> list) {
    for (C c : list) {
      try {
        factory.close(c);
      } catch (RuntimeException e) {
        LOG.warn("closing a pooled connection failed", e);
      }
    }
  }

  /**
   * The limits this pool was built with.
   *
   * @return the limits
   */
  public Limits limits() {
    return limits;
  }
}
