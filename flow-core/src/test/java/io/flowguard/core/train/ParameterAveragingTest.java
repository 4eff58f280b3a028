package io.flowguard.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.flowguard.core.examples.ToyData;
import io.flowguard.core.flow.Flow;
import io.flowguard.core.flow.FlowFactory;
import io.flowguard.core.flow.FlowSpec;
import org.junit.jupiter.api.Test;

/** Polyak averaging: the trainer keeps an exponential moving average of its iterates, with a warm-up. */
class ParameterAveragingTest {

  private static final FlowSpec SPEC = FlowSpec.of(FlowSpec.REALNVP, 2).withLayers(2).withHidden(8);
  private static final double[] X = ToyData.moons(200, 0.05, 3);

  private static double[] parametersAfter(int steps, double averaging) {
    Flow flow = FlowFactory.create(SPEC, 5);
    TrainingConfig config = TrainingConfig.defaults().withSteps(steps).withBatchSize(64).withLearningRate(1e-2)
        .withValidationFraction(0).withEvalEvery(1).withAveraging(averaging).withSeed(5);
    new Trainer(config).fit(flow, X, 200, false);
    return flow.parameters().clone();
  }

  @Test
  void withoutValidationTrainingEndsWithTheMovingAverageOfTheIterates() {
    double[] t0 = FlowFactory.create(SPEC, 5).parameters().clone();
    // The optimizer's iterates do not depend on the averaging, so plain runs of 1 and 2 steps give them.
    double[] t1 = parametersAfter(1, 0);
    double[] t2 = parametersAfter(2, 0);
    double a1 = Math.min(0.99, 2.0 / 11.0);
    double a2 = Math.min(0.99, 3.0 / 12.0);
    double[] expected1 = new double[t0.length];
    double[] expected2 = new double[t0.length];
    for (int i = 0; i < t0.length; i++) {
      expected1[i] = a1 * t0[i] + (1 - a1) * t1[i];
      expected2[i] = a2 * expected1[i] + (1 - a2) * t2[i];
    }
    // The same arithmetic in the same order: exact.
    assertArrayEquals(expected1, parametersAfter(1, 0.99), 0.0);
    assertArrayEquals(expected2, parametersAfter(2, 0.99), 0.0);
  }

  @Test
  void earlyStoppingJudgesTheAveragedParameters() {
    Flow flow = FlowFactory.create(SPEC, 6);
    TrainingConfig config = TrainingConfig.defaults().withSteps(300).withBatchSize(64).withLearningRate(1e-2)
        .withValidationFraction(0.3).withEvalEvery(20).withPatience(100).withAveraging(0.95).withSeed(6);
    TrainingResult r = new Trainer(config).fit(flow, X, 200, true);
    // The kept parameters must be the averaged ones that scored the best validation NLL, not the
    // optimizer's iterate at that step: re-evaluate them on the trainer's validation rows (the first 60
    // of its seeded shuffle) and get the same number.
    int[] order = io.flowguard.core.data.Shuffle.permutation(200, new java.util.SplittableRandom(6));
    double[] val = new double[60 * 2];
    for (int i = 0; i < 60; i++) {
      System.arraycopy(X, order[i] * 2, val, i * 2, 2);
    }
    assertEquals(r.validationNll(), flow.meanNll(val, 60), 1e-12);
    assertEquals(r.validationNll(), r.curve().stream().mapToDouble(c -> c[2]).min().orElseThrow(), 0.0);
  }
}
