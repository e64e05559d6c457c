package org.relaymail.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RetryPolicyTest {
  private static final Instant T0 = Instant.parse("2026-01-05T08:00:00Z");

  /** Walks a recipient that always fails transiently through a policy; returns the attempt times. */
  private static List<Instant> attempts(RetryPolicy p) {
    List<Instant> times = new ArrayList<>();
    Instant now = T0;
    for (int n = 1; n < 10_000; n++) {
      times.add(now);
      RetryDecision d = p.decide(T0, n, false, now);
      if (d.action() == RetryDecision.Action.EXPIRE) {
        return times;
      }
      assertEquals(RetryDecision.Action.RETRY, d.action());
      assertTrue(d.nextAttemptAt().get().isAfter(now), "retry moves forward");
      now = d.nextAttemptAt().get();
    }
    throw new AssertionError("never expired");
  }

  @Test
  void defaultRetriesEvery15MinutesAndGivesUpAfter4Hours() {
    List<Instant> times = attempts(RetryPolicy.defaultPolicy());
    assertEquals(17, times.size(), "attempts at 0, 15, ..., 240 minutes");
    for (int i = 1; i < times.size(); i++) {
      assertEquals(Duration.ofMinutes(15), Duration.between(times.get(i - 1), times.get(i)));
    }
    assertEquals(T0.plus(Duration.ofHours(4)), times.get(times.size() - 1));
    assertFalse(RetryPolicy.defaultPolicy().delayWarningDue(T0, false, T0.plus(Duration.ofHours(3))));
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3})
  void rfc5321ProfileWaitsAtLeast30MinutesGrowsWarnsAndGivesUpAfter5Days(long seed) {
    RetryPolicy p = RetryPolicy.builder()
        .delays(List.of(Duration.ofMinutes(30), Duration.ofHours(1), Duration.ofHours(2), Duration.ofHours(3)))
        .delayWarningAfter(Duration.ofHours(4)).giveUpAfter(Duration.ofDays(5)).jitter(0.1).random(new Random(seed)).build();
    List<Instant> times = attempts(p);
    for (int i = 1; i < times.size() - 1; i++) {
      Duration gap = Duration.between(times.get(i - 1), times.get(i));
      assertTrue(gap.compareTo(Duration.ofMinutes(30)) >= 0, "seed " + seed + ": gap " + gap + " below 30 minutes");
      assertTrue(gap.compareTo(Duration.ofMinutes(200)) <= 0, "seed " + seed + ": gap " + gap + " above 3 h + 10%");
    }
    assertTrue(Duration.between(times.get(1), times.get(2)).compareTo(Duration.ofMinutes(60)) >= 0, "grows");
    assertEquals(T0.plus(Duration.ofDays(5)), times.get(times.size() - 1));
    assertFalse(p.delayWarningDue(T0, false, T0.plus(Duration.ofMinutes(239))));
    assertTrue(p.delayWarningDue(T0, false, T0.plus(Duration.ofHours(4))));
    assertFalse(p.delayWarningDue(T0, true, T0.plus(Duration.ofHours(5))), "only once");
    assertEquals(RetryPolicy.rfc5321().giveUpAfter(), Duration.ofDays(5));
  }

  @Test
  void permanentFailuresAreNeverRetried() {
    assertEquals(RetryDecision.fail(), RetryPolicy.defaultPolicy().decide(T0, 1, true, T0));
    assertEquals(RetryDecision.fail(), RetryPolicy.rfc5321().decide(T0, 3, true, T0.plusSeconds(60)));
  }

  @Test
  void exponentialGrowsToTheCap() {
    RetryPolicy p = RetryPolicy.builder().exponential(Duration.ofMinutes(1), 2, Duration.ofMinutes(10))
        .giveUpAfter(Duration.ofDays(1)).build();
    assertEquals(Duration.ofMinutes(1), p.baseDelay(1));
    assertEquals(Duration.ofMinutes(2), p.baseDelay(2));
    assertEquals(Duration.ofMinutes(8), p.baseDelay(4));
    assertEquals(Duration.ofMinutes(10), p.baseDelay(5));
    assertEquals(Duration.ofMinutes(10), p.baseDelay(500));
  }

  @Test
  void customListRepeatsItsLastDelay() {
    RetryPolicy p = RetryPolicy.builder().delays(List.of(Duration.ofMinutes(5), Duration.ofMinutes(20))).build();
    assertEquals(Duration.ofMinutes(5), p.baseDelay(1));
    assertEquals(Duration.ofMinutes(20), p.baseDelay(2));
    assertEquals(Duration.ofMinutes(20), p.baseDelay(9));
    assertEquals(RetryDecision.retryAt(T0.plus(Duration.ofMinutes(45))), p.decide(T0, 2, false, T0.plus(Duration.ofMinutes(25))));
  }

  @Test
  void jitterSpreadsABacklogWithoutShorteningDelays() {
    RetryPolicy p = RetryPolicy.builder().fixedDelay(Duration.ofMinutes(10)).jitter(0.5).random(new Random(42)).build();
    java.util.Set<Instant> distinct = new java.util.HashSet<>();
    for (int i = 0; i < 100; i++) {
      Instant next = p.decide(T0, 1, false, T0).nextAttemptAt().orElseThrow();
      assertTrue(!next.isBefore(T0.plus(Duration.ofMinutes(10))) && !next.isAfter(T0.plus(Duration.ofMinutes(15))), "in range: " + next);
      distinct.add(next);
    }
    assertTrue(distinct.size() > 50, "jitter spreads retries: " + distinct.size() + " distinct times");
  }

  @Test
  void badSettingsAreRejectedWithTheirValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RetryPolicy.builder().jitter(1.5));
    assertTrue(e.getMessage().contains("1.5"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> RetryPolicy.builder().fixedDelay(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> RetryPolicy.builder().exponential(Duration.ofMinutes(5), 0.5, Duration.ofHours(1)));
    assertThrows(IllegalArgumentException.class,
        () -> RetryPolicy.builder().giveUpAfter(Duration.ofHours(1)).delayWarningAfter(Duration.ofHours(2)).build());
    assertThrows(IllegalArgumentException.class,
        () -> new RetryDecision(RetryDecision.Action.FAIL, java.util.Optional.of(T0)));
  }
}
