package org.relaymail.benchmarks;

import java.util.Random;

/** Deterministic test bodies for the message-data benchmarks. */
final class MessageBodies {
  private MessageBodies() {}

  /**
   * A canonical text body of exactly {@code size} bytes: printable ASCII lines of 40 to 100
   * octets ending in CRLF, about one line in 40 starting with a dot (quoted text, signatures, ...),
   * the last line cut where the size ends.
   */
  static byte[] textBody(int size, long seed) {
    Random random = new Random(seed);
    byte[] body = new byte[size];
    int i = 0;
    while (i < size) {
      int lineLength = 40 + random.nextInt(61);
      for (int j = 0; j < lineLength && i < size; j++) {
        byte c = (byte) (' ' + random.nextInt(95));
        if (j == 0 && random.nextInt(40) == 0) {
          c = '.';
        }
        body[i++] = c;
      }
      if (i < size) {
        body[i++] = '\r';
      }
      if (i < size) {
        body[i++] = '\n';
      }
    }
    return body;
  }
}
