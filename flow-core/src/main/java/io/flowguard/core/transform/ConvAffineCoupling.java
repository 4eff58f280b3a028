package io.flowguard.core.transform;

import io.flowguard.core.nn.Activation;
import io.flowguard.core.nn.ConvNet;
import io.flowguard.core.nn.ParameterLayout;
import io.flowguard.core.nn.Workspace;
import java.util.SplittableRandom;

/**
 * Glow's affine coupling on a {@code C x H x W} event: the first {@code floor(C/2)} channels pass through
 * and condition, through a small convolutional network ({@link ConvNet}: 3 x 3, then 1 x 1 for each
 * further hidden layer, then 3 x 3, zero-initialized), a shift and a bounded log-scale
 * ({@link AffineElement}) of every value of the other channels. Convolutions share weights across
 * pixels, so the parameter count does not grow with the image and the conditioner sees each pixel's
 * neighbourhood; the Jacobian is still triangular, so the log-det is the sum of the log-scales. Which
 * channels pass is fixed: the invertible 1 x 1 convolution before each coupling mixes the channels.
 */
public final class ConvAffineCoupling implements Transform {

  private final TensorShape shape;
  private final int dim;
  private final int hw;
  private final int nId;
  private final int nTr;
  private final ConvNet conditioner;
  private final AffineElement element;

  private record ConvTrace(double[] input, double[] params, ConvNet.Trace net, int n) implements Trace {}

  /**
   * @param hidden channel counts of the conditioner's hidden layers (at least one)
   * @param scaleBound bound of the log-scale ({@link AffineElement})
   */
  public ConvAffineCoupling(ParameterLayout layout, String name, TensorShape shape, int[] hidden, Activation activation,
                            double scaleBound) {
    if (shape.channels() < 2) {
      throw new IllegalArgumentException("a channel coupling needs at least 2 channels, got " + shape);
    }
    if (hidden.length < 1) {
      throw new IllegalArgumentException("the convolutional conditioner needs at least one hidden layer");
    }
    this.shape = shape;
    this.dim = shape.size();
    this.hw = shape.pixels();
    this.nId = shape.channels() / 2;
    this.nTr = shape.channels() - nId;
    int[] channels = new int[hidden.length + 2];
    int[] kernels = new int[hidden.length + 1];
    channels[0] = nId;
    for (int i = 0; i < hidden.length; i++) {
      channels[i + 1] = hidden[i];
    }
    channels[channels.length - 1] = 2 * nTr;
    for (int l = 0; l < kernels.length; l++) {
      kernels[l] = l == 0 || l == kernels.length - 1 ? 3 : 1;
    }
    this.conditioner = new ConvNet(layout, name + ".net", shape.height(), shape.width(), channels, kernels, activation);
    this.element = new AffineElement(scaleBound);
  }

  public TensorShape shape() {
    return shape;
  }

  @Override
  public int dim() {
    return dim;
  }

  @Override
  public void initialize(double[] theta, SplittableRandom rng) {
    // AffineElement's identity parameters are (0, 0): a zero output bias.
    conditioner.initialize(theta, rng, null);
  }

  @Override
  public void forward(double[] theta, double[] z, double[] x, double[] logDet, int n, Workspace ws) {
    double[] cond = ws.take(n * hw * nId);
    gather(z, cond, n);
    double[] params = ws.take(n * hw * 2 * nTr);
    conditioner.forward(theta, cond, n, params, ws);
    elementwise(z, params, x, logDet, n, true);
  }

  @Override
  public void inverse(double[] theta, double[] x, double[] z, double[] logDet, int n, Workspace ws) {
    double[] cond = ws.take(n * hw * nId);
    gather(x, cond, n);
    double[] params = ws.take(n * hw * 2 * nTr);
    conditioner.forward(theta, cond, n, params, ws);
    elementwise(x, params, z, logDet, n, false);
  }

  /** The passing channels as pixel-major conditioner input: cond[(r hw + p) nId + c] = in[r d + c hw + p]. */
  private void gather(double[] in, double[] cond, int n) {
    for (int r = 0; r < n; r++) {
      for (int c = 0; c < nId; c++) {
        int src = r * dim + c * hw;
        for (int p = 0; p < hw; p++) {
          cond[(r * hw + p) * nId + c] = in[src + p];
        }
      }
    }
  }

  /** Channel nId + j at pixel p reads its (shift, raw log-scale) at params[(r hw + p) 2 nTr + 2 j]. */
  private void elementwise(double[] in, double[] params, double[] out, double[] logDet, int n, boolean forward) {
    for (int r = 0; r < n; r++) {
      int ro = r * dim;
      System.arraycopy(in, ro, out, ro, nId * hw);
      double ld = 0.0;
      for (int j = 0; j < nTr; j++) {
        int base = ro + (nId + j) * hw;
        for (int p = 0; p < hw; p++) {
          int idx = base + p;
          int off = (r * hw + p) * 2 * nTr + 2 * j;
          ld += forward ? element.forward(in[idx], params, off, out, idx)
              : element.inverse(in[idx], params, off, out, idx);
        }
      }
      logDet[r] += ld;
    }
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
    double[] cond = new double[n * hw * nId];
    gather(in, cond, n);
    ConvNet.Trace t = conditioner.forwardTrace(theta, cond, n);
    double[] params = t.output();
    elementwise(in, params, out, logDet, n, forward);
    return new ConvTrace(java.util.Arrays.copyOf(in, n * dim), params, t, n);
  }

  @Override
  public void inverseBackward(double[] theta, Trace trace, double[] gz, double[] gLogDet, double[] gx,
                              double[] gTheta) {
    backward(theta, (ConvTrace) trace, gz, gLogDet, gx, gTheta, false);
  }

  @Override
  public void forwardBackward(double[] theta, Trace trace, double[] gx, double[] gLogDet, double[] gz,
                              double[] gTheta) {
    backward(theta, (ConvTrace) trace, gx, gLogDet, gz, gTheta, true);
  }

  private void backward(double[] theta, ConvTrace t, double[] gOut, double[] gLogDet, double[] gIn,
                        double[] gTheta, boolean forward) {
    int n = t.n();
    double[] in = t.input();
    double[] params = t.params();
    double[] gParams = new double[params.length];
    for (int r = 0; r < n; r++) {
      int ro = r * dim;
      for (int j = 0; j < nTr; j++) {
        int base = ro + (nId + j) * hw;
        for (int p = 0; p < hw; p++) {
          int idx = base + p;
          int off = (r * hw + p) * 2 * nTr + 2 * j;
          gIn[idx] = forward
              ? element.forwardBackward(in[idx], params, off, gOut[idx], gLogDet[r], gParams, off)
              : element.inverseBackward(in[idx], params, off, gOut[idx], gLogDet[r], gParams, off);
        }
      }
    }
    double[] gCond = new double[n * hw * nId];
    conditioner.backward(theta, t.net(), gParams, gCond, gTheta);
    for (int r = 0; r < n; r++) {
      for (int c = 0; c < nId; c++) {
        int dst = r * dim + c * hw;
        for (int p = 0; p < hw; p++) {
          gIn[dst + p] = gOut[dst + p] + gCond[(r * hw + p) * nId + c];
        }
      }
    }
  }
}
