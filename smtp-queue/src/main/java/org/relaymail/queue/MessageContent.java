package org.relaymail.queue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The content of a message to enqueue (headers and body, CRLF line endings, not dot-stuffed), read
 * once as a stream by the store. The size must be known in advance.
 *
 * <p>Implementations must be safe to open more than once; the shipped ones are thread-safe.
 */
public interface MessageContent {
  /**
   * The number of bytes {@link #open()} yields.
   *
   * @return the size in bytes, at least 0
   */
  long size();

  /**
   * Opens the content.
   *
   * @return a fresh stream of exactly {@link #size()} bytes
   * @throws IOException if it cannot be read
   */
  InputStream open() throws IOException;

  /**
   * Content held in memory (the array is not copied: do not change it afterwards).
   *
   * @param bytes the content
   * @return the content
   */
  static MessageContent of(byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes");
    return new MessageContent() {
      @Override
      public long size() {
        return bytes.length;
      }

      @Override
      public InputStream open() {
        return new ByteArrayInputStream(bytes);
      }
    };
  }

  /**
   * Content in a file; the size is taken now, and the file must not change until enqueued.
   *
   * @param file the file
   * @return the content
   * @throws IOException if the file's size cannot be read
   */
  static MessageContent of(Path file) throws IOException {
    long size = Files.size(file);
    return new MessageContent() {
      @Override
      public long size() {
        return size;
      }

      @Override
      public InputStream open() throws IOException {
        return Files.newInputStream(file);
      }
    };
  }
}
