package io.flowguard.core.transform;

import static io.flowguard.core.transform.TransformContract.assertGradientsMatchFiniteDifferences;
import static io.flowguard.core.transform.TransformContract.assertLogDetMatchesJacobian;
import static io.flowguard.core.transform.TransformContract.assertRoundTrip;
import static io.flowguard.core.transform.TransformContract.freeParameters;
import static io.flowguard.core.transform.TransformContract.randomBatch;
import static io.flowguard.core.transform.TransformContract.randomParameters;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.nn.Activation;
import io.flowguard.core.nn.ParameterLayout;
import org.junit.jupiter.api.Test;

/**
 * A masked autoregressive transform whose element is a rational-quadratic spline (the autoregressive
 * Neural Spline Flow layer). Inputs are drawn at scale 2.5 so that a good share of them fall outside the
 * spline interval [-3, 3] and run through the identity tails, while the conditioner still sees them.
 *
 * <p>Tolerances: round trip 1e-7, as for the spline coupling layer (the inverse solves a quadratic per
 * bin, accurate to about ulp(x) divided by the local slope, which random parameters push down to
 * ~e^-15; the error observed is far smaller). Log-dets and gradients use {@link TransformContract}'s
 * finite-difference tolerances (1e-6 on log|det|, relative 1e-5 on gradients); the spline is only C1 at
 * its knots, but with fixed seeds no evaluation point lies within a finite-difference step of a knot.
 */
class SplineAutoregressiveTest {

  private static final int D = 4;
  private static final int BINS = 8;
  private static final double BOUND = 3.0;

  private static MaskedAutoregressive splineMade(ParameterLayout layout, int[] order) {
    return new MaskedAutoregressive(layout, "nsf", order, new int[] {12, 12}, Activation.TANH,
        new RationalQuadraticSpline(BINS, BOUND));
  }

  private static double[] straddlingBatch(int n, long seed) {
    double[] x = randomBatch(n, D, seed, 2.5);
    int outside = 0;
    for (double v : x) {
      outside += Math.abs(v) >= BOUND ? 1 : 0;
    }
    assertTrue(outside > 0 && outside < x.length, "inputs should straddle the bound, " + outside + " outside");
    return x;
  }

  @Test
  void roundTripsTo1e7WithRandomParametersInsideAndOutsideTheBound() {
    ParameterLayout layout = new ParameterLayout();
    MaskedAutoregressive t = splineMade(layout, MaskedAutoregressive.randomOrder(D, 5));
    double[] theta = randomParameters(t, layout, 1, 1.0);
    int n = 64;
    assertRoundTrip(t, theta, straddlingBatch(n, 2), n, 1e-7);
  }

  @Test
  void logDetMatchesNumericalJacobianInBothDirections() {
    ParameterLayout layout = new ParameterLayout();
    MaskedAutoregressive t = splineMade(layout, MaskedAutoregressive.reversedOrder(D));
    double[] theta = randomParameters(t, layout, 3, 0.7);
    assertLogDetMatchesJacobian(t, theta, straddlingBatch(8, 4), 8);
  }

  @Test
  void densityGradientsMatchFiniteDifferences() {
    ParameterLayout layout = new ParameterLayout();
    MaskedAutoregressive t = splineMade(layout, MaskedAutoregressive.randomOrder(D, 6));
    double[] theta = randomParameters(t, layout, 7, 0.7);
    assertGradientsMatchFiniteDifferences(t, freeParameters(layout, t), theta, straddlingBatch(4, 8), 4, false,
        150);
  }

  @Test
  void samplingGradientsMatchFiniteDifferencesThroughImplicitDifferentiation() {
    ParameterLayout layout = new ParameterLayout();
    MaskedAutoregressive t = splineMade(layout, MaskedAutoregressive.randomOrder(D, 6));
    double[] theta = randomParameters(t, layout, 9, 0.7);
    assertGradientsMatchFiniteDifferences(t, freeParameters(layout, t), theta, straddlingBatch(4, 10), 4, true,
        150);
  }

  @Test
  void inverseWrapperGradientsMatchFiniteDifferencesInBothDirections() {
    // The spline IAF: its density direction is the sequential spline sampling pass.
    ParameterLayout layout = new ParameterLayout();
    Transform t = new InverseTransform(splineMade(layout, MaskedAutoregressive.naturalOrder(D)));
    double[] theta = randomParameters(t, layout, 11, 0.7);
    double[] x = straddlingBatch(3, 12);
    assertGradientsMatchFiniteDifferences(t, freeParameters(layout, t), theta, x, 3, false, 80);
    assertGradientsMatchFiniteDifferences(t, freeParameters(layout, t), theta, x, 3, true, 80);
  }
}
