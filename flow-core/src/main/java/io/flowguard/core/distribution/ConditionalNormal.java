package io.flowguard.core.distribution;

import io.flowguard.core.nn.ParamKind;
import io.flowguard.core.nn.ParameterLayout;
import io.flowguard.core.nn.Workspace;
import java.util.SplittableRandom;

/**
 * A diagonal Gaussian whose mean and log standard deviation are affine functions of a context c of
 * {@code m} values: {@code mu(c) = a + c A}, {@code log sigma(c) = b + c B}, with {@code A}, {@code B}
 * row-major {@code m x d}. The base of a conditional flow (spec {@code "base": {"type":
 * "conditional-normal"}}): it lets the latent density itself move and widen with the context, next to
 * the conditioners of the transform. Parameters: {@code name.mean} (a) and {@code name.logStd} (b),
 * then {@code name.mean.context} (A) and {@code name.logStd.context} (B). Initialized to zero, i.e. a
 * standard normal for every context.
 *
 * <p>The map from c is linear and unbounded, so a context far outside the training range extrapolates the
 * mean and scale linearly; standardize the context like the data.
 */
public final class ConditionalNormal implements BaseDistribution {

  private final int dim;
  private final int contextDim;
  private final int meanOff;
  private final int logStdOff;
  private final int meanContextOff;
  private final int logStdContextOff;

  /**
   * @param contextDim context values per row; at least 1 (a base without context is a {@link DiagonalNormal})
   */
  public ConditionalNormal(ParameterLayout layout, String name, int dim, int contextDim) {
    if (contextDim < 1) {
      throw new IllegalArgumentException("a conditional-normal base needs a context of at least one value, got "
          + contextDim + "; without context use diagonal-normal");
    }
    this.dim = dim;
    this.contextDim = contextDim;
    this.meanOff = layout.allocate(name + ".mean", dim, ParamKind.BIAS);
    this.logStdOff = layout.allocate(name + ".logStd", dim, ParamKind.BIAS);
    this.meanContextOff = layout.allocate(name + ".mean.context", contextDim * dim, ParamKind.WEIGHT);
    this.logStdContextOff = layout.allocate(name + ".logStd.context", contextDim * dim, ParamKind.WEIGHT);
  }

  @Override
  public int dim() {
    return dim;
  }

  @Override
  public int contextDim() {
    return contextDim;
  }

  @Override
  public void initialize(double[] theta, SplittableRandom rng) {
    java.util.Arrays.fill(theta, meanOff, meanOff + dim, 0.0);
    java.util.Arrays.fill(theta, logStdOff, logStdOff + dim, 0.0);
    java.util.Arrays.fill(theta, meanContextOff, meanContextOff + contextDim * dim, 0.0);
    java.util.Arrays.fill(theta, logStdContextOff, logStdContextOff + contextDim * dim, 0.0);
  }

  /**
   * Fits the context-free part to the latent codes, as {@link DiagonalNormal} does (the intercepts a, b
   * from their mean and log standard deviation), with zero context weights: training starts from the
   * best density that ignores c.
   */
  @Override
  public void initializeFromData(double[] theta, double[] z, double[] c, int n, SplittableRandom rng) {
    DiagonalNormal.fitMeanAndLogStd(theta, meanOff, logStdOff, z, n, dim);
    java.util.Arrays.fill(theta, meanContextOff, meanContextOff + contextDim * dim, 0.0);
    java.util.Arrays.fill(theta, logStdContextOff, logStdContextOff + contextDim * dim, 0.0);
  }

  /** The affine map of row r's context into the column i of block {@code off} with intercept {@code bias}. */
  private double affine(double[] theta, int bias, int off, double[] c, int r, int i) {
    double v = theta[bias + i];
    int co = r * contextDim;
    for (int j = 0; j < contextDim; j++) {
      v = Math.fma(c[co + j], theta[off + j * dim + i], v);
    }
    return v;
  }

  @Override
  public void logProb(double[] theta, double[] z, double[] c, int n, double[] out, Workspace ws) {
    requireContext(c);
    for (int r = 0; r < n; r++) {
      double s = -dim * HALF_LOG_2PI;
      int o = r * dim;
      for (int i = 0; i < dim; i++) {
        double ls = affine(theta, logStdOff, logStdContextOff, c, r, i);
        double u = (z[o + i] - affine(theta, meanOff, meanContextOff, c, r, i)) * Math.exp(-ls);
        s += -0.5 * u * u - ls;
      }
      out[r] = s;
    }
  }

  @Override
  public void logProbBackward(double[] theta, double[] z, double[] c, int n, double[] gLogP, double[] gz,
                              double[] gTheta) {
    requireContext(c);
    for (int r = 0; r < n; r++) {
      int o = r * dim;
      int co = r * contextDim;
      double g = gLogP[r];
      for (int i = 0; i < dim; i++) {
        double ls = affine(theta, logStdOff, logStdContextOff, c, r, i);
        double inv = Math.exp(-ls);
        double u = (z[o + i] - affine(theta, meanOff, meanContextOff, c, r, i)) * inv;
        gz[o + i] = -g * u * inv;
        double gMean = g * u * inv;
        double gLogStd = g * (u * u - 1.0);
        gTheta[meanOff + i] += gMean;
        gTheta[logStdOff + i] += gLogStd;
        for (int j = 0; j < contextDim; j++) {
          gTheta[meanContextOff + j * dim + i] += gMean * c[co + j];
          gTheta[logStdContextOff + j * dim + i] += gLogStd * c[co + j];
        }
      }
    }
  }

  @Override
  public void sample(double[] theta, double[] c, int n, SplittableRandom rng, double[] out) {
    requireContext(c);
    for (int r = 0; r < n; r++) {
      for (int i = 0; i < dim; i++) {
        double mean = affine(theta, meanOff, meanContextOff, c, r, i);
        double ls = affine(theta, logStdOff, logStdContextOff, c, r, i);
        out[r * dim + i] = mean + Math.exp(ls) * BaseDistribution.gaussian(rng);
      }
    }
  }

  @Override
  public void logProb(double[] theta, double[] z, int n, double[] out) {
    requireContext(null);
  }

  @Override
  public void logProbBackward(double[] theta, double[] z, int n, double[] gLogP, double[] gz, double[] gTheta) {
    requireContext(null);
  }

  @Override
  public void sample(double[] theta, int n, SplittableRandom rng, double[] out) {
    requireContext(null);
  }

  @Override
  public void initializeFromData(double[] theta, double[] z, int n, SplittableRandom rng) {
    requireContext(null);
  }

  private void requireContext(double[] c) {
    if (c == null) {
      throw new IllegalStateException("the conditional-normal base depends on " + contextDim + " context value"
          + (contextDim == 1 ? "" : "s") + " per row; call the overload that takes the context c");
    }
  }
}
