package io.flowguard.core.nn;

import java.util.SplittableRandom;

/**
 * A small convolutional network on {@code H x W} feature maps, the conditioner of Glow's affine coupling:
 * a stack of 2-D convolutions with odd square kernels, stride 1 and zero ("same") padding, with an
 * activation between layers (not after the last). Forward and backward passes are hand-written like
 * {@link Mlp}'s and checked against finite differences.
 *
 * <p>Layout: activations are <em>pixel-major</em>, {@code n H W} rows of {@code C} channels
 * ({@code a[(r HW + p) C + c]}), so a convolution is one dense product of the {@code im2col} matrix (one
 * row per pixel holding its {@code C k k} neighbourhood) with the weight matrix, on ND4J's BLAS when
 * large ({@link Linalg}); a 1 x 1 convolution needs no im2col at all. Weights of layer l are a
 * {@code (C_in k k) x C_out} row-major block, index {@code ((ci k + ky) k + kx) C_out + co}.
 */
public final class ConvNet {

  private final int height;
  private final int width;
  private final int[] channels;
  private final int[] kernels;
  private final Activation activation;
  private final int[] weightOffsets;
  private final int[] biasOffsets;

  /** What a traced pass keeps: each layer's im2col input (or the input itself for 1 x 1), pre- and post-activations. */
  public static final class Trace {
    private final double[][] cols;
    private final double[][] pre;
    private final double[][] post;
    private final int n;

    private Trace(int layers, int n) {
      this.cols = new double[layers][];
      this.pre = new double[layers][];
      this.post = new double[layers][];
      this.n = n;
    }

    /** The network's output (pixel-major). */
    public double[] output() {
      return post[post.length - 1];
    }
  }

  /**
   * @param channels channel counts {@code C_0 (input), C_1, ..., C_L (output)}
   * @param kernels the odd kernel size of each of the L layers
   */
  public ConvNet(ParameterLayout layout, String name, int height, int width, int[] channels, int[] kernels,
                 Activation activation) {
    if (channels.length < 2 || kernels.length != channels.length - 1) {
      throw new IllegalArgumentException("a conv net needs L + 1 channel counts and L kernel sizes, got "
          + channels.length + " and " + kernels.length);
    }
    for (int k : kernels) {
      if (k < 1 || k % 2 == 0) {
        throw new IllegalArgumentException("kernel sizes must be odd and positive, got " + k);
      }
    }
    for (int c : channels) {
      if (c < 1) {
        throw new IllegalArgumentException("channel counts must be positive: " + java.util.Arrays.toString(channels));
      }
    }
    this.height = height;
    this.width = width;
    this.channels = channels.clone();
    this.kernels = kernels.clone();
    this.activation = activation;
    int layers = kernels.length;
    this.weightOffsets = new int[layers];
    this.biasOffsets = new int[layers];
    for (int l = 0; l < layers; l++) {
      weightOffsets[l] = layout.allocate(name + ".conv" + l + ".weight", fanIn(l) * channels[l + 1], ParamKind.WEIGHT);
      biasOffsets[l] = layout.allocate(name + ".conv" + l + ".bias", channels[l + 1], ParamKind.BIAS);
    }
  }

  private int fanIn(int l) {
    return channels[l] * kernels[l] * kernels[l];
  }

  public int inputChannels() {
    return channels[0];
  }

  public int outputChannels() {
    return channels[channels.length - 1];
  }

  /**
   * Hidden layers uniform in {@code +-1/sqrt(fan_in)} (weights and biases, as {@link Mlp}); the last
   * layer's weights zero and its bias {@code outputBias} (per output channel; null for zero), so the
   * network starts as a constant and a coupling layer as the identity.
   */
  public void initialize(double[] theta, SplittableRandom rng, double[] outputBias) {
    int layers = kernels.length;
    for (int l = 0; l < layers; l++) {
      boolean last = l == layers - 1;
      double limit = 1.0 / Math.sqrt(fanIn(l));
      int nw = fanIn(l) * channels[l + 1];
      for (int i = 0; i < nw; i++) {
        theta[weightOffsets[l] + i] = last ? 0.0 : (2.0 * rng.nextDouble() - 1.0) * limit;
      }
      for (int j = 0; j < channels[l + 1]; j++) {
        theta[biasOffsets[l] + j] = last ? (outputBias != null ? outputBias[j] : 0.0)
            : (2.0 * rng.nextDouble() - 1.0) * limit;
      }
    }
  }

  /** Inference pass: {@code in} is n pixel-major maps of {@link #inputChannels()}, {@code out} of {@link #outputChannels()}. */
  public void forward(double[] theta, double[] in, int n, double[] out, Workspace ws) {
    int layers = kernels.length;
    int rows = n * height * width;
    double[] cur = in;
    for (int l = 0; l < layers; l++) {
      double[] cols = kernels[l] == 1 ? cur : ws.take(rows * fanIn(l));
      if (kernels[l] != 1) {
        im2col(cur, n, l, cols);
      }
      double[] pre = l == layers - 1 ? out : ws.take(rows * channels[l + 1]);
      dense(theta, l, cols, rows, pre, false);
      if (l < layers - 1) {
        int len = rows * channels[l + 1];
        for (int i = 0; i < len; i++) {
          pre[i] = activation.apply(pre[i]);
        }
      }
      cur = pre;
    }
  }

  /** Training pass; keeps what {@link #backward} needs. {@code in} must not be modified afterwards. */
  public Trace forwardTrace(double[] theta, double[] in, int n) {
    int layers = kernels.length;
    int rows = n * height * width;
    Trace t = new Trace(layers, n);
    double[] cur = in;
    for (int l = 0; l < layers; l++) {
      double[] cols = cur;
      if (kernels[l] != 1) {
        cols = new double[rows * fanIn(l)];
        im2col(cur, n, l, cols);
      }
      double[] pre = new double[rows * channels[l + 1]];
      dense(theta, l, cols, rows, pre, true);
      t.cols[l] = cols;
      t.pre[l] = pre;
      if (l < layers - 1) {
        double[] post = new double[pre.length];
        for (int i = 0; i < pre.length; i++) {
          post[i] = activation.apply(pre[i]);
        }
        t.post[l] = post;
      } else {
        t.post[l] = pre;
      }
      cur = t.post[l];
    }
    return t;
  }

  /** Adds parameter gradients into {@code gTheta} and writes the input gradient into {@code gIn} (skipped if null). */
  public void backward(double[] theta, Trace t, double[] gOut, double[] gIn, double[] gTheta) {
    int layers = kernels.length;
    int rows = t.n * height * width;
    double[] g = gOut;
    for (int l = layers - 1; l >= 0; l--) {
      int cout = channels[l + 1];
      int fan = fanIn(l);
      if (l < layers - 1) {
        double[] pre = t.pre[l];
        double[] post = t.post[l];
        double[] gp = new double[g.length];
        for (int i = 0; i < gp.length; i++) {
          gp[i] = g[i] * activation.derivative(pre[i], post[i]);
        }
        g = gp;
      }
      double[] gw = new double[fan * cout];
      Linalg.matmulTransA(t.cols[l], g, gw, rows, fan, cout, false);
      int wo = weightOffsets[l];
      for (int i = 0; i < gw.length; i++) {
        gTheta[wo + i] += gw[i];
      }
      int bo = biasOffsets[l];
      for (int r = 0; r < rows; r++) {
        for (int j = 0; j < cout; j++) {
          gTheta[bo + j] += g[r * cout + j];
        }
      }
      if (l == 0 && gIn == null) {
        break;
      }
      double[] gCols = new double[rows * fan];
      Linalg.matmulTransB(g, theta, wo, gCols, rows, cout, fan, false);
      double[] gPrev = l == 0 ? gIn : new double[rows * channels[l]];
      if (kernels[l] == 1) {
        System.arraycopy(gCols, 0, gPrev, 0, rows * channels[l]);
      } else {
        col2im(gCols, t.n, l, gPrev);
      }
      g = gPrev;
    }
  }

  /**
   * out = cols W + b. Training ({@code blas}) may use ND4J; inference stays on the plain Java product,
   * which allocates nothing (see {@link Linalg#matmulJava}).
   */
  private void dense(double[] theta, int l, double[] cols, int rows, double[] out, boolean blas) {
    int cout = channels[l + 1];
    int bo = biasOffsets[l];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(theta, bo, out, r * cout, cout);
    }
    if (blas) {
      Linalg.matmul(cols, theta, weightOffsets[l], out, rows, fanIn(l), cout, true);
    } else {
      Linalg.matmulJava(cols, theta, weightOffsets[l], out, rows, fanIn(l), cout, true);
    }
  }

  /** cols[(r HW + p) fan + (ci k + ky) k + kx] = a[(r HW + p') cin + ci], p' the neighbour (0 outside the map). */
  private void im2col(double[] a, int n, int l, double[] cols) {
    int cin = channels[l];
    int k = kernels[l];
    int pad = k / 2;
    int fan = fanIn(l);
    int hw = height * width;
    for (int r = 0; r < n; r++) {
      for (int h = 0; h < height; h++) {
        for (int w = 0; w < width; w++) {
          int row = (r * hw + h * width + w) * fan;
          for (int ci = 0; ci < cin; ci++) {
            for (int ky = 0; ky < k; ky++) {
              int hh = h + ky - pad;
              for (int kx = 0; kx < k; kx++) {
                int ww = w + kx - pad;
                int col = row + (ci * k + ky) * k + kx;
                cols[col] = hh < 0 || hh >= height || ww < 0 || ww >= width ? 0.0
                    : a[(r * hw + hh * width + ww) * cin + ci];
              }
            }
          }
        }
      }
    }
  }

  /** The adjoint of {@link #im2col}: scatter-adds column gradients back onto the map they were read from. */
  private void col2im(double[] gCols, int n, int l, double[] ga) {
    int cin = channels[l];
    int k = kernels[l];
    int pad = k / 2;
    int fan = fanIn(l);
    int hw = height * width;
    java.util.Arrays.fill(ga, 0, n * hw * cin, 0.0);
    for (int r = 0; r < n; r++) {
      for (int h = 0; h < height; h++) {
        for (int w = 0; w < width; w++) {
          int row = (r * hw + h * width + w) * fan;
          for (int ci = 0; ci < cin; ci++) {
            for (int ky = 0; ky < k; ky++) {
              int hh = h + ky - pad;
              if (hh < 0 || hh >= height) {
                continue;
              }
              for (int kx = 0; kx < k; kx++) {
                int ww = w + kx - pad;
                if (ww >= 0 && ww < width) {
                  ga[(r * hw + hh * width + ww) * cin + ci] += gCols[row + (ci * k + ky) * k + kx];
                }
              }
            }
          }
        }
      }
    }
  }
}
