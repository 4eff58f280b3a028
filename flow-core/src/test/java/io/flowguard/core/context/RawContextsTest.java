package io.flowguard.core.context;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.flowguard.core.data.Dataset;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelTrainer;
import io.flowguard.core.score.Scorer;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingListener;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Raw contexts: replayed from a sequence they are the histories the job's scorer sees, encoded through a model's
 * preprocessing they are the contexts {@link ContextRows} builds (the same warm-up truncations for the same
 * seed), and training from them is training on the sequence, bit for bit.
 */
class RawContextsTest {

  /** Two keys of a 2-feature AR(1) with a declared field, a gap that resets one key's history, 600 rows. */
  static final ContextSpec SPEC = ContextSpec.ofWindow(3).withFields(List.of("setpoint")).withTimeFeatures(true)
      .withMaxGapMillis(10_000L);
  private static EventSequence sequence;
  private static FlowModel model;

  @BeforeAll
  static void train() {
    int n = 600;
    SplittableRandom rng = new SplittableRandom(5);
    double[] x = new double[n * 2];
    long[] times = new long[n];
    int[] keys = new int[n];
    double[] fields = new double[n];
    double[][] last = new double[2][2];
    for (int r = 0; r < n; r++) {
      int k = r % 2;
      double setpoint = k == 0 ? 1.0 : -1.0;
      double a = setpoint + 0.8 * (last[k][0] - setpoint) + 0.2 * rng.nextGaussian();
      double b = 0.5 * a + 0.1 * rng.nextGaussian();
      last[k] = new double[] {a, b};
      x[r * 2] = a;
      x[r * 2 + 1] = b;
      // key 1 pauses for a minute after its 100th event: its history starts afresh.
      times[r] = r * 1_000L + (k == 1 && r > 200 ? 60_000L : 0L);
      keys[r] = k;
      fields[r] = setpoint;
    }
    sequence = new EventSequence(new Dataset("ar", List.of("a", "b"), x, n), times, keys, List.of("m0", "m1"),
        fields, 1);
    model = ModelTrainer.trainInContext(sequence, SPEC, options(40), TrainingListener.NONE).model();
  }

  static ModelTrainer.Options options(int steps) {
    return new ModelTrainer.Options("ar", 1, FlowSpec.of(FlowSpec.MAF, 2).withLayers(2).withHidden(8, 8),
        TrainingConfig.defaults().withSteps(steps).withEvalEvery(20).withSeed(3), 0.2);
  }

  private static ContextEncoder encoder(FlowModel m) {
    return new ContextEncoder(SPEC, 2, m.preprocessor().dim(), m.preprocessor()::apply);
  }

  @Test
  void replayedContextsAreTheHistoriesTheScorerConditionsOn() {
    RawContexts raw = RawContexts.replay(sequence, SPEC);
    double[] c = raw.encode(encoder(model), false, 0);
    int m = encoder(model).dim();
    Scorer scorer = new Scorer(model, 1e-3);
    KeyHistory[] histories = {scorer.newHistory(), scorer.newHistory()};
    Scorer.Score s = new Scorer.Score();
    double[] values = sequence.features().values();
    for (int r = 0; r < sequence.rows(); r++) {
      scorer.scoreInContext(values, r * 2, 2, histories[sequence.keys()[r]], sequence.times()[r], sequence.fields(),
          r, s);
      assertArrayEquals(scorer.lastContext(), Arrays.copyOfRange(c, r * m, (r + 1) * m), 0.0, "row " + r);
      assertEquals(s.historyEvents, raw.events()[r], "row " + r);
    }
    assertEquals(0, raw.events()[201], "the gap reset key 1's history");
    assertEquals(1, raw.events()[203]);
  }

  @Test
  void encodingThroughAModelIsWhatContextRowsBuildsWithTheSameShortenedRows() {
    RawContexts raw = RawContexts.replay(sequence, SPEC);
    for (boolean truncate : new boolean[] {false, true}) {
      double[] expected = ContextRows.build(SPEC, sequence.features().values(), 2, model.preprocessor().dim(),
          model.preprocessor()::apply, sequence, truncate, 17);
      assertArrayEquals(expected, raw.encode(encoder(model), truncate, 17), 0.0, "truncate " + truncate);
    }
    assertNotEquals(Arrays.hashCode(raw.encode(encoder(model), true, 17)),
        Arrays.hashCode(raw.encode(encoder(model), false, 17)), "some rows are shortened");
  }

  @Test
  void rowsBuiltFromStoredHistoriesEqualTheReplayAndSelectKeepsEachRowsContext() {
    RawContexts raw = RawContexts.replay(sequence, SPEC);
    RawContexts.Builder b = new RawContexts.Builder(SPEC, List.of("a", "b"), 1);
    int w = SPEC.window() * 2;
    for (int r = 0; r < raw.rows(); r++) {
      b.add(Arrays.copyOfRange(raw.history(), r * w, r * w + raw.events()[r] * 2), raw.events()[r], raw.times()[r],
          raw.fields(), r);
    }
    assertEquals(raw, b.build());
    int[] some = {5, 0, 300};
    RawContexts picked = raw.select(some);
    for (int i = 0; i < some.length; i++) {
      assertArrayEquals(Arrays.copyOfRange(raw.history(), some[i] * w, (some[i] + 1) * w),
          Arrays.copyOfRange(picked.history(), i * w, (i + 1) * w), 0.0);
      assertEquals(raw.times()[some[i]], picked.times()[i]);
      assertEquals(raw.fields()[some[i]], picked.fields()[i]);
    }
  }

  @Test
  void aHistoryRestoredNewestFirstWritesTheSameContextAsTheLiveOne() {
    KeyHistory live = new KeyHistory(3, 2);
    KeyHistory restored = new KeyHistory(3, 2);
    double[] stored = new double[6];
    for (int i = 0; i < 5; i++) {
      int count = live.copyNewestFirst(stored, 0);
      restored.restoreNewestFirst(stored, 0, count);
      double[] a = new double[SPEC.dim(2)];
      double[] b = new double[SPEC.dim(2)];
      live.writeContext(a, 0);
      restored.writeContext(b, 0);
      assertArrayEquals(a, b, 0.0, "after " + i + " events");
      live.append(new double[] {i, -i}, 0, i);
    }
    assertEquals(KeyHistory.Admission.IN_ORDER, restored.admit(SPEC, Long.MAX_VALUE),
        "a restored history has no time: the rules were applied when it was stored");
  }

  @Test
  void trainingFromTheReplayedContextsIsTrainingOnTheSequenceBitForBit() {
    FlowModel fromRaw = ModelTrainer.trainInContext(sequence.features(), RawContexts.replay(sequence, SPEC),
        options(40), TrainingListener.NONE).model();
    assertArrayEquals(model.flow().parameters(), fromRaw.flow().parameters(), 0.0);
    assertEquals(model.calibration(), fromRaw.calibration());
    assertEquals(model.context(), fromRaw.context());
    assertEquals(model.spec(), fromRaw.spec());
  }

  @Test
  void contextsOfOtherFeaturesOrAnotherDefinitionAreRefused() {
    RawContexts raw = RawContexts.replay(sequence, SPEC);
    Dataset swapped = new Dataset("swapped", List.of("b", "a"), sequence.features().values(), sequence.rows());
    assertThrows(IllegalArgumentException.class,
        () -> ModelTrainer.trainInContext(swapped, raw, options(10), TrainingListener.NONE));
    ContextEncoder other = new ContextEncoder(ContextSpec.ofWindow(3), 2, 2, null);
    assertThrows(IllegalArgumentException.class, () -> raw.encode(other, false, 0));
  }
}
