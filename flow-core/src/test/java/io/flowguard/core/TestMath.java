package io.flowguard.core;

/**
 * Small dense linear algebra for tests, written independently of the main code: log|det| by LU with
 * partial pivoting, inverse by Gauss-Jordan, Cholesky, products and a Gaussian log-density.
 */
public final class TestMath {

  private TestMath() {}

  /** log|det A| for a row-major d x d matrix. */
  public static double logAbsDet(double[] a, int d) {
    double[] m = a.clone();
    double logDet = 0.0;
    for (int c = 0; c < d; c++) {
      int piv = c;
      for (int r = c + 1; r < d; r++) {
        if (Math.abs(m[r * d + c]) > Math.abs(m[piv * d + c])) {
          piv = r;
        }
      }
      if (piv != c) {
        for (int k = 0; k < d; k++) {
          double tmp = m[c * d + k];
          m[c * d + k] = m[piv * d + k];
          m[piv * d + k] = tmp;
        }
      }
      double p = m[c * d + c];
      logDet += Math.log(Math.abs(p));
      for (int r = c + 1; r < d; r++) {
        double f = m[r * d + c] / p;
        for (int k = c; k < d; k++) {
          m[r * d + k] -= f * m[c * d + k];
        }
      }
    }
    return logDet;
  }

  /** A * B for row-major (r x k) and (k x c) matrices. */
  public static double[] multiply(double[] a, double[] b, int r, int k, int c) {
    double[] out = new double[r * c];
    for (int i = 0; i < r; i++) {
      for (int p = 0; p < k; p++) {
        for (int j = 0; j < c; j++) {
          out[i * c + j] += a[i * k + p] * b[p * c + j];
        }
      }
    }
    return out;
  }

  /** The transpose of a row-major (r x c) matrix. */
  public static double[] transpose(double[] a, int r, int c) {
    double[] t = new double[r * c];
    for (int i = 0; i < r; i++) {
      for (int j = 0; j < c; j++) {
        t[j * r + i] = a[i * c + j];
      }
    }
    return t;
  }

  /** The inverse of a row-major d x d matrix by Gauss-Jordan elimination with partial pivoting. */
  public static double[] inverse(double[] a, int d) {
    double[] m = a.clone();
    double[] inv = new double[d * d];
    for (int i = 0; i < d; i++) {
      inv[i * d + i] = 1.0;
    }
    for (int c = 0; c < d; c++) {
      int piv = c;
      for (int r = c + 1; r < d; r++) {
        if (Math.abs(m[r * d + c]) > Math.abs(m[piv * d + c])) {
          piv = r;
        }
      }
      swapRows(m, d, c, piv);
      swapRows(inv, d, c, piv);
      double p = m[c * d + c];
      for (int k = 0; k < d; k++) {
        m[c * d + k] /= p;
        inv[c * d + k] /= p;
      }
      for (int r = 0; r < d; r++) {
        if (r != c) {
          double f = m[r * d + c];
          for (int k = 0; k < d; k++) {
            m[r * d + k] -= f * m[c * d + k];
            inv[r * d + k] -= f * inv[c * d + k];
          }
        }
      }
    }
    return inv;
  }

  private static void swapRows(double[] m, int d, int a, int b) {
    if (a == b) {
      return;
    }
    for (int k = 0; k < d; k++) {
      double t = m[a * d + k];
      m[a * d + k] = m[b * d + k];
      m[b * d + k] = t;
    }
  }

  /** The lower-triangular Cholesky factor C of a symmetric positive-definite S = C C^T. */
  public static double[] cholesky(double[] s, int d) {
    double[] c = new double[d * d];
    for (int i = 0; i < d; i++) {
      for (int j = 0; j <= i; j++) {
        double v = s[i * d + j];
        for (int k = 0; k < j; k++) {
          v -= c[i * d + k] * c[j * d + k];
        }
        if (i == j) {
          if (!(v > 0)) {
            throw new IllegalArgumentException("matrix is not positive definite");
          }
          c[i * d + i] = Math.sqrt(v);
        } else {
          c[i * d + j] = v / c[j * d + j];
        }
      }
    }
    return c;
  }

  /** log N(x; mean, cov) from the Cholesky factor of the covariance. */
  public static double gaussianLogDensity(double[] x, int xOff, double[] mean, double[] cov, int d) {
    double[] c = cholesky(cov, d);
    double[] y = new double[d];
    double quad = 0.0;
    double logDet = 0.0;
    for (int i = 0; i < d; i++) {
      double v = x[xOff + i] - mean[i];
      for (int k = 0; k < i; k++) {
        v -= c[i * d + k] * y[k];
      }
      y[i] = v / c[i * d + i];
      quad += y[i] * y[i];
      logDet += 2.0 * Math.log(c[i * d + i]);
    }
    return -0.5 * d * Math.log(2.0 * Math.PI) - 0.5 * logDet - 0.5 * quad;
  }
}
