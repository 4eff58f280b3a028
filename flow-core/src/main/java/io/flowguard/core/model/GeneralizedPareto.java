package io.flowguard.core.model;

/**
 * The generalized Pareto distribution (GPD) of threshold exceedances {@code Y = X - u | X > u}, with
 * survival function {@code P(Y >= y) = (1 + xi y / sigma)^(-1/xi)} ({@code exp(-y / sigma)} at
 * {@code xi = 0}), and its maximum-likelihood fit. By the Pickands-Balkema-de Haan theorem this is the
 * limiting law of exceedances over a high threshold, which is why {@link Calibration} uses it for the
 * far tail of the NLL distribution, where the empirical distribution has no data.
 *
 * <p><b>Fit.</b> Maximum likelihood by profiling: for a fixed shape {@code xi} the likelihood equation in
 * {@code sigma}, {@code (1 + xi) sum(y_i / (sigma + xi y_i)) = m}, has a left side that decreases
 * strictly in {@code sigma}, so its unique root is found by Newton steps safeguarded by bisection. The
 * profile log-likelihood is then maximized over {@code xi} in [{@link #XI_MIN}, {@link #XI_MAX}]: a grid
 * (step 0.05) finds the best basin even if the profile is not unimodal, and golden-section search
 * refines it to 1e-10. Data are divided by their mean first, so the fit is scale-invariant and the
 * search works at unit scale.
 *
 * <p>The shape is restricted to [-0.5, 2]: below -0.5 the MLE is not regular (and below -1 the
 * likelihood is unbounded), and a fit there would put a hard endpoint right at the largest
 * observation. Clamping at -0.5 keeps a slightly heavier, hence conservative (fewer alarms), tail.
 */
public final class GeneralizedPareto {

  /** Smallest shape the fit returns. */
  public static final double XI_MIN = -0.5;
  /** Largest shape the fit returns. */
  public static final double XI_MAX = 2.0;

  private static final double GRID_STEP = 0.05;
  private static final double GOLDEN = (Math.sqrt(5.0) - 1.0) / 2.0;

  private GeneralizedPareto() {}

  /**
   * A fitted GPD.
   *
   * @param xi the shape: 0 exponential tail, positive heavy (Pareto-like), negative bounded at
   *     {@code sigma / -xi}
   * @param sigma the scale, positive
   */
  public record Fit(double xi, double sigma) {
    public Fit {
      if (!Double.isFinite(xi) || !(sigma > 0) || !Double.isFinite(sigma)) {
        throw new IllegalArgumentException("GPD needs a finite shape and a positive finite scale, got xi " + xi
            + ", sigma " + sigma);
      }
    }

    /** {@code P(Y >= y)}; 1 for {@code y <= 0}, 0 beyond the endpoint of a bounded ({@code xi < 0}) tail. */
    public double survival(double y) {
      return Math.exp(logSurvival(y));
    }

    /** {@code log P(Y >= y)}, computed with log1p so it keeps full precision for tiny {@code xi y}. */
    public double logSurvival(double y) {
      if (!(y > 0)) {
        return 0.0;
      }
      if (xi == 0.0) {
        return -y / sigma;
      }
      double t = xi * y / sigma;
      if (t <= -1.0) {
        return Double.NEGATIVE_INFINITY;
      }
      return -Math.log1p(t) / xi;
    }

    /** The {@code y} with {@code P(Y >= y) = s}, for {@code s} in (0, 1]. */
    public double inverseSurvival(double s) {
      if (!(s > 0 && s <= 1)) {
        throw new IllegalArgumentException("survival probability must be in (0, 1], got " + s);
      }
      double logS = Math.log(s);
      return xi == 0.0 ? -sigma * logS : sigma * Math.expm1(-xi * logS) / xi;
    }
  }

  /**
   * Maximum-likelihood fit to exceedances (see the class comment).
   *
   * @param y at least 2 finite, non-negative exceedances, not all zero
   */
  public static Fit fit(double[] y) {
    double mean = checkedMean(y);
    int m = y.length;
    double[] z = new double[m];
    double zMax = 0.0;
    for (int i = 0; i < m; i++) {
      z[i] = y[i] / mean;
      zMax = Math.max(zMax, z[i]);
    }
    int steps = (int) Math.round((XI_MAX - XI_MIN) / GRID_STEP);
    int best = -1;
    double bestValue = Double.NEGATIVE_INFINITY;
    for (int i = 0; i <= steps; i++) {
      double v = profile(XI_MIN + i * GRID_STEP, z, zMax);
      if (v > bestValue) {
        bestValue = v;
        best = i;
      }
    }
    if (best < 0) {
      // Every shape failed, which only happens with degenerate data (e.g. a single non-zero value among
      // zeros); the exponential MLE is always defined.
      return new Fit(0.0, mean);
    }
    double a = XI_MIN + Math.max(best - 1, 0) * GRID_STEP;
    double b = XI_MIN + Math.min(best + 1, steps) * GRID_STEP;
    double c = b - GOLDEN * (b - a);
    double d = a + GOLDEN * (b - a);
    double fc = profile(c, z, zMax);
    double fd = profile(d, z, zMax);
    while (b - a > 1e-10) {
      if (fc >= fd) {
        b = d;
        d = c;
        fd = fc;
        c = b - GOLDEN * (b - a);
        fc = profile(c, z, zMax);
      } else {
        a = c;
        c = d;
        fc = fd;
        d = a + GOLDEN * (b - a);
        fd = profile(d, z, zMax);
      }
    }
    double xi = 0.5 * (a + b);
    double fx = profile(xi, z, zMax);
    if (!(fx >= bestValue)) {
      // The golden-section point can lose to the grid point by round-off; keep the better one.
      xi = XI_MIN + best * GRID_STEP;
    }
    return new Fit(xi, sigmaHat(xi, z, zMax) * mean);
  }

  /** The exponential MLE ({@code xi = 0}, {@code sigma} = mean exceedance), for small samples. */
  public static Fit fitExponential(double[] y) {
    return new Fit(0.0, checkedMean(y));
  }

  /** Log-likelihood of exceedances {@code y}; minus infinity outside the support. */
  public static double logLikelihood(double xi, double sigma, double[] y) {
    if (!(sigma > 0)) {
      return Double.NEGATIVE_INFINITY;
    }
    double s = 0.0;
    if (xi == 0.0) {
      for (double v : y) {
        s += v / sigma;
      }
      return -y.length * Math.log(sigma) - s;
    }
    for (double v : y) {
      double t = xi * v / sigma;
      if (t <= -1.0) {
        return Double.NEGATIVE_INFINITY;
      }
      s += Math.log1p(t);
    }
    return -y.length * Math.log(sigma) - (1.0 + 1.0 / xi) * s;
  }

  /** The profile log-likelihood at shape {@code xi}: the likelihood maximized over the scale. */
  private static double profile(double xi, double[] z, double zMax) {
    double sigma = sigmaHat(xi, z, zMax);
    return Double.isNaN(sigma) ? Double.NEGATIVE_INFINITY : logLikelihood(xi, sigma, z);
  }

  /**
   * The scale maximizing the likelihood at shape {@code xi}: the root of
   * {@code g(sigma) = (1 + xi) sum(z / (sigma + xi z)) - m}, which decreases strictly on
   * {@code sigma > max(0, -xi zMax)}. NaN when the likelihood has no interior maximum.
   */
  private static double sigmaHat(double xi, double[] z, double zMax) {
    int m = z.length;
    if (xi == 0.0) {
      double s = 0.0;
      for (double v : z) {
        s += v;
      }
      return s / m;
    }
    double lo = xi < 0 ? -xi * zMax : 0.0;
    // Right bracket: g(sigma) <= (1 + xi) m zMax / (sigma - |xi| zMax) - m for xi < 0 and
    // <= (1 + xi) mean(z) m / sigma - m for xi > 0, so doubling from here reaches g < 0 quickly.
    double hi = Math.max(2.0 * lo, 1.0 + Math.abs(xi)) + 1.0;
    double[] gd = new double[2];
    for (int i = 0; i < 200; i++) {
      score(xi, hi, z, gd);
      if (gd[0] < 0) {
        break;
      }
      hi *= 2.0;
    }
    if (!(gd[0] < 0)) {
      return Double.NaN;
    }
    if (xi > 0) {
      // At sigma -> 0 the equation's left side tends to (1 + xi) m' / xi - m (m' non-zero values); if
      // that is not positive, the likelihood increases all the way to the boundary.
      int nonZero = 0;
      for (double v : z) {
        nonZero += v > 0 ? 1 : 0;
      }
      if ((1.0 + xi) * nonZero / xi - m <= 0) {
        return Double.NaN;
      }
    }
    double a = lo;
    double b = hi;
    double x = 0.5 * (a + b);
    for (int i = 0; i < 200; i++) {
      score(xi, x, z, gd);
      if (gd[0] == 0.0) {
        return x;
      }
      if (gd[0] > 0) {
        a = x;
      } else {
        b = x;
      }
      double next = x - gd[0] / gd[1];
      if (!(next > a && next < b)) {
        next = 0.5 * (a + b);
      }
      if (Math.abs(next - x) <= 1e-15 * x || b - a <= 1e-15 * b) {
        return next;
      }
      x = next;
    }
    return x;
  }

  /** {@code g(sigma)} into {@code out[0]} and {@code g'(sigma)} into {@code out[1]}. */
  private static void score(double xi, double sigma, double[] z, double[] out) {
    double g = 0.0;
    double dg = 0.0;
    for (double v : z) {
      double den = sigma + xi * v;
      if (den <= 0) {
        out[0] = Double.POSITIVE_INFINITY;
        out[1] = Double.NEGATIVE_INFINITY;
        return;
      }
      double q = v / den;
      g += q;
      dg -= q / den;
    }
    out[0] = (1.0 + xi) * g - z.length;
    out[1] = (1.0 + xi) * dg;
  }

  private static double checkedMean(double[] y) {
    if (y.length < 2) {
      throw new IllegalArgumentException("need at least 2 exceedances to fit a tail, got " + y.length);
    }
    double s = 0.0;
    for (int i = 0; i < y.length; i++) {
      if (!Double.isFinite(y[i]) || y[i] < 0) {
        throw new IllegalArgumentException("exceedance " + i + " is " + y[i] + ": must be finite and >= 0");
      }
      s += y[i];
    }
    if (!(s > 0)) {
      throw new IllegalArgumentException("all exceedances are zero: no tail to fit");
    }
    return s / y.length;
  }
}
