package org.relaymail.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A seeded random walk over the pool with a test clock: lease, release (reusable or not), failing
 * opens and probes, clock jumps, eviction, close. After every step: limits never exceeded, no
 * connection handed to two callers, every connection the factory opened is either in the pool or
 * closed, and after close nothing is left open.
 */
class KeyedPoolRandomWalkTest {
  private static final long[] SEEDS = {1L, 7L, 42L, 1234L, 99991L, 20240601L, -5L, 31337L};
  private static final int STEPS = 4000;

  /** A clock the test moves. */
  static final class TestClock extends Clock {
    long millis = 1_000_000;

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis);
    }

    @Override
    public long millis() {
      return millis;
    }
  }

  /** A fake connection. */
  static final class Conn {
    final int id;
    final String key;
    boolean closed;
    boolean healthy = true;

    Conn(int id, String key) {
      this.id = id;
      this.key = key;
    }

    @Override
    public String toString() {
      return "conn" + id + "@" + key;
    }
  }

  /** Records what the pool asks of it. */
  static final class FakeFactory implements KeyedPool.Factory<String, Conn> {
    final Random random;
    final List<Conn> opened = new ArrayList<>();
    boolean failOpens;
    int nextId;

    FakeFactory(Random random) {
      this.random = random;
    }

    @Override
    public synchronized Conn open(String key) throws IOException {
      if (failOpens && random.nextInt(3) == 0) {
        throw new IOException("connect refused (scripted)");
      }
      Conn c = new Conn(++nextId, key);
      opened.add(c);
      return c;
    }

    @Override
    public boolean probe(Conn c) {
      return c.healthy;
    }

    @Override
    public synchronized void close(Conn c) {
      if (c.closed) {
        throw new AssertionError("closed twice: " + c);
      }
      c.closed = true;
    }

    @Override
    public synchronized void abort(Conn c) {
      c.closed = true;
    }

    synchronized long openCount() {
      return opened.stream().filter(c -> !c.closed).count();
    }
  }

  @Test
  void randomWalkKeepsTheInvariants() throws Exception {
    for (long seed : SEEDS) {
      try {
        walk(seed);
      } catch (AssertionError | Exception e) {
        throw new AssertionError("random walk failed with seed " + seed + ": " + e, e);
      }
    }
  }

  private void walk(long seed) throws Exception {
    Random random = new Random(seed);
    TestClock clock = new TestClock();
    FakeFactory factory = new FakeFactory(random);
    String[] keys = {"a", "b", "c", "d"};
    int maxTotal = 1 + random.nextInt(6);
    int perKey = 1 + random.nextInt(3);
    int maxUses = 1 + random.nextInt(5);
    KeyedPool.Limits limits =
        new KeyedPool.Limits(
            maxTotal,
            k -> "a".equals(k) ? perKey + 1 : perKey,
            maxUses,
            Duration.ofSeconds(300),
            Duration.ofSeconds(60),
            Duration.ofSeconds(2));
    KeyedPool<String, Conn> pool = new KeyedPool<>(factory, limits, clock);
    Map<KeyedPool.Entry<String, Conn>, Integer> held = new IdentityHashMap<>();
    for (int step = 0; step < STEPS; step++) {
      int op = random.nextInt(100);
      String key = keys[random.nextInt(keys.length)];
      factory.failOpens = random.nextInt(10) == 0;
      if (op < 40) {
        try {
          KeyedPool.Entry<String, Conn> e = pool.lease(key, Duration.ZERO);
          if (e.connection().closed) {
            fail("step " + step + ": handed out a closed connection " + e.connection());
          }
          for (KeyedPool.Entry<String, Conn> h : held.keySet()) {
            if (h.connection() == e.connection()) {
              fail("step " + step + ": " + e.connection() + " handed to two callers");
            }
          }
          assertEquals(key, e.connection().key, "key of the leased connection");
          held.put(e, step);
        } catch (KeyedPool.LeaseTimeoutException expected) {
          // at capacity: allowed, the invariants below decide whether it was right
          assertAtCapacity(pool, key, limits, step);
        } catch (IOException expected) {
          assertTrue(expected.getMessage().contains("scripted"), expected.toString());
        }
      } else if (op < 75 && !held.isEmpty()) {
        KeyedPool.Entry<String, Conn> e = pick(held, random);
        held.remove(e);
        boolean reusable = random.nextInt(5) != 0;
        pool.release(e, reusable, 1);
        if (!reusable) {
          assertTrue(e.connection().closed, "a non-reusable connection is closed on release");
        }
      } else if (op < 85) {
        clock.millis += random.nextInt(5) == 0 ? 61_000 : random.nextInt(3000);
      } else if (op < 92) {
        pool.evictExpired();
      } else if (op < 97) {
        // a connection goes bad while idle: the probe must catch it
        for (Conn c : factory.opened) {
          if (!c.closed && random.nextInt(4) == 0) {
            c.healthy = false;
          }
        }
      } else if (!held.isEmpty()) {
        KeyedPool.Entry<String, Conn> e = pick(held, random);
        assertThrows(
            IllegalStateException.class,
            () -> {
              held.remove(e);
              pool.release(e, true, 0);
              pool.release(e, true, 0);
            },
            "double release must be refused");
      }
      check(pool, factory, held, limits, step, keys);
    }
    pool.close();
    for (Conn c : factory.opened) {
      if (!c.closed) {
        fail("leaked after close: " + c);
      }
    }
    assertThrows(IOException.class, () -> pool.lease("a", Duration.ZERO));
  }

  private static <T> T pick(Map<T, Integer> m, Random r) {
    List<T> list = new ArrayList<>(m.keySet());
    list.sort((x, y) -> Integer.compare(m.get(x), m.get(y)));
    return list.get(r.nextInt(list.size()));
  }

  private static void assertAtCapacity(
      KeyedPool<String, Conn> pool, String key, KeyedPool.Limits limits, int step) {
    KeyedPool.Stats s = pool.stats();
    int forKey = s.perKey().containsKey(key) ? (Integer) s.perKey().get(key) : 0;
    boolean keyFull = forKey >= limits.maxPerKey().applyAsInt(key);
    boolean totalFull = s.total() >= limits.maxTotal() && s.idle() == 0;
    assertTrue(keyFull || totalFull, "step " + step + ": refused a lease below capacity: " + s);
  }

  private static void check(
      KeyedPool<String, Conn> pool,
      FakeFactory factory,
      Map<KeyedPool.Entry<String, Conn>, Integer> held,
      KeyedPool.Limits limits,
      int step,
      String[] keys) {
    KeyedPool.Stats s = pool.stats();
    String where = "step " + step + " " + s;
    assertTrue(s.total() <= limits.maxTotal(), "total over the limit: " + where);
    for (String k : keys) {
      Integer n = (Integer) s.perKey().get(k);
      assertTrue(n == null || n <= limits.maxPerKey().applyAsInt(k), "per key: " + where);
    }
    assertEquals(held.size(), s.leased(), "leased count: " + where);
    assertEquals(s.total(), s.leased() + s.idle(), "total = leased + idle: " + where);
    assertEquals(s.total(), factory.openCount(), "open connections = pool total: " + where);
    Set<Conn> seen = new HashSet<>();
    for (KeyedPool.Entry<String, Conn> e : held.keySet()) {
      assertTrue(seen.add(e.connection()), "duplicate lease: " + where);
      assertTrue(!e.connection().closed, "a held connection was closed: " + where);
    }
  }

  @Test
  void waitersAreServedInOrderAndTimeOut() throws Exception {
    TestClock clock = new TestClock();
    FakeFactory factory = new FakeFactory(new Random(1));
    KeyedPool<String, Conn> pool =
        new KeyedPool<>(
            factory,
            new KeyedPool.Limits(
                1, k -> 1, 100, Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(1)),
            clock);
    KeyedPool.Entry<String, Conn> first = pool.lease("a", Duration.ZERO);
    ExecutorService ex = Executors.newFixedThreadPool(3);
    try {
      List<Integer> order = java.util.Collections.synchronizedList(new ArrayList<>());
      List<Future<?>> fs = new ArrayList<>();
      CountDownLatch[] queued = new CountDownLatch[3];
      for (int i = 0; i < 3; i++) {
        int n = i;
        queued[i] = new CountDownLatch(1);
        fs.add(
            ex.submit(
                () -> {
                  KeyedPool.Entry<String, Conn> e = pool.lease("a", Duration.ofMinutes(1));
                  order.add(n);
                  pool.release(e, true, 1);
                  return null;
                }));
        // wait until this caller is queued before the next one comes
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (pool.stats().waiting() < n + 1) {
          if (System.nanoTime() > deadline) {
            fail("waiter " + n + " never queued");
          }
          Thread.onSpinWait();
        }
      }
      pool.release(first, true, 1);
      for (Future<?> f : fs) {
        f.get(30, TimeUnit.SECONDS);
      }
      assertEquals(List.of(0, 1, 2), order, "first come, first served");
      assertEquals(1, factory.opened.size(), "one connection reused by all");
      KeyedPool.Entry<String, Conn> again = pool.lease("a", Duration.ZERO);
      assertThrows(
          KeyedPool.LeaseTimeoutException.class, () -> pool.lease("a", Duration.ofMillis(50)));
      pool.release(again, true, 1);
    } finally {
      ex.shutdownNow();
      pool.close();
    }
    assertTrue(factory.opened.stream().allMatch(c -> c.closed), "closed everything");
  }

  @Test
  void maxUsesAndAgeRetireConnectionsAndProbeCatchesDeadOnes() throws Exception {
    TestClock clock = new TestClock();
    FakeFactory factory = new FakeFactory(new Random(1));
    KeyedPool<String, Conn> pool =
        new KeyedPool<>(
            factory,
            new KeyedPool.Limits(
                5, k -> 5, 2, Duration.ofSeconds(100), Duration.ofSeconds(50),
                Duration.ofSeconds(2)),
            clock);
    KeyedPool.Entry<String, Conn> e = pool.lease("a", Duration.ZERO);
    pool.release(e, true, 1);
    KeyedPool.Entry<String, Conn> e2 = pool.lease("a", Duration.ZERO);
    assertTrue(e2.reused());
    assertEquals(e.connection(), e2.connection());
    pool.release(e2, true, 1); // second use: retired
    assertTrue(e.connection().closed, "retired after max uses");
    KeyedPool.Entry<String, Conn> e3 = pool.lease("a", Duration.ZERO);
    pool.release(e3, true, 0);
    clock.millis += 3000;
    e3.connection().healthy = false;
    KeyedPool.Entry<String, Conn> e4 = pool.lease("a", Duration.ZERO);
    assertTrue(e3.connection().closed, "probe failed: closed");
    assertTrue(e4.connection() != e3.connection());
    pool.release(e4, true, 0);
    clock.millis += 51_000;
    assertEquals(1, pool.evictExpired(), "idle timeout");
    assertEquals(0, pool.stats().total());
    KeyedPool.Entry<String, Conn> e5 = pool.lease("a", Duration.ZERO);
    clock.millis += 101_000;
    pool.release(e5, true, 0);
    assertTrue(e5.connection().closed, "too old: retired on release");
    pool.close();
  }
}
