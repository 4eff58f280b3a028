package io.flowguard.core.diagnostics;

import java.util.Arrays;

/**
 * Statistics of latent codes z = f^-1(x). Under a perfect fit with a standard-normal base, z ~ N(0, I)
 * and the squared norm ||z||^2 ~ chi-square(d); the Kolmogorov-Smirnov distance between the empirical
 * distribution of ||z||^2 and chi-square(d) summarizes how far the fitted flow is from that.
 */
public final class LatentStats {

  private LatentStats() {}

  /** ||z||^2 of each row of the row-major n x d batch {@code z}. */
  public static double[] squaredNorms(double[] z, int n, int d) {
    if (z.length < (long) n * d) {
      throw new IllegalArgumentException("expected " + n + " x " + d + " values, got " + z.length);
    }
    double[] out = new double[n];
    for (int r = 0; r < n; r++) {
      double s = 0.0;
      for (int j = 0; j < d; j++) {
        double v = z[r * d + j];
        s += v * v;
      }
      out[r] = s;
    }
    return out;
  }

  /**
   * The Kolmogorov-Smirnov statistic sup_x |F_n(x) - F(x)| of the squared norms against chi-square(d),
   * where F_n is the empirical CDF (both one-sided gaps at every jump are taken). Non-finite norms count
   * as +infinity (they lie beyond every finite x). NaN for an empty sample.
   */
  public static double ksChiSquare(double[] squaredNorms, int d) {
    int n = squaredNorms.length;
    if (n == 0) {
      return Double.NaN;
    }
    double[] s = sortedFinite(squaredNorms);
    double ks = 0.0;
    for (int i = 0; i < s.length; i++) {
      double f = ChiSquare.cdf(s[i], d);
      ks = Math.max(ks, Math.max((i + 1.0) / n - f, f - (double) i / n));
    }
    // Non-finite norms: the empirical CDF stays at s.length / n while F reaches 1.
    return Math.max(ks, 1.0 - (double) s.length / n);
  }

  /**
   * The asymptotic critical value of the one-sample KS statistic at the 5 % level, 1.358 / sqrt(n) (valid
   * for a fully specified distribution and large n).
   */
  public static double ksCritical5(int n) {
    return 1.358 / Math.sqrt(n);
  }

  /** The chi-square(d) quantiles at the plotting positions (i + 0.5) / n, i = 0 .. n-1 (ascending). */
  public static double[] chiSquarePlottingQuantiles(int n, int d) {
    double[] q = new double[n];
    for (int i = 0; i < n; i++) {
      q[i] = ChiSquare.quantile((i + 0.5) / n, d);
    }
    return q;
  }

  /** The finite values, ascending (a copy). */
  static double[] sortedFinite(double[] values) {
    double[] s = Arrays.stream(values).filter(Double::isFinite).toArray();
    Arrays.sort(s);
    return s;
  }
}
