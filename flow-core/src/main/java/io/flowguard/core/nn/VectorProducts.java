package io.flowguard.core.nn;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The row kernel's products on SIMD registers (the JDK's Vector API, {@code jdk.incubator.vector}):
 * {@link Mlp}'s register blocks, {@link #LANES} output columns to a register instead of one. Loaded only
 * when the JVM runs with {@code --add-modules jdk.incubator.vector} (see {@link Mlp#vectorKernel()}); the
 * scalar kernel serves every other JVM.
 *
 * <p>Same results, bit for bit, as the scalar kernel: each output column starts at its bias and adds
 * {@code fma(x_p, W[p, j], y_j)} over the same visited rows p in the same ascending order (a lane-wise
 * fused multiply-add rounds exactly as {@link Math#fma}), and a column block visits the rows of the scalar
 * kernel's blocks that it covers, the extra ones having masked (zero) weights. Only the sign of an exact
 * zero sum could differ, which no later step reads. That holds for finite values: a non-finite input or
 * hidden unit times a masked weight is NaN, so the two kernels, whose blocks differ in width, can differ
 * in which outputs of such a row are NaN (the row's log-density is not finite either way, and the
 * scorer rejects it).
 */
final class VectorProducts {

  private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;

  /** Output columns per register. */
  static final int LANES = SPECIES.length();

  private VectorProducts() {}

  /**
   * Columns {@code [0, m - m % LANES)} of {@code y = b + x W} (layer weights at {@code wo}, biases at
   * {@code bo} in theta, {@code k x m} row-major), visiting the rows {@code maskIn} lists (all when null)
   * within each column block's row range; when {@code maskOut} is not null, sets its bits of the columns
   * done for the positive outputs (as {@link Mlp}'s scalar kernel does). Four registers at a time, then one.
   *
   * @param quadStart per block of 4 x LANES columns, the first row with a weight that is not masked
   * @param quadEnd per such block, one past the last
   * @param singleStart per block of LANES columns (after the quad blocks), the same
   * @param singleEnd per such block, one past the last
   * @param rows scratch for at least k row indices
   * @return the first column left to the scalar kernel
   */
  static int product(double[] theta, int wo, int bo, int k, int m, int[] quadStart, int[] quadEnd,
                     int[] singleStart, int[] singleEnd, double[] x, int xOff, long[] maskIn, double[] y, int yOff,
                     long[] maskOut, int[] rows) {
    // The visited rows, ascending, once per product; each column block then walks the slice of them in its
    // row range in one flat loop (accumulators in registers: no nested loop for them to cross).
    int count = 0;
    for (int w = 0, words = (k + 63) >>> 6; w < words; w++) {
      long bits = Mlp.rowBits(maskIn, w, k, 0, k);
      while (bits != 0) {
        rows[count++] = (w << 6) + Long.numberOfTrailingZeros(bits);
        bits &= bits - 1;
      }
    }
    int j0 = 0;
    int q = 0;
    for (; j0 + 4 * LANES <= m; j0 += 4 * LANES, q++) {
      int end = quadEnd[q];
      int i = first(rows, count, quadStart[q]);
      int bj = bo + j0;
      DoubleVector y0 = DoubleVector.fromArray(SPECIES, theta, bj);
      DoubleVector y1 = DoubleVector.fromArray(SPECIES, theta, bj + LANES);
      DoubleVector y2 = DoubleVector.fromArray(SPECIES, theta, bj + 2 * LANES);
      DoubleVector y3 = DoubleVector.fromArray(SPECIES, theta, bj + 3 * LANES);
      int col = wo + j0;
      for (; i < count; i++) {
        int p = rows[i];
        if (p >= end) {
          break;
        }
        DoubleVector a = DoubleVector.broadcast(SPECIES, x[xOff + p]);
        int at = col + p * m;
        y0 = a.fma(DoubleVector.fromArray(SPECIES, theta, at), y0);
        y1 = a.fma(DoubleVector.fromArray(SPECIES, theta, at + LANES), y1);
        y2 = a.fma(DoubleVector.fromArray(SPECIES, theta, at + 2 * LANES), y2);
        y3 = a.fma(DoubleVector.fromArray(SPECIES, theta, at + 3 * LANES), y3);
      }
      int o = yOff + j0;
      y0.intoArray(y, o);
      y1.intoArray(y, o + LANES);
      y2.intoArray(y, o + 2 * LANES);
      y3.intoArray(y, o + 3 * LANES);
      if (maskOut != null) {
        Mlp.setBits(maskOut, j0, positive(y, o, 4 * LANES));
      }
    }
    for (int s = 0; j0 + LANES <= m; j0 += LANES, s++) {
      int end = singleEnd[s];
      int i = first(rows, count, singleStart[s]);
      DoubleVector y0 = DoubleVector.fromArray(SPECIES, theta, bo + j0);
      int col = wo + j0;
      for (; i < count; i++) {
        int p = rows[i];
        if (p >= end) {
          break;
        }
        y0 = DoubleVector.broadcast(SPECIES, x[xOff + p]).fma(DoubleVector.fromArray(SPECIES, theta, col + p * m), y0);
      }
      y0.intoArray(y, yOff + j0);
      if (maskOut != null) {
        Mlp.setBits(maskOut, j0, positive(y, yOff + j0, LANES));
      }
    }
    return j0;
  }

  /** The index of the first of the {@code count} ascending rows that is at least {@code start}. */
  private static int first(int[] rows, int count, int start) {
    int i = 0;
    while (i < count && rows[i] < start) {
      i++;
    }
    return i;
  }

  /**
   * The "positive" bits of {@code y[from, from + n)} (n at most 64, within one 64-unit word of the
   * mask) as {@link Mlp}'s scalar kernel defines them: the sign bit of the negated raw bits (+0.0 is not
   * positive; -0.0 and NaN with a clear sign bit are). Scalar: a vector mask's {@code toLong} is a lane
   * loop on this JDK.
   */
  private static long positive(double[] y, int from, int n) {
    long bits = 0;
    for (int i = 0; i < n; i++) {
      bits |= Mlp.positive(y[from + i]) << i;
    }
    return bits;
  }
}
