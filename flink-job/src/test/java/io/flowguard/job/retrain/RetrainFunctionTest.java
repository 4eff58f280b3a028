package io.flowguard.job.retrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.connectors.event.EventCodec;
import io.flowguard.connectors.model.ModelEvent;
import io.flowguard.connectors.model.ModelEventKind;
import io.flowguard.connectors.model.ModelHistory;
import io.flowguard.connectors.model.ModelRecord;
import io.flowguard.connectors.score.ScoredEvent;
import io.flowguard.connectors.score.TypicalityResult;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.Lineage;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.Retraining;
import io.flowguard.job.FlowguardPipeline;
import io.flowguard.job.RetrainModels;
import io.flowguard.job.TestModels;
import io.flowguard.flink.scoring.ScoringKernel;
import io.flowguard.flink.scoring.ScoringSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.AbstractUdfStreamOperator;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The retraining operator on Flink's operator test harness (heap state, manual processing time):
 * admission, per-key cap, promotion records, rejection events, and a training lost in a restart.
 * Trainings run on the operator's own background thread, so the tests advance processing time
 * until the poll timer has seen the result.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RetrainFunctionTest {

  static final String MODEL = TestModels.NAME;
  static final String[] NAMES = TestModels.FEATURES.toArray(new String[0]);
  static final long INTERVAL = 10_000;
  static final long POLL = 100;

  /** What the capturing trainer saw; static because the trainer is serialized into the operator. */
  static final ConcurrentLinkedQueue<Retraining.Request> REQUESTS = new ConcurrentLinkedQueue<>();
  static final AtomicInteger CALLS = new AtomicInteger();
  static volatile CountDownLatch release = new CountDownLatch(0);
  static volatile CountDownLatch entered = new CountDownLatch(1);

  /** Records the request and rejects it without training (the tests look at the rows). */
  static final ChallengerTrainer CAPTURE = (request, listener) -> {
    REQUESTS.add(request);
    return new Retraining.Outcome(Retraining.Decision.REJECTED, Retraining.Reason.NOT_ENOUGH_DATA,
        "captured", new Retraining.Metrics(2, java.util.OptionalInt.of(1), Double.NaN, Double.NaN,
            Double.NaN, request.candidates().rows(), 0, 0, 0), java.util.Optional.empty());
  };

  /** The real procedure, entered only once the test releases it. */
  static final ChallengerTrainer GATED = (request, listener) -> {
    CALLS.incrementAndGet();
    entered.countDown();
    try {
      release.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return Retraining.run(request, listener);
  };

  /**
   * Promotes the champion's parameters as version champion + 1 without training, once the test
   * releases it: a promotion whose timing the test controls.
   */
  static final ChallengerTrainer GATED_PROMOTE = (request, listener) -> {
    REQUESTS.add(request);
    entered.countDown();
    try {
      release.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    FlowModel c = request.champion().orElseThrow();
    FlowModel challenger = new FlowModel(c.name(), c.version() + 1, c.preprocessor(), c.flow(),
        c.calibration(), c.provenance());
    return new Retraining.Outcome(Retraining.Decision.PROMOTED, Retraining.Reason.VALIDATED,
        "promoted", new Retraining.Metrics(challenger.version(),
            java.util.OptionalInt.of(c.version()), 1.0, 1.1, 0.01, request.candidates().rows(),
            request.candidates().rows(), 0, 0), java.util.Optional.of(challenger));
  };

  KeyedBroadcastOperatorTestHarness<String, ScoredEvent, ModelRecord, ModelTopicRecord> harness;
  long now;

  @BeforeEach
  void reset() {
    REQUESTS.clear();
    CALLS.set(0);
    release = new CountDownLatch(0);
    entered = new CountDownLatch(1);
  }

  @AfterEach
  void close() throws Exception {
    release.countDown();
    if (harness != null) {
      harness.close();
    }
  }

  static ScoringSettings scoring() {
    return new ScoringSettings(0.01, new int[] {8, 32}, 0.99, 10, Duration.ofSeconds(60),
        new EventCodec(), ScoringKernel.FLOW);
  }

  static RetrainSettings settings(int size, double share, int minRows, ChallengerTrainer trainer) {
    return new RetrainSettings(Duration.ofMillis(INTERVAL), Duration.ofMillis(POLL), size,
        Reservoir.Algorithm.RECENT, share, minRows, 0.2, false, 100, 0.2, 3, 1e-6, 0.1,
        "models", "models-history", 3, 1.0, trainer);
  }

  KeyedBroadcastOperatorTestHarness<String, ScoredEvent, ModelRecord, ModelTopicRecord> open(
      RetrainSettings settings, OperatorSubtaskState restore) throws Exception {
    if (restore == null) {
      harness = ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
          new RetrainFunction(settings, scoring()), new FlowguardPipeline.ModelName(),
          Types.STRING, RetrainFunction.CHAMPIONS);
    } else {
      harness = new KeyedBroadcastOperatorTestHarness<>(
          new CoBroadcastWithKeyedOperator<>(new RetrainFunction(settings, scoring()),
              List.of(RetrainFunction.CHAMPIONS)),
          new FlowguardPipeline.ModelName(), Types.STRING, 1, 1, 0);
      harness.setup();
      harness.initializeState(restore);
      harness.open();
    }
    harness.setProcessingTime(now);
    return harness;
  }

  static ScoredEvent scored(String key, long ts, double[] f, boolean anomaly, boolean alarm) {
    return new ScoredEvent(key, MODEL, "1", ts, -3, 3, anomaly ? 1e-4 : 0.5, anomaly,
        new TypicalityResult[] {new TypicalityResult(8, 0.1, 1.0, alarm)}, NAMES, f);
  }

  void send(ScoredEvent e) throws Exception {
    harness.processElement(e, e.eventTime());
  }

  /** Advances processing time in poll steps (with real pauses) until the condition holds. */
  void advanceUntil(java.util.function.BooleanSupplier done, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(45);
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      now += POLL;
      harness.setProcessingTime(now);
      Thread.sleep(20);
    }
  }

  List<ModelEvent> events() {
    List<ModelEvent> out = new ArrayList<>();
    if (harness.getSideOutput(RetrainFunction.MODEL_EVENTS) != null) {
      for (StreamRecord<ModelEvent> r : harness.getSideOutput(RetrainFunction.MODEL_EVENTS)) {
        out.add(r.getValue());
      }
    }
    return out;
  }

  /** The model's retrain-progress keyed state, as the operator last wrote it. */
  RetrainProgress progress() throws Exception {
    KeyedStateBackend<String> backend = harness.getOperator().getKeyedStateBackend();
    backend.setCurrentKey(MODEL);
    RetrainProgress p = backend.getPartitionedState(VoidNamespace.INSTANCE,
        VoidNamespaceSerializer.INSTANCE, RetrainFunction.PROGRESS).value();
    return p == null ? RetrainProgress.NONE : p;
  }

  /** The model's reservoir bookkeeping, as the operator last wrote it. */
  ReservoirMeta reservoirMeta() throws Exception {
    KeyedStateBackend<String> backend = harness.getOperator().getKeyedStateBackend();
    backend.setCurrentKey(MODEL);
    return backend.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE,
        RetrainFunction.META).value();
  }

  /** The model's drift statistics, as the operator last wrote them. */
  DriftStatus driftStatus() throws Exception {
    KeyedStateBackend<String> backend = harness.getOperator().getKeyedStateBackend();
    backend.setCurrentKey(MODEL);
    return backend.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE,
        RetrainFunction.DRIFT).value();
  }

  /** An event of the shifted regime: it alerts, with a tail probability above the drift floor. */
  static ScoredEvent shifted(String key, long ts, Random rng) {
    return new ScoredEvent(key, MODEL, "1", ts, -20, 20, 1e-4, true,
        new TypicalityResult[] {new TypicalityResult(8, 5, 1, true)}, NAMES,
        TestModels.shifted(rng));
  }

  /** Trainings started so far (attempts), whether one is in flight, the last promoted version. */
  record StartedTrainings(long attempts, boolean inFlight, int lastPromotedVersion) {}

  StartedTrainings startedTrainings() throws Exception {
    RetrainProgress p = progress();
    return new StartedTrainings(p.attempts(), p.inFlight(), p.lastPromotedVersion());
  }

  /** Rows of a request's candidates, as arrays. */
  static List<double[]> rows(Retraining.Request r) {
    Dataset d = r.candidates();
    List<double[]> out = new ArrayList<>();
    for (int i = 0; i < d.rows(); i++) {
      out.add(java.util.Arrays.copyOfRange(d.values(), i * d.dim(), (i + 1) * d.dim()));
    }
    return out;
  }

  @Test
  void anomaliesAndAlarmedEventsNeverEnterTheReservoir() throws Exception {
    open(settings(1000, 1.0, 100, CAPTURE), null);
    harness.processBroadcastElement(new ModelRecord(MODEL, RetrainModels.regimeA(), 0, 0), 0);
    Random rng = new Random(1);
    // 10 % anomalies and 5 % typicality alarms: more than chance, but not a drift (below the
    // drift threshold of 20 % alerts).
    for (int i = 0; i < 1000; i++) {
      String key = "k" + (i % 9);
      if (i % 20 < 2) {
        // Marked by a = 100 + i (anomalies) and a = -100 - i (typicality alarms).
        send(scored(key, i, new double[] {100 + i, 0, 0}, true, false));
      } else if (i % 20 == 2) {
        send(scored(key, i, new double[] {-100 - i, 0, 0}, false, true));
      } else {
        send(scored(key, i, TestModels.normal(rng), false, false));
      }
    }
    now += INTERVAL;
    advanceUntil(() -> !REQUESTS.isEmpty(), "the scheduled retraining");
    List<double[]> rows = rows(REQUESTS.peek());
    assertEquals(850, rows.size(), "every normal event, nothing else");
    assertTrue(rows.stream().allMatch(r -> Math.abs(r[0]) < 100), "no anomaly or alarmed event");
    assertEquals(Lineage.Trigger.SCHEDULED, REQUESTS.peek().trigger());
    advanceUntil(() -> !events().isEmpty(), "the rejection event");
    assertEquals(ModelEventKind.REJECTED, events().get(0).kind());
  }

  @Test
  void duringADriftEventsAboveTheTailFloorAreAdmittedAndOnlyTheyAreTrainedOn() throws Exception {
    open(settings(1000, 1.0, 100, CAPTURE), null);
    harness.processBroadcastElement(new ModelRecord(MODEL, RetrainModels.regimeA(), 0, 0), 0);
    Random rng = new Random(5);
    for (int i = 0; i < 200; i++) {
      send(scored("k" + (i % 9), i, TestModels.normal(rng), false, false));
    }
    // The regime moves: every event alerts. After 3 blocks of 100 the drift is declared; from
    // then on flagged events with tail probability 1e-4 (above the 1e-6 floor) are admitted,
    // gross outliers (1e-9, marked c = 1000 + i) are not.
    for (int i = 0; i < 1000; i++) {
      boolean gross = i % 10 == 0;
      double[] f = gross ? new double[] {0, 0, 1000 + i} : TestModels.shifted(rng);
      send(new ScoredEvent("k" + (i % 9), MODEL, "1", 1000 + i, -20, 20, gross ? 1e-9 : 1e-4,
          true, new TypicalityResult[] {new TypicalityResult(8, 5, 1, true)}, NAMES, f));
    }
    now += INTERVAL;
    advanceUntil(() -> !REQUESTS.isEmpty(), "the scheduled retraining");
    Retraining.Request request = REQUESTS.peek();
    List<double[]> rows = rows(request);
    // Declared by the 300th alerting event (it completes the third high block of 100; the 200
    // normal events filled two low ones), which is admitted under the drift rule: events
    // 299..999 of the shift were candidates, 701, less the 70 gross outliers among them.
    assertEquals(631, rows.size(), "only drift rows, gross outliers excluded");
    assertTrue(rows.stream().allMatch(r -> r[2] < 1000), "no gross outlier");
    assertTrue(request.dataDescription().contains("since the drift declared"),
        request.dataDescription());
  }

  @Test
  void aDriftChallengerWhoseDriftEndedWhileItTrainedIsRejectedAndTheReservoirKept()
      throws Exception {
    open(settings(2000, 1.0, 100, GATED_PROMOTE), null);
    release = new CountDownLatch(1); // the training waits until the drift has ended
    harness.processBroadcastElement(new ModelRecord(MODEL, RetrainModels.regimeA(), 0, 0), 0);
    Random rng = new Random(6);
    int ts = 0;
    for (int i = 0; i < 200; i++) {
      send(scored("k" + (i % 9), ts++, TestModels.normal(rng), false, false));
    }
    // Declared by the 300th alerting event (third high block of 100): 101 drift rows.
    for (int i = 0; i < 400; i++) {
      send(shifted("k" + (i % 9), ts++, rng));
    }
    assertEquals(101, reservoirMeta().driftRows());
    now += INTERVAL;
    harness.setProcessingTime(now);
    assertTrue(entered.await(20, TimeUnit.SECONDS), "the drift retraining started");
    assertTrue(REQUESTS.peek().dataDescription().contains("since the drift declared"));
    // The regime goes back: three low blocks end the drift while the challenger trains.
    for (int i = 0; i < 300; i++) {
      send(scored("k" + (i % 9), ts++, TestModels.normal(rng), false, false));
    }
    assertEquals(new ReservoirMeta(NAMES, 601, 601, 0), reservoirMeta(), "the drift ended");

    release.countDown();
    advanceUntil(() -> !events().isEmpty(), "the retraining's outcome");
    ModelEvent event = events().get(0);
    assertEquals(ModelEventKind.REJECTED, event.kind(), event.message());
    assertEquals(RetrainFunction.DRIFT_ENDED, event.reason(), event.message());
    assertEquals(2, event.challengerVersion());
    assertEquals(1, event.championVersion());
    assertEquals(List.of(), harness.extractOutputValues(), "nothing published");
    assertEquals(new ReservoirMeta(NAMES, 601, 601, 0), reservoirMeta(), "every row kept");
    assertEquals(new StartedTrainings(1, false, 0), startedTrainings());
  }

  @Test
  void afterAWithdrawalAFreshModelWithALowerVersionIsTheNewBaseline() throws Exception {
    open(settings(2000, 1.0, 100, GATED_PROMOTE), null);
    harness.processBroadcastElement(new ModelRecord(MODEL, RetrainModels.regimeA(), 0, 0), 0);
    Random rng = new Random(7);
    int ts = 0;
    for (int i = 0; i < 200; i++) {
      send(scored("k" + (i % 9), ts++, TestModels.normal(rng), false, false));
    }
    now += INTERVAL;
    advanceUntil(() -> !events().isEmpty(), "the first promotion");
    assertEquals(ModelEventKind.PROMOTED, events().get(0).kind(), events().get(0).message());
    byte[] v2 = harness.extractOutputValues().get(1).value();
    harness.processBroadcastElement(new ModelRecord(MODEL, v2, 1, 0), 0);
    assertEquals(new StartedTrainings(1, false, 2), startedTrainings());

    // A person withdraws the model, then publishes a fresh one, which starts again at v1.
    harness.processBroadcastElement(new ModelRecord(MODEL, new byte[0], 2, 0), 0);
    assertEquals(new StartedTrainings(1, false, 0), startedTrainings(), "v2 is forgotten");
    harness.processBroadcastElement(new ModelRecord(MODEL, RetrainModels.regimeA(), 3, 0), 0);
    for (int i = 0; i < 200; i++) {
      send(scored("k" + (i % 9), ts++, TestModels.normal(rng), false, false));
    }
    assertEquals(1, driftStatus().modelVersion(), "events of the fresh v1 count");
    assertEquals(200, driftStatus().blockEvents() + 100 * driftStatus().lowBlocks());
    // The next schedule trains against the fresh v1 (started on the task thread: see the
    // promotion test), and promotes its successor.
    now += INTERVAL;
    harness.setProcessingTime(now);
    assertEquals(2, startedTrainings().attempts(), "a retraining against the fresh v1 started");
    advanceUntil(() -> events().size() == 2, "the second promotion");
    ModelEvent second = events().get(1);
    assertEquals(ModelEventKind.PROMOTED, second.kind(), second.message());
    assertEquals(2, second.challengerVersion());
    assertEquals(1, second.championVersion());
  }

  @Test
  void eventsOfAModelWithoutAKnownChampionAreCounted() throws Exception {
    // As after enabling retraining on a restored job: events arrive, the model stream is silent.
    open(settings(2000, 1.0, 100, CAPTURE), null);
    RetrainMetrics metrics = ((RetrainFunction) ((AbstractUdfStreamOperator<?, ?>)
        harness.getOperator()).getUserFunction()).metrics();
    Random rng = new Random(8);
    for (int i = 0; i < 150; i++) {
      send(scored("k" + (i % 9), i, TestModels.normal(rng), false, false));
    }
    now += INTERVAL;
    harness.setProcessingTime(now);
    send(scored("k0", 150, TestModels.normal(rng), false, false)); // and now a WARN is logged
    assertEquals(151, metrics.eventsWithoutChampion.getCount());
    assertEquals(0, startedTrainings().attempts(), "nothing to retrain against");

    harness.processBroadcastElement(new ModelRecord(MODEL, RetrainModels.regimeA(), 0, 0), 0);
    for (int i = 0; i < 50; i++) {
      send(scored("k" + (i % 9), 151 + i, TestModels.normal(rng), false, false));
    }
    assertEquals(151, metrics.eventsWithoutChampion.getCount(), "the champion is known now");
  }

  @Test
  void aKeyFloodingTheStreamIsCappedAtItsShare() throws Exception {
    open(settings(500, 0.1, 100, CAPTURE), null);
    harness.processBroadcastElement(new ModelRecord(MODEL, RetrainModels.regimeA(), 0, 0), 0);
    Random rng = new Random(2);
    int ts = 0;
    for (int round = 0; round < 30; round++) {
      for (int q = 0; q < 10; q++) {
        send(scored("quiet-" + q, ts++, TestModels.normal(rng), false, false));
      }
      for (int f = 0; f < 100; f++) {
        send(scored("flood", ts++, new double[] {7, 7, 7}, false, false));
      }
    }
    now += INTERVAL;
    advanceUntil(() -> !REQUESTS.isEmpty(), "the scheduled retraining");
    List<double[]> rows = rows(REQUESTS.peek());
    long flood = rows.stream().filter(r -> r[0] == 7 && r[1] == 7).count();
    // Cap = floor(0.1 x 500) = 50 rows; the 10 quiet keys send 30 each, all below their cap.
    assertEquals(50, flood);
    assertEquals(350, rows.size());
  }

  @Test
  void aPromotionWritesHistoryThenModelRecordsAndWaitsForTheChampionToCatchUp()
      throws Exception {
    open(settings(2000, 0.2, 500, ChallengerTrainer.RETRAINING), null);
    harness.processBroadcastElement(new ModelRecord(MODEL, RetrainModels.regimeA(), 0, 0), 0);
    Random rng = new Random(3);
    for (int i = 0; i < 1500; i++) {
      send(scored("k" + (i % 10), i, TestModels.normal(rng), false, false));
    }
    now += INTERVAL;
    advanceUntil(() -> !events().isEmpty(), "the retraining's outcome");
    ModelEvent event = events().get(0);
    assertEquals(ModelEventKind.PROMOTED, event.kind(), event.message());
    assertEquals(2, event.challengerVersion());
    List<ModelTopicRecord> out = harness.extractOutputValues();
    assertEquals(2, out.size(), "history record, then model record (v2 - 3 < 1: no tombstone)");
    assertEquals("models-history", out.get(0).topic());
    assertEquals(ModelHistory.key(MODEL, 2), out.get(0).key());
    assertEquals("models", out.get(1).topic());
    assertEquals(MODEL, out.get(1).key());
    FlowModel promoted = ModelFormat.read(out.get(1).value());
    assertEquals(2, promoted.version());
    Lineage lineage = promoted.provenance().lineage().orElseThrow();
    assertEquals(1, lineage.parentVersion().getAsInt());
    assertEquals(1500, lineage.dataRows());
    assertTrue(lineage.data().contains("1500 normal events of 10 keys"), lineage.data());

    // v2 is not back on the model stream: the next schedule must not train against v1 again.
    // A training starts on the task thread (the progress state records it before the timer
    // returns), so the state right after each advance shows a wrongly started one at once, even
    // if it has not finished.
    assertEquals(new StartedTrainings(1, false, 2), startedTrainings());
    for (int i = 0; i < 100; i++) {
      send(scored("k" + (i % 10), 2000 + i, TestModels.normal(rng), false, false));
    }
    for (int k = 0; k < 3; k++) {
      now += INTERVAL;
      harness.setProcessingTime(now);
      assertTrue(progress().nextRunAt() > now, "the schedule fired and was declined");
      assertEquals(new StartedTrainings(1, false, 2), startedTrainings(),
          "no second retraining while v2 is not the champion");
    }
    assertEquals(1, events().size());
    assertEquals(2, harness.extractOutputValues().size());
  }

  @Test
  void aTrainingLostInARestartRunsAgainAndPromotesOnce() throws Exception {
    RetrainSettings s = settings(2000, 0.2, 500, GATED);
    open(s, null);
    release = new CountDownLatch(1); // the first training waits
    harness.processBroadcastElement(new ModelRecord(MODEL, RetrainModels.regimeA(), 0, 0), 0);
    Random rng = new Random(4);
    for (int i = 0; i < 1200; i++) {
      send(scored("k" + (i % 10), i, TestModels.normal(rng), false, false));
    }
    now += INTERVAL;
    harness.setProcessingTime(now);
    assertTrue(entered.await(20, TimeUnit.SECONDS), "the first training started");
    // A checkpoint while the challenger trains, then a failure: the instance is gone.
    OperatorSubtaskState snapshot = harness.snapshot(1, now);
    harness.close();
    assertEquals(List.of(), harness.extractOutputValues(), "nothing promoted before the failure");
    harness = null;

    release = new CountDownLatch(0);
    open(s, snapshot);
    advanceUntil(() -> !events().isEmpty(), "the restarted retraining's outcome");
    assertEquals(2, CALLS.get(), "the lost training ran once more");
    assertEquals(ModelEventKind.PROMOTED, events().get(0).kind(), events().get(0).message());
    // The restarted training is the same attempt, not a new one.
    assertEquals(new StartedTrainings(1, false, 2), startedTrainings());
    // Time passes; without v2 back on the model stream no training starts (checked on the task
    // thread right after each advance, see the promotion test), so nothing more is promoted.
    for (int k = 0; k < 5; k++) {
      now += INTERVAL;
      harness.setProcessingTime(now);
      assertTrue(progress().nextRunAt() > now, "the schedule fired and was declined");
      assertEquals(new StartedTrainings(1, false, 2), startedTrainings(),
          "no new retraining while v2 is not the champion");
    }
    assertEquals(2, CALLS.get(), "the trainer ran for the lost attempt and its restart only");
    List<ModelTopicRecord> models = harness.extractOutputValues().stream()
        .filter(r -> r.topic().equals("models")).toList();
    assertEquals(1, models.size(), "exactly one promotion");
    assertEquals(2, ModelFormat.read(models.get(0).value()).version());
    assertEquals(1, events().size());
  }

  @Test
  void theSeedOfAnAttemptIsStableAndDiffersBetweenAttempts() {
    assertEquals(RetrainFunction.seed(MODEL, 3), RetrainFunction.seed(MODEL, 3));
    assertFalse(RetrainFunction.seed(MODEL, 3) == RetrainFunction.seed(MODEL, 4));
    Map<Long, Integer> seen = new HashMap<>();
    for (int a = 1; a <= 1000; a++) {
      seen.merge(RetrainFunction.seed(MODEL, a), 1, Integer::sum);
    }
    assertEquals(1000, seen.size());
  }
}
