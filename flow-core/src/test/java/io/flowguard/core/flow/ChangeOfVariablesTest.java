package io.flowguard.core.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.flowguard.core.TestMath;
import io.flowguard.core.distribution.BaseDistribution;
import io.flowguard.core.distribution.DiagonalNormal;
import io.flowguard.core.distribution.StandardNormal;
import io.flowguard.core.nn.ParameterLayout;
import io.flowguard.core.transform.LuLinear;
import io.flowguard.core.transform.TransformContract;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The change-of-variables formula end to end, on the one flow whose density is known in closed form: an
 * affine map of a Gaussian is a Gaussian. The flow is a single {@link LuLinear} (density direction
 * {@code z = M x + c} with {@code M = L U}), so the sampling direction is {@code x = A z + b} with
 * {@code A = M^-1} and {@code b = -M^-1 c}. With {@code z ~ N(mu, S)}, {@code x ~ N(A mu + b, A S A^T)}.
 *
 * <p>The expected log-density is computed without the flow: M is assembled from the parameter blocks as
 * documented (strict triangles row-major, diagonal {@code exp(logDiag)}), inverted by Gauss-Jordan, and
 * the Gaussian evaluated through a Cholesky factor of the covariance. Tolerance 1e-10 absolute: both
 * sides are a few dozen well-conditioned floating-point operations on values of order 10 (condition
 * number of M below ~10 at parameter scale 0.4), so they agree to ~1e-13.
 */
class ChangeOfVariablesTest {

  private static final int D = 4;
  private static final int POINTS = 1000;

  private static double[] block(ParameterLayout layout, double[] theta, String name) {
    ParameterLayout.Block b = layout.blocks().stream().filter(x -> x.name().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no block " + name));
    return java.util.Arrays.copyOfRange(theta, b.offset(), b.offset() + b.size());
  }

  /** M = L U from the LuLinear parameter blocks named {@code name.*}. */
  private static double[] densityMatrix(ParameterLayout layout, double[] theta, String name) {
    double[] lower = block(layout, theta, name + ".lower");
    double[] upper = block(layout, theta, name + ".upper");
    double[] logDiag = block(layout, theta, name + ".logDiag");
    double[] l = new double[D * D];
    double[] u = new double[D * D];
    int kl = 0;
    int ku = 0;
    for (int i = 0; i < D; i++) {
      for (int j = 0; j < D; j++) {
        if (j < i) {
          l[i * D + j] = lower[kl++];
        } else if (j > i) {
          u[i * D + j] = upper[ku++];
        } else {
          l[i * D + i] = 1.0;
          u[i * D + i] = Math.exp(logDiag[i]);
        }
      }
    }
    return TestMath.multiply(l, u, D, D, D);
  }

  /** Random parameters for every block of the layout (LU and base alike). */
  private static double[] randomTheta(ParameterLayout layout, long seed, double scale) {
    double[] theta = new double[layout.size()];
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = 0; i < theta.length; i++) {
      theta[i] = scale * TransformContract.gaussian(rng);
    }
    return theta;
  }

  /** Points around the distribution and well into its tails: z at scale 2 mapped like the flow maps z. */
  private static double[] points(double[] a, double[] b, long seed) {
    double[] z = TransformContract.randomBatch(POINTS, D, seed, 2.0);
    double[] x = new double[POINTS * D];
    for (int r = 0; r < POINTS; r++) {
      for (int i = 0; i < D; i++) {
        double s = b[i];
        for (int j = 0; j < D; j++) {
          s += a[i * D + j] * z[r * D + j];
        }
        x[r * D + i] = s;
      }
    }
    return x;
  }

  private static void assertFlowIsGaussian(Flow flow, double[] mean, double[] cov, double[] x) {
    double[] lp = flow.logProb(x, POINTS);
    for (int r = 0; r < POINTS; r++) {
      double expected = TestMath.gaussianLogDensity(x, r * D, mean, cov, D);
      assertEquals(expected, lp[r], 1e-10, "log p(x) at point " + r);
    }
  }

  @Test
  void affineFlowOfStandardNormalIsExactlyTheGaussianWithCovarianceAAT() {
    ParameterLayout layout = new ParameterLayout();
    LuLinear lu = new LuLinear(layout, "lu", D);
    double[] theta = randomTheta(layout, 1, 0.4);
    Flow flow = new Flow(null, lu, new StandardNormal(D), layout, theta);

    double[] a = TestMath.inverse(densityMatrix(layout, theta, "lu"), D);
    double[] c = block(layout, theta, "lu.bias");
    double[] b = TestMath.multiply(a, c, D, D, 1);
    for (int i = 0; i < D; i++) {
      b[i] = -b[i];
    }
    double[] cov = TestMath.multiply(a, TestMath.transpose(a, D, D), D, D, D);
    assertFlowIsGaussian(flow, b, cov, points(a, b, 2));
  }

  @Test
  void affineFlowOfDiagonalNormalIsExactlyTheGaussianWithCovarianceASAT() {
    ParameterLayout layout = new ParameterLayout();
    LuLinear lu = new LuLinear(layout, "lu", D);
    DiagonalNormal base = new DiagonalNormal(layout, "base", D);
    double[] theta = randomTheta(layout, 3, 0.4);
    Flow flow = new Flow(null, lu, base, layout, theta);

    double[] mu = block(layout, theta, "base.mean");
    double[] logStd = block(layout, theta, "base.logStd");
    double[] a = TestMath.inverse(densityMatrix(layout, theta, "lu"), D);
    double[] c = block(layout, theta, "lu.bias");
    // x = A z + b = A (z - c): mean A (mu - c), covariance A S A^T.
    double[] shifted = new double[D];
    double[] s = new double[D * D];
    for (int i = 0; i < D; i++) {
      shifted[i] = mu[i] - c[i];
      s[i * D + i] = Math.exp(2 * logStd[i]);
    }
    double[] mean = TestMath.multiply(a, shifted, D, D, 1);
    double[] cov = TestMath.multiply(TestMath.multiply(a, s, D, D, D), TestMath.transpose(a, D, D), D, D, D);
    double[] sqrtS = new double[D * D];
    for (int i = 0; i < D; i++) {
      sqrtS[i * D + i] = Math.exp(logStd[i]);
    }
    // Points spread like x itself (A S^1/2 times standard draws), at twice its scale.
    assertFlowIsGaussian(flow, mean, cov, points(TestMath.multiply(a, sqrtS, D, D, D), mean, 4));
  }

  @Test
  void diagonalNormalLogProbIsTheSumOfUnivariateGaussianLogDensities() {
    ParameterLayout layout = new ParameterLayout();
    DiagonalNormal base = new DiagonalNormal(layout, "base", D);
    double[] theta = randomTheta(layout, 5, 0.8);
    double[] z = TransformContract.randomBatch(POINTS, D, 6, 3.0);
    double[] lp = new double[POINTS];
    base.logProb(theta, z, POINTS, lp);
    double[] mu = block(layout, theta, "base.mean");
    double[] logStd = block(layout, theta, "base.logStd");
    for (int r = 0; r < POINTS; r++) {
      double expected = 0.0;
      for (int i = 0; i < D; i++) {
        double sigma = Math.exp(logStd[i]);
        double dz = z[r * D + i] - mu[i];
        expected += -Math.log(sigma * Math.sqrt(2 * Math.PI)) - dz * dz / (2 * sigma * sigma);
      }
      // Same formula, different grouping of the arithmetic: agreement to a few ulps of |log p| ~ 10.
      assertEquals(expected, lp[r], 1e-12 * Math.max(1.0, Math.abs(expected)), "log p(z) at point " + r);
    }
  }

  @Test
  void standardNormalLogProbMatchesClosedForm() {
    BaseDistribution base = new StandardNormal(D);
    double[] z = TransformContract.randomBatch(50, D, 7, 2.0);
    double[] lp = new double[50];
    base.logProb(new double[0], z, 50, lp);
    double[] identity = new double[D * D];
    for (int i = 0; i < D; i++) {
      identity[i * D + i] = 1.0;
    }
    for (int r = 0; r < 50; r++) {
      assertEquals(TestMath.gaussianLogDensity(z, r * D, new double[D], identity, D), lp[r], 1e-12, "row " + r);
    }
  }
}
