package io.flowguard.core.explain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.context.ContextSpec;
import io.flowguard.core.context.EventSequence;
import io.flowguard.core.context.KeyHistory;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelTrainer;
import io.flowguard.core.score.Scorer;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingListener;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Explanations of a time-aware model ({@link Explainer#explainInContext}): two features, {@code value} an
 * AR(1) series (phi 0.95, noise sd 0.1, stationary sd 0.32) and {@code other} independent N(0, 1), with a
 * window of the 4 previous events as the context. Every number is {@code log p(x | context)}: the repair
 * value is what would have been typical after this key's history, and the contributions are exact
 * differences of the model's conditional log-densities.
 */
class ExplainerInContextTest {

  private static final int N = 3000;
  private static final double PHI = 0.95;
  private static FlowModel model;

  @BeforeAll
  static void train() {
    SplittableRandom rng = new SplittableRandom(7);
    double[] rows = new double[2 * N];
    long[] times = new long[N];
    double v = 0;
    for (int t = 0; t < N; t++) {
      v = PHI * v + 0.1 * rng.nextGaussian();
      rows[2 * t] = v;
      rows[2 * t + 1] = rng.nextGaussian();
      times[t] = t * 60_000L;
    }
    Dataset ds = new Dataset("ar1", List.of("value", "other"), rows, N);
    FlowSpec spec = FlowSpec.of(FlowSpec.MAF, 2).withLayers(2).withHidden(16, 16);
    TrainingConfig cfg = TrainingConfig.defaults().withSteps(600).withSeed(3);
    model = ModelTrainer.trainInContext(EventSequence.series(ds, times), ContextSpec.ofWindow(4),
        new ModelTrainer.Options("ar", 1, spec, cfg, 0.2), TrainingListener.NONE).model();
  }

  /** The context after four events at value -0.3 (their "other" at 0), as the scorer builds it. */
  private static double[] contextAfterAFlatHistory(Scorer scorer, double[] event) {
    KeyHistory h = scorer.newHistory();
    Scorer.Score s = new Scorer.Score();
    for (int t = 0; t < 4; t++) {
      scorer.scoreInContext(new double[] {-0.3, 0.0}, 0, 2, h, t * 60_000L, null, 0, s);
    }
    scorer.scoreInContext(event, 0, 2, h, 4 * 60_000L, null, 0, s);
    return scorer.lastContext().clone();
  }

  private static double logDensity(double[] x, double[] context) {
    return model.logDensity(x, context, 1)[0];
  }

  /**
   * A jump to 0.3 after a history at -0.3 (within one stationary sd of the mean, six conditional sds from
   * -0.285): the value is named, its typical value is near the conditional mean (0.1, a conditional sd, for
   * a short training) and its contribution equals the conditional log-density gain to 1e-9 nats.
   */
  @Test
  void aJumpIsExplainedByItsValueGivenTheHistory() {
    Explainer explainer = new Explainer(model, 1e-3);
    double[] x = {0.3, 0.2};
    double[] context = contextAfterAFlatHistory(new Scorer(model, 1e-3), x);
    Explanation ex = explainer.explainInContext(x, 0, 2, 2, context);
    assertTrue(ex.present(), ex.toString());
    FeatureContribution top = ex.features().get(0);
    assertEquals("value", top.feature());
    assertEquals(PHI * -0.3, top.typical(), 0.1);
    assertEquals(-logDensity(x, context), ex.nll(), 1e-9);
    for (FeatureContribution fc : ex.features()) {
      double[] repaired = x.clone();
      repaired[fc.feature().equals("value") ? 0 : 1] = fc.typical();
      assertEquals(logDensity(repaired, context) - logDensity(x, context), fc.contribution(), 1e-9, fc.toString());
    }
  }

  /**
   * The jump and "other" 7 sd out: no single repair ends the alert, so the pair is searched, with the
   * context repeated on every row of the pair's stencil and ridge search; its contribution is exact.
   */
  @Test
  void aJointAnomalyInContextGetsItsPair() {
    Explainer explainer = new Explainer(model, 1e-3);
    double[] x = {0.3, 7.0};
    double[] context = contextAfterAFlatHistory(new Scorer(model, 1e-3), x);
    Explanation ex = explainer.explainInContext(x, 0, 2, 2, context);
    assertTrue(ex.jointAnomaly(), ex.toString());
    PairContribution p = ex.pair().orElseThrow();
    assertEquals(Set.of("value", "other"), Set.of(p.first(), p.second()));
    double[] repaired = new double[2];
    repaired[p.first().equals("value") ? 0 : 1] = p.firstTypical();
    repaired[p.second().equals("value") ? 0 : 1] = p.secondTypical();
    assertEquals(logDensity(repaired, context) - logDensity(x, context), p.contribution(), 1e-9);
    assertTrue(-logDensity(repaired, context) < explainer.nllThreshold(), "repairing the pair ends the alert");
  }

  /** Without its context (or with a short one) a time-aware model's explanation is absent with a reason. */
  @Test
  void aTimeAwareModelNeedsTheContext() {
    Explainer explainer = new Explainer(model, 1e-3);
    Explanation alone = explainer.explain(new double[] {0.3, 0.2}, 2);
    assertFalse(alone.present());
    assertTrue(alone.absentReason().orElseThrow().contains("explainInContext"), alone.toString());
    Explanation shortContext = explainer.explainInContext(new double[] {0.3, 0.2}, 0, 2, 2, new double[1]);
    assertFalse(shortContext.present());
  }
}
