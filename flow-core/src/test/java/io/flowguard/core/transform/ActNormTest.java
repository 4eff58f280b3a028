package io.flowguard.core.transform;

import static io.flowguard.core.transform.TransformContract.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.nn.ParamKind;
import io.flowguard.core.nn.ParameterLayout;
import io.flowguard.core.nn.Workspace;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * ActNorm. Tolerances: round trip 1e-9 and normalized moments 1e-9 (one affine map per entry, and a mean
 * and variance over 200 rows: round-off ~1e-14); log-dets and gradients use {@link TransformContract}'s.
 */
class ActNormTest {

  private static final int D = 4;

  /** Data with very different means and scales per dimension, so initialization has work to do. */
  private static double[] skewedBatch(int n, long seed) {
    double[] x = randomBatch(n, D, seed, 1.0);
    double[] scale = {0.01, 1.0, 7.0, 300.0};
    double[] shift = {5.0, -2.0, 0.0, 1e3};
    for (int r = 0; r < n; r++) {
      for (int i = 0; i < D; i++) {
        x[r * D + i] = x[r * D + i] * scale[i] + shift[i];
      }
    }
    return x;
  }

  private static ParameterLayout.Block flagBlock(ParameterLayout layout) {
    return layout.blocks().stream().filter(b -> b.name().equals("an.initialized")).findFirst().orElseThrow();
  }

  @Test
  void roundTripsTo1e9WithRandomParameters() {
    ParameterLayout layout = new ParameterLayout();
    ActNorm t = new ActNorm(layout, "an", D);
    double[] theta = randomParameters(t, layout, 1, 0.5);
    assertRoundTrip(t, theta, randomBatch(32, D, 2, 1.5), 32, 1e-9);
  }

  @Test
  void logDetMatchesNumericalJacobianBothDirections() {
    ParameterLayout layout = new ParameterLayout();
    ActNorm t = new ActNorm(layout, "an", D);
    double[] theta = randomParameters(t, layout, 3, 0.5);
    assertLogDetMatchesJacobian(t, theta, randomBatch(4, D, 4, 1.0), 4);
  }

  @Test
  void gradientsMatchFiniteDifferencesInBothDirections() {
    ParameterLayout layout = new ParameterLayout();
    ActNorm t = new ActNorm(layout, "an", D);
    double[] theta = randomParameters(t, layout, 5, 0.5);
    double[] x = randomBatch(5, D, 6, 1.0);
    assertGradientsMatchFiniteDifferences(t, layout, theta, x, 5, false, 100);
    assertGradientsMatchFiniteDifferences(t, layout, theta, x, 5, true, 100);
  }

  @Test
  void freshlyInitializedActNormIsTheUninitializedIdentity() {
    ParameterLayout layout = new ParameterLayout();
    ActNorm t = new ActNorm(layout, "an", D);
    double[] theta = new double[layout.size()];
    java.util.Arrays.fill(theta, 0.7);
    t.initialize(theta, new SplittableRandom(1));
    assertFalse(t.isInitialized(theta));
    double[] x = randomBatch(6, D, 2, 2.0);
    double[] z = new double[x.length];
    double[] ld = new double[6];
    t.inverse(theta, x, z, ld, 6, new Workspace());
    assertArrayEquals(x, z, 0.0);
    assertArrayEquals(new double[6], ld, 0.0);
  }

  @Test
  void dataInitializationGivesZeroMeanUnitStdOutputsAndSetsTheFlag() {
    ParameterLayout layout = new ParameterLayout();
    ActNorm t = new ActNorm(layout, "an", D);
    double[] theta = new double[layout.size()];
    t.initialize(theta, new SplittableRandom(1));
    int n = 200;
    double[] x = skewedBatch(n, 7);
    t.initializeFromData(theta, x, n);
    assertTrue(t.isInitialized(theta));
    assertEquals(1.0, theta[flagBlock(layout).offset()], 0.0);
    double[] z = new double[x.length];
    t.inverse(theta, x, z, new double[n], n, new Workspace());
    for (int i = 0; i < D; i++) {
      double mean = 0.0;
      for (int r = 0; r < n; r++) {
        mean += z[r * D + i];
      }
      mean /= n;
      double var = 0.0;
      for (int r = 0; r < n; r++) {
        var += (z[r * D + i] - mean) * (z[r * D + i] - mean);
      }
      assertEquals(0.0, mean, 1e-9, "mean of dimension " + i);
      assertEquals(1.0, Math.sqrt(var / n), 1e-9, "std of dimension " + i);
    }
  }

  @Test
  void secondDataInitializationChangesNothing() {
    ParameterLayout layout = new ParameterLayout();
    ActNorm t = new ActNorm(layout, "an", D);
    double[] theta = new double[layout.size()];
    t.initialize(theta, new SplittableRandom(1));
    t.initializeFromData(theta, skewedBatch(50, 8), 50);
    double[] before = theta.clone();
    t.initializeFromData(theta, randomBatch(50, D, 9, 3.0), 50);
    assertArrayEquals(before, theta, 0.0);
  }

  @Test
  void constantDimensionIsFlooredNotDividedByZero() {
    ParameterLayout layout = new ParameterLayout();
    ActNorm t = new ActNorm(layout, "an", D);
    double[] theta = new double[layout.size()];
    t.initialize(theta, new SplittableRandom(1));
    double[] x = skewedBatch(10, 3);
    for (int r = 0; r < 10; r++) {
      x[r * D + 2] = 4.25;
    }
    t.initializeFromData(theta, x, 10);
    double[] z = new double[x.length];
    double[] ld = new double[10];
    t.inverse(theta, x, z, ld, 10, new Workspace());
    for (int r = 0; r < 10; r++) {
      assertEquals(0.0, z[r * D + 2], 0.0);
      assertTrue(Double.isFinite(ld[r]));
    }
  }

  @Test
  void initializedFlagIsAnUntrainableStateBlockWithoutGradient() {
    ParameterLayout layout = new ParameterLayout();
    ActNorm t = new ActNorm(layout, "an", D);
    ParameterLayout.Block flag = flagBlock(layout);
    assertEquals(ParamKind.STATE, flag.kind());
    assertEquals(1, flag.size());
    assertFalse(layout.trainableMask()[flag.offset()]);
    assertFalse(layout.decayMask()[flag.offset()]);
    double[] theta = randomParameters(t, layout, 10, 0.5);
    int n = 3;
    double[] x = randomBatch(n, D, 11, 1.0);
    double[] g = randomBatch(n, D, 12, 1.0);
    double[] gLd = {1.0, -2.0, 0.5};
    for (boolean forward : new boolean[] {false, true}) {
      double[] gTheta = new double[theta.length];
      double[] out = new double[x.length];
      Transform.Trace tr = forward
          ? t.forwardTrace(theta, x, out, new double[n], n)
          : t.inverseTrace(theta, x, out, new double[n], n);
      if (forward) {
        t.forwardBackward(theta, tr, g, gLd, new double[x.length], gTheta);
      } else {
        t.inverseBackward(theta, tr, g, gLd, new double[x.length], gTheta);
      }
      assertEquals(0.0, gTheta[flag.offset()], 0.0, forward ? "forward" : "inverse");
    }
  }

  @Test
  void locAndLogScaleAreNeverDecayed() {
    ParameterLayout layout = new ParameterLayout();
    new ActNorm(layout, "an", D);
    for (ParameterLayout.Block b : layout.blocks()) {
      assertTrue(b.kind() != ParamKind.WEIGHT, b.name() + " must not be decayed");
    }
  }
}
