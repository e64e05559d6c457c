package org.relaymail.relay;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the content of an {@link OutgoingMessage} is read from: an RFC 5322 message (header
 * fields, blank line, body), any line endings. {@code send()} reads it once, at once; the relay
 * stores the prepared bytes and never opens the source again.
 *
 * <p>Implementations must let {@link #open()} be called from the thread calling {@code send()}.
 */
@FunctionalInterface
public interface MessageContent {
  /**
   * Opens the content for reading; the caller closes the stream.
   *
   * @return a new stream positioned at the first byte
   * @throws IOException if the content cannot be read
   */
  InputStream open() throws IOException;

  /**
   * Returns content held in memory. The array is copied.
   *
   * @param rfc5322 the message bytes
   * @return the content
   */
  static MessageContent of(byte[] rfc5322) {
    byte[] copy = Objects.requireNonNull(rfc5322, "rfc5322").clone();
    return () -> new ByteArrayInputStream(copy);
  }

  /**
   * Returns content read from a file when {@code send()} is called.
   *
   * @param file the file holding the message
   * @return the content
   */
  static MessageContent of(Path file) {
    Objects.requireNonNull(file, "file");
    return () -> Files.newInputStream(file);
  }
}
