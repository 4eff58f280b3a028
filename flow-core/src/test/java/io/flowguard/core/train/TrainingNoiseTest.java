package io.flowguard.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.flowguard.core.flow.Flow;
import io.flowguard.core.flow.FlowFactory;
import io.flowguard.core.flow.FlowSpec;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Smoothing noise: a flow trained on x + sigma * eps fits the density convolved with N(0, sigma^2),
 * and noisy training stays deterministic for a seed.
 */
class TrainingNoiseTest {

  private static double[] standardNormal(int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = rng.nextGaussian();
    }
    return x;
  }

  /** The standard deviation of a 1-D flow's density, by quadrature on [-12, 12]. */
  static double densityStd(Flow flow) {
    int m = 4801;
    double[] grid = new double[m];
    for (int i = 0; i < m; i++) {
      grid[i] = -12 + 24.0 * i / (m - 1);
    }
    double[] lp = flow.logProb(grid, m);
    double h = 24.0 / (m - 1);
    double mass = 0;
    double mean = 0;
    double second = 0;
    for (int i = 0; i < m; i++) {
      double p = Math.exp(lp[i]) * h;
      mass += p;
      mean += p * grid[i];
      second += p * grid[i] * grid[i];
    }
    mean /= mass;
    return Math.sqrt(second / mass - mean * mean);
  }

  private static Flow train(double noise, long seed) {
    // A 1-D MAF is one learned affine map of a standard normal: its density is exactly a Gaussian, so
    // its fitted standard deviation is the quantity to compare with sqrt(1 + sigma^2).
    Flow flow = FlowFactory.create(FlowSpec.of(FlowSpec.MAF, 1).withLayers(1).withHidden(4), seed);
    TrainingConfig config = TrainingConfig.defaults().withSteps(1500).withBatchSize(256).withLearningRate(1e-2)
        .withValidationFraction(0).withNoise(noise).withSeed(seed);
    new Trainer(config).fit(flow, standardNormal(4000, 3), 4000, true);
    return flow;
  }

  @Test
  void noiseWidensTheFittedDensityToTheSmoothedOne() {
    // N(0,1) data: without noise the fit has std ~1 (4000 rows: sampling error ~1.1 %), with sigma =
    // 0.75 it fits N(0, 1 + 0.5625), std 1.25. Adam's step noise at lr 1e-2 adds ~1 %: tolerance 0.04.
    assertEquals(1.0, densityStd(train(0.0, 1)), 0.04);
    assertEquals(Math.sqrt(1 + 0.75 * 0.75), densityStd(train(0.75, 1)), 0.04);
  }

  @Test
  void noisyTrainingIsDeterministicForASeed() {
    Flow a = train(0.5, 7);
    Flow b = train(0.5, 7);
    assertArrayEquals(a.parameters(), b.parameters(), 0.0);
    assertFalse(Arrays.equals(a.parameters(), train(0.0, 7).parameters()), "the noise is applied");
  }
}
