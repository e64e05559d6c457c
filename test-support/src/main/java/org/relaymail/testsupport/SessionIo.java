package org.relaymail.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** Buffered, recording byte I/O for one session. Not thread-safe except the log snapshots. */
final class SessionIo {
  /** Thrown by {@link #readLine} when a line exceeds the limit; the rest of it was skipped. */
  static final class LineTooLongException extends IOException {
    private static final long serialVersionUID = 1L;

    LineTooLongException(int limit) {
      super("line longer than " + limit + " octets");
    }
  }

  private InputStream in;
  private OutputStream out;
  private final byte[] buf = new byte[16384];
  private int pos;
  private int lim;
  private final ByteArrayOutputStream receivedLog = new ByteArrayOutputStream();
  private final ByteArrayOutputStream sentLog = new ByteArrayOutputStream();

  SessionIo(InputStream in, OutputStream out) {
    this.in = in;
    this.out = out;
  }

  void replaceStreams(InputStream newIn, OutputStream newOut) {
    this.in = newIn;
    this.out = newOut;
    pos = 0;
    lim = 0;
  }

  private boolean fill() throws IOException {
    if (pos < lim) {
      return true;
    }
    int n = in.read(buf, 0, buf.length);
    if (n <= 0) {
      return false;
    }
    synchronized (receivedLog) {
      receivedLog.write(buf, 0, n);
    }
    pos = 0;
    lim = n;
    return true;
  }

  /**
   * Reads one line up to and including LF. Returns null at end of stream (a partial last line
   * without LF is returned as is).
   */
  byte[] readLine(int maxLength) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    boolean tooLong = false;
    while (true) {
      if (!fill()) {
        if (tooLong) {
          throw new LineTooLongException(maxLength);
        }
        return line.size() == 0 ? null : line.toByteArray();
      }
      int start = pos;
      while (pos < lim && buf[pos] != '\n') {
        pos++;
      }
      boolean found = pos < lim;
      if (found) {
        pos++;
      }
      if (!tooLong) {
        line.write(buf, start, pos - start);
        if (maxLength > 0 && line.size() > maxLength) {
          tooLong = true;
        }
      }
      if (found) {
        if (tooLong) {
          throw new LineTooLongException(maxLength);
        }
        return line.toByteArray();
      }
    }
  }

  /** Reads exactly n bytes; returns fewer only at end of stream. */
  byte[] readExact(long n) throws IOException {
    ByteArrayOutputStream data = new ByteArrayOutputStream((int) Math.min(n, 1 << 20));
    long left = n;
    while (left > 0 && fill()) {
      int k = (int) Math.min(left, lim - pos);
      data.write(buf, pos, k);
      pos += k;
      left -= k;
    }
    return data.toByteArray();
  }

  /** Whether the client has sent bytes that were not read yet. */
  boolean hasBuffered() throws IOException {
    return pos < lim || in.available() > 0;
  }

  /** Drops bytes already buffered (after STARTTLS: plaintext must not leak into the TLS session). */
  int discardBuffered() {
    int n = lim - pos;
    pos = lim;
    return n;
  }

  void write(byte[] bytes) throws IOException {
    synchronized (sentLog) {
      sentLog.write(bytes, 0, bytes.length);
    }
    out.write(bytes);
    out.flush();
  }

  byte[] received() {
    synchronized (receivedLog) {
      return receivedLog.toByteArray();
    }
  }

  byte[] sent() {
    synchronized (sentLog) {
      return sentLog.toByteArray();
    }
  }
}
