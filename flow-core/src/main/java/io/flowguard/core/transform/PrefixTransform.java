package io.flowguard.core.transform;

import io.flowguard.core.nn.Workspace;
import java.util.SplittableRandom;

/**
 * Applies a transform to the first {@code inner.dim()} features of each row and passes the rest through
 * unchanged: the multi-scale split of Glow and RealNVP. After a level, half of the channels are factored
 * out (they are final latent values, modelled by the base density) and the next level works on the
 * other half only; in channel-major order those are a prefix of the row, so every layer of a later level
 * is wrapped in a prefix transform. The log-determinant is the inner one (identity elsewhere). The
 * context of a conditional inner transform passes through unchanged (it is per row, not per feature).
 */
public final class PrefixTransform implements Transform {

  private final Transform inner;
  private final int dim;
  private final int m;

  private record PrefixTrace(Trace inner, int n) implements Trace {}

  public PrefixTransform(Transform inner, int dim) {
    if (inner.dim() > dim) {
      throw new IllegalArgumentException("inner dimension " + inner.dim() + " exceeds " + dim);
    }
    this.inner = inner;
    this.dim = dim;
    this.m = inner.dim();
  }

  public Transform inner() {
    return inner;
  }

  @Override
  public int dim() {
    return dim;
  }

  @Override
  public int contextDim() {
    return inner.contextDim();
  }

  @Override
  public void initialize(double[] theta, SplittableRandom rng) {
    inner.initialize(theta, rng);
  }

  @Override
  public void initializeFromData(double[] theta, double[] x, int n) {
    double[] head = new double[n * m];
    gather(x, head, n);
    inner.initializeFromData(theta, head, n);
  }

  @Override
  public void initializeFromData(double[] theta, double[] x, double[] c, int n) {
    double[] head = new double[n * m];
    gather(x, head, n);
    inner.initializeFromData(theta, head, c, n);
  }

  @Override
  public void sanitize(double[] theta) {
    inner.sanitize(theta);
  }

  private void gather(double[] full, double[] head, int n) {
    for (int r = 0; r < n; r++) {
      System.arraycopy(full, r * dim, head, r * m, m);
    }
  }

  /** Writes the inner result into the prefix and copies the untouched tail from the input. */
  private void scatter(double[] head, double[] in, double[] out, int n) {
    for (int r = 0; r < n; r++) {
      System.arraycopy(head, r * m, out, r * dim, m);
      System.arraycopy(in, r * dim + m, out, r * dim + m, dim - m);
    }
  }

  @Override
  public void forward(double[] theta, double[] z, double[] x, double[] logDet, int n, Workspace ws) {
    forward(theta, z, null, x, logDet, n, ws);
  }

  @Override
  public void inverse(double[] theta, double[] x, double[] z, double[] logDet, int n, Workspace ws) {
    inverse(theta, x, null, z, logDet, n, ws);
  }

  @Override
  public void forward(double[] theta, double[] z, double[] c, double[] x, double[] logDet, int n, Workspace ws) {
    double[] a = ws.take(n * m);
    double[] b = ws.take(n * m);
    gather(z, a, n);
    if (c == null) {
      inner.forward(theta, a, b, logDet, n, ws);
    } else {
      inner.forward(theta, a, c, b, logDet, n, ws);
    }
    scatter(b, z, x, n);
  }

  @Override
  public void inverse(double[] theta, double[] x, double[] c, double[] z, double[] logDet, int n, Workspace ws) {
    double[] a = ws.take(n * m);
    double[] b = ws.take(n * m);
    gather(x, a, n);
    if (c == null) {
      inner.inverse(theta, a, b, logDet, n, ws);
    } else {
      inner.inverse(theta, a, c, b, logDet, n, ws);
    }
    scatter(b, x, z, n);
  }

  @Override
  public Trace inverseTrace(double[] theta, double[] x, double[] z, double[] logDet, int n) {
    return inverseTrace(theta, x, null, z, logDet, n);
  }

  @Override
  public Trace forwardTrace(double[] theta, double[] z, double[] x, double[] logDet, int n) {
    return forwardTrace(theta, z, null, x, logDet, n);
  }

  @Override
  public Trace inverseTrace(double[] theta, double[] x, double[] c, double[] z, double[] logDet, int n) {
    double[] a = new double[n * m];
    double[] b = new double[n * m];
    gather(x, a, n);
    Trace t = c == null ? inner.inverseTrace(theta, a, b, logDet, n) : inner.inverseTrace(theta, a, c, b, logDet, n);
    scatter(b, x, z, n);
    return new PrefixTrace(t, n);
  }

  @Override
  public Trace forwardTrace(double[] theta, double[] z, double[] c, double[] x, double[] logDet, int n) {
    double[] a = new double[n * m];
    double[] b = new double[n * m];
    gather(z, a, n);
    Trace t = c == null ? inner.forwardTrace(theta, a, b, logDet, n) : inner.forwardTrace(theta, a, c, b, logDet, n);
    scatter(b, z, x, n);
    return new PrefixTrace(t, n);
  }

  @Override
  public void inverseBackward(double[] theta, Trace trace, double[] gz, double[] gLogDet, double[] gx,
                              double[] gTheta) {
    backward(theta, (PrefixTrace) trace, gz, gLogDet, gx, gTheta, false);
  }

  @Override
  public void forwardBackward(double[] theta, Trace trace, double[] gx, double[] gLogDet, double[] gz,
                              double[] gTheta) {
    backward(theta, (PrefixTrace) trace, gx, gLogDet, gz, gTheta, true);
  }

  private void backward(double[] theta, PrefixTrace t, double[] gOut, double[] gLogDet, double[] gIn,
                        double[] gTheta, boolean forward) {
    int n = t.n();
    double[] gHeadOut = new double[n * m];
    double[] gHeadIn = new double[n * m];
    gather(gOut, gHeadOut, n);
    if (forward) {
      inner.forwardBackward(theta, t.inner(), gHeadOut, gLogDet, gHeadIn, gTheta);
    } else {
      inner.inverseBackward(theta, t.inner(), gHeadOut, gLogDet, gHeadIn, gTheta);
    }
    scatter(gHeadIn, gOut, gIn, n);
  }
}
