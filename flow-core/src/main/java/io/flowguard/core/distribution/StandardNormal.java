package io.flowguard.core.distribution;

import java.util.SplittableRandom;

/** The standard normal N(0, I): no parameters. */
public final class StandardNormal implements BaseDistribution {

  private final int dim;

  public StandardNormal(int dim) {
    this.dim = dim;
  }

  @Override
  public int dim() {
    return dim;
  }

  @Override
  public void initialize(double[] theta, SplittableRandom rng) {}

  @Override
  public void logProb(double[] theta, double[] z, int n, double[] out) {
    double c = -dim * HALF_LOG_2PI;
    for (int r = 0; r < n; r++) {
      double s = 0.0;
      int o = r * dim;
      for (int i = 0; i < dim; i++) {
        s += z[o + i] * z[o + i];
      }
      out[r] = c - 0.5 * s;
    }
  }

  @Override
  public void logProbBackward(double[] theta, double[] z, int n, double[] gLogP, double[] gz, double[] gTheta) {
    for (int r = 0; r < n; r++) {
      int o = r * dim;
      for (int i = 0; i < dim; i++) {
        gz[o + i] = -gLogP[r] * z[o + i];
      }
    }
  }

  @Override
  public void sample(double[] theta, int n, SplittableRandom rng, double[] out) {
    for (int i = 0; i < n * dim; i++) {
      out[i] = BaseDistribution.gaussian(rng);
    }
  }
}
