package io.flowguard.core.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Reference values computed by hand (and matching scikit-learn's definitions); exact to 1e-12. */
class MetricsTest {

  @Test
  void aurocOfAPerfectRankingIsOneAndOfAReversedOneIsZero() {
    double[] s = {0.1, 0.2, 0.8, 0.9};
    assertEquals(1.0, Metrics.auroc(s, new int[] {0, 0, 1, 1}), 1e-12);
    assertEquals(0.0, Metrics.auroc(s, new int[] {1, 1, 0, 0}), 1e-12);
  }

  @Test
  void aurocCountsTiesAsOneHalf() {
    // pairs (anomaly, normal): (0.5 vs 0.5) tie -> 0.5, (0.5 vs 0.1) -> 1, (0.9 vs both) -> 2: 3.5 / 4
    assertEquals(0.875, Metrics.auroc(new double[] {0.1, 0.5, 0.5, 0.9}, new int[] {0, 0, 1, 1}), 1e-12);
  }

  @Test
  void averagePrecisionMatchesTheStepwiseDefinition() {
    // scores desc: 0.9(1) 0.8(0) 0.7(1) 0.1(0): precision at recall steps 1/1 then 2/3 -> AP = 0.5*1 + 0.5*2/3
    double ap = Metrics.averagePrecision(new double[] {0.1, 0.7, 0.8, 0.9}, new int[] {0, 1, 0, 1});
    assertEquals(0.5 + 1.0 / 3.0, ap, 1e-12);
  }

  @Test
  void averagePrecisionGroupsTiedScores() {
    // all tied: one threshold, precision 2/4 at recall 1
    assertEquals(0.5, Metrics.averagePrecision(new double[] {1, 1, 1, 1}, new int[] {1, 0, 1, 0}), 1e-12);
  }

  @Test
  void metricsRejectDegenerateLabels() {
    assertThrows(IllegalArgumentException.class, () -> Metrics.auroc(new double[] {1, 2}, new int[] {0, 0}));
    assertThrows(IllegalArgumentException.class, () -> Metrics.auroc(new double[] {1, 2}, new int[] {0, 2}));
  }
}
