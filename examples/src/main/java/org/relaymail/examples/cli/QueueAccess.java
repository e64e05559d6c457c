package org.relaymail.examples.cli;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import org.relaymail.queue.NoSuchMessageException;
import org.relaymail.queue.QueueCounts;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.QueuePage;
import org.relaymail.queue.QueueQuery;
import org.relaymail.queue.QueueStore;
import org.relaymail.queue.QueuedMessage;
import org.relaymail.relay.QueueAdministration;
import org.relaymail.relay.RelayAdmin;

/**
 * The queue as the {@code queue} commands see it: through a running relay's admin channel
 * ({@link RelayAdmin}), or directly on a store (a stopped spool, read-only or locked, or
 * PostgreSQL). Closing releases the connection or the store.
 *
 * @param queue the administration operations
 * @param headers reads a message's header section
 * @param describe how the commands reach the queue, for messages
 * @param closer releases the connection or the store
 */
record QueueAccess(QueueAdministration queue, HeaderReader headers, String describe, Closeable closer)
    implements AutoCloseable {

  /** Reads a message's header section. */
  @FunctionalInterface
  interface HeaderReader {
    /**
     * @param id the message
     * @return its header fields (at most the first 64 KiB of its content, as UTF-8), or empty when
     *     there is no such message
     * @throws IOException on a failure
     */
    Optional<String> headerSection(QueueId id) throws IOException;
  }

  /**
   * @param id the message
   * @return its header section, or empty when there is no such message
   * @throws IOException on a failure
   */
  Optional<String> headerSection(QueueId id) throws IOException {
    return headers.headerSection(id);
  }

  @Override
  public void close() throws IOException {
    closer.close();
  }

  /** Through the relay that holds the spool. */
  static QueueAccess remote(RelayAdmin admin) {
    return new QueueAccess(admin, admin::headerSection, "the relay's admin channel " + admin.socket(), admin::close);
  }

  /** Directly on a store, at the system clock's time. */
  static QueueAccess direct(QueueStore store, String description) {
    HeaderReader headers = id -> {
      try (InputStream in = store.openContent(id)) {
        String text = new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8);
        int end = text.indexOf("\r\n\r\n");
        return Optional.of(end >= 0 ? text.substring(0, end + 2) : text);
      } catch (NoSuchMessageException e) {
        return Optional.empty();
      }
    };
    return new QueueAccess(new StoreAdministration(store), headers, description, store::close);
  }

  /** {@link QueueAdministration} straight on a store, at the system clock's time. */
  private record StoreAdministration(QueueStore store) implements QueueAdministration {
    @Override
    public QueuePage list(QueueQuery query) throws IOException {
      return store.list(query, Instant.now());
    }

    @Override
    public Optional<QueuedMessage> inspect(QueueId id) throws IOException {
      return store.find(id, Instant.now());
    }

    @Override
    public QueueCounts counts() throws IOException {
      return store.counts(Instant.now());
    }

    @Override
    public boolean hold(QueueId id) throws IOException {
      return store.hold(id, Instant.now());
    }

    @Override
    public boolean release(QueueId id) throws IOException {
      return store.releaseHold(id, Instant.now());
    }

    @Override
    public boolean retryNow(QueueId id) throws IOException {
      return store.retryNow(id, Instant.now());
    }

    @Override
    public int retryAllNow() throws IOException {
      return store.retryAllNow(Instant.now());
    }

    @Override
    public boolean delete(QueueId id) throws IOException {
      return store.delete(id, Instant.now());
    }

    @Override
    public boolean bounce(QueueId id) throws IOException {
      return store.forceBounce(id, Instant.now());
    }
  }
}
