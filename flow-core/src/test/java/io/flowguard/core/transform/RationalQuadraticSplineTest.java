package io.flowguard.core.transform;

import static io.flowguard.core.transform.TransformContract.assertGradientsMatchFiniteDifferences;
import static io.flowguard.core.transform.TransformContract.assertLogDetMatchesJacobian;
import static io.flowguard.core.transform.TransformContract.assertRoundTrip;
import static io.flowguard.core.transform.TransformContract.gaussian;
import static io.flowguard.core.transform.TransformContract.randomBatch;
import static io.flowguard.core.transform.TransformContract.randomParameters;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.nn.Activation;
import io.flowguard.core.nn.ParameterLayout;
import io.flowguard.core.nn.Workspace;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The spline element, on its own and inside a coupling layer. Scalar checks use central differences with
 * step {@code H = 1e-6}: for bins no narrower than a few hundredths the truncation error h^2 f'''/6 is
 * below 1e-9 and the round-off eps |f| / h about 1e-9, so derivatives and gradients are asserted to a
 * relative 1e-6. A point within h of a knot would see the jump in the second derivative (the spline is
 * only C1); with fixed seeds and random points that does not happen.
 */
class RationalQuadraticSplineTest {

  private static final int K = 8;
  private static final double B = 3.0;
  private static final int D = 4;
  private static final double H = 1e-6;

  private final RationalQuadraticSpline spline = new RationalQuadraticSpline(K, B);

  private static CouplingTransform coupling(ParameterLayout layout, int layer) {
    return new CouplingTransform(layout, "c", CouplingTransform.alternatingMask(D, layer), new int[] {16},
        Activation.TANH, new RationalQuadraticSpline(K, B));
  }

  private static double[] rawParams(SplittableRandom rng, double scale) {
    double[] p = new double[3 * K - 1];
    for (int i = 0; i < p.length; i++) {
      p[i] = scale * gaussian(rng);
    }
    return p;
  }

  private static double uniform(SplittableRandom rng, double lo, double hi) {
    return lo + (hi - lo) * rng.nextDouble();
  }

  private double apply(double v, double[] p, boolean forward, double[] ld) {
    double[] out = new double[1];
    ld[0] = forward ? spline.forward(v, p, 0, out, 0) : spline.inverse(v, p, 0, out, 0);
    return out[0];
  }

  private double loss(double v, double[] p, boolean forward, double gOut, double gLd) {
    double[] ld = new double[1];
    double out = apply(v, p, forward, ld);
    return gOut * out + gLd * ld[0];
  }

  @Test
  void couplingRoundTripsTo1e7WithUnevenBinsInsideAndOutsideTheBound() {
    ParameterLayout layout = new ParameterLayout();
    CouplingTransform t = coupling(layout, 0);
    double[] theta = randomParameters(t, layout, 1, 1.0);
    int n = 64;
    double[] x = randomBatch(n, D, 2, 2.5);
    int outside = 0;
    for (double v : x) {
      outside += Math.abs(v) >= B ? 1 : 0;
    }
    assertTrue(outside > 5 && outside < x.length - 5, "inputs should straddle the bound, " + outside + " outside");
    // 1e-7 (the contract's scale): the inverse is only as accurate as ulp(x) / slope, and slopes here go
    // down to e^-15; the error observed is about 1e-13.
    assertRoundTrip(t, theta, x, n, 1e-7);
  }

  @Test
  void couplingLogDetMatchesNumericalJacobianBothDirections() {
    ParameterLayout layout = new ParameterLayout();
    CouplingTransform t = coupling(layout, 1);
    double[] theta = randomParameters(t, layout, 3, 1.0);
    assertLogDetMatchesJacobian(t, theta, randomBatch(12, D, 4, 1.5), 12);
  }

  @Test
  void scalarDerivativeMatchesCentralDifferenceBothDirections() {
    SplittableRandom rng = new SplittableRandom(11);
    double[] ld = new double[1];
    for (int trial = 0; trial < 300; trial++) {
      double[] p = rawParams(rng, 1.5);
      double v = uniform(rng, -B + 1e-3, B - 1e-3);
      for (boolean forward : new boolean[] {true, false}) {
        apply(v, p, forward, ld);
        double analytic = Math.exp(ld[0]);
        double numeric = (apply(v + H, p, forward, new double[1]) - apply(v - H, p, forward, new double[1])) / (2 * H);
        assertEquals(numeric, analytic, 1e-6 * Math.max(1.0, analytic),
            (forward ? "forward" : "inverse") + " derivative at " + v + ", trial " + trial);
      }
    }
  }

  @Test
  void tailsAreTheExactIdentityWithZeroLogDetAndNoGradientToParameters() {
    SplittableRandom rng = new SplittableRandom(5);
    double[] inputs = {B, -B, Math.nextUp(B), Math.nextDown(-B), B + 1e-9, -B - 1e-9, 3.5, -7.0, 1e6,
        1e300, -1e300, Double.MAX_VALUE, -Double.MAX_VALUE};
    for (double scale : new double[] {0.0, 1.0, 50.0}) {
      double[] p = rawParams(rng, scale);
      for (double v : inputs) {
        for (boolean forward : new boolean[] {true, false}) {
          double[] ld = new double[1];
          assertEquals(v, apply(v, p, forward, ld), 0.0, "tail value at " + v);
          assertEquals(0.0, ld[0], 0.0, "tail log-det at " + v);
          double[] gp = new double[p.length];
          double g = forward
              ? spline.forwardBackward(v, p, 0, 0.7, -1.3, gp, 0)
              : spline.inverseBackward(v, p, 0, 0.7, -1.3, gp, 0);
          assertEquals(0.7, g, 0.0, "tail input gradient at " + v);
          assertArrayEquals(new double[p.length], gp, 0.0, "tail parameter gradient at " + v);
        }
      }
    }
  }

  @Test
  void couplingBatchEntirelyInTheTailsIsTheExactIdentity() {
    ParameterLayout layout = new ParameterLayout();
    CouplingTransform t = coupling(layout, 0);
    double[] theta = randomParameters(t, layout, 7, 1.0);
    double[] x = {
        1e300, -1e300, 4.0, -3.0000001,
        -5.0, Math.nextUp(B), -1e12, 3.0,
        100.0, 9.5, Math.nextDown(-B), -20.0};
    int n = x.length / D;
    for (boolean forward : new boolean[] {true, false}) {
      double[] out = new double[x.length];
      double[] ld = new double[n];
      if (forward) {
        t.forward(theta, x, out, ld, n, new Workspace());
      } else {
        t.inverse(theta, x, out, ld, n, new Workspace());
      }
      assertArrayEquals(x, out, 0.0);
      assertArrayEquals(new double[n], ld, 0.0);
    }
  }

  @Test
  void zeroParametersAreTheIdentityWithin1e12() {
    double[] p = spline.identityParams();
    assertArrayEquals(new double[3 * K - 1], p, 0.0);
    int steps = 6000;
    double[] ld = new double[1];
    for (int i = 0; i <= steps; i++) {
      double v = -B + 2 * B * i / steps;
      for (boolean forward : new boolean[] {true, false}) {
        // 1e-12: only the rounding of the knot sums and of the derivative shift remains.
        assertEquals(v, apply(v, p, forward, ld), 1e-12, "identity value at " + v);
        assertEquals(0.0, ld[0], 1e-12, "identity log-det at " + v);
      }
    }
  }

  @Test
  void freshlyInitializedSplineCouplingIsTheIdentity() {
    ParameterLayout layout = new ParameterLayout();
    CouplingTransform t = coupling(layout, 1);
    double[] theta = new double[layout.size()];
    t.initialize(theta, new SplittableRandom(1));
    int n = 32;
    double[] x = randomBatch(n, D, 2, 2.0);
    double[] z = new double[x.length];
    double[] ld = new double[n];
    t.inverse(theta, x, z, ld, n, new Workspace());
    assertArrayEquals(x, z, 1e-12);
    assertArrayEquals(new double[n], ld, 1e-12);
  }

  @Test
  void couplingGradientsMatchFiniteDifferencesInBothDirections() {
    ParameterLayout layout = new ParameterLayout();
    CouplingTransform t = coupling(layout, 0);
    double[] theta = randomParameters(t, layout, 5, 1.0);
    double[] x = randomBatch(6, D, 6, 1.2);
    assertGradientsMatchFiniteDifferences(t, layout, theta, x, 6, false, 80);
    assertGradientsMatchFiniteDifferences(t, layout, theta, x, 6, true, 80);
  }

  @Test
  void scalarBackwardMatchesFiniteDifferencesForEveryRawParameterAndTheInput() {
    SplittableRandom rng = new SplittableRandom(21);
    for (int trial = 0; trial < 60; trial++) {
      // Scale 1: bins still differ by factors of e^2..e^4. Much steeper bins make the inverse log-det
      // carry ~1e-12 of round-off, which a step of 1e-6 would turn into 1e-6 of gradient noise.
      double[] p = rawParams(rng, 1.0);
      double v = uniform(rng, -B + 1e-3, B - 1e-3);
      double gOut = gaussian(rng);
      double gLd = gaussian(rng);
      for (boolean forward : new boolean[] {true, false}) {
        double[] gp = new double[p.length + 3];
        // An offset into gp checks the backward honours gpOff separately from the parameter offset.
        double gIn = forward
            ? spline.forwardBackward(v, p, 0, gOut, gLd, gp, 3)
            : spline.inverseBackward(v, p, 0, gOut, gLd, gp, 3);
        String dir = forward ? "forward" : "inverse";
        double num = (loss(v + H, p, forward, gOut, gLd) - loss(v - H, p, forward, gOut, gLd)) / (2 * H);
        assertEquals(num, gIn, 1e-6 * Math.max(1.0, Math.abs(num)), dir + " dL/dinput, trial " + trial);
        for (int j = 0; j < p.length; j++) {
          double[] pp = p.clone();
          double[] pm = p.clone();
          pp[j] += H;
          pm[j] -= H;
          double numJ = (loss(v, pp, forward, gOut, gLd) - loss(v, pm, forward, gOut, gLd)) / (2 * H);
          assertEquals(numJ, gp[3 + j], 1e-6 * Math.max(1.0, Math.abs(numJ)),
              dir + " dL/dp[" + j + "], trial " + trial);
        }
      }
    }
  }

  @Test
  void backwardAccumulatesIntoExistingGradient() {
    double[] p = rawParams(new SplittableRandom(4), 1.0);
    double[] once = new double[p.length];
    spline.inverseBackward(0.3, p, 0, 1.0, 0.5, once, 0);
    double[] twice = once.clone();
    spline.inverseBackward(0.3, p, 0, 1.0, 0.5, twice, 0);
    for (int j = 0; j < p.length; j++) {
      assertEquals(2 * once[j], twice[j], 1e-15 * Math.max(1.0, Math.abs(once[j])), "gp[" + j + "]");
    }
  }

  @Test
  void forwardIsStrictlyIncreasingOnAFineGrid() {
    SplittableRandom rng = new SplittableRandom(17);
    int steps = 20000;
    for (int trial = 0; trial < 5; trial++) {
      double[] p = rawParams(rng, 2.0);
      double prev = Double.NEGATIVE_INFINITY;
      for (int i = 0; i <= steps; i++) {
        double v = -B - 1 + (2 * B + 2) * i / steps;
        double y = apply(v, p, true, new double[1]);
        assertTrue(y > prev, "not increasing at " + v + ", trial " + trial);
        prev = y;
      }
    }
  }

  @Test
  void extremeRawParametersStayFiniteAndInvertible() {
    SplittableRandom rng = new SplittableRandom(31);
    double[] ldF = new double[1];
    double[] ldI = new double[1];
    for (int trial = 0; trial < 40; trial++) {
      double[] p = new double[3 * K - 1];
      for (int i = 0; i < p.length; i++) {
        p[i] = trial % 2 == 0 ? (rng.nextBoolean() ? 50.0 : -50.0) : uniform(rng, -50, 50);
      }
      for (int i = 0; i < 200; i++) {
        double v = uniform(rng, -B - 0.5, B + 0.5);
        double y = apply(v, p, true, ldF);
        double back = apply(y, p, false, ldI);
        assertTrue(Double.isFinite(y) && Double.isFinite(ldF[0]) && Double.isFinite(ldI[0]),
            "non-finite at " + v + ", trial " + trial);
        // Slopes here reach e^-18, and y only carries ulp(y) of information: the round trip cannot beat
        // ulp(B) / slope. The Newton-polished root stays within four of those.
        double slope = Math.exp(ldF[0]);
        assertEquals(v, back, 4 * Math.ulp(B) / slope + 1e-12, "round trip at " + v + ", trial " + trial);
        // The other direction: forward of the recovered input lands within a few ulps of y, scaled by
        // the slope there (an ulp of error in the input moves the output by slope ulps).
        double[] ldBack = new double[1];
        double yBack = apply(back, p, true, ldBack);
        assertEquals(y, yBack, 8 * Math.ulp(B) * Math.max(1.0, Math.exp(ldBack[0])),
            "forward(inverse(y)) at " + v + ", trial " + trial);
        // The log-dets differ by (log slope)' times the round-trip error above: < 1e-6 in the worst bins.
        assertEquals(0.0, ldF[0] + ldI[0], 1e-5, "log-dets cancel at " + v + ", trial " + trial);
        double[] gp = new double[p.length];
        double g = spline.inverseBackward(y, p, 0, 1.0, 1.0, gp, 0);
        assertTrue(Double.isFinite(g), "non-finite input gradient, trial " + trial);
        for (double gj : gp) {
          assertTrue(Double.isFinite(gj), "non-finite parameter gradient, trial " + trial);
        }
      }
    }
  }

  @Test
  void rejectsInvalidConfiguration() {
    assertThrows(IllegalArgumentException.class, () -> new RationalQuadraticSpline(0, B));
    assertThrows(IllegalArgumentException.class, () -> new RationalQuadraticSpline(K, 0.0));
    assertThrows(IllegalArgumentException.class, () -> new RationalQuadraticSpline(K, Double.POSITIVE_INFINITY));
    assertThrows(IllegalArgumentException.class, () -> new RationalQuadraticSpline(K, Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> new RationalQuadraticSpline(K, B, 0.125, 1e-3, 1e-3));
    assertThrows(IllegalArgumentException.class, () -> new RationalQuadraticSpline(K, B, 0.0, 1e-3, 1e-3));
    assertThrows(IllegalArgumentException.class, () -> new RationalQuadraticSpline(K, B, 1e-3, 0.2, 1e-3));
    assertThrows(IllegalArgumentException.class, () -> new RationalQuadraticSpline(K, B, 1e-3, 1e-3, 0.0));
    assertThrows(IllegalArgumentException.class, () -> new RationalQuadraticSpline(K, B, 1e-3, 1e-3, 1.0));
    assertEquals(3 * K - 1, new RationalQuadraticSpline(K, B).paramsPerDim());
  }
}
