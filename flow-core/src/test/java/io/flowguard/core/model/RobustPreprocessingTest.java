package io.flowguard.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.TestMath;
import io.flowguard.core.train.InputNoise;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The robust preprocessing steps: discrete-column detection, the asinh marginal transform (monotone,
 * invertible, log-Jacobian equal to the numerical one) and dequantization noise over the grid cell.
 */
class RobustPreprocessingTest {

  private static Preprocessor fitColumns(double[][] columns) {
    int n = columns[0].length;
    int d = columns.length;
    double[] x = new double[n * d];
    for (int r = 0; r < n; r++) {
      for (int c = 0; c < d; c++) {
        x[r * d + c] = columns[c][r];
      }
    }
    List<String> names = new java.util.ArrayList<>();
    for (int c = 0; c < d; c++) {
      names.add("x" + c);
    }
    return Preprocessor.fit(names, x, n);
  }

  private static double[] gaussian(int n, double mean, double std, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = mean + std * rng.nextGaussian();
    }
    return v;
  }

  /** Student t with 2 degrees of freedom: a column with a heavy (power-law) tail. */
  private static double[] heavyTailed(int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      double chi2 = 0;
      for (int k = 0; k < 2; k++) {
        double g = rng.nextGaussian();
        chi2 += g * g;
      }
      v[i] = 50 + 3 * rng.nextGaussian() / Math.sqrt(chi2 / 2);
    }
    return v;
  }

  @Test
  void integerCountsAreDiscreteWithCellOne() {
    SplittableRandom rng = new SplittableRandom(1);
    double[] counts = new double[1000];
    for (int i = 0; i < counts.length; i++) {
      counts[i] = Math.floor(-6 * Math.log(1 - rng.nextDouble()));
    }
    Preprocessor p = fitColumns(new double[][] {counts});
    assertTrue(p.features().get(0).discrete());
    assertEquals(1.0, p.features().get(0).cell(), 0.0);
  }

  @Test
  void aQuarterGridIsDiscreteWithItsSpacing() {
    SplittableRandom rng = new SplittableRandom(2);
    double[] v = new double[500];
    for (int i = 0; i < v.length; i++) {
      v[i] = 0.25 * rng.nextInt(12) - 1.0;
    }
    Preprocessor p = fitColumns(new double[][] {v});
    // 0.25 steps from -1.0 are exact in binary floating point.
    assertEquals(0.25, p.features().get(0).cell(), 0.0);
  }

  @Test
  void binaryAndOffGridFewLevelColumnsAreDiscreteWithTheSmallestGap() {
    SplittableRandom rng = new SplittableRandom(3);
    double[] binary = new double[300];
    double[] levels = new double[300];
    double[] lv = {0.0, 0.3, 1.0};
    for (int i = 0; i < 300; i++) {
      binary[i] = rng.nextInt(2);
      levels[i] = lv[rng.nextInt(3)];
    }
    Preprocessor p = fitColumns(new double[][] {binary, levels});
    assertEquals(1.0, p.features().get(0).cell(), 0.0);
    assertEquals(0.3, p.features().get(1).cell(), 1e-15, "smallest gap 0.3 - 0: cells never overlap");
  }

  @Test
  void continuousColumnsAreNotDiscreteNorTransformed() {
    Preprocessor p = fitColumns(new double[][] {gaussian(2000, 5, 2, 4)});
    assertFalse(p.features().get(0).discrete());
    assertFalse(p.features().get(0).tailTransformed(), "a Gaussian has a central 98 % range of 3.45 IQR");
    assertEquals(List.of(), p.notes());
  }

  @Test
  void aFineMeasurementGridIsNotDiscreteWhenItsCellIsNegligible() {
    // Values rounded to 1e-6 of a column with std 1 and many ties would still be "discrete", but a cell
    // under 1e-3 standard deviations changes nothing worth the noise: treated as continuous.
    double[] v = new double[1000];
    for (int i = 0; i < v.length; i++) {
      v[i] = (i % 100) * 1e-6 + (i % 7 == 0 ? 1.0 : 0.0);
    }
    Preprocessor p = fitColumns(new double[][] {v});
    assertFalse(p.features().get(0).discrete());
  }

  @Test
  void heavyTailedColumnsGetTheAsinhTransformAndANote() {
    Preprocessor p = fitColumns(new double[][] {heavyTailed(2000, 5), gaussian(2000, 0, 1, 6)});
    assertTrue(p.features().get(0).tailTransformed());
    assertFalse(p.features().get(1).tailTransformed());
    assertEquals(50.0, p.features().get(0).tailCenter(), 0.3, "the median of t(2) around 50");
    assertTrue(p.notes().get(0).contains("heavy-tailed"), p.notes().toString());
  }

  @Test
  void marginalTransformIsMonotoneAndInvertible() {
    Preprocessor p = fitColumns(new double[][] {heavyTailed(2000, 7), gaussian(2000, 0, 1, 8)});
    double[] row = {0, 0.3};
    double[] y = new double[2];
    double previous = Double.NEGATIVE_INFINITY;
    for (double x = -1e6; x <= 1e6; x = x < 0 ? x / 1.7 + (x > -1e-3 ? 1e-3 : 0) : Math.max(x * 1.7, 1e-3)) {
      row[0] = 50 + x;
      p.apply(row, 0, y, 0);
      assertTrue(y[0] > previous, "strictly increasing at x = " + row[0]);
      previous = y[0];
      double[] back = p.toRaw(y, 1);
      // asinh then sinh: relative round-off of a few ulps of the larger of |x| and the scale.
      assertEquals(row[0], back[0], 1e-12 * Math.max(1, Math.abs(row[0])), "inverse at " + row[0]);
      assertEquals(row[1], back[1], 1e-14);
    }
  }

  @Test
  void logJacobianOfTheTransformMatchesTheNumericalJacobian() {
    Preprocessor p = fitColumns(new double[][] {heavyTailed(2000, 9), gaussian(2000, 1, 2, 10), heavyTailed(2000, 11)});
    double[][] rows = {{50, 1, 50}, {47.5, 0, 61}, {500, -3, -2000}, {50.4, 2, 49.9}};
    for (double[] raw : rows) {
      double[] jac = new double[9];
      double[] plus = new double[3];
      double[] minus = new double[3];
      for (int j = 0; j < 3; j++) {
        double[] xp = raw.clone();
        double[] xm = raw.clone();
        double step = 1e-5 * Math.max(1, Math.abs(raw[j]));
        xp[j] += step;
        xm[j] -= step;
        p.apply(xp, 0, plus, 0);
        p.apply(xm, 0, minus, 0);
        for (int i = 0; i < 3; i++) {
          jac[i * 3 + j] = (plus[i] - minus[i]) / (2 * step);
        }
      }
      // Central differences of a smooth map: truncation ~ step^2 f''' / f', round-off ~ 1e-16 / step;
      // both below 1e-7 relative here.
      double expected = TestMath.logAbsDet(jac, 3);
      assertEquals(expected, p.logJacobian(raw, 0), 1e-6, "row " + java.util.Arrays.toString(raw));
      double[] y = new double[3];
      assertEquals(p.logJacobian(raw, 0), p.apply(raw, 0, y, 0), 0.0, "apply returns the same log-Jacobian");
    }
  }

  @Test
  void dequantizationSpreadsEachGridValueUniformlyOverItsCell() {
    SplittableRandom rng = new SplittableRandom(12);
    int n = 2000;
    double[] counts = new double[n];
    double[] heavyCounts = new double[n];
    for (int i = 0; i < n; i++) {
      counts[i] = rng.nextInt(5);
      // Heavy-tailed integer column: dequantized in raw units, then through the asinh.
      heavyCounts[i] = Math.floor(Math.exp(2.5 * rng.nextGaussian()));
    }
    Preprocessor p = fitColumns(new double[][] {counts, heavyCounts});
    assertTrue(p.features().get(0).discrete() && p.features().get(1).discrete());
    assertTrue(p.features().get(1).tailTransformed());
    double[] raw = {3, 40};
    double[] y = p.apply(raw, 1);
    InputNoise noise = p.dequantization();
    SplittableRandom draws = new SplittableRandom(13);
    double min0 = Double.POSITIVE_INFINITY;
    double max0 = Double.NEGATIVE_INFINITY;
    double sum1 = 0;
    int m = 20000;
    for (int t = 0; t < m; t++) {
      double[] row = y.clone();
      noise.perturb(row, 1, draws);
      double[] back = p.toRaw(row, 1);
      assertTrue(Math.abs(back[0] - 3) <= 0.5 + 1e-12 && Math.abs(back[1] - 40) <= 0.5 + 1e-9,
          "stays in its cell: " + java.util.Arrays.toString(back));
      min0 = Math.min(min0, back[0]);
      max0 = Math.max(max0, back[0]);
      sum1 += back[1] - 40;
    }
    // Uniform on [-0.5, 0.5): 20000 draws reach within 1e-3 of both ends, mean 0 within 4 sigma
    // (sigma = 0.29 / sqrt(20000) = 0.002).
    assertTrue(min0 < 2.501 && max0 > 3.499, min0 + " .. " + max0);
    assertEquals(0.0, sum1 / m, 0.008);
    assertEquals(InputNoise.NONE, fitColumns(new double[][] {gaussian(100, 0, 1, 14)}).dequantization());
  }

  /**
   * A discrete column is standardized by what the flow is fitted on, the dequantized variable: a rare
   * binary column (cell 1, value standard deviation 0.1) would otherwise become a box 10 units wide.
   * Without a transform the moments are exact: variance of the values plus cell^2 / 12.
   */
  @Test
  void discreteColumnsAreStandardizedByTheirDequantizedSpread() {
    SplittableRandom rng = new SplittableRandom(15);
    int n = 4000;
    double[] rareBinary = new double[n];
    double[] heavyCounts = new double[n];
    for (int i = 0; i < n; i++) {
      rareBinary[i] = i % 100 == 0 ? 1 : 0;
      heavyCounts[i] = Math.floor(Math.exp(2.5 * rng.nextGaussian()));
    }
    Preprocessor p = fitColumns(new double[][] {rareBinary, heavyCounts});
    Preprocessor.Feature binary = p.features().get(0);
    assertTrue(binary.discrete() && !binary.tailTransformed());
    double q = 0.01;
    assertEquals(q, binary.mean(), 1e-12);
    assertEquals(Math.sqrt(q * (1 - q) + 1.0 / 12), binary.std(), 1e-12);
    assertTrue(p.features().get(1).discrete() && p.features().get(1).tailTransformed());

    // The dequantized training rows have mean 0 and variance 1 in every discrete column.
    double[] x = new double[2 * n];
    for (int r = 0; r < n; r++) {
      x[2 * r] = rareBinary[r];
      x[2 * r + 1] = heavyCounts[r];
    }
    double[] y = p.apply(x, n);
    p.dequantization().perturb(y, n, new SplittableRandom(16));
    for (int k = 0; k < 2; k++) {
      double sum = 0;
      double sq = 0;
      for (int r = 0; r < n; r++) {
        sum += y[2 * r + k];
        sq += y[2 * r + k] * y[2 * r + k];
      }
      double mean = sum / n;
      assertEquals(0.0, mean, 0.05, "column " + k);
      assertEquals(1.0, sq / n - mean * mean, 0.05, "column " + k);
    }
  }
}
