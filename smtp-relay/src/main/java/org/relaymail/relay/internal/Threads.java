package org.relaymail.relay.internal;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivery threads: virtual threads on Java 21+, found at run time through method handles because
 * the build targets release 17, where {@code Thread.ofVirtual()} does not compile; a bounded pool
 * of daemon platform threads otherwise. Stateless and thread-safe.
 */
public final class Threads {
  private static final Logger LOG = LoggerFactory.getLogger(Threads.class);

  private Threads() {}

  /**
   * Returns an executor starting one virtual thread per task, named {@code prefix + n}, when the
   * running JDK has virtual threads.
   *
   * @param prefix the thread name prefix
   * @return the executor, or empty before Java 21
   */
  public static Optional<ExecutorService> virtualThreadExecutor(String prefix) {
    try {
      MethodHandles.Lookup lookup = MethodHandles.publicLookup();
      Class<?> builder = Class.forName("java.lang.Thread$Builder");
      Class<?> ofVirtual = Class.forName("java.lang.Thread$Builder$OfVirtual");
      MethodHandle start = lookup.findStatic(Thread.class, "ofVirtual", MethodType.methodType(ofVirtual));
      MethodHandle name =
          lookup.findVirtual(ofVirtual, "name", MethodType.methodType(ofVirtual, String.class, long.class));
      MethodHandle factory = lookup.findVirtual(builder, "factory", MethodType.methodType(ThreadFactory.class));
      MethodHandle perTask =
          lookup.findStatic(
              Executors.class,
              "newThreadPerTaskExecutor",
              MethodType.methodType(ExecutorService.class, ThreadFactory.class));
      Object b = start.invoke();
      b = name.invoke(b, prefix, 0L);
      ThreadFactory f = (ThreadFactory) factory.invoke(b);
      return Optional.of((ExecutorService) perTask.invoke(f));
    } catch (ClassNotFoundException | NoSuchMethodException e) {
      LOG.debug("no virtual threads in this JDK ({}): using platform threads", e.toString());
      return Optional.empty();
    } catch (Throwable e) {
      LOG.warn("virtual threads exist but could not be set up; using platform threads", e);
      return Optional.empty();
    }
  }

  /**
   * Returns a fixed pool of daemon platform threads.
   *
   * @param prefix the thread name prefix
   * @param threads how many
   * @return the executor
   */
  public static ExecutorService platformPool(String prefix, int threads) {
    AtomicInteger n = new AtomicInteger();
    return Executors.newFixedThreadPool(
        threads,
        r -> {
          Thread t = new Thread(r, prefix + n.getAndIncrement());
          t.setDaemon(true);
          return t;
        });
  }
}
