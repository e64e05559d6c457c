package org.relaymail.queue.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A seeded random walk of the primitive map against {@link HashMap}. */
class LongIntMapTest {
  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4})
  void behavesLikeAHashMap(long seed) {
    Random rnd = new Random(seed);
    LongIntMap m = new LongIntMap();
    Map<Long, Integer> ref = new HashMap<>();
    List<Long> keys = new ArrayList<>();
    for (int step = 0; step < 200_000; step++) {
      int op = rnd.nextInt(10);
      if (op < 5 || keys.isEmpty()) {
        long k = (rnd.nextBoolean() ? ((long) rnd.nextInt(1 << 20)) << 12 : 1 + rnd.nextInt(5000)) + 1;
        int v = rnd.nextInt();
        m.put(k, v);
        if (ref.put(k, v) == null) {
          keys.add(k);
        }
      } else if (op < 8) {
        long k = keys.remove(rnd.nextInt(keys.size()));
        m.remove(k);
        ref.remove(k);
      } else {
        long k = keys.get(rnd.nextInt(keys.size()));
        assertEquals(ref.get(k).intValue(), m.get(k), "seed " + seed + " step " + step + " key " + k);
      }
      assertEquals(ref.size(), m.size(), "seed " + seed + " step " + step);
    }
    for (Map.Entry<Long, Integer> e : ref.entrySet()) {
      assertEquals(e.getValue().intValue(), m.get(e.getKey()), "seed " + seed);
    }
  }
}
