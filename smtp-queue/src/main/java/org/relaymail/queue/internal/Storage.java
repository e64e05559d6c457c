package org.relaymail.queue.internal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The file system under the file store, reduced to what it needs, so that tests can run the store
 * over a layer that simulates power loss. Names are relative to the spool directory and may contain
 * one {@code /} (a subdirectory such as {@code quarantine/}). Implementations are thread-safe.
 */
public interface Storage {
  /**
   * Opens a file for reading and writing.
   *
   * @param name the file's name
   * @param create whether to create it when missing
   * @return the file
   * @throws IOException if it cannot be opened
   */
  StorageFile open(String name, boolean create) throws IOException;

  /**
   * Lists the files directly in the spool directory.
   *
   * @return the names
   * @throws IOException on failure
   */
  List<String> list() throws IOException;

  /**
   * Deletes a file if it exists.
   *
   * @param name the name
   * @throws IOException on failure
   */
  void delete(String name) throws IOException;

  /**
   * Makes created and deleted directory entries durable (fsync of the directory).
   *
   * @throws IOException on failure
   */
  void syncDirectory() throws IOException;

  /**
   * The bytes available to this process on the spool's file system.
   *
   * @return the usable space
   * @throws IOException on failure
   */
  long usableSpace() throws IOException;

  /**
   * Takes the spool's exclusive lock, held until the returned handle is closed or the process dies.
   *
   * @param name the lock file's name
   * @return the held lock
   * @throws org.relaymail.queue.SpoolLockedException if another process or instance holds it
   * @throws IOException on failure
   */
  Closeable lock(String name) throws IOException;

  /**
   * A human-readable location for log lines and messages.
   *
   * @param name a file name
   * @return its description (a path)
   */
  String describe(String name);

  /** An open file with positional I/O. Thread-safe. */
  interface StorageFile extends Closeable {
    /**
     * Writes all of {@code src} at {@code position}.
     *
     * @param src the bytes
     * @param position the file offset
     * @throws IOException on failure (the file may hold part of the bytes)
     */
    void write(ByteBuffer src, long position) throws IOException;

    /**
     * Reads up to {@code dst.remaining()} bytes at {@code position}.
     *
     * @param dst the buffer
     * @param position the file offset
     * @return the bytes read, -1 at the end
     * @throws IOException on failure
     */
    int read(ByteBuffer dst, long position) throws IOException;

    /**
     * The current size.
     *
     * @return the size in bytes
     * @throws IOException on failure
     */
    long size() throws IOException;

    /**
     * Cuts the file to {@code size}.
     *
     * @param size the new size
     * @throws IOException on failure
     */
    void truncate(long size) throws IOException;

    /**
     * Makes everything written so far durable (fdatasync).
     *
     * @throws IOException on failure
     */
    void force() throws IOException;
  }
}
