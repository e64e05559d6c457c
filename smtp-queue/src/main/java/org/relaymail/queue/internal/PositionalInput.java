package org.relaymail.queue.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/** Reads a range of a {@link Storage.StorageFile} by position, buffered. Not thread-safe. */
public class PositionalInput extends InputStream {
  private final Storage.StorageFile file;
  private final ByteBuffer buf;
  private long pos;
  private final long end;

  /**
   * Reads {@code length} bytes from {@code start}.
   *
   * @param file the file
   * @param start the first byte
   * @param length how many bytes
   * @param bufferSize the buffer size
   */
  public PositionalInput(Storage.StorageFile file, long start, long length, int bufferSize) {
    this.file = file;
    this.pos = start;
    this.end = start + length;
    this.buf = ByteBuffer.allocate(bufferSize);
    buf.limit(0);
  }

  private boolean fill() throws IOException {
    if (pos >= end) {
      return false;
    }
    buf.clear();
    buf.limit((int) Math.min(buf.capacity(), end - pos));
    int n = file.read(buf, pos);
    if (n <= 0) {
      throw new IOException("unexpected end of segment at " + pos + " (expected data until " + end + ")");
    }
    pos += n;
    buf.flip();
    return true;
  }

  @Override
  public int read() throws IOException {
    if (!buf.hasRemaining() && !fill()) {
      return -1;
    }
    return buf.get() & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (!buf.hasRemaining() && !fill()) {
      return -1;
    }
    int n = Math.min(len, buf.remaining());
    buf.get(b, off, n);
    return n;
  }
}
