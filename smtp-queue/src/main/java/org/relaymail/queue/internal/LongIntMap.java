package org.relaymail.queue.internal;

import java.util.Arrays;

/**
 * An open-addressing map from positive long keys to int values in two primitive arrays (no object
 * per entry), with linear probing and backward-shift deletion. Not thread-safe.
 */
public final class LongIntMap {
  private long[] keys = new long[1024];
  private int[] vals = new int[1024];
  private int size;

  /** @return the number of entries */
  public int size() {
    return size;
  }

  private static int mix(long k) {
    long h = k * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32));
  }

  /**
   * Looks a key up.
   *
   * @param key a positive key
   * @return the value or -1
   */
  public int get(long key) {
    int mask = keys.length - 1;
    for (int i = mix(key) & mask; ; i = (i + 1) & mask) {
      long k = keys[i];
      if (k == key) {
        return vals[i];
      }
      if (k == 0) {
        return -1;
      }
    }
  }

  /**
   * Sets a key's value.
   *
   * @param key a positive key
   * @param value the value
   */
  public void put(long key, int value) {
    if (key <= 0) {
      throw new IllegalArgumentException("key must be positive: " + key);
    }
    if ((size + 1) * 4L > keys.length * 3L) {
      grow();
    }
    int mask = keys.length - 1;
    for (int i = mix(key) & mask; ; i = (i + 1) & mask) {
      if (keys[i] == key) {
        vals[i] = value;
        return;
      }
      if (keys[i] == 0) {
        keys[i] = key;
        vals[i] = value;
        size++;
        return;
      }
    }
  }

  /**
   * Removes a key.
   *
   * @param key the key
   */
  public void remove(long key) {
    int mask = keys.length - 1;
    int i = mix(key) & mask;
    while (keys[i] != key) {
      if (keys[i] == 0) {
        return;
      }
      i = (i + 1) & mask;
    }
    size--;
    // backward-shift: move later entries of the probe chain into the hole
    int hole = i;
    for (int j = (hole + 1) & mask; keys[j] != 0; j = (j + 1) & mask) {
      int home = mix(keys[j]) & mask;
      boolean movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
      if (movable) {
        keys[hole] = keys[j];
        vals[hole] = vals[j];
        hole = j;
      }
    }
    keys[hole] = 0;
    vals[hole] = 0;
  }

  private void grow() {
    long[] ok = keys;
    int[] ov = vals;
    keys = new long[ok.length * 2];
    vals = new int[ok.length * 2];
    size = 0;
    for (int i = 0; i < ok.length; i++) {
      if (ok[i] != 0) {
        put(ok[i], ov[i]);
      }
    }
  }

  /** Removes everything. */
  public void clear() {
    Arrays.fill(keys, 0);
    size = 0;
  }
}
