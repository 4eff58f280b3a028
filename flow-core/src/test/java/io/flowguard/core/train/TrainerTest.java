package io.flowguard.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.examples.ToyData;
import io.flowguard.core.flow.Flow;
import io.flowguard.core.flow.FlowFactory;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.nn.ParamKind;
import io.flowguard.core.nn.ParameterLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The trainer: early stopping, the optimizer (weight decay, frozen STATE, clipping), non-finite steps and
 * input validation. Optimizer behaviour is tested on {@link Adam} directly, where gradients can be chosen.
 */
class TrainerTest {

  private static final FlowSpec SMALL_2D = FlowSpec.of(FlowSpec.REALNVP, 2).withLayers(2).withHidden(8);

  // ---------------------------------------------------------------- early stopping

  /** The rows the trainer holds out: it shuffles 0..n-1 with SplittableRandom(seed), then takes the first. */
  private static double[] validationRows(double[] x, int n, int d, TrainingConfig config) {
    SplittableRandom rng = new SplittableRandom(config.seed());
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    int nVal = Math.max(1, (int) Math.round(n * config.validationFraction()));
    double[] val = new double[nVal * d];
    for (int i = 0; i < nVal; i++) {
      System.arraycopy(x, order[i] * d, val, i * d, d);
    }
    return val;
  }

  @Test
  void earlyStoppingRestoresTheParametersOfTheBestValidationStep() {
    // 20 training rows, a large learning rate and patience 2: the flow overfits within a few dozen steps
    // and the validation NLL climbs well above its best before training stops.
    int n = 40;
    double[] x = ToyData.moons(n, 0.05, 1);
    Flow flow = FlowFactory.create(FlowSpec.of(FlowSpec.REALNVP, 2).withLayers(4).withHidden(32, 32), 4);
    TrainingConfig config = TrainingConfig.defaults().withSteps(3000).withBatchSize(32).withLearningRate(1e-2)
        .withValidationFraction(0.5).withEvalEvery(10).withPatience(2).withSeed(4);
    TrainingResult result = new Trainer(config).fit(flow, x, n, true);

    assertTrue(result.stoppedEarly(), "the validation NLL should have stopped improving");
    assertTrue(result.bestStep() < result.steps(), "best step " + result.bestStep() + " of " + result.steps());
    List<double[]> curve = result.curve();
    double lastValidation = curve.get(curve.size() - 1)[2];
    assertTrue(lastValidation > result.validationNll() + 0.1,
        "the last parameters must be measurably worse than the best, or this test proves nothing: last "
            + lastValidation + ", best " + result.validationNll());
    double atBest = curve.stream().filter(p -> p[0] == result.bestStep()).findFirst().orElseThrow()[2];
    assertEquals(result.validationNll(), atBest, 0.0, "validationNll is the curve's value at bestStep");
    // The parameters left in the flow score the held-out rows exactly as at the best step: same rows,
    // same parameters, same arithmetic, hence tolerance 1e-12 (only to survive a chunking change).
    double[] val = validationRows(x, n, 2, config);
    assertEquals(result.validationNll(), flow.meanNll(val, val.length / 2), 1e-12);
  }

  @Test
  void withoutValidationTheLastParametersAreKept() {
    int n = 200;
    double[] x = ToyData.moons(n, 0.1, 2);
    Flow flow = FlowFactory.create(SMALL_2D, 1);
    TrainingConfig config = TrainingConfig.defaults().withSteps(30).withBatchSize(50).withValidationFraction(0)
        .withEvalEvery(10);
    TrainingResult result = new Trainer(config).fit(flow, x, n, true);
    assertEquals(30, result.bestStep());
    assertFalse(result.stoppedEarly());
    assertTrue(Double.isNaN(result.validationNll()));
    assertEquals(3, result.curve().size(), "one curve point per evaluation");
    assertTrue(Double.isNaN(result.curve().get(2)[2]), "no validation NLL in the curve");
  }

  // ---------------------------------------------------------------- optimizer

  private static double[] randomVector(int p, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] v = new double[p];
    for (int i = 0; i < p; i++) {
      v[i] = rng.nextDouble(-2.0, 2.0);
    }
    return v;
  }

  /** Index i: trainable unless i % 5 == 4; decayed when i % 5 is 0 or 1 (and for STATE at i % 10 == 9). */
  private static boolean[] trainableMask(int p) {
    boolean[] m = new boolean[p];
    for (int i = 0; i < p; i++) {
      m[i] = i % 5 != 4;
    }
    return m;
  }

  private static boolean[] decayMask(int p) {
    boolean[] m = new boolean[p];
    for (int i = 0; i < p; i++) {
      m[i] = i % 5 <= 1 || i % 10 == 9;
    }
    return m;
  }

  @Test
  void withZeroGradientWeightDecayShrinksExactlyTheDecayedParameters() {
    // A zero gradient leaves zero Adam moments and a zero Adam update, so all that moves a parameter is
    // decoupled decay: theta <- theta - lr * wd * theta on decayed entries, nothing elsewhere. Relative
    // 1e-15 allows for computing the factor as (1 - lr wd) theta instead.
    int p = 40;
    double lr = 0.1;
    double wd = 0.5;
    Adam adam = new Adam(trainableMask(p), decayMask(p), wd, 5.0);
    double[] theta = randomVector(p, 1);
    double[] before = theta.clone();
    adam.step(theta, new double[p], lr);
    boolean[] trainable = trainableMask(p);
    boolean[] decay = decayMask(p);
    for (int i = 0; i < p; i++) {
      double expected = trainable[i] && decay[i] ? before[i] - lr * wd * before[i] : before[i];
      assertEquals(expected, theta[i], 1e-15 * Math.abs(before[i]), "parameter " + i);
    }
  }

  @Test
  void stateParametersNeverChangeWhateverTheirGradientOrDecayMask() {
    int p = 40;
    Adam adam = new Adam(trainableMask(p), decayMask(p), 0.3, 0.0);
    double[] theta = randomVector(p, 2);
    double[] before = theta.clone();
    boolean[] trainable = trainableMask(p);
    for (int step = 0; step < 5; step++) {
      adam.step(theta, randomVector(p, 10 + step), 0.05);
    }
    for (int i = 0; i < p; i++) {
      if (!trainable[i]) {
        assertEquals(before[i], theta[i], 0.0, "STATE parameter " + i);
      } else {
        assertTrue(theta[i] != before[i], "trainable parameter " + i + " moved");
      }
    }
  }

  @Test
  void firstStepMovesEveryTrainableParameterByTheLearningRateAgainstItsGradient() {
    // Bias-corrected Adam's first update is g / (|g| + eps): a step of lr against the sign of the gradient,
    // to a relative eps / |g| <= 1e-8 / 1e-3.
    int p = 40;
    double lr = 0.01;
    boolean[] all = new boolean[p];
    Arrays.fill(all, true);
    Adam adam = new Adam(all, new boolean[p], 0.0, 0.0);
    double[] theta = new double[p];
    double[] grad = randomVector(p, 3);
    for (int i = 0; i < p; i++) {
      grad[i] += Math.signum(grad[i]) * 1e-3;
    }
    adam.step(theta, grad, lr);
    for (int i = 0; i < p; i++) {
      assertEquals(-lr * Math.signum(grad[i]), theta[i], lr * 1e-5, "parameter " + i);
    }
  }

  /** Two Adam steps written out from the formulas, on gradients already scaled by the caller. */
  private static double[] referenceAdam(double[] theta0, double[] g1, double[] g2, double lr) {
    double b1 = 0.9;
    double b2 = 0.999;
    double[] theta = theta0.clone();
    double[] m = new double[theta.length];
    double[] v = new double[theta.length];
    double[][] grads = {g1, g2};
    for (int t = 1; t <= 2; t++) {
      for (int i = 0; i < theta.length; i++) {
        double g = grads[t - 1][i];
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        double mHat = m[i] / (1 - Math.pow(b1, t));
        double vHat = v[i] / (1 - Math.pow(b2, t));
        theta[i] -= lr * mHat / (Math.sqrt(vHat) + 1e-8);
      }
    }
    return theta;
  }

  @Test
  void clippingScalesAnOversizedGradientToTheClipNorm() {
    // Adam is invariant to a constant gradient scale, so clipping is only visible across steps of
    // different sizes: a huge first gradient (norm 500, clipped to 5) followed by a small one (norm < 5,
    // untouched). The result must be that of unclipped Adam fed g1 * 5 / 500, and measurably different
    // from Adam fed g1 itself. Tolerance 1e-14: the same formulas, possibly in another grouping.
    int p = 12;
    double[] g1 = randomVector(p, 4);
    double norm1 = Adam.norm(g1);
    for (int i = 0; i < p; i++) {
      g1[i] *= 500.0 / norm1;
    }
    double[] g2 = randomVector(p, 5);
    assertTrue(Adam.norm(g2) < 5.0);
    double[] theta0 = randomVector(p, 6);
    boolean[] all = new boolean[p];
    Arrays.fill(all, true);

    Adam clipped = new Adam(all, new boolean[p], 0.0, 5.0);
    assertEquals(0.01, clipped.clipScale(500.0), 1e-17);
    assertEquals(1.0, clipped.clipScale(4.0), 0.0);
    double[] theta = theta0.clone();
    clipped.step(theta, g1, 0.1);
    clipped.step(theta, g2, 0.1);

    double[] g1Clipped = g1.clone();
    for (int i = 0; i < p; i++) {
      g1Clipped[i] *= 5.0 / 500.0;
    }
    double[] expected = referenceAdam(theta0, g1Clipped, g2, 0.1);
    double[] unclipped = referenceAdam(theta0, g1, g2, 0.1);
    for (int i = 0; i < p; i++) {
      assertEquals(expected[i], theta[i], 1e-14, "parameter " + i);
    }
    double difference = 0.0;
    for (int i = 0; i < p; i++) {
      difference = Math.max(difference, Math.abs(expected[i] - unclipped[i]));
    }
    assertTrue(difference > 1e-3, "clipping must matter in this setup, max difference " + difference);
  }

  @Test
  void theUpdateOverRunsOfTheMasksIsThePerIndexUpdateBitForBit() {
    // Adam walks the trainable indices as runs of one decay flag (a loop the JIT can vectorize). The
    // masks here switch every one to five indices (and start and end with a STATE index), so a wrong run
    // boundary would skip, repeat or mis-decay an index; the expected values are the per-index loop
    // with the same formulas, so the tolerance is 0.
    int p = 41;
    boolean[] trainable = trainableMask(p);
    boolean[] decay = decayMask(p);
    trainable[0] = false;
    trainable[p - 1] = false;
    double lr = 0.05;
    double wd = 0.2;
    Adam adam = new Adam(trainable, decay, wd, 5.0);
    double[] theta = randomVector(p, 7);
    double[] expected = theta.clone();
    double[] m = new double[p];
    double[] v = new double[p];
    for (int t = 1; t <= 4; t++) {
      double[] grad = randomVector(p, 20 + t);
      for (int i = 0; i < p; i++) {
        grad[i] *= t == 1 ? 40.0 : 1.0; // the first step is clipped
      }
      adam.step(theta, grad, lr);
      double norm = Adam.norm(grad);
      double scale = norm > 5.0 ? 5.0 / norm : 1.0;
      double c1 = 1.0 - Math.pow(Adam.BETA1, t);
      double c2 = 1.0 - Math.pow(Adam.BETA2, t);
      for (int i = 0; i < p; i++) {
        if (!trainable[i]) {
          continue;
        }
        double g = grad[i] * scale;
        m[i] = Adam.BETA1 * m[i] + (1 - Adam.BETA1) * g;
        v[i] = Adam.BETA2 * v[i] + (1 - Adam.BETA2) * g * g;
        double update = (m[i] / c1) / (Math.sqrt(v[i] / c2) + Adam.EPS);
        if (decay[i]) {
          update += wd * expected[i];
        }
        expected[i] -= lr * update;
      }
    }
    assertArrayEquals(expected, theta, 0.0);
  }

  @Test
  void clipZeroDisablesClipping() {
    assertEquals(1.0, new Adam(new boolean[1], new boolean[1], 0.0, 0.0).clipScale(1e6), 0.0);
  }

  @Test
  void trainerPassesWeightDecayToWeightMatricesOnly() {
    // End-to-end wiring: the same training with strong decay ends with smaller weight matrices, while
    // the ActNorm STATE flag stays exactly 1.
    FlowSpec spec = FlowSpec.of(FlowSpec.REALNVP, 2).withLayers(2).withHidden(16).withActNorm(true);
    double[] x = ToyData.moons(300, 0.1, 5);
    TrainingConfig base = TrainingConfig.defaults().withSteps(60).withBatchSize(64).withLearningRate(1e-2)
        .withValidationFraction(0);
    Flow plain = FlowFactory.create(spec, 2);
    new Trainer(base).fit(plain, x, 300, true);
    Flow decayed = FlowFactory.create(spec, 2);
    new Trainer(base.withWeightDecay(2.0)).fit(decayed, x, 300, true);
    assertTrue(kindNorm(decayed, ParamKind.WEIGHT) < 0.8 * kindNorm(plain, ParamKind.WEIGHT),
        "decay shrinks weights: " + kindNorm(decayed, ParamKind.WEIGHT) + " vs " + kindNorm(plain, ParamKind.WEIGHT));
    for (ParameterLayout.Block b : decayed.layout().blocks()) {
      if (b.kind() == ParamKind.STATE) {
        assertEquals(1.0, decayed.parameters()[b.offset()], 0.0, b.name());
      }
    }

    // "Only": after one step from the same start on the same batch, the gradients are the same with and
    // without decay, so every bias and state entry is bit for bit the same and every weight differs by
    // lr * wd * its start value.
    // (Biases start non-zero here, else a decay on them would change nothing yet; after more steps the
    // runs part and nothing can be compared entry by entry.)
    TrainingConfig oneStep = base.withSteps(1);
    Flow plain1 = withNonZeroBiases(FlowFactory.create(spec, 2));
    new Trainer(oneStep).fit(plain1, x, 300, true);
    Flow decayed1 = withNonZeroBiases(FlowFactory.create(spec, 2));
    double[] start = decayed1.parameters().clone();
    new Trainer(oneStep.withWeightDecay(2.0)).fit(decayed1, x, 300, true);
    int weights = 0;
    for (ParameterLayout.Block b : decayed1.layout().blocks()) {
      for (int i = b.offset(); i < b.offset() + b.size(); i++) {
        double without = plain1.parameters()[i];
        double with = decayed1.parameters()[i];
        if (b.kind() == ParamKind.WEIGHT) {
          if (start[i] != 0) { // zero-initialized weights have nothing to decay yet
            assertNotEquals(without, with, b.name() + "[" + i + "] is decayed");
            weights++;
          }
        } else {
          assertEquals(without, with, 0.0, b.name() + "[" + i + "] (" + b.kind() + ") is not decayed");
        }
      }
    }
    assertTrue(weights > 0, "some weights were compared");
  }

  /** The flow with every BIAS entry set to a distinct non-zero value. */
  private static Flow withNonZeroBiases(Flow flow) {
    double[] p = flow.parameters().clone();
    for (ParameterLayout.Block b : flow.layout().blocks()) {
      if (b.kind() == ParamKind.BIAS) {
        for (int i = b.offset(); i < b.offset() + b.size(); i++) {
          p[i] = 0.1 + 0.01 * (i % 7);
        }
      }
    }
    flow.setParameters(p);
    return flow;
  }

  private static double kindNorm(Flow flow, ParamKind kind) {
    double s = 0.0;
    for (ParameterLayout.Block b : flow.layout().blocks()) {
      if (b.kind() == kind) {
        for (int i = b.offset(); i < b.offset() + b.size(); i++) {
          s += flow.parameters()[i] * flow.parameters()[i];
        }
      }
    }
    return Math.sqrt(s);
  }

  // ---------------------------------------------------------------- non-finite steps

  @Test
  void aRowWhoseNllOverflowsIsSkippedOncePerEpochAndCounted() {
    // A value of 1e200 passes input validation (it is finite), but its squared latent overflows: every
    // minibatch holding it has an infinite loss. With batch 1 and 10 rows each epoch visits every row
    // exactly once, so 50 steps meet the bad row exactly 5 times, never 20 times in a row.
    int n = 10;
    double[] x = ToyData.moons(n, 0.1, 6);
    x[2 * 7] = 1e200;
    Flow flow = FlowFactory.create(SMALL_2D, 3);
    double[] probe = new double[flow.parameters().length];
    assertEquals(Double.POSITIVE_INFINITY, flow.meanNllAndGradient(new double[] {1e200, 0.0}, 1, probe));

    List<Integer> reported = new ArrayList<>();
    TrainingConfig config = TrainingConfig.defaults().withSteps(50).withBatchSize(1).withValidationFraction(0)
        .withEvalEvery(10);
    TrainingResult result = new Trainer(config, (step, total, epoch, train, val, skipped) -> reported.add(skipped))
        .fit(flow, x, n, true);
    assertEquals(5, result.skippedSteps());
    assertEquals(50, result.steps());
    assertEquals(5, reported.get(reported.size() - 1), "the listener sees the same count");
    assertTrue(Arrays.stream(flow.parameters()).allMatch(Double::isFinite), "no NaN reached the parameters");
    assertTrue(Double.isFinite(result.trainNll()), "skipped steps do not enter the reported loss");
  }

  @Test
  void tooManyNonFiniteStepsInARowFailNamingTheStepAndLeaveParametersUntouched() {
    int n = 8;
    double[] x = new double[n * 2];
    Arrays.fill(x, 1e200);
    Flow flow = FlowFactory.create(SMALL_2D, 3);
    double[] before = flow.parameters().clone();
    TrainingConfig config = TrainingConfig.defaults().withSteps(100).withBatchSize(4).withValidationFraction(0)
        .withMaxConsecutiveNonFinite(3);
    TrainingException e = assertThrows(TrainingException.class, () -> new Trainer(config).fit(flow, x, n, false));
    assertTrue(e.getMessage().contains("step 3"), e.getMessage());
    assertTrue(e.getMessage().contains("3 training steps in a row"), e.getMessage());
    assertArrayEquals(before, flow.parameters(), 0.0, "skipped steps must not touch the parameters");
  }

  // ---------------------------------------------------------------- input validation

  private static void assertRejected(double[] x, int n, String... fragments) {
    Flow flow = FlowFactory.create(FlowSpec.of(FlowSpec.MAF, 3).withLayers(1).withHidden(4), 1);
    double[] before = flow.parameters().clone();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Trainer(TrainingConfig.defaults().withSteps(5)).fit(flow, x, n, true));
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' should contain '" + f + "'");
    }
    assertArrayEquals(before, flow.parameters(), 0.0, "rejected input must not initialize or train");
  }

  private static double[] goodRows(int n) {
    double[] x = new double[n * 3];
    for (int i = 0; i < x.length; i++) {
      x[i] = Math.sin(i);
    }
    return x;
  }

  @Test
  void fitRejectsNaNNamingRowAndColumn() {
    double[] x = goodRows(10);
    x[3 * 3 + 1] = Double.NaN;
    assertRejected(x, 10, "row 3", "column 1", "NaN");
  }

  @Test
  void fitRejectsInfinityNamingRowAndColumn() {
    double[] x = goodRows(10);
    x[6 * 3 + 2] = Double.NEGATIVE_INFINITY;
    assertRejected(x, 10, "row 6", "column 2", "Infinity");
  }

  @Test
  void fitRejectsTooFewValuesForTheRowCount() {
    assertRejected(goodRows(10), 11, "11 rows of 3 values", "got 30");
  }

  @Test
  void fitRejectsFewerThanTwoRows() {
    assertRejected(goodRows(1), 1, "at least 2");
  }
}
