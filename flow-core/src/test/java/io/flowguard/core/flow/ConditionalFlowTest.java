package io.flowguard.core.flow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.nn.ParameterLayout;
import io.flowguard.core.nn.Workspace;
import io.flowguard.core.train.Trainer;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.transform.TensorShape;
import io.flowguard.core.transform.TransformContract;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Conditional flows of every family that takes a context (and the conditional-normal base), context
 * widths 1 and 3, as whole flows built by {@link FlowFactory}.
 *
 * <p>At d = 3 with random parameters: round trip through the public latent methods, log-det of the
 * whole transform against the numerical Jacobian in x at a fixed context, and the mean-NLL gradient
 * against central differences for every free parameter, the context weights included (which must get a
 * non-zero gradient). Tolerances as in {@link FlowContractTest}: log-det 1e-6, round trip 1e-9 (1e-7
 * for splines), gradients relative 1e-5 with an absolute floor of 1e-8.
 *
 * <p>After a short training run on data whose x depends on c (d = 1 for the autoregressive families,
 * d = 2 for coupling): p(. | c) integrates to one for two different contexts (midpoint rule; tolerance
 * 0.01 as in {@link NormalizationTest}: missing mass below 0.001, checked by sampling at that context,
 * plus the quadrature error of cells several times smaller than the density's features); log p(x | c)
 * really changes with c; and training is deterministic.
 */
class ConditionalFlowTest {

  private static final double GRAD_STEP = 1e-5;
  private static final double GRAD_REL_TOL = 1e-5;
  private static final double GRAD_ABS_FLOOR = 1e-8;

  record Case(String label, FlowSpec spec, double roundTripTol) {
    @Override
    public String toString() {
      return label;
    }
  }

  /** d = 3 flows with a mixing layer or ActNorm in most, so the context passes through real compositions. */
  static Stream<Case> contractCases() {
    List<Case> out = new ArrayList<>();
    for (int m : new int[] {1, 3}) {
      FlowSpec.BaseSpec diagonal = new FlowSpec.BaseSpec("diagonal-normal", null);
      out.add(new Case("realnvp+actnorm+lu m=" + m, FlowSpec.of(FlowSpec.REALNVP, 3).withActivation("tanh")
          .withLayers(3).withHidden(8, 8).withActNorm(true).withMixing("lu").withBase(diagonal).withContext(m), 1e-9));
      out.add(new Case("nice+permute m=" + m, FlowSpec.of(FlowSpec.NICE, 3).withActivation("elu").withLayers(3)
          .withHidden(8).withMixing("permute").withContext(m), 1e-9));
      out.add(new Case("maf+lu m=" + m, FlowSpec.of(FlowSpec.MAF, 3).withActivation("tanh").withLayers(2)
          .withHidden(8).withMixing("lu").withContext(m), 1e-9));
      out.add(new Case("iaf+actnorm+reverse+mixture m=" + m, FlowSpec.of(FlowSpec.IAF, 3).withActivation("tanh")
          .withLayers(2).withHidden(8).withActNorm(true).withMixing("reverse").withBase(FlowSpec.BaseSpec.mixture(2))
          .withContext(m), 1e-9));
      out.add(new Case("spline-coupling+permute m=" + m, FlowSpec.of(FlowSpec.SPLINE_COUPLING, 3)
          .withActivation("tanh").withLayers(3).withHidden(8).withMixing("permute").withSpline(6, 3.0)
          .withContext(m), 1e-7));
      out.add(new Case("spline-autoregressive m=" + m, FlowSpec.of(FlowSpec.SPLINE_AUTOREGRESSIVE, 3)
          .withActivation("tanh").withLayers(2).withHidden(8).withSpline(6, 3.0).withContext(m), 1e-7));
      out.add(new Case("maf+conditional-normal m=" + m, FlowSpec.of(FlowSpec.MAF, 3).withActivation("tanh")
          .withLayers(2).withHidden(8).withContext(m).withBase(FlowSpec.BaseSpec.conditionalNormal()), 1e-9));
      out.add(new Case("realnvp+conditional-normal m=" + m, FlowSpec.of(FlowSpec.REALNVP, 3).withActivation("tanh")
          .withLayers(2).withHidden(8).withContext(m).withBase(FlowSpec.BaseSpec.conditionalNormal()), 1e-9));
    }
    return out.stream();
  }

  private static Flow randomFlow(Case c) {
    return FlowTesting.randomFlow(c.spec(), 17, 0.3);
  }

  private static double[] context(int n, int m, long seed) {
    return TransformContract.randomBatch(n, m, seed, 1.0);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("contractCases")
  void latentRoundTripAtAFixedContextRecoversTheData(Case c) {
    Flow flow = randomFlow(c);
    int n = 32;
    double[] x = TransformContract.randomBatch(n, 3, 3, 1.5);
    double[] ctx = context(n, flow.contextDim(), 4);
    double[] back = flow.fromLatent(flow.toLatent(x, ctx, n), ctx, n);
    for (int i = 0; i < x.length; i++) {
      assertEquals(x[i], back[i], c.roundTripTol() * Math.max(1.0, Math.abs(x[i])), "fromLatent(toLatent(x))[" + i + "]");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("contractCases")
  void wholeFlowLogDetMatchesTheJacobianInXAtAFixedContext(Case c) {
    Flow flow = randomFlow(c);
    TransformContract.assertLogDetMatchesJacobian(flow.transform(), flow.parameters(),
        TransformContract.randomBatch(6, 3, 1, 1.5), context(6, flow.contextDim(), 2), 6);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("contractCases")
  void logProbIsTheLatentLogDensityAtTheContextPlusTheLogDet(Case c) {
    Flow flow = randomFlow(c);
    int n = 10;
    double[] x = TransformContract.randomBatch(n, 3, 5, 1.0);
    double[] ctx = context(n, flow.contextDim(), 6);
    double[] z = new double[n * 3];
    double[] ld = new double[n];
    flow.transform().inverse(flow.parameters(), x, ctx, z, ld, n, new Workspace());
    double[] base = new double[n];
    flow.base().logProb(flow.parameters(), z, ctx, n, base, new Workspace());
    double[] lp = flow.logProb(x, ctx, n);
    double[] unchecked = new double[n];
    flow.logProb(x, ctx, n, unchecked, new Workspace());
    for (int r = 0; r < n; r++) {
      assertEquals(base[r] + ld[r], lp[r], 1e-12 * Math.max(1.0, Math.abs(lp[r])), "log p(x | c) of row " + r);
      assertEquals(lp[r], unchecked[r], 0.0, "checked and unchecked paths of row " + r);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("contractCases")
  void meanNllGradientMatchesFiniteDifferencesIncludingTheContextWeights(Case c) {
    Flow flow = randomFlow(c);
    double[] theta = flow.parameters();
    int n = 10;
    double[] x = TransformContract.randomBatch(n, 3, 7, 1.0);
    double[] ctx = context(n, flow.contextDim(), 8);
    double[] grad = new double[theta.length];
    double nll = flow.meanNllAndGradient(x, ctx, n, grad);
    assertEquals(flow.meanNll(x, ctx, n), nll, 1e-10 * Math.abs(nll), "traced and plain mean NLL");

    boolean[] trainable = TransformContract.freeParameters(flow.layout(), flow.transform()).trainableMask();
    int checked = 0;
    int contextChecked = 0;
    double largestContextGradient = 0.0;
    for (ParameterLayout.Block b : flow.layout().blocks()) {
      boolean contextBlock = b.name().endsWith(".context");
      for (int i = b.offset(); i < b.offset() + b.size(); i++) {
        if (!trainable[i]) {
          continue;
        }
        double saved = theta[i];
        theta[i] = saved + GRAD_STEP;
        double plus = flow.meanNll(x, ctx, n);
        theta[i] = saved - GRAD_STEP;
        double minus = flow.meanNll(x, ctx, n);
        theta[i] = saved;
        double numerical = (plus - minus) / (2 * GRAD_STEP);
        double tol = Math.max(GRAD_ABS_FLOOR, GRAD_REL_TOL * Math.max(Math.abs(numerical), Math.abs(grad[i])));
        assertEquals(numerical, grad[i], tol, "dNLL/d" + b.name() + "[" + (i - b.offset()) + "]");
        checked++;
        if (contextBlock) {
          contextChecked++;
          largestContextGradient = Math.max(largestContextGradient, Math.abs(grad[i]));
        }
      }
    }
    assertTrue(checked > 100, "only " + checked + " parameters checked");
    assertTrue(contextChecked > 0, "context weights checked");
    assertTrue(largestContextGradient > 1e-6, "the context weights get a gradient: " + largestContextGradient);
    if (c.spec().base().type().equals(FlowSpec.BaseSpec.CONDITIONAL_NORMAL)) {
      double baseContext = 0.0;
      for (ParameterLayout.Block b : flow.layout().blocks()) {
        if (b.name().startsWith("base.") && b.name().endsWith(".context")) {
          for (int i = b.offset(); i < b.offset() + b.size(); i++) {
            baseContext = Math.max(baseContext, Math.abs(grad[i]));
          }
        }
      }
      assertTrue(baseContext > 1e-6, "the base's context weights get a gradient: " + baseContext);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("contractCases")
  void samplesAtAContextComeFromThatContextsDensity(Case c) {
    // sample(c) = fromLatent(base sample at c, c): the same seed gives the same draws, and each sampled
    // row maps back to its latent code (the density direction at the same context).
    Flow flow = randomFlow(c);
    int n = 16;
    double[] ctx = context(n, flow.contextDim(), 9);
    double[] s = flow.sample(ctx, n, 3);
    assertArrayEquals(s, flow.sample(ctx, n, 3), 0.0);
    assertTrue(Arrays.stream(s).allMatch(Double::isFinite));
    double[] back = flow.fromLatent(flow.toLatent(s, ctx, n), ctx, n);
    for (int i = 0; i < s.length; i++) {
      assertEquals(s[i], back[i], 100 * c.roundTripTol() * Math.max(1.0, Math.abs(s[i])), "sample " + i);
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Trained conditional flows: normalization per context, dependence on the context, determinism.

  /** d = 1 for the autoregressive families, d = 2 for coupling (which needs two dimensions). */
  static Stream<Case> trainedCases() {
    List<Case> out = new ArrayList<>();
    for (int m : new int[] {1, 3}) {
      out.add(new Case("realnvp d=2 m=" + m, FlowSpec.of(FlowSpec.REALNVP, 2).withActivation("tanh").withLayers(3)
          .withHidden(16, 16).withContext(m), 1e-9));
      out.add(new Case("nice d=2 m=" + m, FlowSpec.of(FlowSpec.NICE, 2).withActivation("tanh").withLayers(4)
          .withHidden(16, 16).withContext(m), 1e-9));
      out.add(new Case("spline-coupling d=2 m=" + m, FlowSpec.of(FlowSpec.SPLINE_COUPLING, 2).withActivation("tanh")
          .withLayers(3).withHidden(16, 16).withContext(m), 1e-7));
      out.add(new Case("maf d=1 m=" + m, FlowSpec.of(FlowSpec.MAF, 1).withActivation("tanh").withLayers(2)
          .withHidden(16, 16).withContext(m), 1e-9));
      out.add(new Case("iaf d=1 m=" + m, FlowSpec.of(FlowSpec.IAF, 1).withActivation("tanh").withLayers(2)
          .withHidden(16, 16).withContext(m), 1e-9));
      out.add(new Case("spline-autoregressive d=1 m=" + m, FlowSpec.of(FlowSpec.SPLINE_AUTOREGRESSIVE, 1)
          .withActivation("tanh").withLayers(2).withHidden(16, 16).withContext(m), 1e-7));
      out.add(new Case("maf+conditional-normal d=1 m=" + m, FlowSpec.of(FlowSpec.MAF, 1).withActivation("tanh")
          .withLayers(1).withHidden(16).withContext(m).withBase(FlowSpec.BaseSpec.conditionalNormal()), 1e-9));
      out.add(new Case("realnvp+conditional-normal d=2 m=" + m, FlowSpec.of(FlowSpec.REALNVP, 2)
          .withActivation("tanh").withLayers(2).withHidden(16, 16).withContext(m)
          .withBase(FlowSpec.BaseSpec.conditionalNormal()), 1e-9));
    }
    return out.stream();
  }

  private static final int TRAIN_ROWS = 2000;

  /**
   * Data whose x depends on c through {@code s = c . w} ({@code w} of unit length, so s ~ N(0, 1)):
   * {@code x_0 = s + 0.5 e_0}, and at d = 2 {@code x_1 = 0.8 sin(1.5 s) - 0.3 x_0 + 0.4 e_1}.
   */
  private static double[][] data(int n, int d, int m, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] x = new double[n * d];
    double[] c = new double[n * m];
    for (int r = 0; r < n; r++) {
      for (int j = 0; j < m; j++) {
        c[r * m + j] = TransformContract.gaussian(rng);
      }
      double s = signal(c, r, m);
      x[r * d] = s + 0.5 * TransformContract.gaussian(rng);
      if (d == 2) {
        x[r * d + 1] = 0.8 * Math.sin(1.5 * s) - 0.3 * x[r * d] + 0.4 * TransformContract.gaussian(rng);
      }
    }
    return new double[][] {x, c};
  }

  private static double signal(double[] c, int r, int m) {
    double s = 0.0;
    for (int j = 0; j < m; j++) {
      s += c[r * m + j] * weight(j, m);
    }
    return s;
  }

  private static double weight(int j, int m) {
    return (j % 2 == 0 ? 1.0 : -1.0) / Math.sqrt(m);
  }

  /** The context with signal {@code s} (along w). */
  private static double[] contextAt(double s, int m) {
    double[] c = new double[m];
    for (int j = 0; j < m; j++) {
      c[j] = s * weight(j, m);
    }
    return c;
  }

  private static final Map<String, Flow> TRAINED = new ConcurrentHashMap<>();

  private static Flow train(Case c, long seed) {
    FlowSpec spec = c.spec();
    double[][] xc = data(TRAIN_ROWS, spec.dim(), spec.contextDim(), 1);
    Flow flow = FlowFactory.create(spec, seed);
    TrainingConfig config = TrainingConfig.defaults().withSteps(300).withBatchSize(64).withLearningRate(5e-3)
        .withValidationFraction(0).withEvalEvery(300).withSeed(seed);
    new Trainer(config).fit(flow, xc[0], xc[1], TRAIN_ROWS, true);
    return flow;
  }

  private static Flow trained(Case c) {
    return TRAINED.computeIfAbsent(c.label(), k -> train(c, 2));
  }

  /** Repeats one context row n times. */
  private static double[] repeat(double[] row, int n) {
    double[] out = new double[n * row.length];
    for (int r = 0; r < n; r++) {
      System.arraycopy(row, 0, out, r * row.length, row.length);
    }
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("trainedCases")
  void trainingLearnsTheConditionalDensity(Case c) {
    FlowSpec spec = c.spec();
    double[][] test = data(2000, spec.dim(), spec.contextDim(), 3);
    Flow untrained = FlowFactory.create(spec, 2);
    double before = untrained.meanNll(test[0], test[1], 2000);
    double after = trained(c).meanNll(test[0], test[1], 2000);
    assertTrue(after < before - 0.3, "held-out NLL " + before + " -> " + after + ": the flow is not the identity");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("trainedCases")
  void theConditionalDensityIntegratesToOneAtTwoContexts(Case c) {
    Flow flow = trained(c);
    int d = flow.dim();
    double box = 7.0;
    for (double s : new double[] {-1.2, 0.9}) {
      double[] ctx = contextAt(s, flow.contextDim());
      int samples = 20000;
      double[] draws = flow.sample(repeat(ctx, samples), samples, 11);
      int outside = 0;
      for (double v : draws) {
        outside += Math.abs(v) > box ? 1 : 0;
      }
      assertTrue(outside < 0.001 * samples, "the box must hold the mass at s = " + s + "; outside: " + outside);
      double integral = d == 1 ? integrate1(flow, ctx, box) : integrate2(flow, ctx, box);
      // Observed: within 1e-4 of one for spline coupling, within 2e-6 for every other case.
      assertEquals(1.0, integral, 0.01, "integral of p(x | c) over the box at s = " + s);
    }
  }

  private static double integrate1(Flow flow, double[] ctx, double box) {
    int grid = 4000;
    double h = 2 * box / grid;
    double[] x = new double[grid];
    for (int i = 0; i < grid; i++) {
      x[i] = -box + (i + 0.5) * h;
    }
    double[] lp = flow.logProb(x, repeat(ctx, grid), grid);
    double total = 0.0;
    for (double v : lp) {
      total += Math.exp(v);
    }
    return total * h;
  }

  private static double integrate2(Flow flow, double[] ctx, double box) {
    int grid = 280;
    double h = 2 * box / grid;
    double[] row = new double[grid * 2];
    double[] cs = repeat(ctx, grid);
    double[] lp = new double[grid];
    Workspace ws = new Workspace();
    double total = 0.0;
    for (int j = 0; j < grid; j++) {
      double y = -box + (j + 0.5) * h;
      for (int i = 0; i < grid; i++) {
        row[2 * i] = -box + (i + 0.5) * h;
        row[2 * i + 1] = y;
      }
      flow.logProb(row, cs, grid, lp, ws);
      for (double v : lp) {
        total += Math.exp(v);
      }
    }
    return total * h * h;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("trainedCases")
  void theDensityOfTheSamePointChangesWithTheContext(Case c) {
    // At x where the data given s = 1 concentrate, s = -1 makes x about four noise deviations unlikely:
    // the ideal log-ratio is 8 nats in x_0; a context-blind flow would give 0.
    Flow flow = trained(c);
    int d = flow.dim();
    double[] x = new double[d];
    x[0] = 1.0;
    if (d == 2) {
      x[1] = 0.8 * Math.sin(1.5) - 0.3;
    }
    double here = flow.logProb(x, contextAt(1.0, flow.contextDim()), 1)[0];
    double there = flow.logProb(x, contextAt(-1.0, flow.contextDim()), 1)[0];
    assertTrue(here - there > 2.0, "log p(x | s = 1) - log p(x | s = -1) = " + (here - there));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("trainedCases")
  void trainingIsDeterministic(Case c) {
    Flow again = train(c, 2);
    assertArrayEquals(trained(c).parameters(), again.parameters(), 0.0, "same seed, same parameters");
    double[][] probe = data(32, c.spec().dim(), c.spec().contextDim(), 5);
    assertArrayEquals(trained(c).logProb(probe[0], probe[1], 32), again.logProb(probe[0], probe[1], 32), 0.0);
  }

  // ---------------------------------------------------------------------------------------------------
  // Unconditional specs are what they were; misuse fails with a message.

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.flowguard.core.flow.FlowContractTest#families")
  void aZeroContextIsTheUnconditionalFlowBitForBit(FlowContractTest.Case c) {
    FlowSpec plain = c.spec();
    FlowSpec zero = plain.withContext(0);
    assertEquals(plain.toJson(), zero.toJson(), "context 0 is written as an absent field");
    assertEquals(plain, FlowSpec.fromJson(plain.toJson().replaceFirst("}$", ",\"context\":0}")));
    assertEquals(plain, FlowSpec.fromJson(plain.toJson().replaceFirst("}$", ",\"context\":null}")));
    Flow a = FlowTesting.randomFlow(plain, 3, 0.3);
    Flow b = FlowTesting.randomFlow(zero, 3, 0.3);
    assertEquals(0, b.contextDim());
    assertEquals(a.layout().blocks(), b.layout().blocks());
    assertArrayEquals(a.parameters(), b.parameters(), 0.0);
    double[] x = TransformContract.randomBatch(16, 3, 4, 1.0);
    double[] lp = a.logProb(x, 16);
    assertArrayEquals(lp, b.logProb(x, 16), 0.0);
    assertArrayEquals(lp, b.logProb(x, null, 16), 0.0, "the context overload without a context");
    double[] unchecked = new double[16];
    b.logProb(x, null, 16, unchecked, new Workspace());
    assertArrayEquals(lp, unchecked, 0.0);
    assertEquals(a.meanNllAndGradient(x, 16, new double[a.parameters().length]),
        b.meanNllAndGradient(x, null, 16, new double[b.parameters().length]), 0.0);
  }

  @Test
  void specJsonWrittenBeforeTheContextFieldReadsAndWritesUnchanged() {
    // The first two are the specs of the committed version 1 and version 3 model files, verbatim.
    List<String> written = List.of(
        "{\"family\":\"maf\",\"dim\":3,\"layers\":2,\"hidden\":[8],\"activation\":\"tanh\",\"scaleBound\":3.0,"
            + "\"actNorm\":false,\"mixing\":\"none\",\"base\":{\"type\":\"standard-normal\"},\"structureSeed\":0}",
        "{\"family\":\"maf\",\"dim\":3,\"layers\":2,\"hidden\":[8],\"activation\":\"relu\",\"scaleBound\":3.0,"
            + "\"actNorm\":false,\"mixing\":\"none\",\"base\":{\"type\":\"standard-normal\"},\"structureSeed\":0}",
        "{\"family\":\"spline-autoregressive\",\"dim\":4,\"layers\":3,\"hidden\":[16,16],\"activation\":\"relu\","
            + "\"scaleBound\":3.0,\"bins\":8,\"splineBound\":4.0,\"actNorm\":true,\"mixing\":\"lu\","
            + "\"base\":{\"type\":\"gaussian-mixture\",\"components\":3},\"structureSeed\":5,\"conditionerBound\":6.0}",
        "{\"family\":\"glow\",\"dim\":16,\"layers\":2,\"hidden\":[4,4],\"activation\":\"relu\",\"scaleBound\":3.0,"
            + "\"actNorm\":false,\"mixing\":\"none\",\"base\":{\"type\":\"standard-normal\"},\"structureSeed\":0,"
            + "\"shape\":[1,4,4],\"levels\":1}");
    for (String json : written) {
      FlowSpec spec = FlowSpec.fromJson(json);
      assertEquals(0, spec.contextDim());
      assertEquals(json, spec.toJson());
    }
  }

  @Test
  void theContextFieldRoundTripsThroughJson() {
    FlowSpec spec = FlowSpec.of(FlowSpec.MAF, 2).withContext(3).withBase(FlowSpec.BaseSpec.conditionalNormal());
    String json = spec.toJson();
    assertTrue(json.endsWith(",\"context\":3}"), json);
    assertTrue(json.contains("\"base\":{\"type\":\"conditional-normal\"}"), json);
    FlowSpec back = FlowSpec.fromJson(json);
    assertEquals(spec, back);
    assertEquals(3, back.contextDim());
    assertEquals(FlowFactory.structure(spec).layout().blocks(), FlowFactory.structure(back).layout().blocks());
    assertEquals(3, FlowFactory.create(back, 1).contextDim());
  }

  private static void assertMessage(Class<? extends RuntimeException> type, Runnable call, String... fragments) {
    RuntimeException e = assertThrows(type, call::run);
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' should contain '" + f + "'");
    }
  }

  @Test
  void badContextSpecsAreRejectedWithAReason() {
    assertMessage(IllegalArgumentException.class, () -> FlowSpec.of(FlowSpec.MAF, 2).withContext(-1), "context",
        ">= 0");
    assertMessage(IllegalArgumentException.class,
        () -> FlowSpec.glow(new TensorShape(1, 4, 4), 1, 1, 4).withContext(2),
        "glow family is unconditional");
    assertMessage(IllegalArgumentException.class,
        () -> FlowSpec.of(FlowSpec.MAF, 2).withBase(FlowSpec.BaseSpec.conditionalNormal()), "needs a context");
    assertMessage(IllegalArgumentException.class,
        () -> FlowSpec.fromJson("{\"family\":\"maf\",\"dim\":2,\"base\":{\"type\":\"conditional-normal\"}}"),
        "invalid flow spec", "needs a context");
  }

  @Test
  void contextFreeMethodsOfAConditionalFlowFailNamingTheOverload() {
    Flow flow = FlowFactory.create(FlowSpec.of(FlowSpec.MAF, 2).withLayers(2).withHidden(4).withContext(2), 1);
    double[] x = {0.1, 0.2, 0.3, 0.4};
    assertMessage(IllegalStateException.class, () -> flow.logProb(x, 2), "conditional on 2 context values",
        "logProb(x, c, n)");
    assertMessage(IllegalStateException.class, () -> flow.logProb(x, 2, new double[2],
        new Workspace()), "logProb(x, c, n, out, ws)");
    assertMessage(IllegalStateException.class, () -> flow.toLatent(x, 2), "toLatent(x, c, n)");
    assertMessage(IllegalStateException.class, () -> flow.fromLatent(x, 2), "fromLatent(z, c, n)");
    assertMessage(IllegalStateException.class, () -> flow.sample(2, 1), "sample(c, n, seed)");
    assertMessage(IllegalStateException.class, () -> flow.meanNll(x, 2), "meanNll(x, c, n)");
    assertMessage(IllegalStateException.class, () -> flow.meanNllAndGradient(x, 2, new double[100000]),
        "meanNllAndGradient(x, c, n, gTheta)");
    assertMessage(IllegalStateException.class, () -> flow.initializeFromData(x, 2, 1),
        "initializeFromData(x, c, n, seed)");
    assertMessage(IllegalArgumentException.class, () -> flow.logProb(x, null, 2), "conditional on 2 context values",
        "pass the context c");
    assertMessage(IllegalArgumentException.class, () -> flow.logProb(x, null, 2, new double[2],
        new Workspace()), "conditional on 2 context values");
  }

  @Test
  void badContextValuesAreReportedWithRowAndColumn() {
    Flow flow = FlowFactory.create(FlowSpec.of(FlowSpec.REALNVP, 2).withLayers(2).withHidden(4).withContext(3), 1);
    double[] x = {0.1, 0.2, 0.3, 0.4};
    double[] c = {1, 2, 3, 4, Double.NaN, 6};
    assertMessage(IllegalArgumentException.class, () -> flow.logProb(x, c, 2), "context row 1, column 1", "NaN");
    assertMessage(IllegalArgumentException.class, () -> flow.logProb(x, new double[] {1, 2, 3, 4}, 2),
        "expected 2 rows of 3 values", "2 per row", "context of 3");
    assertMessage(IllegalArgumentException.class,
        () -> flow.logProb(new double[][] {{0.1, 0.2}, {0.3, 0.4}}, new double[][] {{1, 2, 3}, {4, 5}}),
        "context row 1 has 2 columns", "expects 3");
    assertMessage(IllegalArgumentException.class,
        () -> flow.logProb(new double[][] {{0.1, 0.2}, {0.3, 0.4}}, new double[][] {{1, 2, 3}}),
        "one context row per data row");
    double[] ok = flow.logProb(new double[][] {{0.1, 0.2}, {0.3, 0.4}}, new double[][] {{1, 2, 3}, {4, 5, 6}});
    assertArrayEquals(flow.logProb(x, new double[] {1, 2, 3, 4, 5, 6}, 2), ok, 0.0);

    Flow plain = FlowFactory.create(FlowSpec.of(FlowSpec.REALNVP, 2).withLayers(2).withHidden(4), 1);
    assertMessage(IllegalArgumentException.class, () -> plain.logProb(x, new double[] {1, 2}, 2),
        "the flow is unconditional");
  }
}
