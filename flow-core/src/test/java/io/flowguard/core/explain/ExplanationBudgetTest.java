package io.flowguard.core.explain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ExplanationBudgetTest {

  private static final long SECOND = 1_000_000_000L;

  @Test
  void aFullBucketGrantsItsBurstThenSkipsAndCountsTheSkips() {
    ExplanationBudget b = new ExplanationBudget(10, 3);
    int granted = 0;
    for (int i = 0; i < 10; i++) {
      if (b.tryAcquire(5 * SECOND)) {
        granted++;
      }
    }
    assertEquals(3, granted);
    assertEquals(3, b.granted());
    assertEquals(7, b.skipped());
  }

  @Test
  void tokensArriveAtTheRateAndNeverBeyondTheBurst() {
    ExplanationBudget b = new ExplanationBudget(10, 3);
    long t = 0;
    while (b.tryAcquire(t)) {
      // drain
    }
    assertFalse(b.tryAcquire(t + SECOND / 20), "half a token after 50 ms");
    assertTrue(b.tryAcquire(t + SECOND / 10), "one token after 100 ms");
    int granted = 0;
    for (int i = 0; i < 10; i++) {
      granted += b.tryAcquire(t + 100 * SECOND) ? 1 : 0;
    }
    assertEquals(3, granted, "an hour of quiet refills only the burst");
  }

  @Test
  void overASecondOfSteadyDemandAboutTheRateIsGranted() {
    ExplanationBudget b = new ExplanationBudget(100, 1);
    int granted = 0;
    for (int i = 0; i < 10_000; i++) {
      granted += b.tryAcquire(i * (SECOND / 10_000)) ? 1 : 0;
    }
    assertEquals(100, granted, 1);
    assertEquals(10_000 - granted, b.skipped());
  }

  @Test
  void perSecondHasABurstOfOneSecond() {
    ExplanationBudget b = ExplanationBudget.perSecond(5);
    int granted = 0;
    for (int i = 0; i < 20; i++) {
      granted += b.tryAcquire(0) ? 1 : 0;
    }
    assertEquals(5, granted);
  }

  @Test
  void invalidSettingsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new ExplanationBudget(0, 1));
    assertThrows(IllegalArgumentException.class, () -> new ExplanationBudget(1, 0));
  }
}
