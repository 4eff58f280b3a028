package io.flowguard.core.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Precision, recall and F1 of a false-alarm rate, the F1-best rate and the recall at standard rates, on rows counted by hand. */
class ThresholdReportTest {

  // Tail probabilities of 10 test rows; rows 0-2 are anomalies.
  private static final double[] TAIL = {0.0005, 0.004, 0.2, 0.002, 0.03, 0.5, 0.6, 0.7, 0.8, 0.9};
  private static final int[] LABELS = {1, 1, 1, 0, 0, 0, 0, 0, 0, 0};

  @Test
  void atTheConfiguredRateItCountsTheRowsBelowIt() {
    ThresholdReport t = ThresholdReport.of(TAIL, LABELS, 0.001);
    // Only row 0 is below 0.001: precision 1, recall 1/3, F1 = 2 (1)(1/3) / (4/3) = 1/2. Exact fractions: 1e-15.
    assertEquals(1.0, t.precision(), 1e-15);
    assertEquals(1.0 / 3, t.recall(), 1e-15);
    assertEquals(0.5, t.f1(), 1e-15);
  }

  @Test
  void theBestRateFlagsTheRowsThatMaximizeF1() {
    ThresholdReport t = ThresholdReport.of(TAIL, LABELS, 0.001);
    // Flagging the 3 lowest (0.0005, 0.002, 0.004): 2 of 3 right, recall 2/3, F1 2/3; the 5 lowest (up to
    // 0.2): 3 of 5, recall 1, F1 0.75 (the best); the 2 lowest: F1 = 2 (1/2)(1/3)/(5/6) = 0.4.
    assertEquals(0.75, t.bestF1(), 1e-15);
    assertEquals(0.6, t.bestPrecision(), 1e-15);
    assertEquals(1.0, t.bestRecall(), 1e-15);
    assertEquals(Math.nextUp(0.2), t.bestRate(), 0.0);
    assertEquals(t.bestF1(), ThresholdReport.of(TAIL, LABELS, t.bestRate()).f1(), 1e-15, "the best rate reproduces the best F1");
  }

  @Test
  void recallIsReportedAtTheStandardRates() {
    ThresholdReport t = ThresholdReport.of(TAIL, LABELS, 0.001);
    assertEquals(List.of(0.001, 0.01, 0.05, 0.1), ThresholdReport.STANDARD_RATES);
    assertArrayEquals(new double[] {1.0 / 3, 2.0 / 3, 2.0 / 3, 2.0 / 3}, t.recallAt(), 1e-15);
  }

  @Test
  void nothingFlaggedHasNoPrecisionAndZeroF1() {
    ThresholdReport t = ThresholdReport.of(TAIL, LABELS, 1e-6);
    assertTrue(Double.isNaN(t.precision()));
    assertEquals(0.0, t.f1(), 0.0);
    assertEquals(null, t.toJson().get("precision"), "JSON has no NaN: null");
  }
}
