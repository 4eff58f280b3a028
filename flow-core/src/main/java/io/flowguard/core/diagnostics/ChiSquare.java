package io.flowguard.core.diagnostics;

/**
 * The chi-square distribution with {@code d} degrees of freedom: CDF, survival function, density and
 * quantile, through the regularized incomplete gamma functions {@code P(d/2, x/2)} and {@code Q(d/2, x/2)}.
 *
 * <p>{@code P(a, x)} is summed from its power series for {@code x < a + 1} and {@code Q(a, x)} from its
 * continued fraction (modified Lentz) otherwise; each of the two is computed directly in the region where
 * it is small, and in logarithms, so neither tail loses digits to cancellation or underflow. {@code ln Gamma}
 * is the Stirling series after shifting the argument to at least 10 by the recurrence. The quantile starts
 * from the Wilson-Hilferty cube-root approximation (or, far in the lower tail, from the leading term of the
 * series) and is refined by Newton steps on the logarithm of the smaller tail probability (ln P against
 * ln x below the median, ln Q against x above it: both nearly linear), with the density giving the
 * derivative; a step that leaves the bracket found so far falls back to bisection.
 */
public final class ChiSquare {

  private static final double EPS = 1e-16;
  private static final double TINY = 1e-300;
  private static final int MAX_TERMS = 100_000;

  private static final double HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

  private ChiSquare() {}

  /** {@code P(X <= x)} for X ~ chi-square(d). */
  public static double cdf(double x, int d) {
    checkDof(d);
    if (Double.isNaN(x)) {
      return Double.NaN;
    }
    if (x <= 0) {
      return 0.0;
    }
    return regularizedGammaP(d / 2.0, x / 2.0);
  }

  /** P(X > x) for X ~ chi-square(d), accurate far into the upper tail. */
  public static double sf(double x, int d) {
    checkDof(d);
    if (Double.isNaN(x)) {
      return Double.NaN;
    }
    if (x <= 0) {
      return 1.0;
    }
    return regularizedGammaQ(d / 2.0, x / 2.0);
  }

  /** The density of chi-square(d) at x. */
  public static double pdf(double x, int d) {
    checkDof(d);
    if (x < 0) {
      return 0.0;
    }
    if (x == 0) {
      return d == 1 ? Double.POSITIVE_INFINITY : d == 2 ? 0.5 : 0.0;
    }
    return Math.exp(logPdf(x, d));
  }

  /** ln of the density of chi-square(d) at x > 0 (no underflow far in the tails). */
  static double logPdf(double x, int d) {
    double a = d / 2.0;
    return (a - 1) * Math.log(x) - x / 2 - a * Math.log(2) - logGamma(a);
  }

  /** The p-quantile of chi-square(d): the x with {@code cdf(x, d) = p}; 0 at p = 0, infinity at p = 1. */
  public static double quantile(double p, int d) {
    checkDof(d);
    if (!(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException("probability must be in [0, 1], got " + p);
    }
    if (p == 0) {
      return 0.0;
    }
    if (p == 1) {
      return Double.POSITIVE_INFINITY;
    }
    double a = d / 2.0;
    // Newton on the logarithm of the smaller tail probability, which is nearly linear: ln P(a, x/2) in
    // ln x for the lower tail (P ~ x^a there), ln Q(a, x/2) in x for the upper one (Q ~ e^(-x/2)).
    boolean upper = p > 0.5;
    double target = upper ? Math.log(1.0 - p) : Math.log(p); // 1 - p is exact for p > 0.5 (Sterbenz)
    double x = start(p, d);
    double lo = 0.0;
    double hi = Double.POSITIVE_INFINITY;
    for (int it = 0; it < 200; it++) {
      // f: the error in the log tail probability, increasing with x in both branches.
      double f;
      double next;
      if (upper) {
        double lq = logRegularizedGammaQ(a, x / 2);
        f = target - lq;
        next = x - f / Math.exp(logPdf(x, d) - lq);
      } else {
        double lp = logRegularizedGammaP(a, x / 2);
        f = lp - target;
        next = x * Math.exp(-f / Math.exp(logPdf(x, d) + Math.log(x) - lp));
      }
      if (Math.abs(f) <= 8 * EPS) {
        return x;
      }
      if (f < 0) {
        lo = x;
      } else {
        hi = x;
      }
      // Safeguards: stay inside the bracket, and grow at most 4-fold while no upper bound is known.
      if (!(next > lo && next < hi) || (hi == Double.POSITIVE_INFINITY && next > 4 * x)) {
        next = hi == Double.POSITIVE_INFINITY ? 4 * x : lo > 0 ? Math.sqrt(lo * hi) : hi / 16;
      }
      // Converged to working precision: Newton no longer moves, or the bracket is a few ulps wide.
      if ((Math.abs(next - x) <= 2 * EPS * x && Math.abs(f) <= 1e-12)
          || (hi < Double.POSITIVE_INFINITY && hi - lo <= 4 * EPS * hi)) {
        return next;
      }
      x = next;
    }
    return x;
  }

  /** A starting point for the quantile iteration. */
  private static double start(double p, int d) {
    double a = d / 2.0;
    double k = 2.0 / (9.0 * d);
    double c = 1 - k + normalQuantile(p) * Math.sqrt(k);
    double wh = d * c * c * c;
    // Leading series term P(a, y) ~ y^a / Gamma(a + 1): good where Wilson-Hilferty is poor (small p).
    double small = 2 * Math.exp((Math.log(p) + logGamma(a + 1)) / a);
    if (!(wh > 0) || (p < 0.5 && small < 0.5 * d && small < wh)) {
      return small;
    }
    return wh;
  }

  /** A rough standard normal quantile (Abramowitz and Stegun 26.2.23, |error| < 4.5e-4): a start only. */
  static double normalQuantile(double p) {
    double q = p < 0.5 ? p : 1 - p;
    double t = Math.sqrt(-2 * Math.log(q));
    double z = t - (2.515517 + 0.802853 * t + 0.010328 * t * t)
        / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t);
    return p < 0.5 ? -z : z;
  }

  /** The regularized lower incomplete gamma function P(a, x) = gamma(a, x) / Gamma(a). */
  static double regularizedGammaP(double a, double x) {
    return Math.exp(logRegularizedGammaP(a, x));
  }

  /** The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x). */
  static double regularizedGammaQ(double a, double x) {
    return Math.exp(logRegularizedGammaQ(a, x));
  }

  /** ln P(a, x), accurate also where P underflows. */
  static double logRegularizedGammaP(double a, double x) {
    if (x <= 0) {
      return Double.NEGATIVE_INFINITY;
    }
    if (x == Double.POSITIVE_INFINITY) {
      return 0.0;
    }
    return x < a + 1 ? logLowerSeries(a, x) : Math.log1p(-Math.exp(logUpperFraction(a, x)));
  }

  /** ln Q(a, x), accurate also where Q underflows. */
  static double logRegularizedGammaQ(double a, double x) {
    if (x <= 0) {
      return 0.0;
    }
    if (x == Double.POSITIVE_INFINITY) {
      return Double.NEGATIVE_INFINITY;
    }
    return x < a + 1 ? Math.log1p(-Math.exp(logLowerSeries(a, x))) : logUpperFraction(a, x);
  }

  /** ln(exp(-x) x^a / Gamma(a)), the common prefactor. */
  private static double logPrefactor(double a, double x) {
    return a * Math.log(x) - x - logGamma(a);
  }

  /** ln P(a, x) from P = prefactor / a * sum_n x^n / ((a + 1) ... (a + n)); converges fast for x < a + 1. */
  private static double logLowerSeries(double a, double x) {
    double term = 1.0 / a;
    double sum = term;
    for (int n = 1; n < MAX_TERMS; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * EPS) {
        break;
      }
    }
    return Math.log(sum) + logPrefactor(a, x);
  }

  /**
   * ln Q(a, x) from Q = prefactor / (x + 1 - a - 1 (1 - a) / (x + 3 - a - 2 (2 - a) / (x + 5 - a - ...))),
   * the continued fraction evaluated by the modified Lentz method; converges fast for x > a + 1.
   */
  private static double logUpperFraction(double a, double x) {
    double b = x + 1 - a;
    double c = 1.0 / TINY;
    double dd = 1.0 / b;
    double h = dd;
    for (int i = 1; i < MAX_TERMS; i++) {
      double an = -i * (i - a);
      b += 2;
      dd = an * dd + b;
      if (Math.abs(dd) < TINY) {
        dd = TINY;
      }
      c = b + an / c;
      if (Math.abs(c) < TINY) {
        c = TINY;
      }
      dd = 1.0 / dd;
      double delta = dd * c;
      h *= delta;
      if (Math.abs(delta - 1) < EPS) {
        break;
      }
    }
    return Math.log(h) + logPrefactor(a, x);
  }

  /**
   * ln Gamma(a) for a > 0: the Stirling series with terms to a^-13 for a >= 10 (truncation error below
   * 1e-17 there), and for smaller a the recurrence Gamma(a) = Gamma(a + k) / (a (a + 1) ... (a + k - 1)).
   */
  static double logGamma(double a) {
    if (!(a > 0) || Double.isInfinite(a)) {
      throw new IllegalArgumentException("logGamma needs a positive finite argument, got " + a);
    }
    double shift = 0.0;
    double product = 1.0;
    while (a < 10) {
      product *= a;
      a += 1;
    }
    if (product != 1.0) {
      shift = Math.log(product);
    }
    double inv = 1.0 / a;
    double inv2 = inv * inv;
    double series = inv * (1.0 / 12 + inv2 * (-1.0 / 360 + inv2 * (1.0 / 1260 + inv2 * (-1.0 / 1680
        + inv2 * (1.0 / 1188 + inv2 * (-691.0 / 360360 + inv2 * (1.0 / 156)))))));
    return (a - 0.5) * Math.log(a) - a + HALF_LOG_2PI + series - shift;
  }

  private static void checkDof(int d) {
    if (d < 1) {
      throw new IllegalArgumentException("degrees of freedom must be at least 1, got " + d);
    }
  }
}
