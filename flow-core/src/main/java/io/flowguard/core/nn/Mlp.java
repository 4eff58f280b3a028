package io.flowguard.core.nn;

import java.util.SplittableRandom;

/**
 * A multilayer perceptron over row-major batches, the conditioner network of coupling and
 * autoregressive transforms. Weights of layer l are an {@code in_l x out_l} row-major block; optional
 * 0/1 masks (MADE) fix some weights at zero: masked weights are initialized to zero, their gradients are
 * masked, and {@link #enforceMasks(double[])} re-zeroes them after a model is loaded, so the forward pass
 * is a plain dense product.
 *
 * <p>The last layer starts at zero, so every transform built on an MLP starts as its identity (or as the
 * fixed point its element transform defines for zero parameters).
 */
public final class Mlp {

  /** The values a training forward pass keeps for the backward pass. */
  public static final class Trace {
    final double[] input;
    final double[][] pre;
    final double[][] post;
    final int n;

    Trace(double[] input, int layers, int n) {
      this.input = input;
      this.pre = new double[layers][];
      this.post = new double[layers][];
      this.n = n;
    }

    /** The network output of the traced pass, {@code n x outputs}. */
    public double[] output() {
      return post[post.length - 1];
    }
  }

  private final int[] sizes;
  private final int[] weightOffsets;
  private final int[] biasOffsets;
  private final double[][] masks;
  private final Activation activation;
  /**
   * Per layer and per {@link #BLOCK}-column block of its weight matrix: the rows {@code [start, end)}
   * outside which every weight of the block is masked (zero). {@code [0, in)} for dense layers.
   */
  private final int[][] blockRowStart;
  private final int[][] blockRowEnd;
  private final int maxWidth;
  /**
   * For the SIMD kernel ({@link VectorProducts}), per layer: the row ranges of its blocks of 4 x LANES
   * columns, then of its single LANES-column blocks; null when that kernel is off.
   */
  private final int[][] quadRowStart;
  private final int[][] quadRowEnd;
  private final int[][] singleRowStart;
  private final int[][] singleRowEnd;

  /**
   * @param sizes layer widths, input first and output last
   * @param masks per layer {@code in x out} 0/1 masks, or null for a dense network
   */
  public Mlp(ParameterLayout layout, String name, int[] sizes, Activation activation, double[][] masks) {
    this(layout, name, sizes, activation, masks, 0);
  }

  /**
   * A network whose last {@code contextInputs} inputs are a conditioning context (conditional flows).
   * The network is the same dense product; only the parameter layout tells them apart: the first
   * layer's weight rows of the context get a block of their own, {@code name.w0.context}, right after
   * {@code name.w0} (so the two still form one row-major {@code in x out} matrix), which lets a model
   * file or a test name the context weights.
   *
   * @param sizes layer widths, input first (context included) and output last
   * @param contextInputs how many of the {@code sizes[0]} inputs, at the end of each input row, are context
   */
  public Mlp(ParameterLayout layout, String name, int[] sizes, Activation activation, double[][] masks,
             int contextInputs) {
    if (sizes.length < 2) {
      throw new IllegalArgumentException("an MLP needs at least an input and an output size");
    }
    if (contextInputs < 0 || contextInputs > sizes[0]) {
      throw new IllegalArgumentException("context inputs must be between 0 and the " + sizes[0] + " inputs, got "
          + contextInputs);
    }
    this.sizes = sizes.clone();
    this.activation = activation;
    this.masks = masks;
    int layers = sizes.length - 1;
    this.weightOffsets = new int[layers];
    this.biasOffsets = new int[layers];
    for (int l = 0; l < layers; l++) {
      if (masks != null && masks[l].length != sizes[l] * sizes[l + 1]) {
        throw new IllegalArgumentException("mask " + l + " does not match the layer shape");
      }
      if (l == 0 && contextInputs > 0) {
        weightOffsets[l] = layout.allocate(name + ".w0", (sizes[0] - contextInputs) * sizes[1], ParamKind.WEIGHT);
        layout.allocate(name + ".w0.context", contextInputs * sizes[1], ParamKind.WEIGHT);
      } else {
        weightOffsets[l] = layout.allocate(name + ".w" + l, sizes[l] * sizes[l + 1], ParamKind.WEIGHT);
      }
      biasOffsets[l] = layout.allocate(name + ".b" + l, sizes[l + 1], ParamKind.BIAS);
    }
    this.blockRowStart = new int[layers][];
    this.blockRowEnd = new int[layers][];
    int widest = 0;
    for (int l = 0; l < layers; l++) {
      int in = sizes[l];
      int out = sizes[l + 1];
      widest = Math.max(widest, Math.max(in, out));
      int blocks = (out + BLOCK - 1) / BLOCK;
      int[] start = new int[blocks];
      int[] end = new int[blocks];
      for (int b = 0; b < blocks; b++) {
        if (masks == null) {
          start[b] = 0;
          end[b] = in;
          continue;
        }
        int lo = in;
        int hi = 0;
        for (int p = 0; p < in; p++) {
          for (int j = b * BLOCK; j < Math.min(out, (b + 1) * BLOCK); j++) {
            if (masks[l][p * out + j] != 0.0) {
              lo = Math.min(lo, p);
              hi = Math.max(hi, p + 1);
            }
          }
        }
        start[b] = Math.min(lo, hi);
        end[b] = hi;
      }
      blockRowStart[l] = start;
      blockRowEnd[l] = end;
    }
    this.maxWidth = widest;
    if (VECTOR_LANES > 0) {
      quadRowStart = new int[layers][];
      quadRowEnd = new int[layers][];
      singleRowStart = new int[layers][];
      singleRowEnd = new int[layers][];
      for (int l = 0; l < layers; l++) {
        int out = sizes[l + 1];
        int quads = out / (4 * VECTOR_LANES);
        int singles = (out - quads * 4 * VECTOR_LANES) / VECTOR_LANES;
        quadRowStart[l] = new int[quads];
        quadRowEnd[l] = new int[quads];
        singleRowStart[l] = new int[singles];
        singleRowEnd[l] = new int[singles];
        for (int q = 0; q < quads; q++) {
          int[] range = rowRange(l, q * 4 * VECTOR_LANES, (q + 1) * 4 * VECTOR_LANES);
          quadRowStart[l][q] = range[0];
          quadRowEnd[l][q] = range[1];
        }
        for (int q = 0; q < singles; q++) {
          int from = quads * 4 * VECTOR_LANES + q * VECTOR_LANES;
          int[] range = rowRange(l, from, from + VECTOR_LANES);
          singleRowStart[l][q] = range[0];
          singleRowEnd[l][q] = range[1];
        }
      }
    } else {
      quadRowStart = null;
      quadRowEnd = null;
      singleRowStart = null;
      singleRowEnd = null;
    }
  }

  /**
   * The rows {@code [start, end)} of layer l outside which every weight of columns {@code [from, to)} is
   * masked: the union of the scalar kernel's ranges of the {@link #BLOCK}-column blocks those columns
   * touch, so that a SIMD block visits every row the scalar kernel visits for its columns, in the same order.
   */
  private int[] rowRange(int l, int from, int to) {
    int start = Integer.MAX_VALUE;
    int end = 0;
    for (int b = from / BLOCK; b * BLOCK < to; b++) {
      if (blockRowStart[l][b] < blockRowEnd[l][b]) {
        start = Math.min(start, blockRowStart[l][b]);
        end = Math.max(end, blockRowEnd[l][b]);
      }
    }
    return start >= end ? new int[] {0, 0} : new int[] {start, end};
  }

  /**
   * Output columns per SIMD register of the row kernel, 0 when it runs in scalar code: the JDK's Vector
   * API serves it when the JVM runs with {@code --add-modules jdk.incubator.vector} and the preferred
   * species holds at least 2 doubles, unless {@code -Dflowguard.simd=false}. Same results either way.
   */
  static final int VECTOR_LANES = vectorLanes();

  private static int vectorLanes() {
    if ("false".equalsIgnoreCase(System.getProperty("flowguard.simd", "auto"))
        || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      return 0;
    }
    try {
      int lanes = VectorProducts.LANES;
      return lanes >= 2 && lanes <= BLOCK ? lanes : 0;
    } catch (LinkageError e) {
      return 0;
    }
  }

  /** Whether the row kernel runs on SIMD registers in this JVM (see {@link #VECTOR_LANES}). */
  public static boolean simd() {
    return VECTOR_LANES > 0;
  }

  /** Output columns per register block of the inference kernel. */
  private static final int BLOCK = 8;

  /**
   * Inference on a dense network runs dense products ({@link Linalg#matmul}, BLAS when large enough)
   * from this many rows on; below it, and always for MADE networks, the row kernel runs, which skips
   * zero (ReLU) inputs and masked weight blocks and allocates nothing. Measured (one thread, JDK 17, AVX-512):
   * RealNVP 2-64-64-2 conditioners, row kernel vs BLAS, ~265k vs ~210k rows/s at 64 rows, ~270k vs ~290k
   * at 512 and 4096; for the MADE of a d=10 MAF (hidden 128, 128) the row kernel stays ahead at 4096 rows
   * (~84k vs ~71k), its masks and ReLU zeros halving the products that BLAS computes in full.
   */
  static final int BLAS_MIN_ROWS = 256;

  public int inputs() {
    return sizes[0];
  }

  public int outputs() {
    return sizes[sizes.length - 1];
  }

  /**
   * Hidden layers: weights and biases uniform in +-1/sqrt(fan_in) (the classic LeCun-uniform scale, also
   * PyTorch's default); the output layer starts at zero.
   *
   * <p>Why random biases: with zero biases every ReLU or tanh unit of the first layer bends at the same
   * input value (0), so a conditioner with a 1-D input starts as a function with a single kink and must
   * first learn to spread its breakpoints. On the moons example zero biases cost ~0.1 nats of test NLL
   * within the 3000-step budget.
   *
   * @param outputBias the bias of the output layer (the parameter value the element transform reads as
   *     its identity), or null for zero
   */
  public void initialize(double[] theta, SplittableRandom rng, double[] outputBias) {
    int layers = sizes.length - 1;
    for (int l = 0; l < layers; l++) {
      int in = sizes[l];
      int out = sizes[l + 1];
      int wo = weightOffsets[l];
      boolean last = l == layers - 1;
      double limit = 1.0 / Math.sqrt(in);
      for (int i = 0; i < in * out; i++) {
        double w = last ? 0.0 : (2.0 * rng.nextDouble() - 1.0) * limit;
        theta[wo + i] = masks == null ? w : w * masks[l][i];
      }
      for (int j = 0; j < out; j++) {
        double b = last ? (outputBias != null ? outputBias[j] : 0.0) : (2.0 * rng.nextDouble() - 1.0) * limit;
        theta[biasOffsets[l] + j] = b;
      }
    }
  }

  /** Zeroes every masked weight; call after loading parameters from outside. */
  public void enforceMasks(double[] theta) {
    if (masks == null) {
      return;
    }
    for (int l = 0; l < masks.length; l++) {
      int wo = weightOffsets[l];
      for (int i = 0; i < masks[l].length; i++) {
        if (masks[l][i] == 0.0) {
          theta[wo + i] = 0.0;
        }
      }
    }
  }

  /**
   * Inference: {@code out = mlp(in)} for n rows, scratch from {@code ws}. Batches of a MADE network and
   * batches under {@link #BLAS_MIN_ROWS} rows of a dense one run the row kernel below in plain Java and
   * allocate nothing once the workspace has seen the batch size; larger batches of a dense network run
   * dense products, on BLAS when large enough (see {@link Linalg}).
   *
   * <p>The row kernel hands each hidden layer to the next as a dense row plus a bitmask of the units
   * to visit: for ReLU only the positive ones (about half), so the next product skips the zeros; other
   * activations visit every unit. Each product keeps 2 x {@link #BLOCK} (then BLOCK, then one or two)
   * output columns in registers and walks the visited input rows once per block, skipping the rows that
   * the MADE mask zeroes for the whole block. A narrow output layer (one or two outputs, as in coupling
   * layers on 2-D data) is summed densely instead.
   */
  public void forward(double[] theta, double[] in, int n, double[] out, Workspace ws) {
    forward(theta, in, n, out, ws, true);
  }

  /** {@link #forward(double[], double[], int, double[], Workspace)}, the row kernel's SIMD products off when asked. */
  void forward(double[] theta, double[] in, int n, double[] out, Workspace ws, boolean simd) {
    if (n >= BLAS_MIN_ROWS && masks == null) {
      forwardDense(theta, in, n, out, ws);
      return;
    }
    int layers = sizes.length - 1;
    int k0 = sizes[0];
    int mOut = sizes[layers];
    int words = (maxWidth + 63) >>> 6;
    double[] valA = ws.take(maxWidth);
    double[] valB = ws.take(maxWidth);
    long[] maskA = ws.takeLong(words);
    long[] maskB = ws.takeLong(words);
    int[] rows = VECTOR_LANES > 0 && simd ? ws.takeInt(maxWidth) : null;
    boolean narrow = layers >= 2 && mOut <= 2;
    boolean relu = activation == Activation.RELU;
    for (int r = 0; r < n; r++) {
      double[] valIn = in;
      int valOff = r * k0;
      long[] maskIn = null;
      double[] valOut = valA;
      long[] maskOut = maskA;
      for (int l = 0; l < layers; l++) {
        if (l == layers - 1) {
          rowProduct(theta, l, valIn, valOff, maskIn, out, r * mOut, null, simd, rows);
        } else if (narrow && l == layers - 2) {
          rowProduct(theta, l, valIn, valOff, maskIn, valOut, 0, null, simd, rows);
          narrowOutput(theta, valOut, out, r * mOut, relu);
          break;
        } else {
          if (relu) {
            // ReLU is implicit: the mask lists the positive units, the only ones the next layer reads.
            rowProduct(theta, l, valIn, valOff, maskIn, valOut, 0, maskOut, simd, rows);
          } else {
            rowProduct(theta, l, valIn, valOff, maskIn, valOut, 0, null, simd, rows);
            int m = sizes[l + 1];
            for (int j = 0; j < m; j++) {
              valOut[j] = activation.apply(valOut[j]);
            }
            allMask(m, maskOut);
          }
          valIn = valOut;
          valOff = 0;
          maskIn = maskOut;
          valOut = valOut == valA ? valB : valA;
          maskOut = maskOut == maskA ? maskB : maskA;
        }
      }
    }
  }

  /** The dense formulation: bias, a (possibly BLAS) product and the activation, layer by layer. */
  private void forwardDense(double[] theta, double[] in, int n, double[] out, Workspace ws) {
    int layers = sizes.length - 1;
    double[] cur = in;
    for (int l = 0; l < layers; l++) {
      boolean last = l == layers - 1;
      double[] next = last ? out : ws.take(n * sizes[l + 1]);
      dense(theta, l, cur, n, next);
      if (!last) {
        int len = n * sizes[l + 1];
        for (int i = 0; i < len; i++) {
          next[i] = activation.apply(next[i]);
        }
      }
      cur = next;
    }
  }

  private static void allMask(int m, long[] mask) {
    for (int w = 0, j0 = 0; j0 < m; w++, j0 += 64) {
      int end = Math.min(64, m - j0);
      mask[w] = end == 64 ? -1L : (1L << end) - 1;
    }
  }

  /**
   * One row through layer l: {@code y[yOff + j] = b_j + sum_p x_p W[p, j]} (the pre-activation) over the
   * input units p that {@code maskIn} lists (every unit when it is null), with {@code x_p = x[xOff + p]}.
   * The visited rows of each block are the listed ones within the block's MADE row range.
   */
  private void rowProduct(double[] theta, int l, double[] x, int xOff, long[] maskIn, double[] y, int yOff,
                          long[] maskOut, boolean simd, int[] visited) {
    int k = sizes[l];
    int m = sizes[l + 1];
    int wo = weightOffsets[l];
    int bo = biasOffsets[l];
    int[] rowStart = blockRowStart[l];
    int[] rowEnd = blockRowEnd[l];
    int j0 = 0;
    int b = 0;
    if (VECTOR_LANES > 0 && simd) {
      j0 = VectorProducts.product(theta, wo, bo, k, m, quadRowStart[l], quadRowEnd[l], singleRowStart[l],
          singleRowEnd[l], x, xOff, maskIn, y, yOff, maskOut, visited);
      if (j0 == m) {
        return;
      }
      b = j0 / BLOCK; // fewer than LANES <= BLOCK columns are left, all in this block
    }
    for (; j0 + 2 * BLOCK <= m; j0 += 2 * BLOCK, b += 2) {
      int start = Math.min(rowStart[b], rowStart[b + 1]);
      int end = Math.max(rowEnd[b], rowEnd[b + 1]);
      int col = wo + j0;
      int bj = bo + j0;
      double y0 = theta[bj];
      double y1 = theta[bj + 1];
      double y2 = theta[bj + 2];
      double y3 = theta[bj + 3];
      double y4 = theta[bj + 4];
      double y5 = theta[bj + 5];
      double y6 = theta[bj + 6];
      double y7 = theta[bj + 7];
      double y8 = theta[bj + 8];
      double y9 = theta[bj + 9];
      double y10 = theta[bj + 10];
      double y11 = theta[bj + 11];
      double y12 = theta[bj + 12];
      double y13 = theta[bj + 13];
      double y14 = theta[bj + 14];
      double y15 = theta[bj + 15];
      for (int w = start >>> 6; w << 6 < end; w++) {
        long bits = rowBits(maskIn, w, k, start, end);
        int rows = Long.bitCount(bits);
        int xb = xOff + (w << 6);
        int qb = col + (w << 6) * m;
        for (int i = 0; i < rows; i++) {
          int z = Long.numberOfTrailingZeros(bits);
          bits &= bits - 1;
          double a = x[xb + z];
          int q = qb + z * m;
          y0 = Math.fma(a, theta[q], y0);
          y1 = Math.fma(a, theta[q + 1], y1);
          y2 = Math.fma(a, theta[q + 2], y2);
          y3 = Math.fma(a, theta[q + 3], y3);
          y4 = Math.fma(a, theta[q + 4], y4);
          y5 = Math.fma(a, theta[q + 5], y5);
          y6 = Math.fma(a, theta[q + 6], y6);
          y7 = Math.fma(a, theta[q + 7], y7);
          y8 = Math.fma(a, theta[q + 8], y8);
          y9 = Math.fma(a, theta[q + 9], y9);
          y10 = Math.fma(a, theta[q + 10], y10);
          y11 = Math.fma(a, theta[q + 11], y11);
          y12 = Math.fma(a, theta[q + 12], y12);
          y13 = Math.fma(a, theta[q + 13], y13);
          y14 = Math.fma(a, theta[q + 14], y14);
          y15 = Math.fma(a, theta[q + 15], y15);
        }
      }
      int o = yOff + j0;
      y[o] = y0;
      y[o + 1] = y1;
      y[o + 2] = y2;
      y[o + 3] = y3;
      y[o + 4] = y4;
      y[o + 5] = y5;
      y[o + 6] = y6;
      y[o + 7] = y7;
      y[o + 8] = y8;
      y[o + 9] = y9;
      y[o + 10] = y10;
      y[o + 11] = y11;
      y[o + 12] = y12;
      y[o + 13] = y13;
      y[o + 14] = y14;
      y[o + 15] = y15;
      if (maskOut != null) {
        long bits = positive(y0) | positive(y1) << 1 | positive(y2) << 2 | positive(y3) << 3
            | positive(y4) << 4 | positive(y5) << 5 | positive(y6) << 6 | positive(y7) << 7
            | positive(y8) << 8 | positive(y9) << 9 | positive(y10) << 10 | positive(y11) << 11
            | positive(y12) << 12 | positive(y13) << 13 | positive(y14) << 14 | positive(y15) << 15;
        setBits(maskOut, j0, bits);
      }
    }
    for (; j0 + BLOCK <= m; j0 += BLOCK, b++) {
      int start = rowStart[b];
      int end = rowEnd[b];
      int col = wo + j0;
      int bj = bo + j0;
      double y0 = theta[bj];
      double y1 = theta[bj + 1];
      double y2 = theta[bj + 2];
      double y3 = theta[bj + 3];
      double y4 = theta[bj + 4];
      double y5 = theta[bj + 5];
      double y6 = theta[bj + 6];
      double y7 = theta[bj + 7];
      for (int w = start >>> 6; w << 6 < end; w++) {
        long bits = rowBits(maskIn, w, k, start, end);
        int rows = Long.bitCount(bits);
        int xb = xOff + (w << 6);
        int qb = col + (w << 6) * m;
        for (int i = 0; i < rows; i++) {
          int z = Long.numberOfTrailingZeros(bits);
          bits &= bits - 1;
          double a = x[xb + z];
          int q = qb + z * m;
          y0 = Math.fma(a, theta[q], y0);
          y1 = Math.fma(a, theta[q + 1], y1);
          y2 = Math.fma(a, theta[q + 2], y2);
          y3 = Math.fma(a, theta[q + 3], y3);
          y4 = Math.fma(a, theta[q + 4], y4);
          y5 = Math.fma(a, theta[q + 5], y5);
          y6 = Math.fma(a, theta[q + 6], y6);
          y7 = Math.fma(a, theta[q + 7], y7);
        }
      }
      int o = yOff + j0;
      y[o] = y0;
      y[o + 1] = y1;
      y[o + 2] = y2;
      y[o + 3] = y3;
      y[o + 4] = y4;
      y[o + 5] = y5;
      y[o + 6] = y6;
      y[o + 7] = y7;
      if (maskOut != null) {
        long bits = positive(y0) | positive(y1) << 1 | positive(y2) << 2 | positive(y3) << 3
            | positive(y4) << 4 | positive(y5) << 5 | positive(y6) << 6 | positive(y7) << 7;
        setBits(maskOut, j0, bits);
      }
    }
    if (j0 < m) {
      // The last, partial block: one or two columns at a time.
      int start = rowStart[b];
      int end = rowEnd[b];
      for (; j0 < m; j0 += 2) {
        boolean pair = j0 + 1 < m;
        int col = wo + j0;
        double y0 = theta[bo + j0];
        double y1 = pair ? theta[bo + j0 + 1] : 0.0;
        for (int w = start >>> 6; w << 6 < end; w++) {
          long bits = rowBits(maskIn, w, k, start, end);
          int rows = Long.bitCount(bits);
          int xb = xOff + (w << 6);
          int qb = col + (w << 6) * m;
          for (int i = 0; i < rows; i++) {
            int z = Long.numberOfTrailingZeros(bits);
            bits &= bits - 1;
            double a = x[xb + z];
            int q = qb + z * m;
            y0 = Math.fma(a, theta[q], y0);
            if (pair) {
              y1 = Math.fma(a, theta[q + 1], y1);
            }
          }
        }
        y[yOff + j0] = y0;
        if (pair) {
          y[yOff + j0 + 1] = y1;
        }
        if (maskOut != null) {
          long bits = positive(y0) | (pair ? positive(y1) << 1 : 0L);
          setBits(maskOut, j0, bits);
        }
      }
    }
  }

  /**
   * Puts the bits of the units from j0 into the mask. Blocks never straddle a 64-unit word and every
   * word starts a block, so the first block of a word assigns it (no clearing pass) and later ones OR.
   */
  static void setBits(long[] mask, int j0, long bits) {
    int shift = j0 & 63;
    if (shift == 0) {
      mask[j0 >>> 6] = bits;
    } else {
      mask[j0 >>> 6] |= bits << shift;
    }
  }

  /**
   * 1 for h > 0, else 0, without a branch: the sign bit of the negated raw bits, which are positive
   * exactly for positive h (-0.0 also gives 1; as an activation value it adds nothing).
   */
  static long positive(double h) {
    return -Double.doubleToRawLongBits(h) >>> 63;
  }

  /**
   * The input rows to visit in 64-row word w: those listed in {@code maskIn} (all k rows when it is
   * null), restricted to {@code [start, end)}.
   */
  static long rowBits(long[] maskIn, int w, int k, int start, int end) {
    int base = w << 6;
    long bits = maskIn == null ? -1L : maskIn[w];
    int hi = Math.min(end, k) - base;
    if (hi < 64) {
      bits &= (1L << hi) - 1;
    }
    int lo = start - base;
    if (lo > 0) {
      bits &= -1L << lo;
    }
    return bits;
  }

  /**
   * The last layer when it has one or two outputs: {@code y_o = b_o + sum_j act(h_j) W[j, o]} over all
   * hidden units (pre-activations in {@code h}), in four interleaved partial sums per output so that the
   * fma latency is hidden. Dense: for so few products per unit, skipping the zeros would cost more than
   * it saves. ReLU is taken as {@code (h + |h|) / 2}, two instructions (Math.max costs five), with the
   * exact halving applied once to the sums.
   */
  private void narrowOutput(double[] theta, double[] h, double[] y, int yOff, boolean relu) {
    int l = sizes.length - 2;
    int k = sizes[l];
    int m = sizes[l + 1];
    int wo = weightOffsets[l];
    int bo = biasOffsets[l];
    double scale = relu ? 0.5 : 1.0;
    if (m == 2) {
      double a0 = 0.0;
      double a1 = 0.0;
      double b0 = 0.0;
      double b1 = 0.0;
      double c0 = 0.0;
      double c1 = 0.0;
      double d0 = 0.0;
      double d1 = 0.0;
      int p = 0;
      for (; p + 3 < k; p += 4) {
        double r0 = scaledActivation(h[p], relu);
        double r1 = scaledActivation(h[p + 1], relu);
        double r2 = scaledActivation(h[p + 2], relu);
        double r3 = scaledActivation(h[p + 3], relu);
        int q = wo + 2 * p;
        a0 = Math.fma(r0, theta[q], a0);
        a1 = Math.fma(r0, theta[q + 1], a1);
        b0 = Math.fma(r1, theta[q + 2], b0);
        b1 = Math.fma(r1, theta[q + 3], b1);
        c0 = Math.fma(r2, theta[q + 4], c0);
        c1 = Math.fma(r2, theta[q + 5], c1);
        d0 = Math.fma(r3, theta[q + 6], d0);
        d1 = Math.fma(r3, theta[q + 7], d1);
      }
      for (; p < k; p++) {
        double r0 = scaledActivation(h[p], relu);
        a0 = Math.fma(r0, theta[wo + 2 * p], a0);
        a1 = Math.fma(r0, theta[wo + 2 * p + 1], a1);
      }
      y[yOff] = theta[bo] + scale * ((a0 + b0) + (c0 + d0));
      y[yOff + 1] = theta[bo + 1] + scale * ((a1 + b1) + (c1 + d1));
    } else {
      double a0 = 0.0;
      double b0 = 0.0;
      double c0 = 0.0;
      double d0 = 0.0;
      int p = 0;
      for (; p + 3 < k; p += 4) {
        int q = wo + p;
        a0 = Math.fma(scaledActivation(h[p], relu), theta[q], a0);
        b0 = Math.fma(scaledActivation(h[p + 1], relu), theta[q + 1], b0);
        c0 = Math.fma(scaledActivation(h[p + 2], relu), theta[q + 2], c0);
        d0 = Math.fma(scaledActivation(h[p + 3], relu), theta[q + 3], d0);
      }
      for (; p < k; p++) {
        a0 = Math.fma(scaledActivation(h[p], relu), theta[wo + p], a0);
      }
      y[yOff] = theta[bo] + scale * ((a0 + b0) + (c0 + d0));
    }
  }

  /** {@code 2 relu(h) = h + |h|} for ReLU (exact; +0.0 for h <= 0), else act(h): {@code act(h) / scale}. */
  private double scaledActivation(double h, boolean relu) {
    return relu ? h + Math.abs(h) : activation.apply(h);
  }


  /** Training forward pass; keeps what {@link #backward} needs. {@code in} must not be modified after. */
  public Trace forwardTrace(double[] theta, double[] in, int n) {
    int layers = sizes.length - 1;
    Trace t = new Trace(in, layers, n);
    double[] cur = in;
    for (int l = 0; l < layers; l++) {
      int len = n * sizes[l + 1];
      double[] pre = new double[len];
      dense(theta, l, cur, n, pre);
      if (l == layers - 1) {
        t.pre[l] = pre;
        t.post[l] = pre;
      } else {
        double[] post = new double[len];
        for (int i = 0; i < len; i++) {
          post[i] = activation.apply(pre[i]);
        }
        t.pre[l] = pre;
        t.post[l] = post;
      }
      cur = t.post[l];
    }
    return t;
  }

  /**
   * Backward pass: accumulates parameter gradients into {@code gTheta} and writes the input gradient
   * into {@code gIn} (skipped when null).
   */
  public void backward(double[] theta, Trace t, double[] gOut, double[] gIn, double[] gTheta) {
    int layers = sizes.length - 1;
    int n = t.n;
    double[] g = gOut;
    for (int l = layers - 1; l >= 0; l--) {
      int in = sizes[l];
      int out = sizes[l + 1];
      if (l != layers - 1) {
        double[] pre = t.pre[l];
        double[] post = t.post[l];
        double[] gp = new double[n * out];
        for (int i = 0; i < gp.length; i++) {
          gp[i] = g[i] * activation.derivative(pre[i], post[i]);
        }
        g = gp;
      }
      double[] x = l == 0 ? t.input : t.post[l - 1];
      double[] gw = new double[in * out];
      Linalg.matmulTransA(x, g, gw, n, in, out, false);
      int wo = weightOffsets[l];
      if (masks != null) {
        double[] m = masks[l];
        for (int i = 0; i < gw.length; i++) {
          gTheta[wo + i] += gw[i] * m[i];
        }
      } else {
        for (int i = 0; i < gw.length; i++) {
          gTheta[wo + i] += gw[i];
        }
      }
      int bo = biasOffsets[l];
      for (int r = 0; r < n; r++) {
        int ro = r * out;
        for (int j = 0; j < out; j++) {
          gTheta[bo + j] += g[ro + j];
        }
      }
      if (l > 0) {
        double[] gx = new double[n * in];
        Linalg.matmulTransB(g, theta, weightOffsets[l], gx, n, out, in, false);
        g = gx;
      } else if (gIn != null) {
        Linalg.matmulTransB(g, theta, weightOffsets[l], gIn, n, out, in, false);
      }
    }
  }

  private void dense(double[] theta, int l, double[] x, int n, double[] y) {
    int in = sizes[l];
    int out = sizes[l + 1];
    int bo = biasOffsets[l];
    for (int r = 0; r < n; r++) {
      System.arraycopy(theta, bo, y, r * out, out);
    }
    Linalg.matmul(x, theta, weightOffsets[l], y, n, in, out, true);
  }
}
