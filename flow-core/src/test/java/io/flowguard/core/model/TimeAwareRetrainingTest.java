package io.flowguard.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.context.ContextSpec;
import io.flowguard.core.context.EventSequence;
import io.flowguard.core.context.KeyHistory;
import io.flowguard.core.context.RawContexts;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.Retraining.Outcome;
import io.flowguard.core.model.Retraining.Reason;
import io.flowguard.core.model.Retraining.Request;
import io.flowguard.core.model.Retraining.Settings;
import io.flowguard.core.score.Scorer;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingListener;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Retraining a time-aware champion: the challenger keeps the champion's context definition and spec, trains
 * on each row's raw context through its own preprocessing, and both are compared on the same held-out rows in
 * their contexts; rows without contexts are a clear rejection, and a champion without context ignores them.
 */
@Timeout(120)
class TimeAwareRetrainingTest {

  /** 4 previous events and the key's set point, the history reset after a minute's silence. */
  static final ContextSpec SPEC = ContextSpec.ofWindow(4).withFields(List.of("setpoint")).withMaxGapMillis(60_000L);
  static final FlowSpec FLOW = FlowSpec.of(FlowSpec.MAF, 1).withLayers(2).withHidden(16, 16);
  /** As the flow-core retraining tests: converged, so that challengers differ by their data, not their budget. */
  static final TrainingConfig CONFIG = TrainingConfig.defaults().withSteps(1500).withBatchSize(128)
      .withEvalEvery(50).withPatience(5).withSeed(1);
  static final Settings SETTINGS = Settings.defaults().withMinRows(500).withFalseAlarmRate(1e-2);
  static final EventSequence HISTORY = series(3000, 0.9, 11);
  static final FlowModel CHAMPION = ModelTrainer.trainInContext(HISTORY, SPEC,
      new ModelTrainer.Options("level", 3, FLOW, CONFIG, 0.2), TrainingListener.NONE).model();

  /**
   * Four keys interleaved, each an AR(1) around its own set point (a declared field): {@code x_t = s + phi
   * (x_t-1 - s) + 0.3 e}. With phi = 0.9 the history predicts x far better than the marginal does (stationary
   * sd 0.69 against 0.3: about 0.83 nats).
   */
  static EventSequence series(int n, double phi, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] x = new double[n];
    long[] times = new long[n];
    int[] keys = new int[n];
    double[] setpoints = new double[n];
    double[] last = {0, 1, 2, 3};
    for (int r = 0; r < n; r++) {
      int k = r % 4;
      double s = k;
      last[k] = s + phi * (last[k] - s) + 0.3 * rng.nextGaussian();
      x[r] = last[k];
      times[r] = seed * 100_000_000L + r * 1_000L;
      keys[r] = k;
      setpoints[r] = s;
    }
    return new EventSequence(new Dataset("ar(" + phi + ")", List.of("level"), x, n), times, keys,
        List.of("k0", "k1", "k2", "k3"), setpoints, 1);
  }

  static Request refresh(EventSequence data, long seed) {
    return Request.refresh(CHAMPION, data.features(), seed, Lineage.Trigger.OFFLINE, "test window", SETTINGS)
        .withContexts(RawContexts.replay(data, SPEC));
  }

  /** Mean NLL of a model scoring a sequence event by event in context, as the job does. */
  static double meanNllInContext(FlowModel model, EventSequence data) {
    Scorer scorer = new Scorer(model, 1e-2);
    KeyHistory[] histories = new KeyHistory[data.keyNames().size()];
    Scorer.Score s = new Scorer.Score();
    double sum = 0;
    for (int r = 0; r < data.rows(); r++) {
      int k = data.keys()[r];
      if (histories[k] == null) {
        histories[k] = scorer.newHistory();
      }
      assertTrue(scorer.scoreInContext(data.features().values(), r, 1, histories[k], data.times()[r], data.fields(),
          r, s));
      sum += s.nll;
    }
    return sum / data.rows();
  }

  @Test
  void theChallengerOfATimeAwareChampionKeepsItsContextDefinitionAndIsPromoted() {
    Outcome o = Retraining.run(refresh(series(3000, 0.9, 12), 5));
    System.out.println("same dynamics: " + o.message());
    assertTrue(o.promoted(), o.message());
    FlowModel c = o.challenger().orElseThrow();
    assertEquals(4, c.version());
    assertEquals(CHAMPION.context(), c.context(), "the context definition never changes by retraining");
    assertEquals(CHAMPION.spec(), c.spec(), "same family, sizes and context inputs");
    // Same dynamics, same architecture and budget: within the tolerance of each other.
    assertTrue(Math.abs(o.metrics().challengerNll() - o.metrics().championNll()) < SETTINGS.toleranceNats(),
        o.message());
    assertEquals(600, o.metrics().heldOutRows());
    // It scores in context: a key's history makes its next value far more predictable than none does.
    EventSequence fresh = series(2000, 0.9, 13);
    double inContext = meanNllInContext(c, fresh);
    Scorer alone = new Scorer(c, 1e-2);
    Scorer.Score s = new Scorer.Score();
    double withoutHistory = 0;
    for (int r = 0; r < fresh.rows(); r++) {
      alone.scoreInContext(fresh.features().values(), r, 1, alone.newHistory(), fresh.times()[r], fresh.fields(), r,
          s);
      withoutHistory += s.nll / fresh.rows();
    }
    // 0.83 nats expected between the two (see series); half of it is far beyond training noise.
    assertTrue(inContext < withoutHistory - 0.4, "in context " + inContext + ", without history " + withoutHistory);
  }

  @Test
  void whenTheDynamicsChangeTheChallengerLearnsTheNewOnes() {
    // At phi = -0.5 a key swings around its set point where the champion expects persistence: its predicted
    // mean is off by 1.4 (x - s), sd 0.49 against a noise sd of 0.3, about 1.3 nats per event.
    Outcome o = Retraining.run(refresh(series(3000, -0.5, 14), 5));
    System.out.println("dynamics changed: " + o.message());
    assertTrue(o.promoted(), o.message());
    assertTrue(o.metrics().championNll() > o.metrics().challengerNll() + 0.6, o.message());
  }

  @Test
  void championAndChallengerAreComparedInTheirOwnContextsOfTheSameHeldOutRows() {
    EventSequence validation = series(1000, 0.9, 15);
    EventSequence candidates = series(3000, 0.9, 16);
    Outcome o = Retraining.run(refresh(candidates, 5).withHeldOut(validation.features(),
        RawContexts.replay(validation, SPEC)));
    FlowModel c = o.challenger().orElseThrow(() -> new AssertionError(o.message()));
    assertNotEquals(CHAMPION.preprocessor().features().get(0).mean(), c.preprocessor().features().get(0).mean(),
        "the challenger's preprocessing is fitted on its own rows");
    // Each NLL is the model's own, scoring the held-out rows event by event as the job would (the replay's
    // histories); batch and single-row products may differ in the last bits.
    assertEquals(meanNllInContext(CHAMPION, validation), o.metrics().championNll(), 1e-9);
    assertEquals(meanNllInContext(c, validation), o.metrics().challengerNll(), 1e-9);
    assertEquals(1000, o.metrics().heldOutRows());
  }

  @Test
  void rowsWithoutContextsAreRejectedNamingWhatIsMissing() {
    EventSequence data = series(3000, 0.9, 17);
    Outcome o = Retraining.run(Request.refresh(CHAMPION, data.features(), 5, Lineage.Trigger.SCHEDULED, "x",
        SETTINGS));
    assertEquals(Reason.MISSING_CONTEXT, o.reason(), o.message());
    assertTrue(o.message().contains("the champion v3 is time-aware (4 previous events") && o.message().contains(
        "the candidate rows come without their contexts"), o.message());
    assertEquals(0.0, o.metrics().trainSeconds(), "nothing was trained");
    Outcome heldOutWithout = Retraining.run(refresh(data, 5).withHeldOut(series(500, 0.9, 18).features()));
    assertEquals(Reason.MISSING_CONTEXT, heldOutWithout.reason());
    assertTrue(heldOutWithout.message().contains("the held-out rows come without their contexts"),
        heldOutWithout.message());
  }

  @Test
  void contextsOfAnotherDefinitionAreRejected() {
    EventSequence data = series(3000, 0.9, 19);
    ContextSpec shorter = ContextSpec.ofWindow(2).withFields(List.of("setpoint")).withMaxGapMillis(60_000L);
    Outcome o = Retraining.run(Request.refresh(CHAMPION, data.features(), 5, Lineage.Trigger.OFFLINE, "x",
        SETTINGS).withContexts(RawContexts.replay(data, shorter)));
    assertEquals(Reason.MISSING_CONTEXT, o.reason());
    assertTrue(o.message().contains("were built for 2 previous events"), o.message());
  }

  @Test
  void aChampionWithoutContextIgnoresTheRowsContexts() {
    EventSequence data = series(3000, 0.9, 20);
    FlowModel alone = ModelTrainer.train(HISTORY.features(), new ModelTrainer.Options("level", 1, FLOW, CONFIG,
        0.2), TrainingListener.NONE).model();
    Request withContexts = Request.refresh(alone, data.features(), 5, Lineage.Trigger.OFFLINE, "x", SETTINGS)
        .withContexts(RawContexts.replay(data, SPEC));
    Outcome o = Retraining.run(withContexts);
    Outcome without = Retraining.run(Request.refresh(alone, data.features(), 5, Lineage.Trigger.OFFLINE, "x",
        SETTINGS));
    assertTrue(o.promoted(), o.message());
    assertTrue(o.challenger().orElseThrow().context().isEmpty());
    assertArrayEquals(without.challenger().orElseThrow().flow().parameters(),
        o.challenger().orElseThrow().flow().parameters(), 0.0);
  }

  @Test
  void theAnomalyFilterJudgesEachRowGivenItsHistory() {
    EventSequence data = series(2000, 0.9, 21);
    double[] x = data.features().values().clone();
    // Key 0's row 400 jumps from its recent level to its set point's other side: 1.2 is within two marginal
    // sds of 0, yet several conditional sds from where key 0 just was.
    int jump = 400;
    x[jump - 4] = -0.6;
    x[jump - 8] = -0.6;
    x[jump - 12] = -0.6;
    x[jump - 16] = -0.6;
    x[jump] = 1.2;
    EventSequence edited = new EventSequence(new Dataset("edited", List.of("level"), x, data.rows()), data.times(),
        data.keys(), data.keyNames(), data.fields(), 1);
    RawContexts contexts = RawContexts.replay(edited, SPEC);
    Retraining.Filtered f = Retraining.dropAnomalies(CHAMPION, edited.features(), contexts, 1e-2);
    assertEquals(f.kept().rows(), f.contexts().orElseThrow().rows());
    assertEquals(data.rows(), f.kept().rows() + f.dropped());
    boolean jumpKept = false;
    for (int r = 0; r < f.kept().rows(); r++) {
      jumpKept |= f.kept().values()[r] == 1.2;
    }
    assertFalse(jumpKept, "the jump is an anomaly after its history");
    // About 1 % of normal rows are flagged at rate 0.01; 3 % bounds the binomial noise on 2000 rows.
    assertTrue(f.dropped() < 0.03 * data.rows(), "dropped " + f.dropped());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Retraining.dropAnomalies(CHAMPION, edited.features(), 1e-2));
    assertTrue(e.getMessage().contains("time-aware"), e.getMessage());
  }
}
