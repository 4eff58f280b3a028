package io.flowguard.core.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.eval.Evaluation.MethodResult;
import io.flowguard.core.eval.nab.AnomalyScores;
import io.flowguard.core.eval.nab.NabEvaluation.ProfileResult;
import io.flowguard.core.eval.nab.NabSeries;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The suite's NAB score takes one threshold for all series, whatever each series would prefer. Worked by
 * hand with the standard profile (A_TP 1, A_FP 0.11, A_FN 1) on two series of 100 points (probationary
 * period 15) with one window, points 60..69:
 * <ul>
 *   <li>A: its window's first point scores 0.5, and 19 points before the window (20..38, each -A_FP)
 *       score 0.6;</li>
 *   <li>B: its window's first point scores 0.6.</li>
 * </ul>
 * Everything else scores 0. Suite thresholds: 1.1 (nothing): -1 - 1 = -2; 0.6: A -1 - 2.09, B +1, sum
 * -2.09; 0.5: A 1 - 2.09 = -1.09, B +1, sum -0.09 (best); 0: each flags 45 false positives before its
 * window alone, far worse. Normalized: 100 (-0.09 + 2) / (2 + 2) = 47.75. On its own, A is best
 * detecting nothing (-1, normalized 0) and B at 0.6 (+1, normalized 100).
 *
 * <p>reward_low_FP_rate (A_FP 0.22): at 0.5 the sum is 1 - 4.18 + 1 = -2.18, at 0.6 -1 - 4.18 + 1, so
 * nothing (-2) wins: normalized 0. reward_low_FN_rate (A_FN 2): nothing is -4, 0.5 gives -0.09 again:
 * 100 (-0.09 + 4) / (2 + 4) = 65.1667.
 */
class NabReportTest {

  private static MethodResult flow(double[] scores) {
    TabularProtocol.SeedResult r = new TabularProtocol.SeedResult(0, 0.75, 0.5, 1.0, 0.1, 1000, 10, 85, 10);
    return new MethodResult("flow", List.of(r), Optional.of(r), List.of(Map.of()), Optional.empty(),
        List.of(new AnomalyScores(0, scores)));
  }

  private static NabReport.MethodNab report() {
    double[] a = new double[100];
    for (int i = 20; i <= 38; i++) {
      a[i] = 0.6;
    }
    a[60] = 0.5;
    double[] b = new double[100];
    b[60] = 0.6;
    NabSeries window = new NabSeries("w", 100, new int[] {60}, new int[] {69});
    return NabReport.of("flow", List.of(0L), List.of(new NabReport.Member("a", window, flow(a)),
        new NabReport.Member("b", window, flow(b))), List.of()).orElseThrow();
  }

  @Test
  void oneThresholdServesTheWholeSuite() {
    ProfileResult standard = report().perSeed().get(0).get(0);
    assertEquals("standard", standard.profile().name());
    assertEquals(0.5, standard.threshold(), 0.0);
    assertEquals(-1.09, standard.series().get(0).raw(), 1e-12);
    assertEquals(1.0, standard.series().get(1).raw(), 1e-12);
    assertEquals(-0.09, standard.raw(), 1e-12);
    assertEquals(47.75, standard.normalized(), 1e-10);
    assertEquals(0.0, standard.seriesOptimum().get(0).normalized(), 1e-10, "A alone: detect nothing");
    assertEquals(100.0, standard.seriesOptimum().get(1).normalized(), 1e-10, "B alone: 0.6");

    ProfileResult lowFp = report().perSeed().get(0).get(1);
    assertEquals(io.flowguard.core.eval.nab.NabScorer.NOTHING_DETECTED, lowFp.threshold(), 0.0);
    assertEquals(0.0, lowFp.normalized(), 1e-10);
    ProfileResult lowFn = report().perSeed().get(0).get(2);
    assertEquals(0.5, lowFn.threshold(), 0.0);
    assertEquals(100 * 3.91 / 6, lowFn.normalized(), 1e-10);
  }

  @Test
  void markdownAndJsonCarryTheSuiteScoreAndLabelThePerSeriesThresholds() {
    NabReport.MethodNab r = report();
    String md = NabReport.markdown(r);
    // 47.75 is computed as 47.7499999...: one decimal shows 47.7.
    assertTrue(md.contains("| **suite, normalized** | 200 | 2 | 0 | 0.750 | 0.500 | **47.7** |"), md);
    assertTrue(md.contains("| a | 100 | 1 | 0 | 0.750 | 0.500 | -1.09 |"), md);
    assertTrue(md.contains("at its own best threshold (for information only)"), md);
    Map<String, Object> json = NabReport.json(r);
    @SuppressWarnings("unchecked")
    Map<String, Object> standard = (Map<String, Object>) ((Map<String, Object>) json.get("profiles")).get("standard");
    assertEquals(47.75, (Double) standard.get("normalized_mean"), 1e-10);
    assertEquals(-2.0, (Double) standard.get("null"), 0.0);
  }

  @Test
  void aMethodWithoutAnomalyScoresHasNoNabScore() {
    TabularProtocol.SeedResult r = new TabularProtocol.SeedResult(0, 0.75, 0.5, 1.0, 0.1, 1000, 10, 85, 10);
    MethodResult kde = new MethodResult("kde", List.of(r), Optional.of(r), List.of(Map.of()), Optional.empty(), List.of());
    NabSeries window = new NabSeries("w", 100, new int[] {60}, new int[] {69});
    assertTrue(NabReport.of("kde", List.of(0L), List.of(new NabReport.Member("a", window, kde)), List.of()).isEmpty());
  }
}
