package io.flowguard.core.transform;

import static io.flowguard.core.transform.TransformContract.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.nn.Activation;
import io.flowguard.core.nn.ParameterLayout;
import io.flowguard.core.nn.Workspace;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Conditional coupling and autoregressive layers, every element bijection, context widths 1 and 3, held
 * to {@link TransformContract} at a fixed context: round trip, log-det against the numerical Jacobian in
 * x, gradients in x and in every parameter (the context weights included, which must get a non-zero
 * gradient), in both directions. Tolerances are the contract's; round
 * trips 1e-9 (affine, additive) and 1e-7 (splines, whose inverse is accurate to ulp(x) / slope).
 */
class ConditionalTransformTest {

  private static final int D = 3;

  /** A layer under test: how to build it into a layout with a context width, and its round-trip tolerance. */
  record Layer(String label, BiFunction<ParameterLayout, Integer, Transform> build, double roundTripTol) {
    @Override
    public String toString() {
      return label;
    }
  }

  private static final int[] HIDDEN = {12, 12};

  private static List<Layer> layers() {
    boolean[] mask = CouplingTransform.alternatingMask(D, 1);
    int[] order = MaskedAutoregressive.randomOrder(D, 11);
    return List.of(
        new Layer("realnvp", (l, m) -> new CouplingTransform(l, "c", mask, HIDDEN, Activation.TANH,
            new AffineElement(AffineElement.DEFAULT_SCALE_BOUND), m), 1e-9),
        new Layer("nice", (l, m) -> new CouplingTransform(l, "c", mask, HIDDEN, Activation.ELU, new ShiftElement(), m),
            1e-9),
        new Layer("spline-coupling", (l, m) -> new CouplingTransform(l, "c", mask, HIDDEN, Activation.TANH,
            new RationalQuadraticSpline(6, 3.0), m), 1e-7),
        new Layer("maf", (l, m) -> new MaskedAutoregressive(l, "maf", order, HIDDEN, Activation.TANH,
            new AffineElement(AffineElement.DEFAULT_SCALE_BOUND), 0.0, m), 1e-9),
        new Layer("maf-bounded", (l, m) -> new MaskedAutoregressive(l, "maf", order, HIDDEN, Activation.TANH,
            new AffineElement(AffineElement.DEFAULT_SCALE_BOUND), 1.5, m), 1e-9),
        new Layer("iaf", (l, m) -> new InverseTransform(new MaskedAutoregressive(l, "iaf", order, HIDDEN,
            Activation.TANH, new AffineElement(AffineElement.DEFAULT_SCALE_BOUND), 0.0, m)), 1e-9),
        new Layer("spline-autoregressive", (l, m) -> new MaskedAutoregressive(l, "made", order, HIDDEN,
            Activation.TANH, new RationalQuadraticSpline(6, 3.0), 0.0, m), 1e-7));
  }

  record Case(Layer layer, int m) {
    @Override
    public String toString() {
      return layer.label() + " m=" + m;
    }
  }

  static Stream<Case> cases() {
    List<Case> out = new ArrayList<>();
    for (Layer l : layers()) {
      for (int m : new int[] {1, 3}) {
        out.add(new Case(l, m));
      }
    }
    return out.stream();
  }

  /** The layer of a case with random (not identity) parameters. */
  private record Built(Transform t, ParameterLayout layout, double[] theta) {}

  private static Built build(Case c, long seed) {
    ParameterLayout layout = new ParameterLayout();
    Transform t = c.layer().build().apply(layout, c.m());
    return new Built(t, layout, randomParameters(t, layout, seed, 0.5));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void reportsItsContextDimension(Case c) {
    assertEquals(c.m(), build(c, 1).t().contextDim());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void roundTripsAtAFixedContext(Case c) {
    Built b = build(c, 1);
    int n = 32;
    assertRoundTrip(b.t(), b.theta(), randomBatch(n, D, 2, 1.5), randomBatch(n, c.m(), 3, 1.0), n,
        c.layer().roundTripTol());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void logDetMatchesTheJacobianInXAtAFixedContext(Case c) {
    Built b = build(c, 4);
    int n = 6;
    assertLogDetMatchesJacobian(b.t(), b.theta(), randomBatch(n, D, 5, 1.0), randomBatch(n, c.m(), 6, 1.0), n);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void gradientsMatchFiniteDifferencesAndReachTheContextWeights(Case c) {
    Built b = build(c, 7);
    int n = 4;
    double[] x = randomBatch(n, D, 8, 1.0);
    double[] ctx = randomBatch(n, c.m(), 9, 1.0);
    ParameterLayout free = freeParameters(b.layout(), b.t());
    for (boolean forward : new boolean[] {false, true}) {
      // Every parameter is checked (maxParams = all): the context block is among them.
      double[] g = assertGradientsMatchFiniteDifferences(b.t(), free, b.theta(), x, ctx, n, forward, b.theta().length);
      ParameterLayout.Block context = contextBlock(b.layout());
      assertEquals(c.m() * HIDDEN[0], context.size(), "one first-layer weight per context value and hidden unit");
      double largest = 0.0;
      for (int i = context.offset(); i < context.offset() + context.size(); i++) {
        largest = Math.max(largest, Math.abs(g[i]));
      }
      assertTrue(largest > 1e-6, (forward ? "sampling" : "density") + " direction: context weights get a gradient, "
          + "largest " + largest);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void theOutputDependsOnTheContext(Case c) {
    Built b = build(c, 10);
    int n = 16;
    double[] x = randomBatch(n, D, 11, 1.0);
    double[] z1 = new double[n * D];
    double[] z2 = new double[n * D];
    double[] ld1 = new double[n];
    double[] ld2 = new double[n];
    b.t().inverse(b.theta(), x, randomBatch(n, c.m(), 12, 1.0), z1, ld1, n, new Workspace());
    b.t().inverse(b.theta(), x, randomBatch(n, c.m(), 13, 1.0), z2, ld2, n, new Workspace());
    double moved = 0.0;
    for (int i = 0; i < z1.length; i++) {
      moved = Math.max(moved, Math.abs(z1[i] - z2[i]));
    }
    assertTrue(moved > 0.05, "another context moves z by " + moved);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void contextFreeCallsFailNamingTheOverload(Case c) {
    Built b = build(c, 14);
    double[] x = randomBatch(2, D, 15, 1.0);
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> b.t().inverse(b.theta(), x, new double[x.length], new double[2], 2, new Workspace()));
    assertTrue(e.getMessage().contains("conditional on " + c.m() + " context value"), e.getMessage());
    assertTrue(e.getMessage().contains("overload that takes the context"), e.getMessage());
    assertThrows(IllegalStateException.class,
        () -> b.t().forward(b.theta(), x, new double[x.length], new double[2], 2, new Workspace()));
    assertThrows(IllegalStateException.class, () -> b.t().inverseTrace(b.theta(), x, new double[x.length],
        new double[2], 2));
  }

  @Test
  void anUnconditionalLayerIgnoresAContextAndComputesExactlyItsContextFreeResult() {
    for (Layer l : layers()) {
      ParameterLayout layout = new ParameterLayout();
      Transform t = l.build().apply(layout, 0);
      assertEquals(0, t.contextDim());
      double[] theta = randomParameters(t, layout, 16, 0.5);
      int n = 8;
      double[] x = randomBatch(n, D, 17, 1.0);
      double[] zPlain = new double[n * D];
      double[] ldPlain = new double[n];
      t.inverse(theta, x, zPlain, ldPlain, n, new Workspace());
      for (double[] c : new double[][] {null, randomBatch(n, 2, 18, 1.0)}) {
        double[] z = new double[n * D];
        double[] ld = new double[n];
        t.inverse(theta, x, c, z, ld, n, new Workspace());
        assertArrayEquals(zPlain, z, 0.0, l.label());
        assertArrayEquals(ldPlain, ld, 0.0, l.label());
      }
    }
  }

  @Test
  void anUnconditionalLayerHasTheLayoutItHadBeforeContextExisted() {
    // No context block, and the first-layer weights keep their name and size.
    ParameterLayout layout = new ParameterLayout();
    new CouplingTransform(layout, "c", CouplingTransform.alternatingMask(D, 0), HIDDEN, Activation.RELU,
        new AffineElement(AffineElement.DEFAULT_SCALE_BOUND), 0);
    ParameterLayout before = new ParameterLayout();
    new CouplingTransform(before, "c", CouplingTransform.alternatingMask(D, 0), HIDDEN, Activation.RELU,
        new AffineElement(AffineElement.DEFAULT_SCALE_BOUND));
    assertEquals(before.blocks(), layout.blocks());
    assertTrue(layout.blocks().stream().noneMatch(b -> b.name().endsWith(".context")));
  }

  /**
   * The conditional MADE's masks, read back from the layout: each output of dimension i reaches exactly
   * the inputs earlier than i in the ordering (unchanged by the context) and every context input, the
   * first dimension in the ordering included; every first-layer hidden unit sees the whole context.
   */
  @Test
  void conditionalMadeConnectsEveryOutputToTheContextAndKeepsTheAutoregressiveMasks() {
    int m = 2;
    int[] order = MaskedAutoregressive.randomOrder(D, 11);
    ParameterLayout layout = new ParameterLayout();
    MaskedAutoregressive t = new MaskedAutoregressive(layout, "maf", order, HIDDEN, Activation.TANH,
        new AffineElement(AffineElement.DEFAULT_SCALE_BOUND), 0.0, m);
    double[] ones = new double[layout.size()];
    Arrays.fill(ones, 1.0);
    t.sanitize(ones);
    int[] sizes = {D + m, HIDDEN[0], HIDDEN[1], 2 * D};
    ParameterLayout.Block w0 = block(layout, "maf.made.w0");
    ParameterLayout.Block w0c = block(layout, "maf.made.w0.context");
    assertEquals(w0.offset() + w0.size(), w0c.offset(), "the context rows continue the first weight matrix");
    for (int k = w0c.offset(); k < w0c.offset() + w0c.size(); k++) {
      assertEquals(1.0, ones[k], 0.0, "context to first-layer unit " + (k - w0c.offset()));
    }
    double[] product = null;
    for (int l = 0; l < sizes.length - 1; l++) {
      int off = l == 0 ? w0.offset() : block(layout, "maf.made.w" + l).offset();
      double[] mask = Arrays.copyOfRange(ones, off, off + sizes[l] * sizes[l + 1]);
      product = l == 0 ? mask : multiply(product, mask, sizes[0], sizes[l], sizes[l + 1]);
    }
    int outs = 2 * D;
    for (int i = 0; i < D; i++) {
      for (int q = 0; q < 2; q++) {
        for (int j = 0; j < D; j++) {
          double paths = product[j * outs + i * 2 + q];
          assertEquals(order[j] < order[i], paths > 0, "output (" + i + "," + q + ") sees input " + j);
        }
        for (int j = D; j < D + m; j++) {
          assertTrue(product[j * outs + i * 2 + q] > 0, "output (" + i + "," + q + ") sees context " + (j - D));
        }
      }
    }
  }

  @Test
  void aUnivariateConditionalMafIsAFunctionOfTheContext() {
    // d = 1: without context the MADE's only output is its bias; with context the shift and scale of x
    // follow c, and the layer is still exactly invertible with the right log-det.
    ParameterLayout layout = new ParameterLayout();
    MaskedAutoregressive t = new MaskedAutoregressive(layout, "maf", new int[] {1}, new int[] {8},
        Activation.TANH, new AffineElement(AffineElement.DEFAULT_SCALE_BOUND), 0.0, 1);
    double[] theta = randomParameters(t, layout, 19, 0.5);
    double[] x = {0.4, 0.4};
    double[] c = {-1.0, 1.0};
    double[] z = new double[2];
    double[] ld = new double[2];
    t.inverse(theta, x, c, z, ld, 2, new Workspace());
    assertTrue(Math.abs(z[0] - z[1]) > 0.05, "z at two contexts: " + z[0] + ", " + z[1]);
    assertTrue(Math.abs(ld[0] - ld[1]) > 0.01, "log-det at two contexts: " + ld[0] + ", " + ld[1]);
    assertRoundTrip(t, theta, randomBatch(16, 1, 20, 1.5), randomBatch(16, 1, 21, 1.0), 16, 1e-9);
    assertLogDetMatchesJacobian(t, theta, randomBatch(4, 1, 22, 1.0), randomBatch(4, 1, 23, 1.0), 4);
  }

  @Test
  void compositesPassTheContextToEveryLayerAndRequireOneWidth() {
    ParameterLayout layout = new ParameterLayout();
    int m = 2;
    Transform composite = new CompositeTransform(List.of(
        new ActNorm(layout, "a", D),
        new CouplingTransform(layout, "c", CouplingTransform.alternatingMask(D, 0), HIDDEN, Activation.TANH,
            new AffineElement(AffineElement.DEFAULT_SCALE_BOUND), m),
        new LuLinear(layout, "lu", D),
        new InverseTransform(new MaskedAutoregressive(layout, "iaf", MaskedAutoregressive.naturalOrder(D), HIDDEN,
            Activation.TANH, new AffineElement(AffineElement.DEFAULT_SCALE_BOUND), 0.0, m)),
        new PrefixTransform(new MaskedAutoregressive(layout, "p", MaskedAutoregressive.naturalOrder(2), HIDDEN,
            Activation.TANH, new AffineElement(AffineElement.DEFAULT_SCALE_BOUND), 0.0, m), D)));
    assertEquals(m, composite.contextDim());
    double[] theta = randomParameters(composite, layout, 24, 0.4);
    int n = 6;
    double[] c = randomBatch(n, m, 25, 1.0);
    assertRoundTrip(composite, theta, randomBatch(n, D, 26, 1.0), c, n, 1e-9);
    assertLogDetMatchesJacobian(composite, theta, randomBatch(n, D, 27, 1.0), c, n);
    ParameterLayout free = freeParameters(layout, composite);
    assertGradientsMatchFiniteDifferences(composite, free, theta, randomBatch(4, D, 28, 1.0),
        Arrays.copyOf(c, 4 * m), 4, false, 400);

    ParameterLayout other = new ParameterLayout();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CompositeTransform(List.of(
        new CouplingTransform(other, "a", CouplingTransform.alternatingMask(D, 0), HIDDEN, Activation.TANH,
            new ShiftElement(), 1),
        new CouplingTransform(other, "b", CouplingTransform.alternatingMask(D, 1), HIDDEN, Activation.TANH,
            new ShiftElement(), 2))));
    assertTrue(e.getMessage().contains("same context dimension"), e.getMessage());
  }

  private static ParameterLayout.Block contextBlock(ParameterLayout layout) {
    return layout.blocks().stream().filter(b -> b.name().endsWith(".w0.context")).findFirst()
        .orElseThrow(() -> new AssertionError("no context block in " + layout.blocks()));
  }

  private static ParameterLayout.Block block(ParameterLayout layout, String name) {
    return layout.blocks().stream().filter(b -> b.name().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no parameter block " + name));
  }

  /** (rows x k) times (k x m), row-major. */
  private static double[] multiply(double[] a, double[] b, int rows, int k, int m) {
    double[] c = new double[rows * m];
    for (int i = 0; i < rows; i++) {
      for (int p = 0; p < k; p++) {
        for (int j = 0; j < m; j++) {
          c[i * m + j] += a[i * k + p] * b[p * m + j];
        }
      }
    }
    return c;
  }
}
