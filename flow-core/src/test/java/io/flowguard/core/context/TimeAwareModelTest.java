package io.flowguard.core.context;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.data.Dataset;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.ModelTrainer;
import io.flowguard.core.score.Scorer;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingListener;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A time-aware model end to end in flow-core: trained on an AR(1) series, it must know the dynamics (a
 * value normal on its own but impossible after its predecessor is an anomaly), survive its model file bit
 * for bit, and score identically through the Scorer and through {@code FlowModel.logDensity} with the
 * context the encoder builds.
 */
class TimeAwareModelTest {

  private static final int N = 3000;
  private static final double PHI = 0.95;
  private static final double NOISE = 0.1;
  private static double[] series;
  private static long[] times;
  private static FlowModel timeAware;
  private static FlowModel alone;

  @BeforeAll
  static void train() {
    SplittableRandom rng = new SplittableRandom(7);
    series = new double[N];
    times = new long[N];
    for (int t = 1; t < N; t++) {
      series[t] = PHI * series[t - 1] + NOISE * rng.nextGaussian();
      times[t] = t * 60_000L;
    }
    Dataset ds = new Dataset("ar1", List.of("value"), series, N);
    FlowSpec spec = FlowSpec.of(FlowSpec.MAF, 1).withLayers(2).withHidden(16, 16);
    TrainingConfig cfg = TrainingConfig.defaults().withSteps(600).withSeed(3);
    ModelTrainer.Options options = new ModelTrainer.Options("ar", 1, spec, cfg, 0.2);
    timeAware = ModelTrainer.trainInContext(EventSequence.series(ds, times), ContextSpec.ofWindow(4), options,
        TrainingListener.NONE).model();
    alone = ModelTrainer.train(ds, options, TrainingListener.NONE).model();
  }

  @Test
  void theHistoryMakesTheNextValueFarMorePredictable() {
    Scorer scorer = new Scorer(timeAware, 1e-3);
    KeyHistory h = scorer.newHistory();
    Scorer.Score s = new Scorer.Score();
    double conditional = 0;
    for (int t = 0; t < N; t++) {
      scorer.scoreInContext(series, t, 1, h, times[t], null, 0, s);
      if (t >= 4) {
        conditional += s.nll;
      }
    }
    double marginal = 0;
    double[] nll = alone.nll(java.util.Arrays.copyOfRange(series, 4, N), N - 4);
    for (double v : nll) {
      marginal += v;
    }
    conditional /= N - 4;
    marginal /= N - 4;
    // Stationary sd of the series is NOISE / sqrt(1 - PHI^2) = 0.32: the marginal entropy is ~1.15 nats
    // above the conditional one (log(0.32 / 0.1)); half of that is a margin no noise of training explains.
    assertTrue(conditional < marginal - 0.6, "conditional NLL " + conditional + " vs marginal " + marginal);
  }

  @Test
  void aJumpThatIsNormalAloneIsAnAnomalyAfterItsHistory() {
    Scorer withContext = new Scorer(timeAware, 1e-3);
    Scorer withoutContext = new Scorer(alone, 1e-3);
    KeyHistory h = withContext.newHistory();
    Scorer.Score s = new Scorer.Score();
    for (double v : new double[] {-0.3, -0.3, -0.3, -0.3}) {
      withContext.scoreInContext(new double[] {v}, 0, 1, h, 0, null, 0, s);
    }
    double[] jump = {0.3}; // within one marginal sd of the mean, six conditional sds from -0.285
    withContext.scoreInContext(jump, 0, 1, h, 0, null, 0, s);
    assertTrue(s.anomaly, "tail probability " + s.tailProbability);
    assertFalse(s.warmingUp);
    assertEquals(4, s.historyEvents);
    withoutContext.score(jump, s);
    assertFalse(s.anomaly, "alone, the value is typical: " + s.tailProbability);
  }

  @Test
  void theScorerEqualsTheModelsDensityWithTheEncodersContext() {
    Scorer scorer = new Scorer(timeAware, 1e-3);
    KeyHistory h = scorer.newHistory();
    Scorer.Score s = new Scorer.Score();
    ContextEncoder encoder = new ContextEncoder(timeAware.context().orElseThrow(), 1,
        timeAware.preprocessor().dim(), timeAware.preprocessor()::apply);
    KeyHistory mirror = encoder.newHistory();
    double[] c = new double[encoder.dim()];
    for (int t = 0; t < 50; t++) {
      encoder.encode(mirror, times[t], null, 0, c, 0);
      double expected = timeAware.logDensity(new double[] {series[t]}, c, 1)[0];
      mirror.append(series, t, times[t]);
      scorer.scoreInContext(series, t, 1, h, times[t], null, 0, s);
      assertEquals(expected, s.logDensity, 1e-12, "event " + t);
      assertEquals(Math.min(t, 4), s.historyEvents);
    }
  }

  @Test
  void theModelFileKeepsTheContextAndTheScoresBitForBit() throws Exception {
    FlowModel read = ModelFormat.read(ModelFormat.toBytes(timeAware));
    assertEquals(timeAware.context(), read.context());
    Scorer a = new Scorer(timeAware, 1e-3);
    Scorer b = new Scorer(read, 1e-3);
    KeyHistory ha = a.newHistory();
    KeyHistory hb = b.newHistory();
    Scorer.Score sa = new Scorer.Score();
    Scorer.Score sb = new Scorer.Score();
    for (int t = 0; t < 200; t++) {
      a.scoreInContext(series, t, 1, ha, times[t], null, 0, sa);
      b.scoreInContext(series, t, 1, hb, times[t], null, 0, sb);
      assertEquals(Double.doubleToLongBits(sa.logDensity), Double.doubleToLongBits(sb.logDensity), "event " + t);
    }
  }

  @Test
  void aModelWithContextRefusesToScoreRowsWithoutIt() {
    assertThrows(IllegalStateException.class, () -> timeAware.nll(new double[] {0.1}, 1));
  }

  @Test
  void aNewKeyIsScoredByTheSameModelAsWarmingUp() {
    Scorer scorer = new Scorer(timeAware, 1e-3);
    Scorer.Score s = new Scorer.Score();
    assertTrue(scorer.score(new double[] {0.0}, s));
    assertTrue(s.warmingUp);
    assertEquals(0, s.historyEvents);
    assertTrue(Double.isFinite(s.nll));
  }

  @Test
  void aLongGapStartsTheHistoryAfresh() {
    FlowModel gapped = new FlowModel(timeAware.name(), 1, timeAware.preprocessor(), timeAware.flow(),
        timeAware.calibration(), timeAware.provenance(), java.util.OptionalDouble.empty(),
        timeAware.featureStatistics(), java.util.Optional.of(ContextSpec.ofWindow(4).withMaxGapMillis(120_000L)));
    Scorer scorer = new Scorer(gapped, 1e-3);
    KeyHistory h = scorer.newHistory();
    Scorer.Score s = new Scorer.Score();
    for (int t = 0; t < 6; t++) {
      scorer.scoreInContext(series, t, 1, h, times[t], null, 0, s);
    }
    scorer.scoreInContext(series, 6, 1, h, times[5] + 121_000L, null, 0, s);
    assertEquals(KeyHistory.Admission.RESET_AFTER_GAP, s.admission);
    assertEquals(0, s.historyEvents);
    assertTrue(s.warmingUp);
  }

  @Test
  void contextRowsReplayTheSameHistoriesAsTheScorer() {
    Dataset ds = new Dataset("ar1", List.of("value"), java.util.Arrays.copyOf(series, 30), 30);
    ContextSpec spec = timeAware.context().orElseThrow();
    double[] c = ContextRows.build(spec, ds.values(), 1, 1, timeAware.preprocessor()::apply,
        EventSequence.series(ds, java.util.Arrays.copyOf(times, 30)), false, 0);
    Scorer scorer = new Scorer(timeAware, 1e-3);
    KeyHistory h = scorer.newHistory();
    Scorer.Score s = new Scorer.Score();
    int m = spec.dim(1);
    for (int t = 0; t < 30; t++) {
      scorer.scoreInContext(series, t, 1, h, times[t], null, 0, s);
      assertArrayEquals(java.util.Arrays.copyOfRange(c, t * m, (t + 1) * m), scorer.lastContext(), 0.0, "event " + t);
    }
  }
}
