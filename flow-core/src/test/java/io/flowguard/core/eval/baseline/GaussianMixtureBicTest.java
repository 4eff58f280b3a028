package io.flowguard.core.eval.baseline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.eval.baseline.GaussianMixtureBic.Settings;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The Gaussian-mixture baseline: recovery, BIC selection, EM monotonicity, normalization, determinism. */
class GaussianMixtureBicTest {

  /**
   * 0.3 N((-3, 0), 0.5^2 I) + 0.7 N((3, 1), diag(1, 0.25)), row by row.
   */
  private static double[] twoClusters(SplittableRandom rng, int n) {
    double[] x = new double[n * 2];
    for (int r = 0; r < n; r++) {
      if (rng.nextDouble() < 0.3) {
        x[r * 2] = -3 + 0.5 * rng.nextGaussian();
        x[r * 2 + 1] = 0.5 * rng.nextGaussian();
      } else {
        x[r * 2] = 3 + rng.nextGaussian();
        x[r * 2 + 1] = 1 + 0.5 * rng.nextGaussian();
      }
    }
    return x;
  }

  /**
   * Means within 0.1 and weights within 0.04 of the truth with 2000 rows: the standard errors are about
   * 0.02 (means: sd 1 / sqrt(1400)) and 0.01 (weights: sqrt(0.21 / 2000)), so these are 4-5 standard errors.
   */
  @Test
  void recoversAKnownTwoComponentMixture() {
    double[] x = twoClusters(new SplittableRandom(1), 2000);
    GaussianMixtureBic g = GaussianMixtureBic.fitComponents(x, 2000, 2, 2, 0, Settings.DEFAULT);
    int left = g.mean(0)[0] < g.mean(1)[0] ? 0 : 1;
    int right = 1 - left;
    assertEquals(0.3, g.weight(left), 0.04);
    assertEquals(0.7, g.weight(right), 0.04);
    assertArrayEquals(new double[] {-3, 0}, g.mean(left), 0.1);
    assertArrayEquals(new double[] {3, 1}, g.mean(right), 0.1);
  }

  @Test
  void bicPicksTwoComponentsOnTwoClusters() {
    double[] x = twoClusters(new SplittableRandom(2), 1500);
    GaussianMixtureBic g = GaussianMixtureBic.fit(x, 1500, 2, 0);
    assertEquals(2, g.components(), "BIC per k: " + bics(g));
    assertEquals(10, g.candidates().size(), "k = 1..10 tried");
  }

  @Test
  void bicPicksOneComponentOnOneGaussian() {
    double[] x = GaussianKdeTest.correlated(new SplittableRandom(3), 1500, 3);
    GaussianMixtureBic g = GaussianMixtureBic.fit(x, 1500, 3, 0);
    assertEquals(1, g.components(), "BIC per k: " + bics(g));
  }

  /**
   * Exact EM (no covariance regularization, tolerance 0 so it runs all 60 iterations) never lowers the
   * mean log-likelihood; slack 1e-12 per step is round-off in a sum of 800 terms of size ~1.
   */
  @Test
  void emLogLikelihoodNeverDecreases() {
    double[] x = twoClusters(new SplittableRandom(4), 800);
    Settings exact = new Settings(10, 0.0, 0.0, 60);
    for (int k = 1; k <= 4; k++) {
      List<Double> h = GaussianMixtureBic.fitComponents(x, 800, 2, k, 7, exact).candidates().get(0).history();
      assertEquals(61, h.size(), "initial + 60 iterations");
      for (int i = 1; i < h.size(); i++) {
        assertTrue(h.get(i) >= h.get(i - 1) - 1e-12, "k=" + k + " step " + i + ": " + h.get(i - 1) + " -> " + h.get(i));
      }
    }
  }

  /**
   * The mixture density integrates to 1: midpoint rule on [-10, 10] x [-8, 10], step 0.05; the narrowest
   * component sd is ~0.5 and the components sit >= 6 sd inside the box, so grid and truncation errors are
   * negligible against the 1e-6 tolerance.
   */
  @Test
  void densityIntegratesToOne() {
    double[] x = twoClusters(new SplittableRandom(5), 600);
    GaussianMixtureBic g = GaussianMixtureBic.fit(x, 600, 2, 0);
    double h = 0.05;
    int mx = 400;
    int my = 360;
    double[] grid = new double[mx * my * 2];
    for (int i = 0; i < mx; i++) {
      for (int j = 0; j < my; j++) {
        grid[(i * my + j) * 2] = -10 + (i + 0.5) * h;
        grid[(i * my + j) * 2 + 1] = -8 + (j + 0.5) * h;
      }
    }
    double mass = 0;
    for (double v : g.logDensity(grid, mx * my)) {
      mass += Math.exp(v) * h * h;
    }
    assertEquals(1.0, mass, 1e-6);
  }

  @Test
  void sameSeedGivesTheSameModelBitForBit() {
    double[] x = twoClusters(new SplittableRandom(6), 700);
    double[] q = twoClusters(new SplittableRandom(60), 50);
    double[] a = GaussianMixtureBic.fit(x, 700, 2, 42).logDensity(q, 50);
    double[] b = GaussianMixtureBic.fit(x, 700, 2, 42).logDensity(q, 50);
    assertArrayEquals(a, b, 0.0);
  }

  /** A component needs more than d rows for its covariance: K = floor(n / (d + 1)), capped at 10. */
  @Test
  void componentCountIsLimitedByRowsPerComponent() {
    assertEquals(2, GaussianMixtureBic.maxComponents(40, 19, Settings.DEFAULT), "hepatitis: 40 rows x 19");
    assertEquals(10, GaussianMixtureBic.maxComponents(5000, 9, Settings.DEFAULT));
    assertEquals(1, GaussianMixtureBic.maxComponents(5, 9, Settings.DEFAULT));
  }

  private static String bics(GaussianMixtureBic g) {
    StringBuilder s = new StringBuilder();
    for (GaussianMixtureBic.Candidate c : g.candidates()) {
      s.append(c.components()).append(": ").append(String.format(java.util.Locale.ROOT, "%.1f", c.bic())).append("  ");
    }
    return s.toString();
  }
}
