package org.relaymail.benchmarks;

import java.io.OutputStream;

/** A sink that counts the bytes written to it and drops them. Not thread-safe. */
final class CountingOutputStream extends OutputStream {
  private long count;

  @Override
  public void write(int b) {
    count++;
  }

  @Override
  public void write(byte[] b, int off, int len) {
    count += len;
  }

  long count() {
    return count;
  }
}
