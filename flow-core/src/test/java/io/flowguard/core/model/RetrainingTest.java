package io.flowguard.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.data.Dataset;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.Retraining.Decision;
import io.flowguard.core.model.Retraining.Outcome;
import io.flowguard.core.model.Retraining.Reason;
import io.flowguard.core.model.Retraining.Request;
import io.flowguard.core.model.Retraining.Settings;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingListener;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The shared retraining procedure: promotion of an equally good or better challenger, rejection of a
 * worse one or of too little data, determinism, lineage, the anomaly filter and rollback.
 */
@Timeout(120)
class RetrainingTest {

  private static final List<String> NAMES = List.of("load", "temp", "vib");
  private static final FlowSpec SPEC = FlowSpec.of(FlowSpec.MAF, 3).withLayers(2).withHidden(16, 16);
  /**
   * For 3000 rows: at most 2000 steps of 128 (about 120 passes over the 2160 fit rows left after the
   * calibration and validation splits), early stopping after 5 evaluations without improvement, so that
   * champion and challengers are trained to convergence and differ by their data, not their budget.
   */
  private static final TrainingConfig CONFIG = TrainingConfig.defaults().withSteps(2000).withBatchSize(128)
      .withEvalEvery(50).withPatience(5).withSeed(1);
  private static final Settings SETTINGS = Settings.defaults().withMinRows(500).withFalseAlarmRate(1e-2);
  private static final FlowModel CHAMPION = train(normal(3000, 0.0, 11), 3);

  /** A curved, correlated 3-D "machine": temp follows load quadratically, vib is independent. */
  static Dataset normal(int n, double shift, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] x = new double[n * 3];
    for (int r = 0; r < n; r++) {
      double load = rng.nextGaussian() + shift;
      x[r * 3] = 50 + 10 * load;
      x[r * 3 + 1] = 20 + 2 * load * load + 0.5 * rng.nextGaussian();
      x[r * 3 + 2] = 0.3 + 0.05 * rng.nextGaussian();
    }
    return new Dataset("normal(" + n + ", shift " + shift + ")", NAMES, x, n);
  }

  static FlowModel train(Dataset data, int version) {
    return ModelTrainer.train(data, new ModelTrainer.Options("pump", version, SPEC, CONFIG, 0.2),
        TrainingListener.NONE).model();
  }

  private static Outcome refresh(Dataset candidates, long seed) {
    return Retraining.run(Request.refresh(CHAMPION, candidates, seed, Lineage.Trigger.OFFLINE, "test window",
        SETTINGS));
  }

  @Test
  void aChallengerFromTheSameDistributionIsPromotedAsTheNextVersion() {
    Outcome o = refresh(normal(3000, 0.0, 12), 5);
    assertEquals(Decision.PROMOTED, o.decision(), o.message());
    assertEquals(Reason.VALIDATED, o.reason());
    FlowModel c = o.challenger().orElseThrow();
    assertEquals(4, c.version());
    assertEquals("pump", c.name());
    assertEquals(CHAMPION.spec(), c.spec(), "the champion's architecture is reused");
    // Same distribution, same architecture and budget: the means agree to well within the tolerance.
    assertTrue(Math.abs(o.metrics().challengerNll() - o.metrics().championNll()) < SETTINGS.toleranceNats(),
        o.message());
    assertEquals(600, o.metrics().heldOutRows(), "20 % of 3000 held out");
    assertEquals(2400, o.metrics().trainRows());
  }

  @Test
  void aChallengerForANewRegimeIsPromotedWithAMuchBetterNll() {
    Outcome o = refresh(normal(3000, 1.5, 13), 5);
    assertTrue(o.promoted(), o.message());
    // The champion never saw loads 1.5 sd higher: on the new regime it is about a nat per row worse (1.1
    // measured); half a nat is five times the tolerance.
    assertTrue(o.metrics().championNll() > o.metrics().challengerNll() + 0.5, o.message());
  }

  @Test
  void aChallengerTrainedOnCorruptedRowsIsRejectedForItsWorseNll() {
    Dataset corrupted = corrupt(normal(3000, 0.0, 14), 15);
    Outcome o = Retraining.run(Request.refresh(CHAMPION, corrupted, 5, Lineage.Trigger.SCHEDULED, "corrupted",
        SETTINGS).withHeldOut(normal(1000, 0.0, 16)));
    assertEquals(Decision.REJECTED, o.decision());
    assertEquals(Reason.WORSE_NLL, o.reason(), o.message());
    assertTrue(o.challenger().isEmpty());
    assertTrue(o.metrics().challengerNll() > o.metrics().championNll() + SETTINGS.toleranceNats());
    assertTrue(o.message().contains("champion v3 stays"), o.message());
    assertEquals(3000, o.metrics().trainRows(), "with an explicit held-out table every candidate is trained on");
  }

  @Test
  void aChallengerThatFlagsTooManyHeldOutRowsIsRejectedAsCalibrationUnsound() {
    // Validated on a regime it never saw: its calibration says 1 % false alarms, the held-out rows get far more.
    Outcome o = Retraining.run(Request.refresh(CHAMPION, normal(3000, 0.0, 26), 5, Lineage.Trigger.DRIFT, "x",
        SETTINGS).withHeldOut(normal(1000, 2.0, 27)));
    assertEquals(Reason.CALIBRATION_UNSOUND, o.reason(), o.message());
    assertTrue(o.metrics().heldOutFalseAlarmRate() > Retraining.alarmRateBound(0.01, 1000,
        Math.round(3000 * 0.2)), o.message());
    assertTrue(o.message().contains("of the held-out normal rows at false-alarm rate 0.01"), o.message());
  }

  @Test
  void dataThatCannotBeModelledIsRejectedAsTrainingFailed() {
    double[] constant = new double[1000 * 3];
    java.util.Arrays.fill(constant, 1.0);
    Outcome o = refresh(new Dataset("stuck sensors", NAMES, constant, 1000), 5);
    assertEquals(Reason.TRAINING_FAILED, o.reason());
    assertTrue(o.message().startsWith("training the challenger failed: ") && o.message().contains("constant"),
        o.message());
  }

  @Test
  void tooFewRowsAreRejectedAsNotEnoughDataWithoutTraining() {
    Outcome o = refresh(normal(400, 0.0, 17), 5);
    assertEquals(Reason.NOT_ENOUGH_DATA, o.reason());
    assertTrue(o.message().startsWith("not enough data"), o.message());
    assertTrue(o.message().contains("400 candidate rows"), o.message());
    assertEquals(0.0, o.metrics().trainSeconds());
    assertTrue(Double.isNaN(o.metrics().challengerNll()));
  }

  @Test
  void theSameSeedGivesTheSameChallengerAndAnotherSeedAnother() {
    Dataset candidates = normal(2000, 0.0, 18);
    Outcome a = refresh(candidates, 21);
    Outcome b = refresh(candidates, 21);
    Outcome c = refresh(candidates, 22);
    assertArrayEquals(a.challenger().orElseThrow().flow().parameters(),
        b.challenger().orElseThrow().flow().parameters(), 0.0);
    assertEquals(a.metrics().challengerNll(), b.metrics().challengerNll(), 0.0);
    assertEquals(a.metrics().championNll(), b.metrics().championNll(), 0.0);
    assertNotEquals(a.metrics().championNll(), c.metrics().championNll(), "another seed holds out other rows");
  }

  @Test
  void theChallengersProvenanceRecordsItsLineageAndSurvivesTheModelFile() throws IOException {
    Outcome o = refresh(normal(2000, 0.0, 19), 5);
    FlowModel c = o.challenger().orElseThrow();
    Lineage l = c.provenance().lineage().orElseThrow();
    assertEquals(OptionalInt.of(3), l.parentVersion());
    assertEquals(Lineage.Trigger.OFFLINE, l.trigger());
    assertEquals("test window", l.data());
    assertEquals(2000, l.dataRows());
    assertEquals(o.metrics().challengerNll(), l.heldOutNll(), 0.0);
    assertEquals(o.metrics().championNll(), l.parentHeldOutNll(), 0.0);
    assertEquals(c.provenance(), ModelFormat.read(ModelFormat.toBytes(c)).provenance());
  }

  @Test
  void theChampionsTrainingConfigIsReusedWithItsEpochsKeptForTheNewRowCount() {
    TrainingConfig c = Retraining.trainingConfigFor(Optional.of(CHAMPION), 1500, 9, SETTINGS);
    assertEquals(1000, c.steps(), "half the rows, half the steps: the same passes over the data");
    assertEquals(25, c.evalEvery());
    assertEquals(CONFIG.batchSize(), c.batchSize());
    assertEquals(CONFIG.learningRate(), c.learningRate());
    assertEquals(CONFIG.patience(), c.patience());
    assertEquals(9, c.seed());
    assertEquals(60, Retraining.trainingConfigFor(Optional.of(CHAMPION), 1500, 9, SETTINGS.withMaxSteps(60)).steps());
  }

  @Test
  void theChampionsPreprocessingOptionsAreRecordedAndReusedByItsChallenger() throws IOException {
    // "vib" rounded to a grid of 0.05 is discrete; "load" made heavy-tailed (cubed) gets the asinh by default
    // (and so does the skewed "temp").
    Dataset base = normal(1500, 0.0, 23);
    double[] x = base.values().clone();
    for (int r = 0; r < base.rows(); r++) {
      double load = (x[r * 3] - 50) / 10;
      x[r * 3] = 50 + 10 * load * load * load;
      x[r * 3 + 2] = Math.round(x[r * 3 + 2] / 0.05) * 0.05;
    }
    Dataset data = new Dataset("discrete and heavy-tailed", NAMES, x, base.rows());
    TrainingConfig quick = CONFIG.withSteps(60).withEvalEvery(20);
    FlowModel robust = ModelTrainer.train(data, new ModelTrainer.Options("pump", 1, SPEC, quick, 0.2),
        TrainingListener.NONE).model();
    assertEquals(List.of("vib"), robust.preprocessor().discreteFeatures());
    assertTrue(robust.preprocessor().tailTransformedFeatures().contains("load"),
        robust.preprocessor().tailTransformedFeatures().toString());
    assertEquals(Preprocessor.Options.robust(), robust.provenance().preprocessingOptions());

    FlowModel plain = ModelTrainer.train(data, new ModelTrainer.Options("pump", 1, SPEC, quick, 0.2,
        Preprocessor.Options.standardizeOnly()), TrainingListener.NONE).model();
    assertEquals(List.of(), plain.preprocessor().discreteFeatures());
    assertEquals(List.of(), plain.preprocessor().tailTransformedFeatures());
    FlowModel read = ModelFormat.read(ModelFormat.toBytes(plain));
    assertEquals(Preprocessor.Options.standardizeOnly(), read.provenance().preprocessingOptions(),
        "the options survive the model file");

    Outcome o = Retraining.run(Request.refresh(read, data, 5, Lineage.Trigger.OFFLINE, "test window",
        SETTINGS.withMaxSteps(60)));
    FlowModel c = o.challenger().orElseThrow();
    assertEquals(Preprocessor.Options.standardizeOnly(), c.provenance().preprocessingOptions());
    assertEquals(List.of(), c.preprocessor().discreteFeatures(), "the challenger is not dequantized either");
    assertEquals(List.of(), c.preprocessor().tailTransformedFeatures());
  }

  @Test
  void aProvenanceWithoutPreprocessingOptionsReadsAsRobustAndAMalformedOneIsRefused() {
    Provenance p = CHAMPION.provenance();
    Map<String, Object> old = new LinkedHashMap<>(p.trainingConfig());
    old.remove(Provenance.DEQUANTIZE);
    old.remove(Provenance.TAIL_TRANSFORM);
    old.remove(Provenance.DEQUANTIZE_ATOMS);
    assertEquals(Preprocessor.Options.robust(), withConfig(p, old).preprocessingOptions(),
        "a model written before the options were recorded was trained with the robust preprocessing");
    Map<String, Object> bad = new LinkedHashMap<>(p.trainingConfig());
    bad.put(Provenance.DEQUANTIZE, "yes");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> withConfig(p, bad).preprocessingOptions());
    assertTrue(e.getMessage().contains("dequantize"), e.getMessage());
  }

  private static Provenance withConfig(Provenance p, Map<String, Object> config) {
    return new Provenance(p.spec(), config, p.seed(), p.dataSha256(), p.trainingRows(), p.metrics(), p.createdAt(),
        p.flowguardVersion(), p.formatVersion(), p.lineage());
  }

  @Test
  void aFirstModelIsTrainedWithTheDefaultsAndPromotedAsVersionOne() {
    Outcome o = Retraining.run(Request.initial("fresh", normal(1500, 0.0, 20), 3, "first data",
        SETTINGS.withMaxSteps(60)));
    assertTrue(o.promoted(), o.message());
    FlowModel c = o.challenger().orElseThrow();
    assertEquals(1, c.version());
    assertEquals(OptionalInt.empty(), o.metrics().championVersion());
    assertTrue(Double.isNaN(o.metrics().championNll()));
    assertEquals(Lineage.Trigger.INITIAL, c.provenance().lineage().orElseThrow().trigger());
    assertTrue(c.provenance().lineage().orElseThrow().parentVersion().isEmpty());
    assertEquals(60, c.provenance().metrics().steps(), "the step bound holds");
  }

  @Test
  void candidatesWithAllChampionFeaturesInAnotherOrderAreAcceptedAndMissingOnesAreNot() {
    Dataset d = normal(600, 0.0, 23);
    Dataset reordered = new Dataset("reordered", List.of("vib", "load", "temp", "extra"),
        reorder(d.values(), d.rows()), d.rows());
    Outcome o = refresh(reordered, 5);
    // Columns are matched by name: the outcome is that of the same rows in the champion's order,
    // same seed. The arithmetic is then the same, so the metrics agree exactly; a positional
    // mapping would train on (vib, load, temp) as (load, temp, vib) and differ.
    Outcome inOrder = refresh(d, 5);
    assertEquals(inOrder.decision(), o.decision(), o.message());
    assertEquals(inOrder.reason(), o.reason());
    assertEquals(withoutTime(inOrder.metrics()), withoutTime(o.metrics()));
    assertEquals(600, o.metrics().candidateRows());
    Dataset missing = d.without("vib");
    assertThrows(IllegalArgumentException.class, () -> refresh(missing, 5));
  }

  @Test
  void dropAnomaliesRemovesFarOutliersAndKeepsAlmostAllNormalRows() {
    Dataset normal = normal(2000, 0.0, 24);
    int outliers = 50;
    double[] x = java.util.Arrays.copyOf(normal.values(), (normal.rows() + outliers) * 3);
    for (int i = 0; i < outliers; i++) {
      int r = normal.rows() + i;
      x[r * 3] = 50;
      x[r * 3 + 1] = 35; // temp far above what load 0 allows
      x[r * 3 + 2] = 0.3;
    }
    Dataset mixed = new Dataset("mixed", NAMES, x, normal.rows() + outliers);
    Retraining.Filtered f = Retraining.dropAnomalies(CHAMPION, mixed, 1e-2);
    double[] kept = f.kept().values();
    for (int r = 0; r < f.kept().rows(); r++) {
      assertFalse(kept[r * 3 + 1] == 35 && kept[r * 3] == 50, "an outlier was kept");
    }
    // Normal rows dropped: about 1 % expected; 3 % bounds the binomial noise on 2000 rows generously.
    int normalDropped = f.dropped() - outliers;
    assertTrue(normalDropped >= 0 && normalDropped < 0.03 * normal.rows(), "dropped " + f.dropped());
    assertEquals(mixed.rows(), f.kept().rows() + f.dropped());
  }

  @Test
  void rollbackRepublishesTheOldParametersAsTheNewestPlusOne() throws IOException {
    FlowModel back = Retraining.rollback(CHAMPION, 7);
    assertEquals(8, back.version());
    assertEquals(CHAMPION.name(), back.name());
    double[] rows = normal(50, 0.0, 25).values();
    assertArrayEquals(CHAMPION.logDensity(rows, 50), back.logDensity(rows, 50), 0.0);
    Lineage l = back.provenance().lineage().orElseThrow();
    assertEquals(Lineage.Trigger.ROLLBACK, l.trigger());
    assertEquals(OptionalInt.of(3), l.rollbackOf());
    assertEquals(OptionalInt.of(7), l.parentVersion());
    FlowModel read = ModelFormat.read(ModelFormat.toBytes(back));
    assertEquals(8, read.version());
    assertEquals(back.provenance(), read.provenance());
    assertThrows(IllegalArgumentException.class, () -> Retraining.rollback(CHAMPION, 2));
  }

  /** Rows shifted and blown up with noise: what a broken sensor or a poisoned window looks like. */
  private static Dataset corrupt(Dataset d, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] x = d.values().clone();
    for (int r = 0; r < d.rows(); r++) {
      x[r * 3 + 1] += 6 * rng.nextGaussian();
      x[r * 3 + 2] += 0.2 * rng.nextGaussian();
    }
    return new Dataset("corrupted", d.columns(), x, d.rows());
  }

  /** The metrics less the training's wall time, which differs between two identical runs. */
  private static Retraining.Metrics withoutTime(Retraining.Metrics m) {
    return new Retraining.Metrics(m.challengerVersion(), m.championVersion(), m.challengerNll(),
        m.championNll(), m.heldOutFalseAlarmRate(), m.candidateRows(), m.trainRows(), m.heldOutRows(), 0);
  }

  private static double[] reorder(double[] x, int n) {
    double[] out = new double[n * 4];
    for (int r = 0; r < n; r++) {
      out[r * 4] = x[r * 3 + 2];
      out[r * 4 + 1] = x[r * 3];
      out[r * 4 + 2] = x[r * 3 + 1];
      out[r * 4 + 3] = 99;
    }
    return out;
  }
}
