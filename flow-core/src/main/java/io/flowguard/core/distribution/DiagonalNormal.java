package io.flowguard.core.distribution;

import io.flowguard.core.nn.ParamKind;
import io.flowguard.core.nn.ParameterLayout;
import java.util.SplittableRandom;

/** A learnable Gaussian with diagonal covariance: per-dimension mean and log standard deviation. */
public final class DiagonalNormal implements BaseDistribution {

  private final int dim;
  private final int meanOff;
  private final int logStdOff;

  public DiagonalNormal(ParameterLayout layout, String name, int dim) {
    this.dim = dim;
    this.meanOff = layout.allocate(name + ".mean", dim, ParamKind.BIAS);
    this.logStdOff = layout.allocate(name + ".logStd", dim, ParamKind.BIAS);
  }

  @Override
  public int dim() {
    return dim;
  }

  @Override
  public void initialize(double[] theta, SplittableRandom rng) {
    java.util.Arrays.fill(theta, meanOff, meanOff + dim, 0.0);
    java.util.Arrays.fill(theta, logStdOff, logStdOff + dim, 0.0);
  }

  @Override
  public void initializeFromData(double[] theta, double[] z, int n, SplittableRandom rng) {
    fitMeanAndLogStd(theta, meanOff, logStdOff, z, n, dim);
  }

  /**
   * Each of the {@code dim} columns of the n latent rows z: its mean into {@code theta[meanOff + i]} and
   * the log of its (population) standard deviation, floored at 1e-6, into {@code theta[logStdOff + i]}.
   * Shared with {@link ConditionalNormal}'s intercepts.
   */
  static void fitMeanAndLogStd(double[] theta, int meanOff, int logStdOff, double[] z, int n, int dim) {
    for (int i = 0; i < dim; i++) {
      double mean = 0.0;
      for (int r = 0; r < n; r++) {
        mean += z[r * dim + i];
      }
      mean /= n;
      double var = 0.0;
      for (int r = 0; r < n; r++) {
        double dz = z[r * dim + i] - mean;
        var += dz * dz;
      }
      theta[meanOff + i] = mean;
      theta[logStdOff + i] = 0.5 * Math.log(Math.max(var / n, 1e-12));
    }
  }

  @Override
  public void logProb(double[] theta, double[] z, int n, double[] out) {
    for (int r = 0; r < n; r++) {
      double s = -dim * HALF_LOG_2PI;
      int o = r * dim;
      for (int i = 0; i < dim; i++) {
        double ls = theta[logStdOff + i];
        double u = (z[o + i] - theta[meanOff + i]) * Math.exp(-ls);
        s += -0.5 * u * u - ls;
      }
      out[r] = s;
    }
  }

  @Override
  public void logProbBackward(double[] theta, double[] z, int n, double[] gLogP, double[] gz, double[] gTheta) {
    for (int r = 0; r < n; r++) {
      int o = r * dim;
      double g = gLogP[r];
      for (int i = 0; i < dim; i++) {
        double ls = theta[logStdOff + i];
        double inv = Math.exp(-ls);
        double u = (z[o + i] - theta[meanOff + i]) * inv;
        gz[o + i] = -g * u * inv;
        gTheta[meanOff + i] += g * u * inv;
        gTheta[logStdOff + i] += g * (u * u - 1.0);
      }
    }
  }

  @Override
  public void sample(double[] theta, int n, SplittableRandom rng, double[] out) {
    for (int r = 0; r < n; r++) {
      for (int i = 0; i < dim; i++) {
        out[r * dim + i] = theta[meanOff + i] + Math.exp(theta[logStdOff + i]) * BaseDistribution.gaussian(rng);
      }
    }
  }
}
