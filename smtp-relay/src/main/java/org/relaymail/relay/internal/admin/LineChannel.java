package org.relaymail.relay.internal.admin;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Lines over a socket channel with a deadline on every read and write: the channel is non-blocking
 * and waits in its own {@link Selector}, because a Unix-domain {@link SocketChannel} has no socket
 * timeout. So a peer that stops reading or writing can never hold the thread past the deadline.
 * Not thread-safe: one thread uses it at a time.
 */
public final class LineChannel implements Closeable {
  /** A line longer than the limit: the peer cannot be read further. */
  public static final class LineTooLongException extends IOException {
    private static final long serialVersionUID = 1L;

    LineTooLongException(int max) {
      super("line longer than " + max + " bytes");
    }
  }

  private final SocketChannel channel;
  private final Selector selector;
  private final SelectionKey key;
  private final ByteBuffer in = ByteBuffer.allocate(8192);

  /**
   * Wraps a connected channel and makes it non-blocking.
   *
   * @param channel the channel (closed by {@link #close()})
   * @throws IOException if the selector cannot be opened
   */
  public LineChannel(SocketChannel channel) throws IOException {
    this.channel = channel;
    Selector s = Selector.open();
    try {
      channel.configureBlocking(false);
      this.key = channel.register(s, 0);
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
    this.selector = s;
    in.flip();
  }

  /** @return the channel */
  public SocketChannel channel() {
    return channel;
  }

  /**
   * Reads one line, without its LF and an optional CR before it.
   *
   * @param max the longest line in bytes
   * @param deadlineNanos {@link System#nanoTime()} by which the line must be complete
   * @return the line as US-ASCII characters (any other byte comes out as itself in Latin-1 for the
   *     parser to refuse), or null at end of stream before any byte of a line
   * @throws LineTooLongException past {@code max} bytes
   * @throws SocketTimeoutException past the deadline
   * @throws EOFException at end of stream inside a line
   * @throws IOException on a socket error
   */
  public String readLine(int max, long deadlineNanos) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    while (true) {
      while (in.hasRemaining()) {
        byte b = in.get();
        if (b == '\n') {
          byte[] bytes = line.toByteArray();
          int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
          return new String(bytes, 0, n, StandardCharsets.ISO_8859_1);
        }
        if (line.size() >= max) {
          throw new LineTooLongException(max);
        }
        line.write(b);
      }
      in.clear();
      int n = channel.read(in);
      in.flip();
      if (n < 0) {
        if (line.size() == 0) {
          return null;
        }
        throw new EOFException("the peer closed the connection inside a line");
      }
      if (n == 0) {
        await(SelectionKey.OP_READ, deadlineNanos);
      }
    }
  }

  /**
   * Reads exactly {@code n} raw bytes (not line-framed), starting with any already buffered.
   *
   * @param n how many bytes
   * @param deadlineNanos {@link System#nanoTime()} by which all of them must have arrived
   * @return the bytes
   * @throws SocketTimeoutException past the deadline
   * @throws EOFException if the stream ends first
   * @throws IOException on a socket error
   */
  public byte[] readExactly(int n, long deadlineNanos) throws IOException {
    byte[] out = new byte[n];
    int got = 0;
    while (got < n) {
      if (in.hasRemaining()) {
        int k = Math.min(in.remaining(), n - got);
        in.get(out, got, k);
        got += k;
        continue;
      }
      in.clear();
      int r = channel.read(in);
      in.flip();
      if (r < 0) {
        throw new EOFException("the peer closed the connection after " + got + " of " + n + " bytes");
      }
      if (r == 0) {
        await(SelectionKey.OP_READ, deadlineNanos);
      }
    }
    return out;
  }

  /**
   * Reads {@code count} lines.
   *
   * @param count how many
   * @param max the longest line
   * @param deadlineNanos the deadline for all of them
   * @return the lines
   * @throws IOException as {@link #readLine}, and {@link EOFException} if the stream ends first
   */
  public List<String> readLines(int count, int max, long deadlineNanos) throws IOException {
    List<String> out = new ArrayList<>(Math.min(count, 1024));
    for (int i = 0; i < count; i++) {
      String l = readLine(max, deadlineNanos);
      if (l == null) {
        throw new EOFException("the peer closed the connection after " + i + " of " + count + " lines");
      }
      out.add(l);
    }
    return out;
  }

  /**
   * Writes lines, each followed by LF.
   *
   * @param lines printable US-ASCII lines
   * @param deadlineNanos {@link System#nanoTime()} by which everything must be written
   * @throws SocketTimeoutException past the deadline
   * @throws IOException on a socket error
   */
  public void writeLines(List<String> lines, long deadlineNanos) throws IOException {
    int size = 0;
    for (String l : lines) {
      size += l.length() + 1;
    }
    ByteBuffer out = ByteBuffer.allocate(size);
    for (String l : lines) {
      out.put(l.getBytes(StandardCharsets.US_ASCII)).put((byte) '\n');
    }
    write(out.array(), deadlineNanos);
  }

  /**
   * Writes bytes as they are.
   *
   * @param bytes the bytes
   * @param deadlineNanos {@link System#nanoTime()} by which everything must be written
   * @throws SocketTimeoutException past the deadline
   * @throws IOException on a socket error
   */
  public void write(byte[] bytes, long deadlineNanos) throws IOException {
    ByteBuffer out = ByteBuffer.wrap(bytes);
    while (out.hasRemaining()) {
      if (channel.write(out) == 0) {
        await(SelectionKey.OP_WRITE, deadlineNanos);
      }
    }
  }

  private void await(int op, long deadlineNanos) throws IOException {
    long left = deadlineNanos - System.nanoTime();
    if (left <= 0) {
      throw new SocketTimeoutException("the peer did not " + (op == SelectionKey.OP_READ ? "send" : "read")
          + " in time");
    }
    try {
      key.interestOps(op);
      selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
      selector.selectedKeys().clear();
      key.interestOps(0);
    } catch (CancelledKeyException | ClosedSelectorException e) {
      // closed by abort() from another thread
      throw (IOException) new AsynchronousCloseException().initCause(e);
    }
  }

  /**
   * Closes politely after a last answer: ends the output, then reads and drops what the peer still
   * sends (up to a bound of bytes and time) before closing, so that input left unread does not make
   * the kernel reset the connection and destroy the answer before the peer reads it.
   *
   * @param max how long to wait for the peer to finish
   * @param maxBytes how much to drop at most
   * @throws IOException if closing fails
   */
  public void lingerClose(java.time.Duration max, int maxBytes) throws IOException {
    try {
      if (channel.isOpen()) {
        channel.shutdownOutput();
        long deadline = System.nanoTime() + max.toNanos();
        ByteBuffer sink = ByteBuffer.allocate(8192);
        int dropped = 0;
        while (dropped < maxBytes) {
          sink.clear();
          int n = channel.read(sink);
          if (n < 0) {
            break;
          }
          dropped += n;
          if (n == 0) {
            await(SelectionKey.OP_READ, deadline);
          }
        }
      }
    } catch (IOException e) {
      // the peer is gone or too slow: nothing more to protect
      if (!(e instanceof SocketTimeoutException) && channel.isOpen()) {
        throw e;
      }
    } finally {
      close();
    }
  }

  /**
   * Closes the channel from another thread and wakes the owner's wait, which then fails at once.
   * Thread-safe.
   *
   * @throws IOException if closing fails
   */
  public void abort() throws IOException {
    try {
      channel.close();
    } finally {
      selector.wakeup();
    }
  }

  @Override
  public void close() throws IOException {
    try {
      selector.close();
    } finally {
      channel.close();
    }
  }
}
