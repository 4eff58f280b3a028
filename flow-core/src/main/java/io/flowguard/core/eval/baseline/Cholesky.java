package io.flowguard.core.eval.baseline;

/**
 * Lower-triangular Cholesky factors of small dense covariance matrices (row-major {@code d x d}), and
 * the whitening solve {@code L y = x} that turns a Mahalanobis distance into a squared Euclidean one.
 */
final class Cholesky {

  /**
   * A pivot below this fraction of its diagonal entry means the matrix is singular to working precision:
   * the factor would exist only through round-off and amplify noise by {@code 1/sqrt(pivot)}.
   */
  static final double RELATIVE_PIVOT_FLOOR = 1e-12;

  private Cholesky() {}

  /**
   * The lower factor {@code L} with {@code L L^T = a}, or {@code null} if {@code a} is not positive
   * definite to working precision (see {@link #RELATIVE_PIVOT_FLOOR}). Package-private: callers turn a
   * null into a ridge or a clear error.
   */
  static double[] factor(double[] a, int d) {
    double[] l = new double[d * d];
    for (int i = 0; i < d; i++) {
      for (int j = 0; j <= i; j++) {
        double s = a[i * d + j];
        for (int k = 0; k < j; k++) {
          s -= l[i * d + k] * l[j * d + k];
        }
        if (i == j) {
          if (!(s > RELATIVE_PIVOT_FLOOR * Math.abs(a[i * d + i])) || !(s > 0)) {
            return null;
          }
          l[i * d + i] = Math.sqrt(s);
        } else {
          l[i * d + j] = s / l[j * d + j];
        }
      }
    }
    return l;
  }

  /** {@code sum_i log L_ii} = half the log-determinant of {@code L L^T}. */
  static double halfLogDet(double[] l, int d) {
    double s = 0;
    for (int i = 0; i < d; i++) {
      s += Math.log(l[i * d + i]);
    }
    return s;
  }

  /** Solves {@code L y = x - shift} for {@code y} (forward substitution); {@code shift} may be null. */
  static void whiten(double[] l, int d, double[] x, int xOff, double[] shift, double[] y, int yOff) {
    for (int i = 0; i < d; i++) {
      double s = x[xOff + i] - (shift == null ? 0.0 : shift[i]);
      for (int k = 0; k < i; k++) {
        s -= l[i * d + k] * y[yOff + k];
      }
      y[yOff + i] = s / l[i * d + i];
    }
  }

  /**
   * The factor of {@code a + ridge I}, where {@code ridge} is 0 if {@code a} factors as it is, otherwise
   * the first of {@code 1e-9, 1e-8, ..., 1e-3} times the mean diagonal (or times 1 when the diagonal is
   * 0) that makes it factor.
   *
   * @return the factor and the ridge used, or null if even the largest ridge fails
   */
  static Ridged factorWithRidge(double[] a, int d) {
    double[] l = factor(a, d);
    if (l != null) {
      return new Ridged(l, 0.0);
    }
    double meanDiag = 0;
    for (int i = 0; i < d; i++) {
      meanDiag += a[i * d + i] / d;
    }
    double scale = meanDiag > 0 ? meanDiag : 1.0;
    for (double rel = 1e-9; rel <= 1.001e-3; rel *= 10) {
      double ridge = rel * scale;
      double[] b = a.clone();
      for (int i = 0; i < d; i++) {
        b[i * d + i] += ridge;
      }
      l = factor(b, d);
      if (l != null) {
        return new Ridged(l, ridge);
      }
    }
    return null;
  }

  /** A factor and the ridge that was added to the diagonal before factoring. */
  record Ridged(double[] factor, double ridge) {}
}
