package io.flowguard.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.flow.Flow;
import io.flowguard.core.flow.FlowFactory;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.nn.JavaMatrixBackend;
import io.flowguard.core.nn.Linalg;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The smoothing-noise schedule: the noise scale per step, and what the trainer does with it. */
class NoiseScheduleTest {

  private static final TrainingConfig BASE = TrainingConfig.defaults().withSteps(1000).withNoise(0.4);

  @Test
  void constantScheduleIsTheConfiguredNoiseAtEveryStep() {
    TrainingConfig c = BASE.withNoiseSchedule("constant");
    for (int step = 1; step <= c.steps(); step++) {
      assertEquals(0.4, c.noiseAt(step), 0.0);
    }
  }

  @Test
  void linearScheduleFallsFromTheStartValueToZeroOverTheSteps() {
    TrainingConfig c = BASE.withNoiseSchedule("linear");
    assertEquals(0.4, c.noiseAt(1), 0.0);
    assertEquals(0.2, c.noiseAt(501), 1e-15);
    assertEquals(0.4 / 1000, c.noiseAt(1000), 1e-15);
    assertEquals(0.0, c.noiseAt(2000), 0.0, "past the budget (never reached in training) it stays at zero");
  }

  @Test
  void cosineScheduleFallsFromTheStartValueToZeroOverTheSteps() {
    TrainingConfig c = BASE.withNoiseSchedule("cosine");
    assertEquals(0.4, c.noiseAt(1), 0.0);
    assertEquals(0.2, c.noiseAt(501), 1e-15);
    assertEquals(0.4 * 0.5 * (1 + Math.cos(Math.PI * 250 / 1000.0)), c.noiseAt(251), 1e-15);
    double previous = Double.POSITIVE_INFINITY;
    for (int step = 1; step <= c.steps(); step++) {
      assertTrue(c.noiseAt(step) <= previous && c.noiseAt(step) >= 0, "non-increasing and non-negative");
      previous = c.noiseAt(step);
    }
  }

  @Test
  void anUnknownScheduleIsRejectedWithTheKnownOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BASE.withNoiseSchedule("step"));
    assertTrue(e.getMessage().contains("constant, linear, cosine"), e.getMessage());
  }

  @Test
  void theDefaultsAndTheOlderConstructorsHaveConstantNoise() {
    assertEquals("constant", TrainingConfig.defaults().noiseSchedule());
    assertEquals("constant", new TrainingConfig(10, 8, 1e-3, "constant", 5, 0, 0.1, 5, 3, 20, 1L, 0.3, 0.9)
        .noiseSchedule());
  }

  @Test
  void constantScheduleReproducesTheTrainingBeforeSchedulesExistedBitForBit() {
    // The figures were printed by the trainer before noise schedules existed (commit 62f957c), on the pure
    // Java arithmetic path (no BLAS, whose kernels may round differently from machine to machine); the
    // same data, flow, seed and smoothing noise must give the same bits.
    Linalg.useBackend(new JavaMatrixBackend());
    try {
      SplittableRandom rng = new SplittableRandom(11);
      int n = 300;
      double[] x = new double[n * 2];
      for (int i = 0; i < x.length; i++) {
        x[i] = rng.nextGaussian() * (i % 2 == 0 ? 1.0 : 0.5);
      }
      Flow flow = FlowFactory.create(FlowSpec.of(FlowSpec.MAF, 2).withLayers(2).withHidden(8, 8), 5);
      TrainingConfig c = TrainingConfig.defaults().withSteps(120).withBatchSize(64).withEvalEvery(20)
          .withPatience(100).withNoise(0.3).withAveraging(0.9).withSeed(5).withNoiseSchedule("constant");
      TrainingResult r = new Trainer(c).fit(flow, x, n, true);
      double sum = 0;
      for (double v : flow.parameters()) {
        sum += v;
      }
      assertEquals(4611845509953726453L, Double.doubleToLongBits(r.validationNll()), "best validation NLL");
      assertEquals(4620870602918897440L, Double.doubleToLongBits(sum), "sum of the parameters");
      assertEquals(-4627045637650937897L, Double.doubleToLongBits(flow.parameters()[0]), "first parameter");
    } finally {
      Linalg.useDefaultBackend();
    }
  }

  @Test
  void annealedNoiseEndsFittingTheUnsmoothedDensity() {
    // A 1-D MAF on N(0, 1) rows fits a Gaussian; with constant noise 0.75 its standard deviation is
    // sqrt(1 + 0.75^2) = 1.25 (TrainingNoiseTest). Annealed linearly to zero over the steps (no validation,
    // so training ends at the last step, where the noise is 0.75 / 3000), it must end near 1: sampling
    // error ~1.1 % at 4000 rows, Adam's step noise and its lag behind the falling noise ~2 %: tolerance 0.05.
    double[] x = new double[4000];
    SplittableRandom rng = new SplittableRandom(3);
    for (int i = 0; i < x.length; i++) {
      x[i] = rng.nextGaussian();
    }
    Flow flow = FlowFactory.create(FlowSpec.of(FlowSpec.MAF, 1).withLayers(1).withHidden(4), 1);
    TrainingConfig c = TrainingConfig.defaults().withSteps(3000).withBatchSize(256).withLearningRate(1e-2)
        .withValidationFraction(0).withNoise(0.75).withNoiseSchedule("linear").withSeed(1);
    new Trainer(c).fit(flow, x, x.length, true);
    assertEquals(1.0, TrainingNoiseTest.densityStd(flow), 0.05);
  }
}
