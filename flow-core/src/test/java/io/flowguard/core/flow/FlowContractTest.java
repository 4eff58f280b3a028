package io.flowguard.core.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.nn.ParamKind;
import io.flowguard.core.nn.ParameterLayout;
import io.flowguard.core.nn.Workspace;
import io.flowguard.core.transform.CompositeTransform;
import io.flowguard.core.transform.Transform;
import io.flowguard.core.transform.TransformContract;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contract of a whole flow, for every family {@link FlowFactory} builds, at d = 3 with random (not
 * identity) parameters. The cases between them turn ActNorm on and off, use every mixing layer and every
 * base type, so each kind of layer is checked inside a real composition.
 *
 * <p>Tolerances. Log-dets: {@link TransformContract#LOGDET_TOL} (1e-6) against a central-difference
 * Jacobian, the same analysis as for single transforms. Round trips: 1e-9 for affine and additive
 * families (a few layers of well-conditioned affine maps lose a few ulps each) and 1e-7 for spline
 * families (the spline inverse is accurate to ulp(x) / slope). The layer-by-layer log-density sum is
 * the same arithmetic in a different grouping, so 1e-10 only allows for reassociation. Gradients:
 * relative 1e-5 against central differences of the mean NLL with step 1e-5 (truncation ~h^2 |f'''|,
 * round-off ~eps |NLL| / h ~ 1e-10), with an absolute floor of 1e-8 for near-zero entries.
 */
class FlowContractTest {

  private static final int D = 3;
  private static final double GRAD_STEP = 1e-5;
  private static final double GRAD_REL_TOL = 1e-5;
  private static final double GRAD_ABS_FLOOR = 1e-8;

  record Case(String label, FlowSpec spec, double roundTripTol) {
    @Override
    public String toString() {
      return label;
    }
  }

  static Stream<Case> families() {
    FlowSpec.BaseSpec diagonal = new FlowSpec.BaseSpec("diagonal-normal", null);
    // Smooth activations (tanh, elu) only: finite differences across a ReLU kink are not derivatives.
    return Stream.of(
        new Case("realnvp+actnorm+lu+diagonal",
            FlowSpec.of(FlowSpec.REALNVP, D).withActivation("tanh").withLayers(3).withHidden(8, 8).withActNorm(true).withMixing("lu")
                .withBase(diagonal), 1e-9),
        new Case("nice+permute+mixture",
            FlowSpec.of(FlowSpec.NICE, D).withLayers(3).withHidden(8).withMixing("permute")
                .withActivation("elu").withBase(FlowSpec.BaseSpec.mixture(3)), 1e-9),
        new Case("maf+lu+standard",
            FlowSpec.of(FlowSpec.MAF, D).withActivation("tanh").withLayers(3).withHidden(8).withMixing("lu"), 1e-9),
        new Case("iaf+actnorm+reverse+mixture",
            FlowSpec.of(FlowSpec.IAF, D).withActivation("tanh").withLayers(2).withHidden(8, 8).withActNorm(true).withMixing("reverse")
                .withBase(FlowSpec.BaseSpec.mixture(2)), 1e-9),
        new Case("spline-coupling+actnorm+permute+diagonal",
            FlowSpec.of(FlowSpec.SPLINE_COUPLING, D).withActivation("tanh").withLayers(3).withHidden(8).withActNorm(true)
                .withMixing("permute").withSpline(6, 3.0).withBase(diagonal), 1e-7),
        new Case("spline-autoregressive+lu+standard",
            FlowSpec.of(FlowSpec.SPLINE_AUTOREGRESSIVE, D).withActivation("tanh").withLayers(2).withHidden(8, 8).withMixing("lu")
                .withSpline(6, 3.0), 1e-7));
  }

  /** Random parameters at a scale that bends every layer visibly but keeps the flow well conditioned. */
  private static Flow flow(Case c) {
    return FlowTesting.randomFlow(c.spec(), 17, 0.3);
  }

  /** Data at scale 1.5: some values fall outside the spline interval [-3, 3] and use the identity tails. */
  private static double[] data(int n, long seed) {
    return TransformContract.randomBatch(n, D, seed, 1.5);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("families")
  void wholeFlowLogDetMatchesNumericalJacobianInBothDirections(Case c) {
    Flow flow = flow(c);
    TransformContract.assertLogDetMatchesJacobian(flow.transform(), flow.parameters(), data(6, 1), 6);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("families")
  void wholeTransformRoundTrips(Case c) {
    Flow flow = flow(c);
    TransformContract.assertRoundTrip(flow.transform(), flow.parameters(), data(64, 2), 64, c.roundTripTol());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("families")
  void publicLatentRoundTripRecoversTheData(Case c) {
    Flow flow = flow(c);
    double[] x = data(32, 3);
    double[] back = flow.fromLatent(flow.toLatent(x, 32), 32);
    for (int i = 0; i < x.length; i++) {
      assertEquals(x[i], back[i], c.roundTripTol() * Math.max(1.0, Math.abs(x[i])),
          "fromLatent(toLatent(x))[" + i + "]");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("families")
  void logProbIsBaseLogProbOfLatentPlusSumOfLayerLogDets(Case c) {
    Flow flow = flow(c);
    double[] theta = flow.parameters();
    int n = 20;
    double[] x = data(n, 4);
    // Push the data through the layers one at a time, adding up each layer's own log-det.
    double[] cur = x.clone();
    double[] layerLogDets = new double[n];
    for (Transform layer : ((CompositeTransform) flow.transform()).transforms()) {
      double[] next = new double[cur.length];
      double[] ld = new double[n];
      layer.inverse(theta, cur, next, ld, n, new Workspace());
      for (int r = 0; r < n; r++) {
        layerLogDets[r] += ld[r];
      }
      cur = next;
    }
    double[] z = flow.toLatent(x, n);
    assertEquals(0.0, maxAbsDiff(z, cur), 0.0, "toLatent is the layers applied in density order");
    double[] base = new double[n];
    flow.base().logProb(theta, z, n, base);
    double[] lp = flow.logProb(x, n);
    for (int r = 0; r < n; r++) {
      double expected = base[r] + layerLogDets[r];
      assertEquals(expected, lp[r], 1e-10 * Math.max(1.0, Math.abs(expected)), "log p(x) of row " + r);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("families")
  void trainingGradientMatchesFiniteDifferencesOfMeanNll(Case c) {
    Flow flow = flow(c);
    double[] theta = flow.parameters();
    int n = 12;
    double[] x = data(n, 5);
    double[] grad = new double[theta.length];
    double nll = flow.meanNllAndGradient(x, n, grad);
    assertEquals(flow.meanNll(x, n), nll, 1e-10 * Math.abs(nll), "traced and plain mean NLL");

    ParameterLayout free = TransformContract.freeParameters(flow.layout(), flow.transform());
    boolean[] trainable = free.trainableMask();
    Set<String> blocksChecked = new HashSet<>();
    int checked = 0;
    for (ParameterLayout.Block b : flow.layout().blocks()) {
      for (int i = b.offset(); i < b.offset() + b.size(); i++) {
        if (!trainable[i]) {
          continue; // a MADE-masked weight or STATE: not a free parameter of the density
        }
        double saved = theta[i];
        theta[i] = saved + GRAD_STEP;
        double plus = flow.meanNll(x, n);
        theta[i] = saved - GRAD_STEP;
        double minus = flow.meanNll(x, n);
        theta[i] = saved;
        double numerical = (plus - minus) / (2 * GRAD_STEP);
        double tol = Math.max(GRAD_ABS_FLOOR, GRAD_REL_TOL * Math.max(Math.abs(numerical), Math.abs(grad[i])));
        assertEquals(numerical, grad[i], tol, "dNLL/d" + b.name() + "[" + (i - b.offset()) + "]");
        blocksChecked.add(b.name());
        checked++;
      }
    }
    assertTrue(checked > 100, "only " + checked + " parameters checked");
    if (!c.spec().base().type().equals("standard-normal")) {
      assertTrue(blocksChecked.stream().anyMatch(name -> name.startsWith("base.")), "base parameters checked");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("families")
  void maskedWeightsAndStateGetExactlyZeroGradient(Case c) {
    Flow flow = flow(c);
    double[] grad = new double[flow.parameters().length];
    flow.meanNllAndGradient(data(12, 6), 12, grad);
    ParameterLayout free = TransformContract.freeParameters(flow.layout(), flow.transform());
    boolean[] trainable = free.trainableMask();
    int fixed = 0;
    for (int i = 0; i < grad.length; i++) {
      if (!trainable[i]) {
        assertEquals(0.0, grad[i], 0.0, "gradient of fixed parameter " + i);
        fixed++;
      }
    }
    boolean expectsFixed = c.spec().actNorm() || !FlowSpec.isCoupling(c.spec().family());
    assertEquals(expectsFixed, fixed > 0, "fixed parameters present: " + fixed);
    assertTrue(Arrays.stream(grad).allMatch(Double::isFinite));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("families")
  void parametersAreNotTheIdentityInitialization(Case c) {
    // Guards the other tests against silently testing an identity map.
    Flow flow = flow(c);
    double[] x = data(8, 7);
    double[] z = flow.toLatent(x, 8);
    assertTrue(maxAbsDiff(x, z) > 0.1, "the random flow moves points");
    boolean anyStateBlock = flow.layout().blocks().stream().anyMatch(b -> b.kind() == ParamKind.STATE);
    assertEquals(c.spec().actNorm(), anyStateBlock, "STATE blocks exist exactly when ActNorm is on");
  }

  private static double maxAbsDiff(double[] a, double[] b) {
    double m = 0.0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }
}
