package io.flowguard.core;

/** Small dense linear algebra for tests: log|det| by LU with partial pivoting. */
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
}
