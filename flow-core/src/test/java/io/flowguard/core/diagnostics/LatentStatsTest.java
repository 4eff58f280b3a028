package io.flowguard.core.diagnostics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.distribution.BaseDistribution;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LatentStatsTest {

  private static double[] gaussian(int n, int d, double scale, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] z = new double[n * d];
    for (int i = 0; i < z.length; i++) {
      z[i] = scale * BaseDistribution.gaussian(rng);
    }
    return z;
  }

  @Test
  void squaredNormsSumSquaresPerRow() {
    double[] z = {3, 4, 0, 1, -2, 2};
    assertArrayEquals(new double[] {25, 1, 8}, LatentStats.squaredNorms(z, 3, 2), 0.0);
  }

  /**
   * True N(0, I) samples, d = 5: their QQ points lie on the diagonal, i.e. the KS distance of ||z||^2 to
   * chi-square(5) is small. For n = 20000 the 5% critical value is 1.358 / sqrt(n) = 0.0096; the bound
   * 0.02 is twice that (a fixed seed, so the test is deterministic anyway).
   */
  @Test
  void standardNormalSamplesLieNearTheDiagonal() {
    int n = 20_000;
    int d = 5;
    double[] sq = LatentStats.squaredNorms(gaussian(n, d, 1.0, 11), n, d);
    double ks = LatentStats.ksChiSquare(sq, d);
    assertTrue(ks < 0.02, "KS " + ks);
    // The same statement point by point at the plotted quantiles: sorted norms track the chi-square quantiles.
    double[] s = LatentStats.sortedFinite(sq);
    double[] q = LatentStats.chiSquarePlottingQuantiles(n, d);
    for (double p : new double[] {0.05, 0.25, 0.5, 0.75, 0.95}) {
      int i = (int) (p * n);
      assertEquals(q[i], s[i], 0.05 * q[i], "quantile " + p);
    }
  }

  /** Latent codes 20% too wide (heavier tails than the model assumes) are far from chi-square(d). */
  @Test
  void overDispersedSamplesAreFarFromChiSquare() {
    int n = 20_000;
    int d = 5;
    double ks = LatentStats.ksChiSquare(LatentStats.squaredNorms(gaussian(n, d, 1.2, 12), n, d), d);
    assertTrue(ks > 0.15, "KS " + ks);
  }

  /** The KS statistic of a single value x is max(F(x), 1 - F(x)); non-finite norms count at +infinity. */
  @Test
  void ksStatisticOfTinySamplesIsExact() {
    double f = ChiSquare.cdf(2.0, 3);
    assertEquals(Math.max(f, 1 - f), LatentStats.ksChiSquare(new double[] {2.0}, 3), 1e-15);
    // {2, inf}: the empirical CDF is 1/2 on [2, inf), so the gaps are F(2), 1/2 - F(2) and, at infinity, 1/2.
    assertEquals(Math.max(f, 0.5), LatentStats.ksChiSquare(new double[] {2.0, Double.POSITIVE_INFINITY}, 3), 1e-15);
  }
}
