package org.relaymail.queue.internal;

import java.time.Instant;
import org.relaymail.queue.QueueId;

/**
 * Time-ordered 64-bit queue ids, printed as 13 Crockford base32 characters so that the text sorts
 * like the number. Thread-safe.
 */
public final class Ids {
  private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
  private long last;

  /**
   * Creates a generator whose ids are all greater than {@code floor}.
   *
   * @param floor the largest id already in use (0 for none)
   */
  public Ids(long floor) {
    this.last = floor;
  }

  /**
   * The next id: milliseconds since the epoch in the high bits, a sequence in the low 12, strictly
   * increasing even if the clock steps back.
   *
   * @param now the arrival time
   * @return the id as a number
   */
  public synchronized long next(Instant now) {
    long candidate = Math.max(0, now.toEpochMilli()) << 12;
    last = Math.max(last + 1, candidate);
    return last;
  }

  /**
   * Raises the floor (after recovery found larger ids).
   *
   * @param seen an id in use
   */
  public synchronized void observe(long seen) {
    last = Math.max(last, seen);
  }

  /**
   * Prints an id.
   *
   * @param id the number, not negative
   * @return the queue id
   */
  public static QueueId format(long id) {
    char[] c = new char[13];
    long v = id;
    for (int i = 12; i >= 0; i--) {
      c[i] = ALPHABET[(int) (v & 31)];
      v >>>= 5;
    }
    return new QueueId(new String(c));
  }

  /**
   * Parses an id printed by {@link #format}.
   *
   * @param id the queue id
   * @return the number, or -1 if the id was not printed by this class
   */
  public static long parse(QueueId id) {
    String s = id.value();
    if (s.length() != 13) {
      return -1;
    }
    long v = 0;
    for (int i = 0; i < 13; i++) {
      int d = digit(s.charAt(i));
      if (d < 0) {
        return -1;
      }
      v = (v << 5) | d;
    }
    return v < 0 ? -1 : v;
  }

  private static int digit(char ch) {
    for (int i = 0; i < ALPHABET.length; i++) {
      if (ALPHABET[i] == ch) {
        return i;
      }
    }
    return -1;
  }
}
