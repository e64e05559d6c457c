package org.relaymail.queue.internal.jdbc;

import java.io.IOException;
import java.io.InputStream;

/**
 * Streams a message's content chunk by chunk, fetching each chunk row only when the previous one is
 * used up, so that no more than one chunk is in memory. Checks that the chunks add up to the stored
 * size. Not thread-safe.
 */
public final class ChunkInputStream extends InputStream {
  /** Fetches one chunk. */
  @FunctionalInterface
  public interface ChunkSource {
    /**
     * @param seq the chunk's number, from 0
     * @return the chunk, or null if it is missing
     * @throws IOException on a storage failure
     */
    byte[] fetch(int seq) throws IOException;
  }

  private final String what;
  private final long size;
  private final int chunkCount;
  private final ChunkSource source;
  private byte[] current;
  private int pos;
  private int nextSeq;
  private long delivered;
  private boolean closed;

  /**
   * Creates the stream.
   *
   * @param what the message, for error messages
   * @param size the stored size
   * @param chunkCount the stored chunk count
   * @param first chunk 0 if already fetched, or null
   * @param source fetches the other chunks
   */
  public ChunkInputStream(String what, long size, int chunkCount, byte[] first, ChunkSource source) {
    this.what = what;
    this.size = size;
    this.chunkCount = chunkCount;
    this.source = source;
    if (first != null) {
      current = first;
      nextSeq = 1;
    }
  }

  private boolean fill() throws IOException {
    while (current == null || pos == current.length) {
      if (nextSeq == chunkCount) {
        if (delivered != size) {
          throw new IOException("content of " + what + " is corrupt: chunks hold " + delivered + " bytes, stored size " + size);
        }
        return false;
      }
      byte[] chunk = source.fetch(nextSeq);
      if (chunk == null) {
        throw new IOException("content of " + what + " is missing chunk " + nextSeq + " of " + chunkCount
            + " (deleted or completed while being read?)");
      }
      nextSeq++;
      current = chunk;
      pos = 0;
    }
    return true;
  }

  @Override
  public int read() throws IOException {
    ensureOpen();
    if (!fill()) {
      return -1;
    }
    delivered++;
    return current[pos++] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    ensureOpen();
    java.util.Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) {
      return 0;
    }
    if (!fill()) {
      return -1;
    }
    int n = Math.min(len, current.length - pos);
    System.arraycopy(current, pos, b, off, n);
    pos += n;
    delivered += n;
    if (delivered > size) {
      throw new IOException("content of " + what + " is corrupt: more than the stored size " + size + " bytes");
    }
    return n;
  }

  @Override
  public int available() {
    return current == null ? 0 : current.length - pos;
  }

  private void ensureOpen() throws IOException {
    if (closed) {
      throw new IOException("stream closed");
    }
  }

  @Override
  public void close() {
    closed = true;
    current = null;
  }
}
