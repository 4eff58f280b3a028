package io.flowguard.core.nn;

/**
 * Fast, accurate replacements for {@code java.lang.Math} functions that JDK 17 does not intrinsify.
 *
 * <p>{@code Math.tanh} on JDK 17 delegates to {@code StrictMath.tanh}, a native fdlibm call that is
 * several times slower than the intrinsic {@code Math.exp}, and it sits on the scoring hot path (the
 * bounded log-scale of every affine element, tanh hidden layers). {@link #tanh} is a rational function
 * near zero and built on {@code Math.exp} beyond, and stays within a few ulps of the correctly rounded value
 * (tested against {@code StrictMath.tanh} at a relative error of 1e-14, its observed maximum is well below
 * that).
 */
public final class FastMath {

  private FastMath() {}

  // tanh(x) = x P(x^2) / Q(x^2), the 8th convergent of Lambert's continued fraction
  // x / (1 + x^2 / (3 + x^2 / (5 + ...))); all coefficients are integers, exact in a double. On |x| < 1
  // its relative truncation error is below 3e-17.
  private static final double P0 = 34459425.0;
  private static final double P1 = 4729725.0;
  private static final double P2 = 135135.0;
  private static final double P3 = 990.0;
  private static final double P4 = 1.0;
  private static final double Q0 = 34459425.0;
  private static final double Q1 = 16216200.0;
  private static final double Q2 = 945945.0;
  private static final double Q3 = 13860.0;
  private static final double Q4 = 45.0;

  /**
   * The hyperbolic tangent, odd and exact at the special values: {@code tanh(+-0) = +-0},
   * {@code tanh(+-inf) = +-1}, NaN for NaN, {@code +-1} for {@code |x| >= 22}.
   *
   * <p>For {@code |x| < 1}: the rational approximation {@code x P(x^2) / Q(x^2)} above; P and Q have
   * positive coefficients, so their Horner sums do not cancel and the result is within a few ulps. For
   * {@code 1 <= |x| < 22}: {@code 1 - 2 / (exp(2|x|) + 1)}, where the subtraction loses at most a factor
   * {@code q / tanh <= 0.32} (q = 2 / (e + 1)) in relative error. Both branches are short dependency
   * chains (the flow's layers wait on each element's result).
   */
  public static double tanh(double x) {
    double a = Math.abs(x);
    if (a < 1.0) {
      double t = x * x;
      double p = P0 + t * (P1 + t * (P2 + t * (P3 + t * P4)));
      double q = Q0 + t * (Q1 + t * (Q2 + t * (Q3 + t * Q4)));
      return x * (p / q);
    }
    if (a < 22.0) {
      double t = 1.0 - 2.0 / (Math.exp(2.0 * a) + 1.0);
      return Math.copySign(t, x);
    }
    if (a != a) {
      return x;
    }
    return Math.copySign(1.0, x);
  }
}
