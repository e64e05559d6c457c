package org.relaymail.relay.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Virtual threads found at run time on Java 21+, platform threads on 17 (CI runs both JDKs). */
class ThreadsTest {
  @Test
  void virtualThreadsExactlyWhenTheJdkHasThem() throws Exception {
    Optional<ExecutorService> virtual = Threads.virtualThreadExecutor("test-vt-");
    boolean jdkHasThem = Runtime.version().feature() >= 21;
    assertEquals(jdkHasThem, virtual.isPresent(), "JDK " + Runtime.version());
    if (virtual.isPresent()) {
      ExecutorService e = virtual.get();
      try {
        Object[] seen = new Object[2];
        e.submit(() -> {
          seen[0] = Thread.class.getMethod("isVirtual").invoke(Thread.currentThread());
          seen[1] = Thread.currentThread().getName();
          return null;
        }).get(10, TimeUnit.SECONDS);
        assertEquals(Boolean.TRUE, seen[0]);
        assertTrue(((String) seen[1]).startsWith("test-vt-"), (String) seen[1]);
      } finally {
        e.shutdown();
      }
    }
    ExecutorService platform = Threads.platformPool("test-pt-", 2);
    try {
      String name = platform.submit(() -> Thread.currentThread().getName()).get(10, TimeUnit.SECONDS);
      assertTrue(name.startsWith("test-pt-"), name);
    } finally {
      platform.shutdown();
    }
  }
}
