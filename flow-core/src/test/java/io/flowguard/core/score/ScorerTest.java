package io.flowguard.core.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.flow.Flow;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.flow.FlowTesting;
import io.flowguard.core.model.Calibration;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.Preprocessor;
import io.flowguard.core.model.Provenance;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ScorerTest {

  private static final int RAW = 5;

  static Stream<FlowSpec> families() {
    // One raw column is constant and dropped, so the flow sees 4 dimensions.
    int d = RAW - 1;
    return Stream.of(
        FlowSpec.of(FlowSpec.REALNVP, d).withLayers(3).withHidden(16, 16).withActNorm(true),
        FlowSpec.of(FlowSpec.NICE, d).withLayers(3).withHidden(16).withMixing("permute"),
        FlowSpec.of(FlowSpec.MAF, d).withLayers(3).withHidden(16, 16).withMixing("lu"),
        FlowSpec.of(FlowSpec.IAF, d).withLayers(2).withHidden(16).withBase(FlowSpec.BaseSpec.mixture(3)),
        FlowSpec.of(FlowSpec.SPLINE_COUPLING, d).withLayers(2).withHidden(16),
        FlowSpec.of(FlowSpec.SPLINE_AUTOREGRESSIVE, d).withLayers(2).withHidden(16)
            .withBase(new FlowSpec.BaseSpec("diagonal-normal", null)));
  }

  /** Raw rows: column 2 constant (dropped), the others on different scales. */
  static double[] rawRows(int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] x = new double[n * RAW];
    double[] scale = {1.0, 10.0, 0.0, 0.01, 3.0};
    for (int r = 0; r < n; r++) {
      for (int c = 0; c < RAW; c++) {
        x[r * RAW + c] = c == 2 ? 7.0 : 5.0 + scale[c] * (rng.nextDouble() * 4 - 2);
      }
    }
    return x;
  }

  static FlowModel model(FlowSpec spec) {
    List<String> names = List.of("a", "b", "c", "d", "e");
    double[] train = rawRows(500, 1);
    Preprocessor pre = Preprocessor.fit(names, train, 500);
    Flow flow = FlowTesting.randomFlow(spec, 3, 0.3);
    double[] nll = new double[400];
    SplittableRandom rng = new SplittableRandom(4);
    for (int i = 0; i < nll.length; i++) {
      nll[i] = 3 + rng.nextDouble() * 4;
    }
    Provenance prov = new Provenance(spec.toJson(), Map.of(), 0, "0".repeat(64), 500,
        new Provenance.TrainingMetrics(Double.NaN, Double.NaN, 0, 0), "2026-01-01T00:00:00Z", "test", 1);
    return new FlowModel("m", 1, pre, flow, Calibration.fit(nll, 5), prov);
  }

  /**
   * Scorer log-density == Flow.logProb of the standardized row + the preprocessor's log-Jacobian, to 1e-9
   * relative (they run the same arithmetic; the tolerance only allows for BLAS-vs-Java summation order in
   * the batch reference), over 2000 random events per family, single-event and batch API alike.
   */
  @ParameterizedTest
  @MethodSource("families")
  void scorerLogDensityEqualsFlowLogProb(FlowSpec spec) {
    FlowModel m = model(spec);
    int n = 2000;
    double[] raw = rawRows(n, 11);
    double[] reference = m.flow().logProb(m.preprocessor().apply(raw, n), n);
    Scorer scorer = new Scorer(m, 1e-3);
    Scorer.Score s = new Scorer.Score();
    Scorer.Score[] batch = new Scorer.Score[n];
    for (int i = 0; i < n; i++) {
      batch[i] = new Scorer.Score();
    }
    assertEquals(n, scorer.scoreBatch(raw, n, batch));
    for (int r = 0; r < n; r++) {
      double expected = reference[r] + m.preprocessor().logJacobian(raw, r * RAW);
      assertTrue(scorer.score(raw, r * RAW, RAW, s));
      assertEquals(expected, s.logDensity, 1e-9 * Math.max(1, Math.abs(expected)), spec.family() + " row " + r);
      assertEquals(expected, batch[r].logDensity, 1e-9 * Math.max(1, Math.abs(expected)), "batch row " + r);
      assertEquals(-s.logDensity, s.nll, 0.0);
      assertEquals(m.calibration().tailProbability(s.nll), s.tailProbability, 0.0);
      assertEquals(s.tailProbability < 1e-3, s.anomaly);
    }
  }

  @Test
  void invalidEventsAreTypedRejectionsNotScores() {
    Scorer scorer = new Scorer(model(FlowSpec.of(FlowSpec.MAF, RAW - 1).withLayers(2).withHidden(8)), 1e-3);
    Scorer.Score s = new Scorer.Score();
    assertFalse(scorer.score(new double[] {1, 2, 3}, s));
    assertEquals(Scorer.Rejection.WRONG_DIMENSION, s.rejection);
    assertEquals(3, s.rejectedAt);
    assertTrue(Double.isNaN(s.nll) && !s.anomaly);
    assertFalse(scorer.score(new double[] {5, 5, 7, Double.NaN, 5}, s));
    assertEquals(Scorer.Rejection.NON_FINITE, s.rejection);
    assertEquals(3, s.rejectedAt);
    assertFalse(scorer.score(new double[] {Double.POSITIVE_INFINITY, 5, 7, 5, 5}, s));
    assertEquals(0, s.rejectedAt);
    assertTrue(scorer.score(new double[] {5, 5, 7, 5, 5}, s), "a valid event after rejections is scored");
    assertEquals(Scorer.Rejection.NONE, s.rejection);
  }

  @Test
  void batchRejectsBadRowsAndScoresTheRest() {
    FlowModel m = model(FlowSpec.of(FlowSpec.REALNVP, RAW - 1).withLayers(2).withHidden(8));
    Scorer scorer = new Scorer(m, 1e-3);
    double[] raw = rawRows(4, 2);
    raw[RAW + 1] = Double.NaN;
    Scorer.Score[] out = {new Scorer.Score(), new Scorer.Score(), new Scorer.Score(), new Scorer.Score()};
    assertEquals(3, scorer.scoreBatch(raw, 4, out));
    assertTrue(out[1].rejected());
    Scorer.Score single = new Scorer.Score();
    scorer.score(raw, 3 * RAW, RAW, single);
    assertEquals(single.logDensity, out[3].logDensity, 1e-12);
  }

  /** After warm-up, scoring an event allocates nothing (measured per thread; < 16 bytes/event on average). */
  @ParameterizedTest
  @MethodSource("families")
  void singleEventScoringDoesNotAllocateAfterWarmUp(FlowSpec spec) {
    FlowModel m = model(spec);
    Scorer scorer = new Scorer(m, 1e-3);
    double[] raw = rawRows(64, 3);
    Scorer.Score s = new Scorer.Score();
    for (int i = 0; i < 20_000; i++) {
      scorer.score(raw, (i % 64) * RAW, RAW, s);
    }
    com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long tid = Thread.currentThread().getId();
    long before = bean.getThreadAllocatedBytes(tid);
    int events = 20_000;
    for (int i = 0; i < events; i++) {
      scorer.score(raw, (i % 64) * RAW, RAW, s);
    }
    long bytes = bean.getThreadAllocatedBytes(tid) - before;
    assertTrue(bytes / (double) events < 16, spec.family() + ": " + bytes / (double) events + " bytes per event");
  }

  @Test
  void typicalityWindowUsesTheModelsCalibration() {
    FlowModel m = model(FlowSpec.of(FlowSpec.MAF, RAW - 1).withLayers(2).withHidden(8));
    TypicalityWindow w = new Scorer(m, 1e-3).newWindow(8, 0.99);
    assertEquals(8, w.size());
    assertEquals(m.calibration().typicalityThreshold(8, 0.99), w.threshold(), 0.0);
    // It compares with the model's entropy: eight NLLs of H + 0.5 give the statistic 0.5, up to the
    // rounding of a sum of eight doubles (1e-12 is far above it and far below any other entropy).
    double h = m.calibration().entropy();
    for (int i = 0; i < 8; i++) {
      w.add(h + 0.5);
    }
    assertEquals(0.5, w.statistic(), 1e-12);
  }
}
