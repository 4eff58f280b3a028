package io.flowguard.core.transform;

import io.flowguard.core.nn.Workspace;
import java.util.SplittableRandom;

/**
 * Applies a {@code C}-dimensional transform to the channel vector of every pixel of a
 * {@code C x H x W} event, with parameters shared across pixels: with {@link ActNorm} it is Glow's
 * per-channel ActNorm (statistics over all pixels of the batch), with {@link LuLinear} Glow's invertible
 * 1 x 1 convolution (one LU-parameterized C x C matrix applied at every pixel). The Jacobian is block
 * diagonal with one block per pixel, so an event's log-determinant is the sum of its pixels' ones
 * ({@code H W} times the inner one for these two).
 *
 * <p>Implementation: the batch is transposed from channel-major events into {@code n H W} rows of C
 * channels, the inner transform runs once on all of them, and the result is transposed back; its
 * gradients (exact for the rows) therefore need no new code.
 */
public final class PixelwiseTransform implements Transform {

  private final Transform inner;
  private final TensorShape shape;
  private final int c;
  private final int hw;

  private record PixelTrace(Trace inner, int n) implements Trace {}

  public PixelwiseTransform(Transform inner, TensorShape shape) {
    if (inner.dim() != shape.channels()) {
      throw new IllegalArgumentException("a pixelwise transform over " + shape + " needs an inner transform of "
          + shape.channels() + " dimensions, got " + inner.dim());
    }
    this.inner = inner;
    this.shape = shape;
    this.c = shape.channels();
    this.hw = shape.pixels();
  }

  public Transform inner() {
    return inner;
  }

  @Override
  public int dim() {
    return shape.size();
  }

  @Override
  public void initialize(double[] theta, SplittableRandom rng) {
    inner.initialize(theta, rng);
  }

  @Override
  public void initializeFromData(double[] theta, double[] x, int n) {
    double[] rows = new double[n * hw * c];
    toRows(x, rows, n);
    inner.initializeFromData(theta, rows, n * hw);
  }

  @Override
  public void sanitize(double[] theta) {
    inner.sanitize(theta);
  }

  /** Channel-major events to pixel rows: rows[(r hw + p) c + ch] = x[r d + ch hw + p]. */
  private void toRows(double[] x, double[] rows, int n) {
    int d = c * hw;
    for (int r = 0; r < n; r++) {
      for (int ch = 0; ch < c; ch++) {
        int src = r * d + ch * hw;
        for (int p = 0; p < hw; p++) {
          rows[(r * hw + p) * c + ch] = x[src + p];
        }
      }
    }
  }

  private void fromRows(double[] rows, double[] x, int n) {
    int d = c * hw;
    for (int r = 0; r < n; r++) {
      for (int ch = 0; ch < c; ch++) {
        int dst = r * d + ch * hw;
        for (int p = 0; p < hw; p++) {
          x[dst + p] = rows[(r * hw + p) * c + ch];
        }
      }
    }
  }

  private static void sumLogDets(double[] pixelLd, double[] logDet, int n, int hw) {
    for (int r = 0; r < n; r++) {
      double s = 0.0;
      for (int p = 0; p < hw; p++) {
        s += pixelLd[r * hw + p];
      }
      logDet[r] += s;
    }
  }

  @Override
  public void forward(double[] theta, double[] z, double[] x, double[] logDet, int n, Workspace ws) {
    apply(theta, z, x, logDet, n, ws, true);
  }

  @Override
  public void inverse(double[] theta, double[] x, double[] z, double[] logDet, int n, Workspace ws) {
    apply(theta, x, z, logDet, n, ws, false);
  }

  private void apply(double[] theta, double[] in, double[] out, double[] logDet, int n, Workspace ws,
                     boolean forward) {
    int rowsN = n * hw;
    double[] a = ws.take(rowsN * c);
    double[] b = ws.take(rowsN * c);
    double[] ld = ws.take(rowsN);
    java.util.Arrays.fill(ld, 0, rowsN, 0.0);
    toRows(in, a, n);
    if (forward) {
      inner.forward(theta, a, b, ld, rowsN, ws);
    } else {
      inner.inverse(theta, a, b, ld, rowsN, ws);
    }
    fromRows(b, out, n);
    sumLogDets(ld, logDet, n, hw);
  }

  @Override
  public Trace inverseTrace(double[] theta, double[] x, double[] z, double[] logDet, int n) {
    return trace(theta, x, z, logDet, n, false);
  }

  @Override
  public Trace forwardTrace(double[] theta, double[] z, double[] x, double[] logDet, int n) {
    return trace(theta, z, x, logDet, n, true);
  }

  private Trace trace(double[] theta, double[] in, double[] out, double[] logDet, int n, boolean forward) {
    int rowsN = n * hw;
    double[] a = new double[rowsN * c];
    double[] b = new double[rowsN * c];
    double[] ld = new double[rowsN];
    toRows(in, a, n);
    Trace t = forward ? inner.forwardTrace(theta, a, b, ld, rowsN) : inner.inverseTrace(theta, a, b, ld, rowsN);
    fromRows(b, out, n);
    sumLogDets(ld, logDet, n, hw);
    return new PixelTrace(t, n);
  }

  @Override
  public void inverseBackward(double[] theta, Trace trace, double[] gz, double[] gLogDet, double[] gx,
                              double[] gTheta) {
    backward(theta, (PixelTrace) trace, gz, gLogDet, gx, gTheta, false);
  }

  @Override
  public void forwardBackward(double[] theta, Trace trace, double[] gx, double[] gLogDet, double[] gz,
                              double[] gTheta) {
    backward(theta, (PixelTrace) trace, gx, gLogDet, gz, gTheta, true);
  }

  private void backward(double[] theta, PixelTrace t, double[] gOut, double[] gLogDet, double[] gIn,
                        double[] gTheta, boolean forward) {
    int n = t.n();
    int rowsN = n * hw;
    double[] gRowsOut = new double[rowsN * c];
    double[] gRowsIn = new double[rowsN * c];
    double[] gLd = new double[rowsN];
    toRows(gOut, gRowsOut, n);
    // Every pixel's log-det adds into its event's, so each receives the event's log-det gradient.
    for (int r = 0; r < n; r++) {
      java.util.Arrays.fill(gLd, r * hw, (r + 1) * hw, gLogDet[r]);
    }
    if (forward) {
      inner.forwardBackward(theta, t.inner(), gRowsOut, gLd, gRowsIn, gTheta);
    } else {
      inner.inverseBackward(theta, t.inner(), gRowsOut, gLd, gRowsIn, gTheta);
    }
    fromRows(gRowsIn, gIn, n);
  }
}
