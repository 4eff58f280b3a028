package io.flowguard.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link FastMath#tanh} against {@code StrictMath.tanh} (fdlibm, within 2.5 ulps of the true value).
 * Tolerance 1e-14 relative: ~45 ulps, far above the few ulps both functions are each allowed, so it
 * catches any wrong branch or coefficient but not rounding.
 */
class FastMathTest {

  private static final double TOL = 1e-14;

  private static void assertClose(double x) {
    double expected = StrictMath.tanh(x);
    double actual = FastMath.tanh(x);
    double err = expected == 0.0 ? Math.abs(actual) : Math.abs(actual - expected) / Math.abs(expected);
    assertTrue(err <= TOL, () -> "tanh(" + x + "): " + actual + " vs " + expected + ", relative error " + err);
  }

  @Test
  void specialValuesAreExact() {
    assertEquals(Double.doubleToRawLongBits(0.0), Double.doubleToRawLongBits(FastMath.tanh(0.0)));
    assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(FastMath.tanh(-0.0)));
    assertEquals(1.0, FastMath.tanh(Double.POSITIVE_INFINITY));
    assertEquals(-1.0, FastMath.tanh(Double.NEGATIVE_INFINITY));
    assertTrue(Double.isNaN(FastMath.tanh(Double.NaN)));
    assertEquals(Double.MIN_VALUE, FastMath.tanh(Double.MIN_VALUE));
    assertEquals(-Double.MIN_VALUE, FastMath.tanh(-Double.MIN_VALUE));
    assertEquals(1.0, FastMath.tanh(Double.MAX_VALUE));
    assertEquals(1.0, FastMath.tanh(22.0));
    assertEquals(-1.0, FastMath.tanh(-700.0));
  }

  @Test
  void isOdd() {
    SplittableRandom r = new SplittableRandom(1);
    for (int i = 0; i < 100_000; i++) {
      double x = r.nextDouble(-30, 30);
      assertEquals(-FastMath.tanh(x), FastMath.tanh(-x));
    }
  }

  @Test
  void matchesStrictMathAtBranchBoundariesAndTheirNeighbours() {
    double[] edges = {1.0, 22.0, 0x1p-500};
    for (double e : edges) {
      double x = e;
      for (int k = 0; k < 64; k++) {
        assertClose(x);
        assertClose(-x);
        x = Math.nextUp(x);
      }
      x = e;
      for (int k = 0; k < 64; k++) {
        x = Math.nextDown(x);
        assertClose(x);
        assertClose(-x);
      }
    }
  }

  @Test
  void matchesStrictMathFromTinyToHuge() {
    SplittableRandom r = new SplittableRandom(2);
    for (int i = 0; i < 2_000_000; i++) {
      double x;
      switch (i % 4) {
        case 0 -> x = r.nextDouble(-1, 1);
        case 1 -> x = r.nextDouble(-25, 25);
        case 2 -> x = Math.scalb(r.nextDouble(0.5, 1.0), r.nextInt(-1074, 10));
        default -> x = r.nextDouble(0.9, 1.1);
      }
      assertClose(r.nextBoolean() ? x : -x);
    }
    // Every binade from subnormal to beyond the saturation point, at both ends.
    for (int e = -1074; e <= 10; e++) {
      assertClose(Math.scalb(1.0, e));
      assertClose(-Math.nextDown(Math.scalb(1.0, e + 1)));
    }
  }
}
