package io.flowguard.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.examples.ToyData;
import io.flowguard.core.flow.Flow;
import io.flowguard.core.flow.FlowFactory;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.transform.TransformContract;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Training is a pure function of (spec, data, config): two independent trainings with the same seed give
 * bit-identical parameters and loss curves (tolerance 0: no reduction order, thread count or hash order
 * may leak in), and a different seed gives different parameters.
 */
class DeterminismTest {

  private static final TrainingConfig CONFIG = TrainingConfig.defaults().withSteps(200).withBatchSize(64)
      .withValidationFraction(0.2).withEvalEvery(25).withPatience(1000).withSeed(42);

  private record Run(double[] parameters, TrainingResult result) {}

  private static Run train(FlowSpec spec, double[] x, int n, TrainingConfig config) {
    Flow flow = FlowFactory.create(spec, config.seed());
    TrainingResult result = new Trainer(config).fit(flow, x, n, true);
    return new Run(flow.parameters().clone(), result);
  }

  /** Correlated 3-D data: a random linear map of standard normals, plus a nonlinearity in one dimension. */
  private static double[] data3d(int n) {
    double[] z = TransformContract.randomBatch(n, 3, 5, 1.0);
    double[] x = new double[n * 3];
    for (int r = 0; r < n; r++) {
      double a = z[3 * r];
      double b = z[3 * r + 1];
      double c = z[3 * r + 2];
      x[3 * r] = a;
      x[3 * r + 1] = 0.5 * a + b;
      x[3 * r + 2] = Math.sin(2 * a) + 0.3 * c;
    }
    return x;
  }

  private static void assertIdentical(Run a, Run b) {
    assertArrayEquals(a.parameters(), b.parameters(), 0.0, "parameters");
    assertEquals(a.result().curve().size(), b.result().curve().size(), "curve length");
    for (int i = 0; i < a.result().curve().size(); i++) {
      assertArrayEquals(a.result().curve().get(i), b.result().curve().get(i), 0.0, "curve point " + i);
    }
    assertEquals(a.result().bestStep(), b.result().bestStep());
    assertEquals(a.result().validationNll(), b.result().validationNll(), 0.0);
    assertEquals(a.result().trainNll(), b.result().trainNll(), 0.0);
  }

  private static void assertTrainingMoved(Run run, FlowSpec spec, long seed) {
    double[] initial = FlowFactory.create(spec, seed).parameters();
    assertFalse(Arrays.equals(initial, run.parameters()), "training changed the parameters");
    assertTrue(run.result().curve().size() >= 8, "the curve has one point per evaluation");
  }

  @Test
  void mafTrainingIsBitIdenticalForTheSameSeed() {
    FlowSpec spec = FlowSpec.of(FlowSpec.MAF, 3).withLayers(3).withHidden(32, 32).withActNorm(true);
    double[] x = data3d(600);
    Run a = train(spec, x, 600, CONFIG);
    Run b = train(spec, x.clone(), 600, CONFIG);
    assertTrainingMoved(a, spec, CONFIG.seed());
    assertIdentical(a, b);
  }

  @Test
  void realNvpTrainingIsBitIdenticalForTheSameSeed() {
    FlowSpec spec = FlowSpec.of(FlowSpec.REALNVP, 2).withLayers(4).withHidden(16, 16).withMixing("lu")
        .withBase(FlowSpec.BaseSpec.mixture(2));
    double[] x = ToyData.moons(600, 0.1, 3);
    Run a = train(spec, x, 600, CONFIG);
    Run b = train(spec, x.clone(), 600, CONFIG);
    assertTrainingMoved(a, spec, CONFIG.seed());
    assertIdentical(a, b);
  }

  @Test
  void aDifferentTrainingSeedGivesDifferentParameters() {
    // Same initial parameters (the flow is built from the same seed), different split and minibatches.
    FlowSpec spec = FlowSpec.of(FlowSpec.REALNVP, 2).withLayers(2).withHidden(16);
    double[] x = ToyData.moons(400, 0.1, 3);
    Flow f1 = FlowFactory.create(spec, 1);
    Flow f2 = FlowFactory.create(spec, 1);
    assertArrayEquals(f1.parameters(), f2.parameters(), 0.0, "same starting point");
    new Trainer(CONFIG.withSteps(50).withSeed(1)).fit(f1, x, 400, true);
    new Trainer(CONFIG.withSteps(50).withSeed(2)).fit(f2, x, 400, true);
    assertFalse(Arrays.equals(f1.parameters(), f2.parameters()), "different seeds, different parameters");
  }

  @Test
  void samplingIsDeterministicForASeedAndDiffersBetweenSeeds() {
    FlowSpec spec = FlowSpec.of(FlowSpec.MAF, 3).withLayers(2).withHidden(8);
    Flow flow = FlowFactory.create(spec, 3);
    assertArrayEquals(flow.sample(50, 9), flow.sample(50, 9), 0.0);
    assertFalse(Arrays.equals(flow.sample(50, 9), flow.sample(50, 10)));
  }
}
