package io.flowguard.core.transform;

/**
 * A scalar bijection {@code x = g(z; p)} whose parameters {@code p} come from a conditioner network:
 * the element transform of coupling layers ({@link CouplingTransform}) and of autoregressive layers
 * ({@link MaskedAutoregressive}). The affine map (RealNVP, MAF), the shift (NICE) and the
 * rational-quadratic spline (Neural Spline Flows) are the implementations.
 *
 * <p>Parameters of one element are {@code p[off .. off + paramsPerDim())}. Scalar methods with an
 * output slot keep the hot loops allocation-free; the overloads with a scratch array also spare
 * implementations that need intermediate storage any per-call lookup. Implementations are stateless and
 * thread-safe.
 */
public interface ElementwiseBijection {

  int paramsPerDim();

  /**
   * Raw parameter values that make {@code g} the identity; conditioners output them at initialization
   * (zero last layer, these as its bias), so every layer starts as the identity map.
   */
  double[] identityParams();

  /** x = g(z; p); writes x to {@code out[outIdx]}; returns log|dx/dz|. */
  double forward(double z, double[] p, int off, double[] out, int outIdx);

  /** z = g^-1(x; p); writes z to {@code out[outIdx]}; returns log|dz/dx|. */
  double inverse(double x, double[] p, int off, double[] out, int outIdx);

  /**
   * Doubles of scratch that {@link #forward(double, double[], int, double[], int, double[])} and
   * {@link #inverse(double, double[], int, double[], int, double[])} use; 0 when they need none.
   */
  default int scratchSize() {
    return 0;
  }

  /**
   * {@link #forward(double, double[], int, double[], int)} with caller-provided scratch of at least
   * {@link #scratchSize()} doubles, for hot loops that take it once from a workspace.
   */
  default double forward(double z, double[] p, int off, double[] out, int outIdx, double[] scratch) {
    return forward(z, p, off, out, outIdx);
  }

  /**
   * {@link #inverse(double, double[], int, double[], int)} with caller-provided scratch of at least
   * {@link #scratchSize()} doubles, for hot loops that take it once from a workspace.
   */
  default double inverse(double x, double[] p, int off, double[] out, int outIdx, double[] scratch) {
    return inverse(x, p, off, out, outIdx);
  }

  /**
   * Backpropagates through {@link #inverse}: given dL/dz and dL/d(log|dz/dx|), adds dL/dp into
   * {@code gp[gpOff ..]} and returns dL/dx.
   */
  double inverseBackward(double x, double[] p, int off, double gz, double gLogDet, double[] gp, int gpOff);

  /**
   * Backpropagates through {@link #forward}: given dL/dx and dL/d(log|dx/dz|), adds dL/dp into
   * {@code gp[gpOff ..]} and returns dL/dz.
   */
  double forwardBackward(double z, double[] p, int off, double gx, double gLogDet, double[] gp, int gpOff);
}
