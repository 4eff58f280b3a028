package io.flowguard.core.nn;

/**
 * Fast, accurate replacements for {@code java.lang.Math} functions that JDK 17 does not intrinsify.
 *
 * <p>{@code Math.tanh} on JDK 17 delegates to {@code StrictMath.tanh}, a native fdlibm call that is
 * several times slower than the intrinsic {@code Math.exp}, and it sits on the scoring hot path (the
 * bounded log-scale of every affine element, tanh hidden layers). {@link #tanh} is built on
 * {@code Math.exp} and {@code Math.sqrt} and stays within a few ulps of the correctly rounded value
 * (tested against {@code StrictMath.tanh} at a relative error of 1e-14, its observed maximum is well below
 * that).
 */
public final class FastMath {

  private FastMath() {}

  // 1/(2k+1)! for the odd Taylor series of sinh.
  private static final double S3 = 1.0 / 6.0;
  private static final double S5 = 1.0 / 120.0;
  private static final double S7 = 1.0 / 5040.0;
  private static final double S9 = 1.0 / 362880.0;
  private static final double S11 = 1.0 / 39916800.0;
  private static final double S13 = 1.0 / 6227020800.0;
  private static final double S15 = 1.0 / 1307674368000.0;

  /**
   * The hyperbolic tangent, odd and exact at the special values: {@code tanh(+-0) = +-0},
   * {@code tanh(+-inf) = +-1}, NaN for NaN, {@code +-1} for {@code |x| >= 22}.
   *
   * <p>For {@code |x| < 0.5}: {@code s = sinh|x|} by its Taylor series (the first omitted term is below
   * 1e-19 relative), then {@code tanh = s / sqrt(1 + s^2)}; every step is well conditioned, so the
   * result is within a few ulps. Below 2^-27 it returns x itself (the next term, x^3/3, is under half
   * an ulp). For {@code 0.5 <= |x| < 22}: {@code 1 - 2 / (exp(2|x|) + 1)}, where the subtraction loses at
   * most a factor {@code q / tanh <= 1.2} (q = 2 / (e + 1)) in relative error.
   */
  public static double tanh(double x) {
    double a = Math.abs(x);
    if (a < 0.5) {
      if (a < 0x1p-27) {
        return x;
      }
      double a2 = a * a;
      double p = S13 + a2 * S15;
      p = S11 + a2 * p;
      p = S9 + a2 * p;
      p = S7 + a2 * p;
      p = S5 + a2 * p;
      p = S3 + a2 * p;
      double s = a + a * a2 * p;
      return Math.copySign(s / Math.sqrt(1.0 + s * s), x);
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
