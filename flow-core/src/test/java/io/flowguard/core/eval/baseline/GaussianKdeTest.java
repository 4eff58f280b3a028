package io.flowguard.core.eval.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.TestMath;
import io.flowguard.core.eval.baseline.GaussianKde.Bandwidth;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The Gaussian KDE baseline: its values against hand computation, its normalization, Scott's factor,
 * and its behaviour on singular data.
 */
class GaussianKdeTest {

  /** The 3 points (0,0), (1,2), (3,1) of the hand computations. */
  private static final double[] THREE = {0, 0, 1, 2, 3, 1};

  /**
   * Full covariance (scipy): mean (4/3, 1); unbiased covariance [[7/3, 1/2], [1/2, 1]]; kernel covariance
   * K = f^2 Cov with f = 3^(-1/6), det K = f^4 (7/3 - 1/4) = f^4 25/12, K^-1 = [[1, -1/2], [-1/2, 7/3]] / (f^2 25/12).
   * At x = (1,1) the differences to the points are (1,1), (0,-1), (-2,0), whose quadratic forms in
   * [[1,-1/2],[-1/2,7/3]] are 7/3, 7/3 and 4. Tolerance 1e-12 relative: a few dozen floating-point operations.
   */
  @Test
  void fullCovarianceMatchesHandComputationOnThreePoints() {
    GaussianKde kde = GaussianKde.fit(THREE, 3, 2, Bandwidth.SCOTT_FULL_COVARIANCE);
    double f2 = Math.pow(3, -1.0 / 3);
    double scale = f2 * 25.0 / 12.0;
    double norm = 1.0 / (2 * Math.PI * Math.sqrt(f2 * f2 * 25.0 / 12.0));
    double expected = (norm / 3) * (2 * Math.exp(-0.5 * (7.0 / 3) / scale) + Math.exp(-0.5 * 4.0 / scale));
    double got = kde.logDensity(new double[] {1, 1}, 1)[0];
    assertEquals(Math.log(expected), got, 1e-12 * Math.abs(Math.log(expected)));
    assertEquals(0.0, kde.ridge(), "a regular covariance gets no ridge");
  }

  /**
   * Isotropic (scikit-learn): kernel covariance f^2 I, f = 3^(-1/6); at x = (1,1) the squared distances
   * to the points are 2, 1 and 4.
   */
  @Test
  void isotropicMatchesHandComputationOnThreePoints() {
    GaussianKde kde = GaussianKde.fit(THREE, 3, 2, Bandwidth.SCOTT_ISOTROPIC);
    double f2 = Math.pow(3, -1.0 / 3);
    double expected = (1.0 / 3) / (2 * Math.PI * f2)
        * (Math.exp(-2 / (2 * f2)) + Math.exp(-1 / (2 * f2)) + Math.exp(-4 / (2 * f2)));
    double got = kde.logDensity(new double[] {1, 1}, 1)[0];
    assertEquals(Math.log(expected), got, 1e-12 * Math.abs(Math.log(expected)));
  }

  /**
   * The log-sum-exp over all kernels equals the plain mean of kernel densities, each computed by the
   * test's own Gaussian log-density, on 3-D correlated data (far points included, where plain exp would
   * lose precision but not its value at double range). Tolerance 1e-10 absolute on log p.
   */
  @Test
  void logDensityIsTheMeanOfKernelDensities() {
    SplittableRandom rng = new SplittableRandom(3);
    int n = 60;
    int d = 3;
    double[] x = correlated(rng, n, d);
    GaussianKde kde = GaussianKde.fit(x, n, d, Bandwidth.SCOTT_FULL_COVARIANCE);
    double[] cov = GaussianKde.covariance(x, n, d);
    double f = GaussianKde.scottFactor(n, d);
    for (int i = 0; i < cov.length; i++) {
      cov[i] *= f * f;
    }
    double[] q = {0.3, -0.2, 1.1, 2.5, 2.5, -2.5, 0, 0, 0};
    double[] got = kde.logDensity(q, 3);
    for (int r = 0; r < 3; r++) {
      double sum = 0;
      for (int i = 0; i < n; i++) {
        double[] mean = java.util.Arrays.copyOfRange(x, i * d, (i + 1) * d);
        sum += Math.exp(TestMath.gaussianLogDensity(q, r * d, mean, cov, d));
      }
      assertEquals(Math.log(sum / n), got[r], 1e-10, "row " + r);
    }
  }

  /**
   * Both kernel shapes integrate to 1 over the plane: midpoint rule on [-10, 10]^2 with step 0.05. The
   * narrowest kernel standard deviation here is about 0.2, so the grid error of a Gaussian is of order
   * exp(-2 pi^2 (0.2/0.05)^2), far below double precision, and the mass outside the box (points within
   * about +-4, kernels at most ~0.8 wide) is below 1e-12. Tolerance 1e-6 is round-off headroom; a wrong
   * normalizer (the 2 pi, the determinant, the 1/n) is off by far more.
   */
  @Test
  void densityIntegratesToOneIn2d() {
    SplittableRandom rng = new SplittableRandom(11);
    int n = 40;
    double[] x = correlated(rng, n, 2);
    for (Bandwidth b : Bandwidth.values()) {
      GaussianKde kde = GaussianKde.fit(x, n, 2, b);
      double h = 0.05;
      int m = 400;
      double[] grid = new double[m * m * 2];
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < m; j++) {
          grid[(i * m + j) * 2] = -10 + (i + 0.5) * h;
          grid[(i * m + j) * 2 + 1] = -10 + (j + 0.5) * h;
        }
      }
      double[] lp = kde.logDensity(grid, m * m);
      double mass = 0;
      for (double v : lp) {
        mass += Math.exp(v) * h * h;
      }
      assertEquals(1.0, mass, 1e-6, b + " integrates to 1");
    }
  }

  /** Scott's factor n^(-1/(d+4)), checked at values with exact decimal results. */
  @Test
  void bandwidthFactorIsScotts() {
    assertEquals(Math.pow(10, -0.5), GaussianKde.scottFactor(1000, 2), 1e-15, "1000^(-1/6)");
    assertEquals(0.5, GaussianKde.scottFactor(4096, 8), 1e-15, "4096^(-1/12)");
    SplittableRandom rng = new SplittableRandom(5);
    double[] x = correlated(rng, 4096, 8);
    assertEquals(0.5, GaussianKde.fit(x, 4096, 8, Bandwidth.SCOTT_ISOTROPIC).factor(), 1e-15, "the fit uses it");
  }

  /**
   * A duplicated column makes the data covariance singular: the full-covariance KDE adds the smallest
   * ridge that factors (scipy would raise), stays finite, and still ranks a point off the data's line below
   * one on it. The isotropic one needs no ridge.
   */
  @Test
  void singularCovarianceGetsASmallRidge() {
    SplittableRandom rng = new SplittableRandom(9);
    int n = 50;
    double[] x = new double[n * 2];
    for (int i = 0; i < n; i++) {
      x[i * 2] = rng.nextGaussian();
      x[i * 2 + 1] = x[i * 2];
    }
    GaussianKde full = GaussianKde.fit(x, n, 2, Bandwidth.SCOTT_FULL_COVARIANCE);
    assertTrue(full.ridge() > 0 && full.ridge() < 1e-3, "ridge " + full.ridge());
    double[] lp = full.logDensity(new double[] {0.5, 0.5, 0.5, 0.7}, 2);
    assertTrue(Double.isFinite(lp[0]) && Double.isFinite(lp[1]));
    assertTrue(lp[0] > lp[1], "on the line scores higher: " + lp[0] + " vs " + lp[1]);
    assertEquals(0.0, GaussianKde.fit(x, n, 2, Bandwidth.SCOTT_ISOTROPIC).ridge());
  }

  /** Rows of d unit-variance features with correlation 0.6 between neighbours. */
  static double[] correlated(SplittableRandom rng, int n, int d) {
    double[] x = new double[n * d];
    for (int r = 0; r < n; r++) {
      double prev = rng.nextGaussian();
      x[r * d] = prev;
      for (int j = 1; j < d; j++) {
        prev = 0.6 * prev + 0.8 * rng.nextGaussian();
        x[r * d + j] = prev;
      }
    }
    return x;
  }
}
