package io.flowguard.core.diagnostics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The chi-square CDF and quantile against reference values (scipy.stats.chi2 1.17, and closed forms).
 * Tolerance 1e-9 relative: the implementation reaches ~3e-14 (checked on a grid of d = 1..1000 and
 * p = 1e-300..1 - 1e-15); the margin covers the rounding of ln Gamma and of the prefactor exponent, which
 * grows with the degrees of freedom.
 */
class ChiSquareTest {

  private static final double REL = 1e-9;

  private static void assertRelative(double expected, double actual, String what) {
    assertEquals(expected, actual, REL * Math.abs(expected), what);
  }

  @Test
  void quantilesMatchReferenceValues() {
    assertRelative(3.841458820694124, ChiSquare.quantile(0.95, 1), "chi2(1) 0.95");
    assertRelative(9.341817765591966, ChiSquare.quantile(0.5, 10), "chi2(10) 0.5");
    assertRelative(11.344866730144373, ChiSquare.quantile(0.99, 3), "chi2(3) 0.99");
    assertRelative(124.34211340400407, ChiSquare.quantile(0.95, 100), "chi2(100) 0.95");
    assertRelative(0.598493752375376, ChiSquare.quantile(0.001, 7), "chi2(7) 0.001");
    assertRelative(104.71632526304057, ChiSquare.quantile(0.999, 64), "chi2(64) 0.999");
    assertRelative(1.5707963267957187e-12, ChiSquare.quantile(1e-6, 1), "chi2(1) 1e-6");
    assertRelative(55.562398343664846, ChiSquare.quantile(1 - 1e-10, 5), "chi2(5) 1 - 1e-10");
  }

  /** Far tails (probabilities down to 1e-300) and many degrees of freedom (scipy.stats.chi2 1.17). */
  @Test
  void extremeQuantilesMatchReferenceValues() {
    assertRelative(2.4179879310247908e-200, ChiSquare.quantile(1e-300, 3), "chi2(3) 1e-300");
    assertRelative(26.562082851099877, ChiSquare.quantile(1e-100, 300), "chi2(300) 1e-100");
    assertRelative(1022.9598734718893, ChiSquare.quantile(0.7, 1000), "chi2(1000) 0.7");
    assertRelative(1397.5770366795214, ChiSquare.quantile(1 - 1e-15, 1000), "chi2(1000) 1 - 1e-15");
  }

  @Test
  void twoDegreesOfFreedomQuantileIsClosedForm() {
    for (double p : new double[] {1e-12, 1e-6, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.999999}) {
      assertRelative(-2 * Math.log1p(-p), ChiSquare.quantile(p, 2), "chi2(2) quantile at " + p);
    }
  }

  @Test
  void cdfMatchesReferenceValues() {
    assertRelative(0.6826894921370859, ChiSquare.cdf(1.0, 1), "chi2(1) at 1 (the 1-sigma mass)");
    assertRelative(0.8282028557032665, ChiSquare.cdf(5.0, 3), "chi2(3) at 5");
    assertRelative(0.8664251659143496, ChiSquare.cdf(50, 40), "chi2(40) at 50");
    assertRelative(1.2154569777183007e-11, ChiSquare.sf(60, 5), "chi2(5) upper tail at 60");
    assertRelative(7.569409659693437e-10, ChiSquare.cdf(0.01, 7), "chi2(7) at 0.01");
    assertRelative(0.007978712629263208, ChiSquare.cdf(1e-4, 1), "chi2(1) at 1e-4");
  }

  /**
   * Even degrees of freedom: with m = d/2 and y = x/2, the Poisson identity gives
   * 1 - CDF = exp(-y) sum_{k < m} y^k / k! and CDF = exp(-y) sum_{k >= m} y^k / k! (both sums positive,
   * so neither side cancels).
   */
  @Test
  void evenDegreesOfFreedomCdfIsClosedForm() {
    for (int d : new int[] {2, 4, 6, 10}) {
      for (double x : new double[] {0.05, 0.7, 2.0, 5.5, 13.0, 30.0}) {
        double y = x / 2;
        double term = 1.0;
        double below = 0.0;
        double above = 0.0;
        for (int k = 0; k < 400; k++) {
          if (k < d / 2) {
            below += term;
          } else {
            above += term;
          }
          term *= y / (k + 1);
        }
        assertRelative(Math.exp(-y) * below, ChiSquare.sf(x, d), "chi2(" + d + ") sf at " + x);
        assertRelative(Math.exp(-y) * above, ChiSquare.cdf(x, d), "chi2(" + d + ") cdf at " + x);
      }
    }
  }

  @Test
  void quantileInvertsTheCdf() {
    for (int d : new int[] {1, 2, 3, 5, 17, 50, 200}) {
      for (double p : new double[] {1e-9, 1e-4, 0.02, 0.25, 0.5, 0.75, 0.98, 0.9999}) {
        double x = ChiSquare.quantile(p, d);
        double back = p > 0.5 ? 1 - ChiSquare.sf(x, d) : ChiSquare.cdf(x, d);
        assertRelative(p, back, "chi2(" + d + ") round trip at " + p);
      }
    }
  }
}
