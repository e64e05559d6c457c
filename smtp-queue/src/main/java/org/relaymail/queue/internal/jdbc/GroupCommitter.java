package org.relaymail.queue.internal.jdbc;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One writer thread that drains concurrent requests into batches, so that one database transaction
 * (and one WAL flush) acknowledges many enqueues: group commit. A request is acknowledged only after
 * its batch committed. When a batch fails, each of its requests is retried alone, so that one bad
 * request cannot fail the others. Thread-safe.
 *
 * @param <T> the request
 * @param <R> the result
 */
public final class GroupCommitter<T, R> implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GroupCommitter.class);

  /** Writes a batch in one transaction. */
  @FunctionalInterface
  public interface BatchWriter<T, R> {
    /**
     * Writes the requests atomically.
     *
     * @param batch the requests
     * @return one result per request, in order
     * @throws Exception if the batch failed (nothing of it is committed)
     */
    List<R> write(List<T> batch) throws Exception;
  }

  /** The weight of a request (bytes it holds), to bound a batch's memory. */
  @FunctionalInterface
  public interface Weigher<T> {
    /**
     * @param request the request
     * @return its weight
     */
    long weigh(T request);
  }

  private record Item<T, R>(T request, CompletableFuture<R> result) {}

  private final LinkedBlockingQueue<Item<T, R>> queue = new LinkedBlockingQueue<>();
  private final BatchWriter<T, R> writer;
  private final Weigher<T> weigher;
  private final int maxBatch;
  private final long maxWeight;
  private final Thread thread;
  private final Runnable afterBatch;
  private volatile boolean closed;

  /**
   * Starts the writer thread.
   *
   * @param name the thread's name
   * @param writer writes a batch
   * @param weigher weighs a request
   * @param maxBatch the most requests per batch
   * @param maxWeight the most weight per batch (a single heavier request still forms a batch)
   * @param afterBatch run on the writer thread after each batch (housekeeping); must not throw
   */
  public GroupCommitter(String name, BatchWriter<T, R> writer, Weigher<T> weigher, int maxBatch, long maxWeight,
      Runnable afterBatch) {
    this.writer = writer;
    this.weigher = weigher;
    this.maxBatch = maxBatch;
    this.maxWeight = maxWeight;
    this.afterBatch = afterBatch;
    this.thread = new Thread(this::run, name);
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Submits a request and waits until its batch committed.
   *
   * @param request the request
   * @return its result
   * @throws IOException if the write failed
   * @throws IllegalStateException if the committer is closed
   */
  public R submit(T request) throws IOException {
    CompletableFuture<R> f = new CompletableFuture<>();
    if (closed) {
      throw new IllegalStateException("the store is closed");
    }
    queue.add(new Item<>(request, f));
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for the enqueue to commit; it may or may not be durable");
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof IOException io) {
        throw io;
      }
      if (c instanceof RuntimeException re) {
        throw re;
      }
      if (c instanceof Error err) {
        throw err;
      }
      throw new IOException("enqueue failed: " + c, c);
    }
  }

  private void run() {
    List<Item<T, R>> batch = new ArrayList<>();
    while (!closed || !queue.isEmpty()) {
      try {
        Item<T, R> first = queue.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.clear();
        batch.add(first);
        long weight = weigher.weigh(first.request());
        Item<T, R> next;
        while (batch.size() < maxBatch && weight < maxWeight && (next = queue.poll()) != null) {
          batch.add(next);
          weight += weigher.weigh(next.request());
        }
        writeBatch(batch);
        afterBatch.run();
      } catch (InterruptedException e) {
        if (!closed) {
          LOG.warn("group commit writer interrupted while the store is open; continuing");
        }
      } catch (RuntimeException | Error e) {
        LOG.error("group commit writer failed unexpectedly; failing the batch", e);
        for (Item<T, R> i : batch) {
          i.result().completeExceptionally(e);
        }
      }
    }
  }

  private void writeBatch(List<Item<T, R>> batch) {
    List<T> requests = batch.stream().map(Item::request).toList();
    try {
      List<R> results = writer.write(requests);
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).result().complete(results.get(i));
      }
      return;
    } catch (Exception e) {
      if (batch.size() == 1) {
        batch.get(0).result().completeExceptionally(e);
        return;
      }
      LOG.debug("batch of {} enqueues failed, retrying one by one", batch.size(), e);
    }
    for (Item<T, R> item : batch) {
      try {
        item.result().complete(writer.write(List.of(item.request())).get(0));
      } catch (Exception e) {
        item.result().completeExceptionally(e);
      }
    }
  }

  /** Stops accepting requests, writes those already queued, and stops the thread. */
  @Override
  public void close() {
    closed = true;
    try {
      thread.join(TimeUnit.SECONDS.toMillis(60));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Item<T, R> left;
    while ((left = queue.poll()) != null) {
      left.result().completeExceptionally(new IllegalStateException("the store closed before the enqueue was written"));
    }
  }
}
