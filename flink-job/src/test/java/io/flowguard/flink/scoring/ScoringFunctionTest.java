package io.flowguard.flink.scoring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.connectors.event.DeadLetter;
import io.flowguard.connectors.event.DeadLetterReason;
import io.flowguard.connectors.event.EventCodec;
import io.flowguard.connectors.event.Origin;
import io.flowguard.connectors.event.RawEvent;
import io.flowguard.connectors.model.ModelRecord;
import io.flowguard.connectors.score.ScoredEvent;
import io.flowguard.job.FlowguardPipeline;
import io.flowguard.job.ReferenceScorer;
import io.flowguard.job.TestModels;
import io.flowguard.job.scoring.KeyWindows;
import io.flowguard.job.scoring.StoredModel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.apache.flink.util.Collector;

/**
 * The scoring operator's logic on Flink's operator test harness (heap state, manual processing
 * time): models, held events, typicality state and dead letters, without a cluster.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ScoringFunctionTest {

  static final double RATE = 0.01;
  static final int[] WINDOWS = {8, 32};
  static final double ALPHA = 0.99;
  // Scores are computed by the same code on the same inputs; only the operator's wiring differs.
  static final double EXACT = 1e-12;

  final EventCodec codec = new EventCodec();
  KeyedBroadcastOperatorTestHarness<String, RawEvent, ModelRecord, ScoredEvent> harness;
  long offset;

  static ScoringSettings settings(int pendingMax, Duration pendingTimeout) {
    return new ScoringSettings(RATE, WINDOWS, ALPHA, pendingMax, pendingTimeout, new EventCodec(),
        ScoringKernel.FLOW);
  }

  KeyedBroadcastOperatorTestHarness<String, RawEvent, ModelRecord, ScoredEvent> open(
      ScoringSettings settings) throws Exception {
    harness = ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
        ScoringFunction.forRawEvents(settings), new FlowguardPipeline.EventKey(), Types.STRING,
        ScoringFunction.MODELS);
    return harness;
  }

  @AfterEach
  void close() throws Exception {
    if (harness != null) {
      harness.close();
    }
  }

  RawEvent raw(String json) {
    return codec.decode(json.getBytes(StandardCharsets.UTF_8), new Origin("events", 0, offset++), -1)
        .toOptional().orElseThrow();
  }

  RawEvent event(String key, long ts, double[] f) {
    return raw(TestModels.json(key, TestModels.NAME, ts, f));
  }

  static ModelRecord model(byte[] bytes) {
    return new ModelRecord(TestModels.NAME, bytes, 0, 0);
  }

  List<ScoredEvent> scored() {
    return harness.extractOutputValues();
  }

  List<DeadLetter> deadLetters() {
    List<DeadLetter> out = new ArrayList<>();
    if (harness.getSideOutput(ScoringFunction.DEAD_LETTERS) != null) {
      for (StreamRecord<DeadLetter> r : harness.getSideOutput(ScoringFunction.DEAD_LETTERS)) {
        out.add(r.getValue());
      }
    }
    return out;
  }

  static void assertScores(ReferenceScorer.Expected want, ScoredEvent got) {
    assertEquals(want.logDensity(), got.logDensity(), EXACT);
    assertEquals(want.nll(), got.nll(), EXACT);
    assertEquals(want.tailProbability(), got.tailProbability(), EXACT);
    assertEquals(want.anomaly(), got.anomaly());
    for (int i = 0; i < WINDOWS.length; i++) {
      assertEquals(WINDOWS[i], got.typicality()[i].window());
      assertEquals(want.statistics()[i], got.typicality()[i].statistic(), EXACT);
      assertEquals(want.alarms()[i], got.typicality()[i].alarm());
    }
  }

  @Test
  void scoresEqualTheScorersWithPerKeyTypicality() throws Exception {
    open(settings(10, Duration.ofSeconds(60)));
    harness.processBroadcastElement(model(TestModels.v1()), 0);
    ReferenceScorer ref =
        new ReferenceScorer(TestModels.read(TestModels.v1()), RATE, WINDOWS, ALPHA);
    Random rng = new Random(1);
    List<ReferenceScorer.Expected> want = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      String key = "k" + (i % 3);
      double[] f = TestModels.normal(rng);
      harness.processElement(event(key, i, f), i);
      want.add(ref.next(key, f));
    }
    List<ScoredEvent> got = scored();
    assertEquals(100, got.size());
    for (int i = 0; i < 100; i++) {
      assertEquals("k" + (i % 3), got.get(i).key());
      assertEquals(i, got.get(i).eventTime());
      assertEquals("1", got.get(i).modelVersion());
      assertScores(want.get(i), got.get(i));
    }
    assertTrue(Double.isNaN(got.get(0).typicality()[0].statistic()), "partial window");
    assertFalse(Double.isNaN(got.get(99).typicality()[1].statistic()), "k0 has 34 events");
    assertEquals(List.of(), deadLetters());
  }

  @Test
  void eventsBeforeTheirModelAreHeldAndScoredInOrderWhenItArrives() throws Exception {
    open(settings(10, Duration.ofSeconds(60)));
    Random rng = new Random(2);
    List<double[]> features = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      features.add(TestModels.normal(rng));
      harness.processElement(event(i % 2 == 0 ? "a" : "b", i, features.get(i)), i);
    }
    assertEquals(List.of(), scored());
    harness.processBroadcastElement(model(TestModels.v1()), 10);
    ReferenceScorer ref =
        new ReferenceScorer(TestModels.read(TestModels.v1()), RATE, WINDOWS, ALPHA);
    List<ScoredEvent> got = scored();
    assertEquals(6, got.size());
    for (ScoredEvent e : got) {
      int i = (int) e.eventTime();
      assertScores(ref.next(e.key(), features.get(i)), e);
    }
    // Per key in arrival order.
    assertEquals(List.of(0L, 2L, 4L), got.stream().filter(e -> e.key().equals("a"))
        .map(ScoredEvent::eventTime).toList());
    // Released events leave nothing behind: the pending timer finds nothing to dead-letter.
    harness.setProcessingTime(Duration.ofMinutes(5).toMillis());
    assertEquals(List.of(), deadLetters());
    assertEquals(6, scored().size());
  }

  @Test
  void heldEventsBeyondTheBoundAreDeadLetteredAsNoModel() throws Exception {
    open(settings(3, Duration.ofSeconds(60)));
    List<RawEvent> sent = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      RawEvent e = event("k", i, new double[] {1, 1, -2});
      sent.add(e);
      harness.processElement(e, i);
    }
    List<DeadLetter> dead = deadLetters();
    assertEquals(2, dead.size());
    for (int i = 0; i < 2; i++) {
      assertEquals(DeadLetterReason.NO_MODEL, dead.get(i).reason());
      assertArrayEquals(sent.get(3 + i).original(), dead.get(i).original());
      assertEquals(sent.get(3 + i).origin(), dead.get(i).origin());
    }
    harness.processBroadcastElement(model(TestModels.v1()), 10);
    assertEquals(List.of(0L, 1L, 2L), scored().stream().map(ScoredEvent::eventTime).toList());
  }

  @Test
  void heldEventsAreDeadLetteredAsNoModelAfterTheTimeout() throws Exception {
    open(settings(100, Duration.ofSeconds(60)));
    harness.setProcessingTime(1_000);
    harness.processElement(event("k", 1, new double[] {1, 1, -2}), 1);
    harness.setProcessingTime(30_000);
    harness.processElement(event("k", 2, new double[] {1, 1, -2}), 2);
    harness.processElement(event("other", 3, new double[] {1, 1, -2}), 3);
    harness.setProcessingTime(60_999);
    assertEquals(List.of(), deadLetters());
    harness.setProcessingTime(61_000);
    // The key's held events go together when its oldest has waited the timeout.
    List<DeadLetter> dead = deadLetters();
    assertEquals(2, dead.size());
    assertTrue(dead.stream().allMatch(d -> d.reason() == DeadLetterReason.NO_MODEL));
    assertTrue(dead.get(0).message().contains("flowguard.scoring.pending.timeout"), dead.get(0).message());
    harness.setProcessingTime(90_000);
    assertEquals(3, deadLetters().size());
    // The key starts afresh: a new event waits again rather than being dropped.
    harness.processElement(event("k", 4, new double[] {1, 1, -2}), 4);
    harness.processBroadcastElement(model(TestModels.v1()), 5);
    assertEquals(List.of(4L), scored().stream().map(ScoredEvent::eventTime).toList());
  }

  @Test
  void theHighestVersionWinsWhateverTheArrivalOrder() throws Exception {
    open(settings(10, Duration.ofSeconds(60)));
    harness.processBroadcastElement(model(TestModels.v2()), 0);
    harness.processBroadcastElement(model(TestModels.v1()), 1); // older: ignored
    harness.processElement(event("k", 1, new double[] {1, 1, -2}), 2);
    harness.processBroadcastElement(model(TestModels.v2()), 3); // equal: ignored
    harness.processElement(event("k", 2, new double[] {1, 1, -2}), 4);
    assertEquals(List.of("2", "2"), scored().stream().map(ScoredEvent::modelVersion).toList());
    assertEquals(2, harness.getBroadcastState(ScoringFunction.MODELS).get("default").version());
  }

  @Test
  void aNewVersionTakesOverAndRestartsTheTypicalityWindows() throws Exception {
    open(settings(10, Duration.ofSeconds(60)));
    harness.processBroadcastElement(model(TestModels.v1()), 0);
    Random rng = new Random(3);
    for (int i = 0; i < 8; i++) {
      harness.processElement(event("k", i, TestModels.normal(rng)), i);
    }
    assertFalse(Double.isNaN(scored().get(7).typicality()[0].statistic()), "window of 8 is full");
    harness.processBroadcastElement(model(TestModels.v2()), 10);
    double[] f = TestModels.normal(rng);
    harness.processElement(event("k", 8, f), 11);
    ScoredEvent after = scored().get(8);
    assertEquals("2", after.modelVersion());
    ReferenceScorer ref2 =
        new ReferenceScorer(TestModels.read(TestModels.v2()), RATE, WINDOWS, ALPHA);
    assertScores(ref2.next("k", f), after);
    assertTrue(Double.isNaN(after.typicality()[0].statistic()), "the window restarted");
  }

  @Test
  void anInvalidModelIsRejectedAndThePreviousOneStays() throws Exception {
    open(settings(10, Duration.ofSeconds(60)));
    harness.processBroadcastElement(model(TestModels.v1()), 0);
    byte[] damaged = TestModels.v2();
    damaged[damaged.length / 2] ^= 0x5a;
    harness.processBroadcastElement(model(damaged), 1);
    harness.processBroadcastElement(model("not a model".getBytes(StandardCharsets.UTF_8)), 2);
    // A valid file published under another name is refused too.
    harness.processBroadcastElement(new ModelRecord("other", TestModels.v2(), 3, 0), 3);
    harness.processElement(event("k", 1, new double[] {1, 1, -2}), 4);
    assertEquals(List.of("1"), scored().stream().map(ScoredEvent::modelVersion).toList());
    assertEquals(null, harness.getBroadcastState(ScoringFunction.MODELS).get("other"));
  }

  @Test
  void aModelWithoutTheConfiguredTypicalityCalibrationIsRejected() throws Exception {
    open(new ScoringSettings(RATE, new int[] {5}, ALPHA, 10, Duration.ofSeconds(60),
        new EventCodec(), ScoringKernel.FLOW));
    harness.processBroadcastElement(model(TestModels.v1()), 0);
    harness.processElement(event("k", 1, new double[] {1, 1, -2}), 1);
    assertEquals(List.of(), scored(), "no model accepted, so the event waits");
  }

  @Test
  void eventsThatDoNotFitTheSchemaOrAWithdrawnModelAreDeadLettered() throws Exception {
    open(settings(10, Duration.ofSeconds(60)));
    harness.processBroadcastElement(model(TestModels.v1()), 0);
    RawEvent missing = raw("{\"key\":\"k\",\"ts\":1,\"features\":{\"a\":1,\"b\":2}}");
    RawEvent extra = raw("{\"key\":\"k\",\"ts\":2,\"features\":{\"a\":1,\"b\":2,\"c\":3,\"d\":4}}");
    RawEvent count = raw("{\"key\":\"k\",\"ts\":3,\"values\":[1,2]}");
    harness.processElement(missing, 1);
    harness.processElement(extra, 2);
    harness.processElement(count, 3);
    harness.processBroadcastElement(new ModelRecord(TestModels.NAME, new byte[0], 1, 0), 4);
    RawEvent gone = event("k", 4, new double[] {1, 1, -2});
    harness.processElement(gone, 5);
    List<DeadLetter> dead = deadLetters();
    assertEquals(List.of(DeadLetterReason.MISSING_FEATURE, DeadLetterReason.EXTRA_FEATURE,
            DeadLetterReason.WRONG_FEATURE_COUNT, DeadLetterReason.UNKNOWN_MODEL),
        dead.stream().map(DeadLetter::reason).toList());
    assertArrayEquals(gone.original(), dead.get(3).original());
    assertEquals(List.of(), scored());
    // Publishing the model again (any version) brings it back.
    harness.processBroadcastElement(model(TestModels.v1()), 6);
    harness.processElement(event("k", 5, new double[] {1, 1, -2}), 7);
    assertEquals(1, scored().size());
  }

  /**
   * A withdrawal clears the withdrawn model's typicality windows: a model published later under the same
   * name may carry the same version number (any version is accepted after a withdrawal), and windows
   * kept from before would mix the two models' NLLs.
   */
  @Test
  void aWithdrawalClearsTheModelsWindowsSoAReplacementWithTheSameVersionStartsAfresh() throws Exception {
    open(settings(10, Duration.ofSeconds(60)));
    harness.processBroadcastElement(model(TestModels.v1()), 0);
    Random rng = new Random(5);
    for (int i = 0; i < 7; i++) {
      harness.processElement(event("k", i, TestModels.normal(rng)), i);
    }
    harness.processBroadcastElement(new ModelRecord(TestModels.NAME, new byte[0], 1, 0), 10);
    harness.processBroadcastElement(model(TestModels.v1()), 11);
    double[] f = TestModels.normal(rng);
    harness.processElement(event("k", 7, f), 12);
    ScoredEvent after = scored().get(7);
    assertEquals("1", after.modelVersion());
    assertTrue(Double.isNaN(after.typicality()[0].statistic()),
        "the 8-window holds one NLL, not seven from before the withdrawal and one after");
    ReferenceScorer fresh = new ReferenceScorer(TestModels.read(TestModels.v1()), RATE, WINDOWS, ALPHA);
    assertScores(fresh.next("k", f), after);
  }

  @Test
  void modelsTypicalityAndHeldEventsSurviveASnapshotAndRestore() throws Exception {
    ScoringSettings s = settings(10, Duration.ofSeconds(60));
    open(s);
    harness.processBroadcastElement(model(TestModels.v1()), 0);
    ReferenceScorer ref =
        new ReferenceScorer(TestModels.read(TestModels.v1()), RATE, WINDOWS, ALPHA);
    Random rng = new Random(4);
    for (int i = 0; i < 10; i++) {
      double[] f = TestModels.normal(rng);
      harness.processElement(event("k", i, f), i);
      ref.next("k", f);
    }
    RawEvent waiting = raw("{\"key\":\"w\",\"model\":\"later\",\"ts\":1,\"values\":[1,1,-2]}");
    harness.processElement(waiting, 11);
    OperatorSubtaskState snapshot = harness.snapshot(1, 12);
    harness.close();

    harness = new KeyedBroadcastOperatorTestHarness<>(
        new CoBroadcastWithKeyedOperator<>(ScoringFunction.forRawEvents(s), List.of(ScoringFunction.MODELS)),
        new FlowguardPipeline.EventKey(), Types.STRING, 1, 1, 0);
    harness.setup();
    harness.initializeState(snapshot);
    harness.open();
    double[] f = TestModels.normal(rng);
    harness.processElement(event("k", 10, f), 13);
    List<ScoredEvent> got = scored();
    assertEquals(1, got.size());
    assertScores(ref.next("k", f), got.get(0)); // the window continued across the restore
    harness.setProcessingTime(Duration.ofMinutes(2).toMillis());
    List<DeadLetter> dead = deadLetters();
    assertEquals(1, dead.size(), "the held event came back, with its timer");
    assertArrayEquals(waiting.original(), dead.get(0).original());
  }

  /**
   * Writes the scoring operator's state as Flowguard 0.1 did: the model in broadcast state and each
   * key's recent NLLs as a {@link KeyWindows} in the keyed state {@code typicality}.
   */
  static final class LegacyStateWriter
      extends KeyedBroadcastProcessFunction<String, RawEvent, ModelRecord, ScoredEvent> {
    private static final long serialVersionUID = 1L;
    private final double[] nlls;

    LegacyStateWriter(double[] nlls) {
      this.nlls = nlls;
    }

    @Override
    public void processElement(RawEvent raw, ReadOnlyContext ctx, Collector<ScoredEvent> out)
        throws Exception {
      getRuntimeContext().getState(new ValueStateDescriptor<>("typicality",
          TypeInformation.of(KeyWindows.class))).update(new KeyWindows(raw.model(), 1, nlls));
    }

    @Override
    public void processBroadcastElement(ModelRecord record, Context ctx,
        Collector<ScoredEvent> out) throws Exception {
      ctx.getBroadcastState(ScoringFunction.MODELS)
          .put(record.name(), new StoredModel(record.name(), 1, record.bytes()));
    }
  }

  @Test
  void typicalityStateOfTheOlderLayoutContinuesAfterARestore() throws Exception {
    ScoringSettings s = settings(10, Duration.ofSeconds(60));
    ReferenceScorer ref =
        new ReferenceScorer(TestModels.read(TestModels.v1()), RATE, WINDOWS, ALPHA);
    Random rng = new Random(9);
    double[] nlls = new double[40];
    for (int i = 0; i < nlls.length; i++) {
      nlls[i] = ref.next("k", TestModels.normal(rng)).nll();
    }
    // The layout of earlier versions kept the last max(window) NLLs.
    double[] kept = java.util.Arrays.copyOfRange(nlls, 40 - 32, 40);
    KeyedBroadcastOperatorTestHarness<String, RawEvent, ModelRecord, ScoredEvent> legacy =
        new KeyedBroadcastOperatorTestHarness<>(new CoBroadcastWithKeyedOperator<>(
            new LegacyStateWriter(kept), List.of(ScoringFunction.MODELS)),
            new FlowguardPipeline.EventKey(), Types.STRING, 1, 1, 0);
    legacy.setup();
    legacy.open();
    legacy.processBroadcastElement(model(TestModels.v1()), 0);
    legacy.processElement(event("k", 0, TestModels.normal(rng)), 1);
    OperatorSubtaskState snapshot = legacy.snapshot(1, 2);
    legacy.close();

    harness = new KeyedBroadcastOperatorTestHarness<>(new CoBroadcastWithKeyedOperator<>(
        ScoringFunction.forRawEvents(s), List.of(ScoringFunction.MODELS)),
        new FlowguardPipeline.EventKey(), Types.STRING, 1, 1, 0);
    harness.setup();
    harness.initializeState(snapshot);
    harness.open();
    for (int i = 0; i < 3; i++) {
      double[] f = TestModels.normal(rng);
      harness.processElement(event("k", 100 + i, f), 10 + i);
      assertScores(ref.next("k", f), scored().get(i));
    }
    assertFalse(Double.isNaN(scored().get(0).typicality()[1].statistic()),
        "the 32-event window was full from the converted state, not restarted");
  }
}

