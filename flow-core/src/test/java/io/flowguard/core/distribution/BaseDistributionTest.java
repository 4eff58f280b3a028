package io.flowguard.core.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.nn.ParameterLayout;
import io.flowguard.core.transform.TransformContract;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Base densities: the Gaussian mixture against a direct computation of its density, and the backward
 * passes of the learnable bases against central finite differences.
 *
 * <p>Tolerances. The direct mixture density sums K products of univariate densities and takes the log
 * once; it differs from the log-sum-exp form only in rounding, ~1e-15 relative, asserted at 1e-12.
 * Gradients: central differences with step 1e-5 on a loss of order 10 (round-off ~1e-10, truncation
 * ~1e-10 for these smooth functions), asserted at relative 1e-6 with an absolute floor of 1e-8.
 */
class BaseDistributionTest {

  private static final int D = 3;
  private static final int K = 4;
  private static final double STEP = 1e-5;

  private static double[] randomTheta(ParameterLayout layout, long seed, double scale) {
    double[] theta = new double[layout.size()];
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = 0; i < theta.length; i++) {
      theta[i] = scale * TransformContract.gaussian(rng);
    }
    return theta;
  }

  private static double[] block(ParameterLayout layout, double[] theta, String name) {
    ParameterLayout.Block b = layout.blocks().stream().filter(x -> x.name().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no block " + name));
    return Arrays.copyOfRange(theta, b.offset(), b.offset() + b.size());
  }

  /** log of sum_c w_c prod_i N(z_i; m_ci, s_ci^2), with w = softmax(logits), evaluated naively. */
  private static double directMixtureLogDensity(double[] logits, double[] means, double[] logStds, double[] z,
                                                int off) {
    double norm = 0.0;
    for (double l : logits) {
      norm += Math.exp(l);
    }
    double p = 0.0;
    for (int c = 0; c < K; c++) {
      double comp = Math.exp(logits[c]) / norm;
      for (int i = 0; i < D; i++) {
        double s = Math.exp(logStds[c * D + i]);
        double u = (z[off + i] - means[c * D + i]) / s;
        comp *= Math.exp(-0.5 * u * u) / (s * Math.sqrt(2 * Math.PI));
      }
      p += comp;
    }
    return Math.log(p);
  }

  @Test
  void mixtureLogProbMatchesTheDirectlySummedDensity() {
    ParameterLayout layout = new ParameterLayout();
    GaussianMixture gm = new GaussianMixture(layout, "gm", D, K);
    double[] theta = randomTheta(layout, 1, 0.7);
    int n = 500;
    double[] z = TransformContract.randomBatch(n, D, 2, 2.0);
    double[] lp = new double[n];
    gm.logProb(theta, z, n, lp);
    double[] logits = block(layout, theta, "gm.logits");
    double[] means = block(layout, theta, "gm.means");
    double[] logStds = block(layout, theta, "gm.logStds");
    for (int r = 0; r < n; r++) {
      double expected = directMixtureLogDensity(logits, means, logStds, z, r * D);
      assertEquals(expected, lp[r], 1e-12 * Math.max(1.0, Math.abs(expected)), "log p(z) at row " + r);
    }
  }

  @Test
  void mixtureLogProbStaysExactFarInTheTailsWhereTheDirectSumUnderflows() {
    // At 60 units from every mean each component density is below e^-1000: the naive sum is 0 and its log
    // -Infinity. The log-sum-exp form must still be finite and equal the log-space sum computed here
    // around the largest term (to a relative 1e-12; the terms are ~1e3 to 1e4).
    ParameterLayout layout = new ParameterLayout();
    GaussianMixture gm = new GaussianMixture(layout, "gm", D, K);
    double[] theta = randomTheta(layout, 3, 0.5);
    double[] z = {60.0, -60.0, 60.0, -80.0, 5.0, 70.0};
    double[] lp = new double[2];
    gm.logProb(theta, z, 2, lp);
    double[] logits = block(layout, theta, "gm.logits");
    double[] means = block(layout, theta, "gm.means");
    double[] logStds = block(layout, theta, "gm.logStds");
    for (int r = 0; r < 2; r++) {
      assertEquals(Double.NEGATIVE_INFINITY, directMixtureLogDensity(logits, means, logStds, z, r * D));
      double logNorm = 0.0;
      for (double l : logits) {
        logNorm += Math.exp(l);
      }
      logNorm = Math.log(logNorm);
      double[] terms = new double[K];
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < K; c++) {
        double t = logits[c] - logNorm;
        for (int i = 0; i < D; i++) {
          double s = Math.exp(logStds[c * D + i]);
          double u = (z[r * D + i] - means[c * D + i]) / s;
          t += -0.5 * u * u - Math.log(s) - 0.5 * Math.log(2 * Math.PI);
        }
        terms[c] = t;
        max = Math.max(max, t);
      }
      double sum = 0.0;
      for (double t : terms) {
        sum += Math.exp(t - max);
      }
      double expected = max + Math.log(sum);
      assertTrue(Double.isFinite(lp[r]), "finite log p far in the tail");
      assertEquals(expected, lp[r], 1e-12 * Math.abs(expected), "tail row " + r);
    }
  }

  @Test
  void mixtureWithOneComponentIsItsDiagonalGaussian() {
    ParameterLayout gmLayout = new ParameterLayout();
    GaussianMixture gm = new GaussianMixture(gmLayout, "b", D, 1);
    ParameterLayout dnLayout = new ParameterLayout();
    DiagonalNormal dn = new DiagonalNormal(dnLayout, "b", D);
    double[] dnTheta = randomTheta(dnLayout, 4, 0.6);
    // GaussianMixture layout: logits (1), means (D), logStds (D); DiagonalNormal: means (D), logStds (D).
    double[] gmTheta = new double[gmLayout.size()];
    gmTheta[0] = 2.5; // any logit: a single component has weight 1
    System.arraycopy(dnTheta, 0, gmTheta, 1, 2 * D);
    double[] z = TransformContract.randomBatch(100, D, 5, 2.0);
    double[] a = new double[100];
    double[] b = new double[100];
    gm.logProb(gmTheta, z, 100, a);
    dn.logProb(dnTheta, z, 100, b);
    for (int r = 0; r < 100; r++) {
      assertEquals(b[r], a[r], 1e-12 * Math.max(1.0, Math.abs(b[r])), "row " + r);
    }
  }

  @Test
  void mixtureBackwardMatchesFiniteDifferences() {
    ParameterLayout layout = new ParameterLayout();
    GaussianMixture gm = new GaussianMixture(layout, "gm", D, K);
    assertBackwardMatchesFiniteDifferences(gm, randomTheta(layout, 6, 0.6));
  }

  @Test
  void diagonalNormalBackwardMatchesFiniteDifferences() {
    ParameterLayout layout = new ParameterLayout();
    DiagonalNormal dn = new DiagonalNormal(layout, "dn", D);
    assertBackwardMatchesFiniteDifferences(dn, randomTheta(layout, 7, 0.6));
  }

  @Test
  void standardNormalBackwardMatchesFiniteDifferences() {
    assertBackwardMatchesFiniteDifferences(new StandardNormal(D), new double[0]);
  }

  /**
   * For L = sum_r g_r log p(z_r): dL/dz and dL/dtheta from logProbBackward match central differences.
   * gz must be overwritten (it starts full of garbage here) and gTheta added to (it starts at 1).
   */
  private static void assertBackwardMatchesFiniteDifferences(BaseDistribution base, double[] theta) {
    int n = 6;
    double[] z = TransformContract.randomBatch(n, D, 8, 1.5);
    double[] g = TransformContract.randomBatch(n, 1, 9, 1.0);
    double[] gz = new double[n * D];
    Arrays.fill(gz, 123.0);
    double[] gTheta = new double[theta.length];
    Arrays.fill(gTheta, 1.0);
    base.logProbBackward(theta, z, n, g, gz, gTheta);
    for (int i = 0; i < z.length; i++) {
      double saved = z[i];
      z[i] = saved + STEP;
      double plus = loss(base, theta, z, g);
      z[i] = saved - STEP;
      double minus = loss(base, theta, z, g);
      z[i] = saved;
      assertClose((plus - minus) / (2 * STEP), gz[i], "dL/dz[" + i + "]");
    }
    for (int i = 0; i < theta.length; i++) {
      double saved = theta[i];
      theta[i] = saved + STEP;
      double plus = loss(base, theta, z, g);
      theta[i] = saved - STEP;
      double minus = loss(base, theta, z, g);
      theta[i] = saved;
      assertClose((plus - minus) / (2 * STEP), gTheta[i] - 1.0, "dL/dtheta[" + i + "]");
    }
  }

  private static double loss(BaseDistribution base, double[] theta, double[] z, double[] g) {
    int n = g.length;
    double[] lp = new double[n];
    base.logProb(theta, z, n, lp);
    double l = 0.0;
    for (int r = 0; r < n; r++) {
      l += g[r] * lp[r];
    }
    return l;
  }

  private static void assertClose(double expected, double actual, String what) {
    assertEquals(expected, actual, Math.max(1e-8, 1e-6 * Math.max(Math.abs(expected), Math.abs(actual))), what);
  }
}
