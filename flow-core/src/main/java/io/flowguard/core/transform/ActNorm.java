package io.flowguard.core.transform;

import io.flowguard.core.nn.ParamKind;
import io.flowguard.core.nn.ParameterLayout;
import io.flowguard.core.nn.Workspace;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Activation normalization (Kingma and Dhariwal 2018, Glow): a per-dimension affine map whose shift and
 * scale are initialized from data, so the layer's output starts at mean 0 and unit variance, and are
 * then trained like any other parameter. Density direction {@code z = (x - loc) * exp(-logScale)};
 * sampling direction {@code x = z * exp(logScale) + loc}.
 *
 * <p>Parameters: {@code loc} and {@code logScale} (both {@link ParamKind#BIAS}: decaying a log-scale
 * would pull every layer towards unit scale for no reason), and a one-element {@code initialized} flag
 * ({@link ParamKind#STATE}) that lives in the parameter vector so it is saved with the model: a loaded,
 * already initialized model must not be re-initialized from new data.
 */
public final class ActNorm implements Transform {

  /** Floor of the per-dimension standard deviation, so a constant dimension does not divide by zero. */
  public static final double MIN_STD = 1e-6;

  private final int dim;
  private final int locOffset;
  private final int logScaleOffset;
  private final int flagOffset;

  private record ActNormTrace(double[] input, int n) implements Trace {}

  public ActNorm(ParameterLayout layout, String name, int dim) {
    if (dim < 1) {
      throw new IllegalArgumentException("ActNorm needs at least one dimension, got " + dim);
    }
    this.dim = dim;
    this.locOffset = layout.allocate(name + ".loc", dim, ParamKind.BIAS);
    this.logScaleOffset = layout.allocate(name + ".logScale", dim, ParamKind.BIAS);
    this.flagOffset = layout.allocate(name + ".initialized", 1, ParamKind.STATE);
  }

  /** Whether {@link #initializeFromData} has set this layer's parameters (as saved in theta). */
  public boolean isInitialized(double[] theta) {
    return theta[flagOffset] != 0.0;
  }

  @Override
  public int dim() {
    return dim;
  }

  /** The identity, marked as not yet initialized from data. */
  @Override
  public void initialize(double[] theta, SplittableRandom rng) {
    Arrays.fill(theta, locOffset, locOffset + dim, 0.0);
    Arrays.fill(theta, logScaleOffset, logScaleOffset + dim, 0.0);
    theta[flagOffset] = 0.0;
  }

  /**
   * Sets {@code loc} to the per-dimension mean and {@code logScale} to the log of the (population)
   * standard deviation of {@code x}, so this layer's output on {@code x} has mean 0 and variance 1, and
   * sets the flag. Does nothing when the flag is already set (a model trained or loaded before).
   */
  @Override
  public void initializeFromData(double[] theta, double[] x, int n) {
    if (theta[flagOffset] != 0.0) {
      return;
    }
    if (n < 1) {
      throw new IllegalArgumentException("ActNorm needs at least one row to initialize from data");
    }
    for (int i = 0; i < dim; i++) {
      double mean = 0.0;
      for (int r = 0; r < n; r++) {
        mean += x[r * dim + i];
      }
      mean /= n;
      // Two-pass variance: subtracting the mean first avoids the cancellation of E[x^2] - E[x]^2.
      double var = 0.0;
      for (int r = 0; r < n; r++) {
        double c = x[r * dim + i] - mean;
        var += c * c;
      }
      var /= n;
      theta[locOffset + i] = mean;
      theta[logScaleOffset + i] = Math.log(Math.max(Math.sqrt(var), MIN_STD));
    }
    theta[flagOffset] = 1.0;
  }

  @Override
  public void forward(double[] theta, double[] z, double[] x, double[] logDet, int n, Workspace ws) {
    double sum = 0.0;
    for (int i = 0; i < dim; i++) {
      sum += theta[logScaleOffset + i];
    }
    for (int r = 0; r < n; r++) {
      int ro = r * dim;
      for (int i = 0; i < dim; i++) {
        x[ro + i] = z[ro + i] * Math.exp(theta[logScaleOffset + i]) + theta[locOffset + i];
      }
      logDet[r] += sum;
    }
  }

  @Override
  public void inverse(double[] theta, double[] x, double[] z, double[] logDet, int n, Workspace ws) {
    double sum = 0.0;
    for (int i = 0; i < dim; i++) {
      sum += theta[logScaleOffset + i];
    }
    for (int r = 0; r < n; r++) {
      int ro = r * dim;
      for (int i = 0; i < dim; i++) {
        z[ro + i] = (x[ro + i] - theta[locOffset + i]) * Math.exp(-theta[logScaleOffset + i]);
      }
      logDet[r] -= sum;
    }
  }

  @Override
  public Trace inverseTrace(double[] theta, double[] x, double[] z, double[] logDet, int n) {
    inverse(theta, x, z, logDet, n, null);
    return new ActNormTrace(Arrays.copyOf(x, n * dim), n);
  }

  @Override
  public Trace forwardTrace(double[] theta, double[] z, double[] x, double[] logDet, int n) {
    forward(theta, z, x, logDet, n, null);
    return new ActNormTrace(Arrays.copyOf(z, n * dim), n);
  }

  /** z = (x - loc) e^-s, logdet = -sum(s): dz/dx = e^-s, dz/dloc = -e^-s, dz/ds = -z. */
  @Override
  public void inverseBackward(double[] theta, Trace trace, double[] gz, double[] gLogDet, double[] gx,
                              double[] gTheta) {
    ActNormTrace t = (ActNormTrace) trace;
    double[] x = t.input();
    for (int i = 0; i < dim; i++) {
      double loc = theta[locOffset + i];
      double e = Math.exp(-theta[logScaleOffset + i]);
      double gLoc = 0.0;
      double gS = 0.0;
      for (int r = 0; r < t.n(); r++) {
        int idx = r * dim + i;
        double g = gz[idx];
        gx[idx] = g * e;
        gLoc -= g * e;
        gS -= g * (x[idx] - loc) * e + gLogDet[r];
      }
      gTheta[locOffset + i] += gLoc;
      gTheta[logScaleOffset + i] += gS;
    }
    // The initialized flag is STATE: it gets no gradient.
  }

  /** x = z e^s + loc, logdet = sum(s): dx/dz = e^s, dx/dloc = 1, dx/ds = z e^s. */
  @Override
  public void forwardBackward(double[] theta, Trace trace, double[] gx, double[] gLogDet, double[] gz,
                              double[] gTheta) {
    ActNormTrace t = (ActNormTrace) trace;
    double[] z = t.input();
    for (int i = 0; i < dim; i++) {
      double e = Math.exp(theta[logScaleOffset + i]);
      double gLoc = 0.0;
      double gS = 0.0;
      for (int r = 0; r < t.n(); r++) {
        int idx = r * dim + i;
        double g = gx[idx];
        gz[idx] = g * e;
        gLoc += g;
        gS += g * z[idx] * e + gLogDet[r];
      }
      gTheta[locOffset + i] += gLoc;
      gTheta[logScaleOffset + i] += gS;
    }
  }
}
