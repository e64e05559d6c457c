package org.relaymail.examples.cli;

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
 */
interface QueueAccess extends QueueAdministration, AutoCloseable {
  /**
   * A message's header section, at most the first 64 KiB of its content, decoded as UTF-8.
   *
   * @param id the message
   * @return the header fields, or empty when there is no such message
   * @throws IOException on a failure
   */
  Optional<String> headerSection(QueueId id) throws IOException;

  /** @return how the commands reach the queue, for messages */
  String describe();

  @Override
  void close() throws IOException;

  /** Through the relay that holds the spool. */
  static QueueAccess remote(RelayAdmin admin) {
    return new QueueAccess() {
      @Override
      public QueuePage list(QueueQuery query) throws IOException {
        return admin.list(query);
      }

      @Override
      public Optional<QueuedMessage> inspect(QueueId id) throws IOException {
        return admin.inspect(id);
      }

      @Override
      public QueueCounts counts() throws IOException {
        return admin.counts();
      }

      @Override
      public boolean hold(QueueId id) throws IOException {
        return admin.hold(id);
      }

      @Override
      public boolean release(QueueId id) throws IOException {
        return admin.release(id);
      }

      @Override
      public boolean retryNow(QueueId id) throws IOException {
        return admin.retryNow(id);
      }

      @Override
      public int retryAllNow() throws IOException {
        return admin.retryAllNow();
      }

      @Override
      public boolean delete(QueueId id) throws IOException {
        return admin.delete(id);
      }

      @Override
      public boolean bounce(QueueId id) throws IOException {
        return admin.bounce(id);
      }

      @Override
      public Optional<String> headerSection(QueueId id) throws IOException {
        return admin.headerSection(id);
      }

      @Override
      public String describe() {
        return "the relay's admin channel " + admin.socket();
      }

      @Override
      public void close() throws IOException {
        admin.close();
      }
    };
  }

  /** Directly on a store, at the system clock's time. */
  static QueueAccess direct(QueueStore store, String description) {
    return new QueueAccess() {
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

      @Override
      public Optional<String> headerSection(QueueId id) throws IOException {
        try (InputStream in = store.openContent(id)) {
          String text = new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8);
          int end = text.indexOf("\r\n\r\n");
          return Optional.of(end >= 0 ? text.substring(0, end + 2) : text);
        } catch (NoSuchMessageException e) {
          return Optional.empty();
        }
      }

      @Override
      public String describe() {
        return description;
      }

      @Override
      public void close() throws IOException {
        store.close();
      }
    };
  }
}
