package io.flowguard.core.transform;

import static io.flowguard.core.transform.TransformContract.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.TestMath;
import io.flowguard.core.nn.ParameterLayout;
import io.flowguard.core.nn.Workspace;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * LuLinear. Tolerances: round trip 1e-9 (two triangular solves of a well-conditioned 5 x 5 map); the
 * dense-product comparison 1e-12 (the same sums of ~5 unit-scale products in another order, ~1e-15);
 * log|det W| 1e-10 (LU with pivoting of a 5 x 5 matrix, ~1e-14); log-dets and gradients use
 * {@link TransformContract}'s.
 */
class LuLinearTest {

  private static final int D = 5;

  private static double[] theta(LuLinear t, ParameterLayout layout, long seed) {
    return randomParameters(t, layout, seed, 0.5);
  }

  @Test
  void roundTripsTo1e9WithRandomParameters() {
    ParameterLayout layout = new ParameterLayout();
    LuLinear t = new LuLinear(layout, "lu", D);
    assertRoundTrip(t, theta(t, layout, 1), randomBatch(32, D, 2, 1.5), 32, 1e-9);
  }

  @Test
  void logDetMatchesNumericalJacobianBothDirections() {
    ParameterLayout layout = new ParameterLayout();
    LuLinear t = new LuLinear(layout, "lu", D);
    assertLogDetMatchesJacobian(t, theta(t, layout, 3), randomBatch(4, D, 4, 1.0), 4);
  }

  @Test
  void gradientsMatchFiniteDifferencesInBothDirections() {
    ParameterLayout layout = new ParameterLayout();
    LuLinear t = new LuLinear(layout, "lu", D);
    double[] theta = theta(t, layout, 5);
    double[] x = randomBatch(4, D, 6, 1.0);
    // maxParams above the parameter count: every parameter is checked.
    assertGradientsMatchFiniteDifferences(t, layout, theta, x, 4, false, 100);
    assertGradientsMatchFiniteDifferences(t, layout, theta, x, 4, true, 100);
  }

  @Test
  void densityDirectionIsMultiplicationByTheDenseProductOfItsFactors() {
    ParameterLayout layout = new ParameterLayout();
    LuLinear t = new LuLinear(layout, "lu", D);
    double[] theta = theta(t, layout, 7);
    double[] l = t.lower(theta);
    double[] u = t.upper(theta);
    for (int i = 0; i < D; i++) {
      for (int j = 0; j < D; j++) {
        if (j > i) {
          assertEquals(0.0, l[i * D + j], 0.0, "L above the diagonal");
        }
        if (j < i) {
          assertEquals(0.0, u[i * D + j], 0.0, "U below the diagonal");
        }
      }
      assertEquals(1.0, l[i * D + i], 0.0, "unit diagonal of L");
      assertTrue(u[i * D + i] > 0, "positive diagonal of U");
    }
    double[] w = multiply(l, u);
    int n = 6;
    double[] x = randomBatch(n, D, 8, 1.0);
    double[] z = new double[x.length];
    t.inverse(theta, x, z, new double[n], n, new Workspace());
    double[] b = new double[D];
    t.inverse(theta, new double[D], b, new double[1], 1, new Workspace());
    for (int r = 0; r < n; r++) {
      for (int i = 0; i < D; i++) {
        double s = b[i];
        for (int j = 0; j < D; j++) {
          s += w[i * D + j] * x[r * D + j];
        }
        assertEquals(s, z[r * D + i], 1e-12, "z[" + r + "][" + i + "]");
      }
    }
  }

  @Test
  void logDetEqualsLogAbsDetOfTheDenseMatrix() {
    ParameterLayout layout = new ParameterLayout();
    LuLinear t = new LuLinear(layout, "lu", D);
    double[] theta = theta(t, layout, 9);
    double expected = TestMath.logAbsDet(multiply(t.lower(theta), t.upper(theta)), D);
    double[] ldInv = new double[1];
    t.inverse(theta, new double[D], new double[D], ldInv, 1, new Workspace());
    double[] ldFwd = new double[1];
    t.forward(theta, new double[D], new double[D], ldFwd, 1, new Workspace());
    assertEquals(expected, ldInv[0], 1e-10);
    assertEquals(-expected, ldFwd[0], 1e-10);
  }

  @Test
  void freshlyInitializedLuLinearIsTheIdentity() {
    ParameterLayout layout = new ParameterLayout();
    LuLinear t = new LuLinear(layout, "lu", D);
    double[] theta = new double[layout.size()];
    java.util.Arrays.fill(theta, 0.3);
    t.initialize(theta, new SplittableRandom(1));
    double[] x = randomBatch(5, D, 2, 2.0);
    double[] z = new double[x.length];
    double[] ld = new double[5];
    t.inverse(theta, x, z, ld, 5, new Workspace());
    assertArrayEquals(x, z, 0.0);
    assertArrayEquals(new double[5], ld, 0.0);
  }

  @Test
  void oneDimensionalLuLinearIsAnAffineScale() {
    ParameterLayout layout = new ParameterLayout();
    LuLinear t = new LuLinear(layout, "lu", 1);
    double[] theta = theta(t, layout, 11);
    assertRoundTrip(t, theta, randomBatch(8, 1, 12, 1.0), 8, 1e-9);
    assertGradientsMatchFiniteDifferences(t, layout, theta, randomBatch(3, 1, 13, 1.0), 3, true, 10);
  }

  private static double[] multiply(double[] a, double[] b) {
    double[] c = new double[D * D];
    for (int i = 0; i < D; i++) {
      for (int p = 0; p < D; p++) {
        for (int j = 0; j < D; j++) {
          c[i * D + j] += a[i * D + p] * b[p * D + j];
        }
      }
    }
    return c;
  }
}
