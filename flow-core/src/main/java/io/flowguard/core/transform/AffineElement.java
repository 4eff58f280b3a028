package io.flowguard.core.transform;

import io.flowguard.core.nn.FastMath;

/**
 * The affine element {@code x = z * exp(s) + t} of RealNVP and MAF, with parameters {@code (t, u)} and
 * a bounded log-scale {@code s = B * tanh(u / B)}.
 *
 * <p>Why the bound: an unbounded log-scale lets one unlucky minibatch push {@code exp(s)} to overflow
 * or to zero, after which the log-likelihood is infinite and training is lost. The soft clamp keeps
 * {@code |s| < B} with a gradient everywhere, behaves as the identity {@code s = u} near zero, and with
 * the default {@code B = 3} still lets one layer scale by up to {@code e^3 ~ 20}.
 */
public final class AffineElement implements ElementwiseBijection {

  /** The default bound of the log-scale. */
  public static final double DEFAULT_SCALE_BOUND = 3.0;

  private final double bound;
  private final double invBound;

  public AffineElement(double bound) {
    if (!(bound > 0) || Double.isInfinite(bound)) {
      throw new IllegalArgumentException("the log-scale bound must be positive and finite, got " + bound);
    }
    this.bound = bound;
    this.invBound = 1.0 / bound;
  }

  public double bound() {
    return bound;
  }

  @Override
  public int paramsPerDim() {
    return 2;
  }

  @Override
  public double[] identityParams() {
    return new double[] {0.0, 0.0};
  }

  @Override
  public double forward(double z, double[] p, int off, double[] out, int outIdx) {
    double s = bound * FastMath.tanh(p[off + 1] * invBound);
    out[outIdx] = z * Math.exp(s) + p[off];
    return s;
  }

  @Override
  public double inverse(double x, double[] p, int off, double[] out, int outIdx) {
    double s = bound * FastMath.tanh(p[off + 1] * invBound);
    out[outIdx] = (x - p[off]) * Math.exp(-s);
    return -s;
  }

  @Override
  public double inverseBackward(double x, double[] p, int off, double gz, double gLogDet, double[] gp, int gpOff) {
    double th = FastMath.tanh(p[off + 1] * invBound);
    double e = Math.exp(-bound * th);
    double z = (x - p[off]) * e;
    double gs = -gz * z - gLogDet;
    gp[gpOff] += -gz * e;
    gp[gpOff + 1] += gs * (1.0 - th * th);
    return gz * e;
  }

  @Override
  public double forwardBackward(double z, double[] p, int off, double gx, double gLogDet, double[] gp, int gpOff) {
    double th = FastMath.tanh(p[off + 1] * invBound);
    double e = Math.exp(bound * th);
    double gs = gx * z * e + gLogDet;
    gp[gpOff] += gx;
    gp[gpOff + 1] += gs * (1.0 - th * th);
    return gx * e;
  }
}
