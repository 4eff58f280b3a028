package io.flowguard.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.TestMath;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Preprocessor: constant columns dropped, standardization, the log-Jacobian that moves densities between
 * raw and standardized space, and the per-row path equal to the batch path.
 */
class PreprocessorTest {

  private static final List<String> NAMES = List.of("amount", "flag", "offset", "latency");

  /** amount ~ N(100, 20^2); flag = 5 exactly; offset = 1e6 + 1e-9 noise (constant to 1e-15); latency ~ Exp. */
  private static double[] rawRows(int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] x = new double[n * 4];
    for (int r = 0; r < n; r++) {
      x[r * 4] = 100 + 20 * rng.nextGaussian();
      x[r * 4 + 1] = 5.0;
      x[r * 4 + 2] = 1e6 + 1e-9 * rng.nextGaussian();
      x[r * 4 + 3] = -Math.log(1 - rng.nextDouble());
    }
    return x;
  }

  @Test
  void dropsExactlyConstantAndRelativelyConstantColumns() {
    Preprocessor p = Preprocessor.fit(NAMES, rawRows(500, 1), 500);
    assertEquals(List.of("flag", "offset"), p.droppedFeatures());
    assertEquals(List.of("amount", "latency"), p.keptFeatures());
    assertEquals(NAMES, p.featureNames());
    assertEquals(4, p.rawDim());
    assertEquals(2, p.dim());
    assertEquals(5.0, p.features().get(1).mean(), 0.0, "a constant column keeps its exact value");
  }

  @Test
  void standardizedColumnsHaveZeroMeanAndUnitVariance() {
    int n = 500;
    Preprocessor p = Preprocessor.fit(NAMES, rawRows(n, 2), n);
    double[] y = p.apply(rawRows(n, 2), n);
    for (int c = 0; c < p.dim(); c++) {
      double s = 0;
      double ss = 0;
      for (int r = 0; r < n; r++) {
        s += y[r * 2 + c];
      }
      double mean = s / n;
      for (int r = 0; r < n; r++) {
        ss += (y[r * 2 + c] - mean) * (y[r * 2 + c] - mean);
      }
      // Exact up to the round-off of summing 500 values of order 1: 1e-12.
      assertEquals(0.0, mean, 1e-12, "column " + c + " mean");
      assertEquals(1.0, Math.sqrt(ss / n), 1e-12, "column " + c + " population std");
    }
  }

  @Test
  void tinyButVaryingColumnsAreKeptWithTheStdFloor() {
    // Values of order 1e-9 vary by 100 % of their magnitude, so the column is not constant; its std
    // (~1e-9) is floored at 1e-6 so it cannot dominate the density.
    SplittableRandom rng = new SplittableRandom(3);
    int n = 100;
    double[] x = new double[n * 2];
    for (int r = 0; r < n; r++) {
      x[r * 2] = rng.nextGaussian();
      x[r * 2 + 1] = 1e-9 * rng.nextGaussian();
    }
    Preprocessor p = Preprocessor.fit(List.of("a", "tiny"), x, n);
    assertEquals(2, p.dim());
    assertEquals(Preprocessor.MIN_STD, p.features().get(1).std(), 0.0);
  }

  @Test
  void logJacobianTurnsTheStandardizedDensityIntoTheRawDensity() {
    // With mean mu and std s, a raw N(mu, diag s^2) point standardizes to N(0, I), so
    // log N(x; mu, s^2) = log N(apply(x); 0, I) + logJacobian exactly (an affine change of variables).
    double[] mu = {3.0, -200.0, 0.5};
    double[] s = {0.1, 40.0, 2.5};
    Preprocessor p = new Preprocessor(List.of(new Preprocessor.Feature("a", true, mu[0], s[0]),
        new Preprocessor.Feature("dropped", false, 7.0, 0.0), new Preprocessor.Feature("b", true, mu[1], s[1]),
        new Preprocessor.Feature("c", true, mu[2], s[2])));
    SplittableRandom rng = new SplittableRandom(4);
    for (int t = 0; t < 20; t++) {
      double[] raw = {mu[0] + s[0] * rng.nextGaussian(), 7.0, mu[1] + s[1] * rng.nextGaussian(),
          mu[2] + s[2] * rng.nextGaussian()};
      double[] y = new double[3];
      p.apply(raw, 0, y, 0);
      double logRaw = 0;
      double logStd = 0;
      int[] cols = {0, 2, 3};
      for (int k = 0; k < 3; k++) {
        double z = (raw[cols[k]] - mu[k]) / s[k];
        logRaw += -0.5 * z * z - 0.5 * Math.log(2 * Math.PI) - Math.log(s[k]);
        logStd += -0.5 * y[k] * y[k] - 0.5 * Math.log(2 * Math.PI);
      }
      // Same terms summed in a different order: round-off only, 1e-12.
      assertEquals(logRaw, logStd + p.logJacobian(raw, 0), 1e-12);
    }
  }

  @Test
  void logJacobianMatchesTheNumericalJacobianOfApply() {
    Preprocessor p = Preprocessor.fit(NAMES, rawRows(300, 5), 300);
    double[] raw = rawRows(1, 6);
    int[] kept = {0, 3};
    double h = 1e-3;
    double[] jac = new double[4];
    double[] plus = new double[2];
    double[] minus = new double[2];
    for (int j = 0; j < 2; j++) {
      double[] xp = raw.clone();
      double[] xm = raw.clone();
      xp[kept[j]] += h;
      xm[kept[j]] -= h;
      p.apply(xp, 0, plus, 0);
      p.apply(xm, 0, minus, 0);
      for (int i = 0; i < 2; i++) {
        jac[i * 2 + j] = (plus[i] - minus[i]) / (2 * h);
      }
    }
    // The map is affine, so central differences are exact up to round-off (~1e-13 / h relative): 1e-8.
    // logJacobian also carries the log-probability of the columns modelled apart (the constant ones here),
    // which is no Jacobian: compare the rest.
    assertEquals(TestMath.logAbsDet(jac, 2), p.logJacobian(raw, 0) - p.apartLogProbability(raw, 0), 1e-8);
  }

  @Test
  void rowPathEqualsBatchPathBitForBit() {
    int n = 7;
    Preprocessor p = Preprocessor.fit(NAMES, rawRows(200, 7), 200);
    double[] raw = rawRows(n, 8);
    double[] batch = p.apply(raw, n);
    // Rows at an offset in a larger array, written at an offset: the per-event path of a scorer.
    double[] padded = new double[3 + raw.length];
    System.arraycopy(raw, 0, padded, 3, raw.length);
    double[] out = new double[5 + n * p.dim()];
    for (int r = 0; r < n; r++) {
      p.apply(padded, 3 + r * 4, out, 5 + r * p.dim());
    }
    assertArrayEquals(batch, java.util.Arrays.copyOfRange(out, 5, out.length));
  }

  @Test
  void rowPathAllocatesNothing() {
    Preprocessor p = Preprocessor.fit(NAMES, rawRows(200, 9), 200);
    double[] raw = rawRows(1, 10);
    double[] out = new double[p.dim()];
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    for (int i = 0; i < 20_000; i++) {
      p.apply(raw, 0, out, 0);
    }
    long before = mx.getCurrentThreadAllocatedBytes();
    for (int i = 0; i < 100_000; i++) {
      p.apply(raw, 0, out, 0);
    }
    long allocated = mx.getCurrentThreadAllocatedBytes() - before;
    // The measurement itself may allocate a few hundred bytes; any per-call allocation would be >= 1.6 MB.
    assertTrue(allocated < 4096, "apply allocated " + allocated + " bytes over 100k rows");
  }

  @Test
  void rejectsBadInputWithAMessage() {
    double[] x = rawRows(10, 11);
    assertThrows(IllegalArgumentException.class, () -> Preprocessor.fit(NAMES, x, 11), "short array");
    assertThrows(IllegalArgumentException.class, () -> Preprocessor.fit(NAMES, x, 1), "one row");
    assertThrows(IllegalArgumentException.class, () -> Preprocessor.fit(List.of("a", "a", "b", "c"), x, 10));
    double[] nan = x.clone();
    nan[5] = Double.NaN;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Preprocessor.fit(NAMES, nan, 10));
    assertTrue(e.getMessage().contains("row 1, column 1"), e.getMessage());
    double[] constant = new double[20];
    assertThrows(IllegalArgumentException.class, () -> Preprocessor.fit(List.of("a", "b"), constant, 10));
    Preprocessor p = Preprocessor.fit(NAMES, x, 10);
    assertThrows(IllegalArgumentException.class, () -> p.apply(new double[7], 2));
    assertThrows(IndexOutOfBoundsException.class, () -> p.apply(new double[4], 1, new double[2], 0));
  }
}
