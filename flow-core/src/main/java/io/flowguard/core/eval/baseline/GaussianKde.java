package io.flowguard.core.eval.baseline;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Gaussian kernel density estimate with Scott's bandwidth factor {@code n^(-1/(d+4))}: every training row
 * carries a Gaussian kernel and the density is the mean of the kernels, so it integrates to 1. Two
 * kernel shapes ({@link Bandwidth}):
 * <ul>
 *   <li>{@link Bandwidth#SCOTT_ISOTROPIC}: kernel covariance {@code factor^2 I} in the (standardized)
 *       space of the rows, as scikit-learn's {@code KernelDensity(bandwidth="scott")} computes it. This is
 *       the {@code kde} baseline: it reproduces the reference "kde" column (see
 *       {@code docs/evaluation.md}).
 *   <li>{@link Bandwidth#SCOTT_FULL_COVARIANCE}: kernel covariance = data covariance (unbiased,
 *       {@code n - 1} denominator) times {@code factor^2}, as {@code scipy.stats.gaussian_kde} computes it
 *       (the {@code kde-full} baseline).
 * </ul>
 *
 * <p>The log-density is an exact log-sum-exp over all {@code n} kernels. Training rows are whitened once
 * by the Cholesky factor {@code L} of the kernel covariance, so each kernel costs one squared Euclidean
 * distance: {@code log p(x) = logsumexp_i(-|L^-1 x - L^-1 x_i|^2 / 2) - log n - (d/2) log 2 pi - log det L}.
 *
 * <p>Singular covariance (only with {@link Bandwidth#SCOTT_FULL_COVARIANCE}: a constant column, or
 * linearly dependent columns such as the streaming protocol's differences of window values): scipy
 * raises an error there; this class instead adds the
 * smallest ridge {@code r I} with {@code r} in {@code 1e-9, 1e-8, ..., 1e-3} times the mean kernel
 * variance that makes the Cholesky factor well defined (pivots above 1e-12 of their diagonal), and
 * reports it in {@link #describe()}. The density stays normalized; along the degenerate directions it is
 * as narrow as the ridge, so absolute log-densities (test NLL) then mostly reflect the ridge while the
 * ranking of rows (AUROC, AP) is that of the non-degenerate directions.
 */
public final class GaussianKde implements DensityBaseline {

  /** The shape of the kernels; both use Scott's factor. */
  public enum Bandwidth {
    /** {@code factor^2 I}: scikit-learn {@code KernelDensity(bandwidth="scott")}. */
    SCOTT_ISOTROPIC,
    /** {@code factor^2 Cov(data)}: {@code scipy.stats.gaussian_kde} with its default (Scott) bandwidth. */
    SCOTT_FULL_COVARIANCE
  }

  private final Bandwidth bandwidth;
  private final int d;
  private final int n;
  private final double factor;
  private final double ridge;
  private final double[] cholesky;
  private final double[] whitenedTrain;
  private final double logNormalizer;

  private GaussianKde(Bandwidth bandwidth, int d, int n, double factor, double ridge, double[] cholesky,
                      double[] whitenedTrain) {
    this.bandwidth = bandwidth;
    this.d = d;
    this.n = n;
    this.factor = factor;
    this.ridge = ridge;
    this.cholesky = cholesky;
    this.whitenedTrain = whitenedTrain;
    this.logNormalizer = -Math.log(n) - 0.5 * d * Math.log(2 * Math.PI) - Cholesky.halfLogDet(cholesky, d);
  }

  /** Scott's bandwidth factor {@code n^(-1/(d+4))}. */
  public static double scottFactor(int n, int d) {
    return Math.pow(n, -1.0 / (d + 4));
  }

  /**
   * Fits the estimate on {@code n >= 2} rows with kernels of the given shape.
   *
   * @throws IllegalArgumentException on a bad shape, fewer than 2 rows, non-finite values, or a
   *     covariance that no ridge up to 1e-3 of its scale makes positive definite
   */
  public static GaussianKde fit(double[] rows, int n, int d, Bandwidth bandwidth) {
    check(rows, n, d);
    if (n < 2) {
      throw new IllegalArgumentException("a kernel density estimate needs at least 2 rows, got " + n);
    }
    double factor = scottFactor(n, d);
    double[] cov;
    if (bandwidth == Bandwidth.SCOTT_FULL_COVARIANCE) {
      cov = covariance(rows, n, d);
    } else {
      cov = new double[d * d];
      for (int i = 0; i < d; i++) {
        cov[i * d + i] = 1.0;
      }
    }
    double f2 = factor * factor;
    for (int i = 0; i < cov.length; i++) {
      cov[i] *= f2;
    }
    Cholesky.Ridged chol = Cholesky.factorWithRidge(cov, d);
    if (chol == null) {
      throw new IllegalArgumentException("the kernel covariance of " + n + " rows x " + d
          + " columns is not positive definite even with a ridge; are the values finite and not all equal?");
    }
    double[] white = new double[n * d];
    for (int r = 0; r < n; r++) {
      Cholesky.whiten(chol.factor(), d, rows, r * d, null, white, r * d);
    }
    return new GaussianKde(bandwidth, d, n, factor, chol.ridge(), chol.factor(), white);
  }

  /** The unbiased ({@code n - 1}) sample covariance, two-pass for accuracy, row-major {@code d x d}. */
  static double[] covariance(double[] rows, int n, int d) {
    double[] mean = new double[d];
    for (int r = 0; r < n; r++) {
      for (int j = 0; j < d; j++) {
        mean[j] += rows[r * d + j];
      }
    }
    for (int j = 0; j < d; j++) {
      mean[j] /= n;
    }
    double[] cov = new double[d * d];
    double[] dev = new double[d];
    for (int r = 0; r < n; r++) {
      for (int j = 0; j < d; j++) {
        dev[j] = rows[r * d + j] - mean[j];
      }
      for (int i = 0; i < d; i++) {
        double di = dev[i];
        for (int j = 0; j <= i; j++) {
          cov[i * d + j] += di * dev[j];
        }
      }
    }
    for (int i = 0; i < d; i++) {
      for (int j = 0; j <= i; j++) {
        double v = cov[i * d + j] / (n - 1);
        cov[i * d + j] = v;
        cov[j * d + i] = v;
      }
    }
    return cov;
  }

  @Override
  public int dim() {
    return d;
  }

  /** The kernel shape. */
  public Bandwidth bandwidth() {
    return bandwidth;
  }

  /** The bandwidth factor used (Scott's). */
  public double factor() {
    return factor;
  }

  /** The ridge added to the kernel covariance's diagonal (0 unless it was singular). */
  public double ridge() {
    return ridge;
  }

  @Override
  public double[] logDensity(double[] rows, int m) {
    check(rows, m, d);
    double[] out = new double[m];
    double[] y = new double[d];
    double[] dist = new double[n];
    double skip = 40 + Math.log(n);
    for (int r = 0; r < m; r++) {
      Cholesky.whiten(cholesky, d, rows, r * d, null, y, 0);
      double min = Double.POSITIVE_INFINITY;
      for (int i = 0, off = 0; i < n; i++, off += d) {
        double s = 0;
        for (int j = 0; j < d; j++) {
          double t = y[j] - whitenedTrain[off + j];
          s += t * t;
        }
        dist[i] = s;
        if (s < min) {
          min = s;
        }
      }
      // log-sum-exp anchored at the nearest kernel: every term is <= 1 and the nearest one is exactly 1,
      // so the sum is >= 1. Terms below exp(-skip) are left out: all n of them together add less than
      // n exp(-skip) = exp(-40) ~ 4e-18 to a sum >= 1, below half an ulp, so the result is the exact
      // log-sum-exp to double precision while far kernels cost no exp.
      double sum = 0;
      double limit = 2 * skip;
      for (int i = 0; i < n; i++) {
        double excess = dist[i] - min;
        if (excess < limit) {
          sum += Math.exp(-0.5 * excess);
        }
      }
      out[r] = -0.5 * min + Math.log(sum) + logNormalizer;
    }
    return out;
  }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", "gaussian_kde");
    m.put("bandwidth", bandwidth == Bandwidth.SCOTT_ISOTROPIC ? "scott, isotropic (sklearn KernelDensity)"
        : "scott x data covariance (scipy gaussian_kde)");
    m.put("factor", factor);
    m.put("ridge", ridge);
    m.put("train_rows", n);
    return m;
  }

  static void check(double[] rows, int n, int d) {
    if (d < 1 || n < 0 || rows.length != (long) n * d) {
      throw new IllegalArgumentException("expected " + n + " rows of " + d + " values, got " + rows.length + " values");
    }
    for (int i = 0; i < rows.length; i++) {
      if (!Double.isFinite(rows[i])) {
        throw new IllegalArgumentException("row " + (i / d) + ", column " + (i % d) + " is " + rows[i]
            + "; density baselines need finite values");
      }
    }
  }
}
