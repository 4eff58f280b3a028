package io.flowguard.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.connectors.event.DeadLetterReason;
import io.flowguard.core.context.KeyHistory;
import io.flowguard.core.score.Scorer;
import io.flowguard.flink.scoring.ScoringFunction;
import io.flowguard.flink.scoring.ScoringKernel;
import io.flowguard.flink.scoring.ScoringSettings;
import io.flowguard.connectors.model.ModelRecord;
import io.flowguard.job.Expectations;
import io.flowguard.job.JobTests;
import io.flowguard.job.TestModels;
import io.flowguard.job.TimeAwareModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.apache.flink.util.OutputTag;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The DataStream API on a real MiniCluster, with the user's own event types. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class FlowguardScoringTest {

  static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension
  static final MiniClusterExtension CLUSTER = JobTests.miniCluster(REPORTER);

  // The operator and the reference run the same kernel on the same doubles.
  static final double SAME = 1e-9;

  /** A user's POJO: public fields, a no-argument constructor, features among other fields. */
  public static class Reading {
    public String machine;
    public String site;
    public double a;
    public double b;
    public Double c;

    public Reading() {}

    Reading(String machine, double a, double b, Double c) {
      this.machine = machine;
      this.site = "plant-1";
      this.a = a;
      this.b = b;
      this.c = c;
    }
  }

  /** A user's record type. */
  public record Sample(String machine, double a, double b, double c) {}

  static Path modelFile(Path dir, byte[] bytes) throws Exception {
    Path file = dir.resolve("default.fgm");
    Files.write(file, bytes);
    return file;
  }

  static <X> List<X> drain(CloseableIterator<X> it) throws Exception {
    List<X> out = new ArrayList<>();
    try (it) {
      it.forEachRemaining(out::add);
    }
    return out;
  }

  @Test
  void pojoEventsAreScoredExactlyAsTheScorerScoresThem(@TempDir Path dir) throws Exception {
    Random rng = new Random(3);
    List<Reading> readings = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      double[] f = TestModels.normal(rng);
      readings.add(new Reading("m" + (i % 4), f[0], f[1], f[2]));
    }
    StreamExecutionEnvironment env = JobTests.environment(1);
    DataStream<Reading> events = env.fromData(readings);
    ScoredStreams<Scored<Reading>, Rejected<Reading>> out = FlowguardScoring.of(events)
        .keyBy(r -> r.machine)
        .features(FeatureExtractor.pojo(Reading.class))
        .model(TestModels.NAME)
        .modelSource(ModelSource.file(modelFile(dir, TestModels.v1()).toString()))
        .falseAlarmRate(0.01)
        .build();
    CloseableIterator<Scored<Reading>> scores = out.scores().collectAsync();
    CloseableIterator<Rejected<Reading>> rejected = out.rejected().collectAsync();
    env.execute("pojo-scoring");
    List<Scored<Reading>> got = drain(scores);
    assertEquals(List.of(), drain(rejected));
    assertEquals(300, got.size());

    Scorer scorer = new Scorer(TestModels.read(TestModels.v1()), 0.01);
    Scorer.Score want = new Scorer.Score();
    for (Scored<Reading> s : got) {
      Reading r = s.event();
      assertTrue(scorer.score(new double[] {r.a, r.b, r.c}, want));
      assertEquals(want.logDensity, s.logDensity(), SAME);
      assertEquals(want.tailProbability, s.tailProbability(), SAME);
      assertEquals(want.anomaly, s.anomaly());
      assertEquals(r.machine, s.key());
      assertEquals(1, s.modelVersion());
      assertEquals("plant-1", r.site, "the user's event comes out whole");
      assertEquals(2, s.typicality().length);
    }
  }

  /** A user's POJO with its own event time. */
  public static class Tick {
    public String machine;
    public long time;
    public double a;
    public double b;
    public double c;

    public Tick() {}

    Tick(String machine, long time, double[] f) {
      this.machine = machine;
      this.time = time;
      this.a = f[0];
      this.b = f[1];
      this.c = f[2];
    }
  }

  @Test
  void aTimeAwareModelScoresEachPojoGivenItsKeysPreviousEventsByTheirEventTime(@TempDir Path dir)
      throws Exception {
    List<Tick> ticks = new ArrayList<>();
    for (Expectations.Sent s : TimeAwareModels.events(3, 50, 1_700_000_000_000L, 100, 8)) {
      ticks.add(new Tick(s.key(), s.ts(), s.features()));
    }
    StreamExecutionEnvironment env = JobTests.environment(1);
    ScoredStreams<Scored<Tick>, Rejected<Tick>> out = FlowguardScoring.of(env.fromData(ticks))
        .keyBy(t -> t.machine)
        .eventTime(t -> t.time)
        .features(FeatureExtractor.pojo(Tick.class))
        .model(TestModels.NAME)
        .modelSource(ModelSource.file(modelFile(dir, TimeAwareModels.v1()).toString()))
        .falseAlarmRate(0.01)
        .build();
    CloseableIterator<Scored<Tick>> scores = out.scores().collectAsync();
    CloseableIterator<Rejected<Tick>> rejected = out.rejected().collectAsync();
    env.execute("time-aware-pojo-scoring");
    Map<Long, Scored<Tick>> got = new HashMap<>();
    for (Scored<Tick> s : drain(scores)) {
      assertEquals(null, got.put(s.event().time, s), "scored once");
    }
    assertEquals(List.of(), drain(rejected));
    assertEquals(ticks.size(), got.size());

    // The reference: each key's events in order through Scorer.scoreInContext with the key's history.
    Scorer scorer = new Scorer(TestModels.read(TimeAwareModels.v1()), 0.01);
    Map<String, KeyHistory> histories = new HashMap<>();
    Scorer.Score want = new Scorer.Score();
    int warming = 0;
    for (Tick t : ticks) {
      KeyHistory h = histories.computeIfAbsent(t.machine, k -> scorer.newHistory());
      assertTrue(scorer.scoreInContext(new double[] {t.a, t.b, t.c}, 0, 3, h, t.time, null, 0, want));
      Scored<Tick> s = got.get(t.time);
      assertEquals(t.machine, s.key());
      assertEquals(want.logDensity, s.logDensity(), SAME);
      assertEquals(want.tailProbability, s.tailProbability(), SAME);
      assertEquals(want.anomaly, s.anomaly());
      assertEquals(want.historyEvents, s.historyEvents());
      assertEquals(want.warmingUp, s.warmingUp());
      warming += s.warmingUp() ? 1 : 0;
    }
    assertEquals(3 * TimeAwareModels.WINDOW, warming, "each key warms up over its first k events");
  }

  @Test
  void badEventsAreRejectedWithTheirReasonAndNothingIsLost(@TempDir Path dir) throws Exception {
    List<Sample> samples = List.of(
        new Sample("m1", 1, 0.8, -2),
        new Sample("m1", Double.NaN, 0.8, -2),        // non-finite
        new Sample(null, 1, 0.8, -2),                 // no key
        new Sample("boom", 1, 0.8, -2),               // the feature function throws
        new Sample("m2", 1, 0.9, -1));
    StreamExecutionEnvironment env = JobTests.environment(1);
    ScoredStreams<Scored<Sample>, Rejected<Sample>> out = FlowguardScoring.of(env.fromData(samples))
        .keyBy(Sample::machine)
        .features(FeatureExtractor.array(s -> {
          if (s.machine() != null && s.machine().equals("boom")) {
            throw new IllegalStateException("sensor offline");
          }
          return new double[] {s.a(), s.b(), s.c()};
        }))
        .model(TestModels.NAME)
        .modelSource(ModelSource.file(modelFile(dir, TestModels.v1()).toString()))
        .typicalityWindows()
        .build();
    CloseableIterator<Scored<Sample>> scores = out.scores().collectAsync();
    CloseableIterator<Rejected<Sample>> rejected = out.rejected().collectAsync();
    env.execute("bad-input");
    List<Scored<Sample>> got = drain(scores);
    Map<String, DeadLetterReason> why = new HashMap<>();
    for (Rejected<Sample> r : drain(rejected)) {
      why.put(String.valueOf(r.event().machine()) + "/" + r.event().a(), r.reason());
    }
    assertEquals(2, got.size(), "the two good events");
    assertEquals(Map.of(
        "m1/NaN", DeadLetterReason.NON_FINITE_FEATURE,
        "null/1.0", DeadLetterReason.EXTRACTOR_FAILED,
        "boom/1.0", DeadLetterReason.EXTRACTOR_FAILED), why);
  }

  @Test
  void namedRowsAndMapsAreReadByFeatureName(@TempDir Path dir) throws Exception {
    StreamExecutionEnvironment env = JobTests.environment(1);
    Row row = Row.withNames();
    row.setField("c", -2.0);
    row.setField("a", 1.0);
    row.setField("b", 0.8);
    row.setField("site", "ignored");
    ScoredStreams<Scored<Row>, Rejected<Row>> out = FlowguardScoring.of(
            env.fromData(TypeInformation.of(Row.class), row))
        .features(FeatureExtractor.row())
        .model(TestModels.NAME)
        .modelSource(ModelSource.file(modelFile(dir, TestModels.v1()).toString()))
        .build();
    CloseableIterator<Scored<Row>> scores = out.scores().collectAsync();
    env.execute("rows");
    List<Scored<Row>> got = drain(scores);
    Scorer.Score want = new Scorer.Score();
    new Scorer(TestModels.read(TestModels.v1()), 1e-3).score(new double[] {1.0, 0.8, -2.0}, want);
    assertEquals(1, got.size());
    assertEquals(want.logDensity, got.get(0).logDensity(), SAME);

    FeatureExtractor.Bound<Map<String, Object>> fromMap =
        FeatureExtractor.<Map<String, Object>>map().bind(TestModels.FEATURES);
    double[] f = new double[3];
    fromMap.extract(Map.of("b", 0.8, "a", 1, "c", -2L, "other", "x"), f);
    assertEquals(List.of(1.0, 0.8, -2.0), List.of(f[0], f[1], f[2]));
    FeatureException missing = assertThrows(FeatureException.class,
        () -> fromMap.extract(Map.of("a", 1.0, "b", 2.0), f));
    assertEquals(DeadLetterReason.MISSING_FEATURE, missing.reason());
  }

  @Test
  void aMissingOrCorruptModelFileFailsTheJobsConstructionNamingTheFile(@TempDir Path dir)
      throws Exception {
    IllegalArgumentException corrupt = assertThrows(IllegalArgumentException.class,
        () -> ModelSource.file(Files.writeString(dir.resolve("x.fgm"), "not a model").toString()));
    assertTrue(corrupt.getMessage().contains("x.fgm"), corrupt.getMessage());
    Exception missing = assertThrows(RuntimeException.class,
        () -> ModelSource.file(dir.resolve("absent.fgm").toString()));
    assertTrue(missing.getMessage().contains("absent.fgm"), missing.getMessage());
  }

  @Test
  void aPojoWithoutAFeatureRejectsEveryEventOfThatModelWithTheMissingNames() {
    FeatureException e = assertThrows(FeatureException.class,
        () -> FeatureExtractor.pojo(Sample.class).bind(List.of("a", "b", "pressure")));
    assertEquals(DeadLetterReason.MISSING_FEATURE, e.reason());
    assertTrue(e.getMessage().contains("[pressure]"), e.getMessage());
  }


  @Test
  void aHigherModelVersionReplacesTheRunningOneForTheNextEvent() throws Exception {
    ScoringSettings settings = new ScoringSettings(0.01, new int[] {8}, 0.99, 10,
        java.time.Duration.ofSeconds(60), new io.flowguard.connectors.event.EventCodec(),
        ScoringKernel.FLOW);
    OutputTag<Rejected<Sample>> tag = new OutputTag<>("rejected",
        FlowguardScoring.rejectedType(TypeInformation.of(Sample.class)));
    ScoringFunction<Sample, Scored<Sample>, Rejected<Sample>> fn = new ScoringFunction<>(settings,
        TypeInformation.of(Sample.class), FeatureExtractor.pojo(Sample.class),
        ModelSelector.fixed(TestModels.NAME),
        Scored::of,
        Rejected::new, tag);
    try (KeyedBroadcastOperatorTestHarness<String, Sample, ModelRecord, Scored<Sample>> h =
        ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(fn,
            ScoringFunction.safeKeys(Sample::machine), Types.STRING, ScoringFunction.MODELS)) {
      Sample e = new Sample("m1", 1.0, 0.8, -2.0);
      h.processElement(e, 0); // before any model: held
      h.processBroadcastElement(new ModelRecord(TestModels.NAME, TestModels.v1(), 0, 0), 1);
      h.processElement(e, 2);
      h.processBroadcastElement(new ModelRecord(TestModels.NAME, TestModels.v2(), 1, 0), 3);
      h.processElement(e, 4);
      List<Scored<Sample>> got = h.extractOutputValues();
      double[] f = {1.0, 0.8, -2.0};
      Scorer.Score v1 = new Scorer.Score();
      Scorer.Score v2 = new Scorer.Score();
      new Scorer(TestModels.read(TestModels.v1()), 0.01).score(f, v1);
      new Scorer(TestModels.read(TestModels.v2()), 0.01).score(f, v2);
      assertEquals(List.of(1, 1, 2), got.stream().map(Scored::modelVersion).toList(),
          "the held event and the next one by v1, then v2");
      assertEquals(v1.logDensity, got.get(1).logDensity(), SAME);
      assertEquals(v2.logDensity, got.get(2).logDensity(), SAME);
      assertTrue(Math.abs(v1.logDensity - v2.logDensity) > 1e-6, "the versions differ");
      assertEquals(8, got.get(2).typicality()[0].window());
    }
  }

  static KeyedBroadcastOperatorTestHarness<String, Sample, ModelRecord, Scored<Sample>> harness(
      ScoringSettings settings) throws Exception {
    OutputTag<Rejected<Sample>> tag = new OutputTag<>("rejected",
        FlowguardScoring.rejectedType(TypeInformation.of(Sample.class)));
    return ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
        new ScoringFunction<>(settings, TypeInformation.of(Sample.class),
            FeatureExtractor.pojo(Sample.class), ModelSelector.fixed(TestModels.NAME), Scored::of,
            Rejected::new, tag),
        ScoringFunction.safeKeys(Sample::machine), Types.STRING, ScoringFunction.MODELS);
  }

  static ScoringSettings plain(double rate) {
    return new ScoringSettings(rate, new int[0], 0.99, 10, java.time.Duration.ofSeconds(60),
        new io.flowguard.connectors.event.EventCodec(), ScoringKernel.FLOW);
  }

  @Test
  void flaggedEventsCarryAnExplanationNamingTheFeatureThatBrokeAndOthersNone() throws Exception {
    try (var h = harness(plain(0.01).withExplanations(2, false, 1000))) {
      h.processBroadcastElement(new ModelRecord(TestModels.NAME, TestModels.v1(), 0, 0), 0);
      h.processElement(new Sample("m", 1.0, 0.8, -2.0), 1);   // typical
      h.processElement(new Sample("m", 1.0, 0.8, 25.0), 2);   // c ~ N(-2, 2): 13.5 sd out
      List<Scored<Sample>> got = h.extractOutputValues();
      assertTrue(!got.get(0).anomaly() && got.get(0).explanation().length == 0, "no explanation");
      Scored<Sample> odd = got.get(1);
      assertTrue(odd.anomaly());
      assertEquals(2, odd.explanation().length);
      assertEquals("c", odd.explanation()[0].feature());
      assertEquals(25.0, odd.explanation()[0].value(), 0.0);
      assertTrue(Math.abs(odd.explanation()[0].typical() + 2) < 3, "typical c near its mean -2: "
          + odd.explanation()[0].typical());
      assertTrue(odd.explanation()[0].contribution() > 10, "most of the surprise");
    }
  }

  @Test
  void explanationsOverThePerSecondCapSaySoInsteadOfCostingTime() throws Exception {
    try (var h = harness(plain(0.01).withExplanations(1, false, 1e-6))) {
      h.processBroadcastElement(new ModelRecord(TestModels.NAME, TestModels.v1(), 0, 0), 0);
      h.processElement(new Sample("m", 1.0, 0.8, 25.0), 1);
      h.processElement(new Sample("m", 1.0, 0.8, 26.0), 2);
      List<Scored<Sample>> got = h.extractOutputValues();
      assertEquals(1, got.get(0).explanation().length, "the bucket starts with one token");
      assertEquals(0, got.get(1).explanation().length);
      assertTrue(got.get(1).explanationNote().startsWith("not explained: over the cap"),
          got.get(1).explanationNote());
    }
  }

  @Test
  void aModelsOwnFalseAlarmRateOverridesTheDefault() throws Exception {
    Sample mild = new Sample("m", 1.0, 0.8, 2.5);
    Scorer.Score s = new Scorer.Score();
    new Scorer(TestModels.read(TestModels.v1()), 1e-3).score(new double[] {1.0, 0.8, 2.5}, s);
    assertTrue(s.tailProbability > 1e-3 && s.tailProbability < 0.5, "a mildly unusual event: "
        + s.tailProbability);
    try (var h = harness(plain(1e-3).withModelRates(Map.of(TestModels.NAME, 0.5), false))) {
      h.processBroadcastElement(new ModelRecord(TestModels.NAME, TestModels.v1(), 0, 0), 0);
      h.processElement(mild, 1);
      assertTrue(h.extractOutputValues().get(0).anomaly(), "flagged at the model's rate 0.5");
    }
    try (var h = harness(plain(1e-3))) {
      h.processBroadcastElement(new ModelRecord(TestModels.NAME, TestModels.v1(), 0, 0), 0);
      h.processElement(mild, 1);
      assertTrue(!h.extractOutputValues().get(0).anomaly(), "not flagged at the default 1e-3");
    }
  }
}

