package io.flowguard.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.model.FlowModel;
import io.flowguard.core.score.Scorer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** ML_PREDICT with the 'flowguard' provider on a real MiniCluster, streaming and batch. */
@Timeout(180)
class MlPredictTest {

  static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension
  static final MiniClusterExtension CLUSTER = new MiniClusterExtension(
      () -> new MiniClusterResourceConfiguration.Builder()
          .setConfiguration(REPORTER.addToConfiguration(new Configuration()))
          .setNumberTaskManagers(1)
          .setNumberSlotsPerTaskManager(2)
          .build());

  /**
   * SQL and the Scorer run the same float64 code on the same inputs, so they agree exactly; 1e-9 only
   * allows for a future reordering of sums.
   */
  static final double TOLERANCE = 1e-9;

  @TempDir Path dir;

  private StreamExecutionEnvironment env;

  StreamTableEnvironment tableEnv(boolean batch) {
    env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(2);
    return StreamTableEnvironment.create(env,
        batch ? EnvironmentSettings.inBatchMode() : EnvironmentSettings.inStreamingMode());
  }

  /** Registers view {@code events(id BIGINT, temp, pressure, flow DOUBLE)} from Java rows. */
  void events(StreamTableEnvironment tEnv, List<Row> rows) {
    TypeInformation<Row> type = Types.ROW_NAMED(new String[] {"id", "temp", "pressure", "flow"},
        Types.LONG, Types.DOUBLE, Types.DOUBLE, Types.DOUBLE);
    tEnv.createTemporaryView("events",
        tEnv.fromDataStream(env.fromData(rows, type)));
  }

  static List<Row> normalRows(int n, long seed) {
    Random rng = new Random(seed);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      double[] f = SqlTestModels.normal(rng);
      if (i % 50 == 0) {
        f[1] += 3; // some anomalies, so both anomaly values are seen
      }
      rows.add(Row.of((long) i, f[0], f[1], f[2]));
    }
    return rows;
  }

  Path writeModel(String file, byte[] bytes) throws Exception {
    Path p = dir.resolve(file);
    Files.write(p, bytes);
    return p;
  }

  static Map<Long, Row> collect(TableResult result) throws Exception {
    Map<Long, Row> byId = new HashMap<>();
    try (CloseableIterator<Row> it = result.collect()) {
      while (it.hasNext()) {
        Row r = it.next();
        byId.put((Long) r.getField("id"), r);
      }
    }
    return byId;
  }

  /** Scores 300 rows through ML_PREDICT and checks each against the Scorer. */
  void assertScoresEqualScorer(boolean batch) throws Exception {
    Path model = writeModel("pump.fgm", SqlTestModels.v1());
    StreamTableEnvironment tEnv = tableEnv(batch);
    List<Row> rows = normalRows(300, 5L);
    events(tEnv, rows);
    // INPUT deliberately in another order than the model's features (temp, pressure, flow).
    tEnv.executeSql("CREATE MODEL detector INPUT (flow DOUBLE, temp DOUBLE, pressure DOUBLE) "
        + "OUTPUT (anomaly BOOLEAN, log_density DOUBLE, nll DOUBLE, tail_probability DOUBLE, reason STRING) "
        + "WITH ('provider' = 'flowguard', 'path' = '" + model.toUri() + "', 'false-alarm-rate' = '0.01')");
    Map<Long, Row> out = collect(tEnv.executeSql("SELECT id, anomaly, log_density, nll, tail_probability, "
        + "reason FROM ML_PREDICT(TABLE events, MODEL detector, DESCRIPTOR(flow, temp, pressure))"));

    FlowModel flow = SqlTestModels.read(SqlTestModels.v1());
    Scorer scorer = new Scorer(flow, 0.01);
    Scorer.Score expected = new Scorer.Score();
    assertEquals(rows.size(), out.size());
    int anomalies = 0;
    for (Row in : rows) {
      double[] f = {(Double) in.getField(1), (Double) in.getField(2), (Double) in.getField(3)};
      assertTrue(scorer.score(f, expected));
      Row got = out.get((Long) in.getField(0));
      assertEquals(expected.logDensity, (Double) got.getField("log_density"), TOLERANCE);
      assertEquals(expected.nll, (Double) got.getField("nll"), TOLERANCE);
      assertEquals(expected.tailProbability, (Double) got.getField("tail_probability"), TOLERANCE);
      assertEquals(expected.anomaly, got.getField("anomaly"));
      assertNull(got.getField("reason"));
      anomalies += expected.anomaly ? 1 : 0;
    }
    assertTrue(anomalies > 0 && anomalies < rows.size(), "both outcomes seen: " + anomalies);
  }

  @Test
  void streamingScoresEqualScorer() throws Exception {
    assertScoresEqualScorer(false);
  }

  @Test
  void batchScoresEqualScorer() throws Exception {
    assertScoresEqualScorer(true);
  }

  @Test
  void nullAndNonFiniteFeaturesGiveNullScoresWithReasonAndCountInMetric() throws Exception {
    Path model = writeModel("pump.fgm", SqlTestModels.v1());
    StreamTableEnvironment tEnv = tableEnv(false);
    events(tEnv, List.of(
        Row.of(0L, 60.0, 5.0, 10.0),
        Row.of(1L, null, 5.0, 10.0),
        Row.of(2L, 60.0, Double.NaN, 10.0),
        Row.of(3L, 60.0, 5.0, Double.POSITIVE_INFINITY),
        Row.of(4L, 61.0, 5.1, 9.0)));
    tEnv.executeSql("CREATE MODEL detector INPUT (temp DOUBLE, pressure DOUBLE, flow DOUBLE) "
        + "OUTPUT (log_density DOUBLE, anomaly BOOLEAN, reason STRING) "
        + "WITH ('provider' = 'flowguard', 'path' = '" + model.toUri() + "')");
    TableResult result = tEnv.executeSql("SELECT id, log_density, anomaly, reason FROM "
        + "ML_PREDICT(TABLE events, MODEL detector, DESCRIPTOR(temp, pressure, flow))");
    JobID job = result.getJobClient().orElseThrow().getJobID();
    Map<Long, Row> out = collect(result);

    assertEquals(5, out.size(), "every row comes out, scored or not");
    for (long scored : new long[] {0, 4}) {
      assertTrue(Double.isFinite((Double) out.get(scored).getField("log_density")));
      assertNull(out.get(scored).getField("reason"));
    }
    assertEquals("NULL_FEATURE: temp", out.get(1L).getField("reason"));
    assertEquals("NON_FINITE_FEATURE: pressure=NaN", out.get(2L).getField("reason"));
    assertEquals("NON_FINITE_FEATURE: flow=Infinity", out.get(3L).getField("reason"));
    for (long unscored : new long[] {1, 2, 3}) {
      assertNull(out.get(unscored).getField("log_density"));
      assertNull(out.get(unscored).getField("anomaly"));
    }
    assertEquals(3, counter(job, "rowsUnscored"));
    assertEquals(2, counter(job, "rowsScored"));
  }

  @Test
  void anAnomalyHasAnExplanationColumnNamingTheFeatureThatBroke() throws Exception {
    Path model = writeModel("pump.fgm", SqlTestModels.v1());
    StreamTableEnvironment tEnv = tableEnv(false);
    events(tEnv, List.of(
        Row.of(0L, 60.0, 5.0, 10.0),
        Row.of(1L, 60.0, 5.0, 40.0))); // flow ~ N(10, 1): 30 sd out
    tEnv.executeSql("CREATE MODEL detector INPUT (temp DOUBLE, pressure DOUBLE, flow DOUBLE) "
        + "OUTPUT (anomaly BOOLEAN, explanation STRING) "
        + "WITH ('provider' = 'flowguard', 'path' = '" + model.toUri() + "')");
    Map<Long, Row> out = collect(tEnv.executeSql("SELECT id, anomaly, explanation FROM "
        + "ML_PREDICT(TABLE events, MODEL detector, DESCRIPTOR(temp, pressure, flow))"));
    assertEquals(false, out.get(0L).getField("anomaly"));
    assertNull(out.get(0L).getField("explanation"), "only anomalies are explained");
    assertEquals(true, out.get(1L).getField("anomaly"));
    com.fasterxml.jackson.databind.JsonNode e = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree((String) out.get(1L).getField("explanation"));
    assertEquals("flow", e.at("/explanation/0/feature").asText(), e.toString());
    assertEquals(40.0, e.at("/explanation/0/value").asDouble(), 0.0);
  }

  @Test
  void integerTableColumnsAreCastToTheDeclaredInputTypes() throws Exception {
    Path model = writeModel("pump.fgm", SqlTestModels.v1());
    StreamTableEnvironment tEnv = tableEnv(false);
    tEnv.createTemporaryView("ints", tEnv.sqlQuery(
        "SELECT * FROM (VALUES (CAST(1 AS BIGINT), 60, CAST(5.0 AS FLOAT), CAST(10.25 AS DECIMAL(6, 2)))) "
            + "AS t(id, temp, pressure, flow)"));
    tEnv.executeSql("CREATE MODEL detector INPUT (temp DOUBLE, pressure DOUBLE, flow DECIMAL(6, 2)) "
        + "OUTPUT (log_density DOUBLE) WITH ('provider' = 'flowguard', 'path' = '" + model.toUri() + "')");
    Map<Long, Row> out = collect(tEnv.executeSql("SELECT id, log_density FROM "
        + "ML_PREDICT(TABLE ints, MODEL detector, DESCRIPTOR(temp, pressure, flow))"));
    Scorer.Score expected = new Scorer.Score();
    new Scorer(SqlTestModels.read(SqlTestModels.v1()), 0.001).score(new double[] {60, 5, 10.25}, expected);
    assertEquals(expected.logDensity, (Double) out.get(1L).getField("log_density"), TOLERANCE);
  }

  @Test
  void directoryPathScoresWithTheNewestVersion() throws Exception {
    writeModel("pump-v1.fgm", SqlTestModels.v1());
    writeModel("pump-v2.fgm", SqlTestModels.v2());
    writeModel("_partial.fgm", new byte[] {1, 2, 3});
    StreamTableEnvironment tEnv = tableEnv(false);
    events(tEnv, normalRows(5, 9L));
    tEnv.executeSql("CREATE MODEL detector INPUT (temp DOUBLE, pressure DOUBLE, flow DOUBLE) "
        + "OUTPUT (model_name STRING, model_version INT, log_density DOUBLE) "
        + "WITH ('provider' = 'flowguard', 'path' = '" + dir.toUri() + "', 'model-name' = 'pump')");
    Map<Long, Row> out = collect(tEnv.executeSql("SELECT id, model_name, model_version, log_density FROM "
        + "ML_PREDICT(TABLE events, MODEL detector, DESCRIPTOR(temp, pressure, flow))"));
    Scorer v2 = new Scorer(SqlTestModels.read(SqlTestModels.v2()), 0.001);
    Scorer.Score expected = new Scorer.Score();
    for (Row in : normalRows(5, 9L)) {
      Row got = out.get((Long) in.getField(0));
      assertEquals("pump", got.getField("model_name"));
      assertEquals(2, got.getField("model_version"));
      v2.score(new double[] {(Double) in.getField(1), (Double) in.getField(2), (Double) in.getField(3)},
          expected);
      assertEquals(expected.logDensity, (Double) got.getField("log_density"), TOLERANCE);
    }
  }

  @Test
  void refreshSwitchesToAChangedCompatibleModelAndKeepsTheOldOneOverAnIncompatibleOne() throws Exception {
    Path model = writeModel("pump.fgm", SqlTestModels.v1());
    StreamTableEnvironment tEnv = tableEnv(false);
    env.setParallelism(1);
    TypeInformation<Row> type = Types.ROW_NAMED(new String[] {"id", "temp", "pressure", "flow"},
        Types.LONG, Types.DOUBLE, Types.DOUBLE, Types.DOUBLE);
    // A slow stream (one row per 5 ms, up to 2 minutes) so that the query is still running when the
    // file changes.
    tEnv.createTemporaryView("events", tEnv.fromDataStream(env.fromSequence(0, 24_000)
        .map(i -> {
          Thread.sleep(5);
          return Row.of(i, 60.0, 5.0, 10.0);
        }).returns(type)));
    tEnv.executeSql("CREATE MODEL detector INPUT (temp DOUBLE, pressure DOUBLE, flow DOUBLE) "
        + "OUTPUT (model_version INT, log_density DOUBLE) WITH ('provider' = 'flowguard', "
        + "'path' = '" + model.toUri() + "', 'refresh-interval' = '100 ms')");
    TableResult result = tEnv.executeSql("SELECT id, model_version, log_density FROM "
        + "ML_PREDICT(TABLE events, MODEL detector, DESCRIPTOR(temp, pressure, flow))");
    JobID job = result.getJobClient().orElseThrow().getJobID();
    double v2LogDensity = scoreOf(SqlTestModels.v2(), 60.0, 5.0, 10.0);
    try (CloseableIterator<Row> it = result.collect()) {
      assertEquals(1, it.next().getField("model_version"));
      replace(model, SqlTestModels.train("pump", 3, 44L, List.of("temp", "pressure", "rpm")));
      while (counter(job, "modelRefreshesRefused") == 0) {
        assertEquals(1, it.next().getField("model_version"), "an incompatible model is never used");
      }
      replace(model, SqlTestModels.v2());
      Row row = it.next();
      while ((Integer) row.getField("model_version") == 1) {
        row = it.next();
      }
      assertEquals(2, row.getField("model_version"));
      assertEquals(v2LogDensity, (Double) row.getField("log_density"), TOLERANCE);
    }
    assertEquals(1, counter(job, "modelRefreshes"));
  }

  private static double scoreOf(byte[] model, double... features) {
    Scorer.Score s = new Scorer.Score();
    new Scorer(SqlTestModels.read(model), 0.001).score(features, s);
    return s.logDensity;
  }

  /** Replaces a model file atomically, as docs/sql.md tells users to. */
  private void replace(Path target, byte[] bytes) throws Exception {
    Path tmp = dir.resolve(".next.fgm.tmp");
    Files.write(tmp, bytes);
    Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  static long counter(JobID job, String name) {
    long sum = 0;
    for (Metric m : REPORTER.findMetrics(job, "\\.flowguard\\." + name + "$").values()) {
      sum += ((Counter) m).getCount();
    }
    return sum;
  }

  @Test
  void sessionFalseAlarmRateIsUsedWhenTheWithClauseHasNone() throws Exception {
    Path model = writeModel("pump.fgm", SqlTestModels.v1());
    StreamTableEnvironment tEnv = tableEnv(false);
    tEnv.getConfig().set(FlowguardModelOptions.JOB_FALSE_ALARM_RATE_KEY, "0.5");
    events(tEnv, normalRows(40, 3L));
    tEnv.executeSql("CREATE MODEL detector INPUT (temp DOUBLE, pressure DOUBLE, flow DOUBLE) "
        + "OUTPUT (tail_probability DOUBLE, anomaly BOOLEAN) "
        + "WITH ('provider' = 'flowguard', 'path' = '" + model.toUri() + "')");
    Map<Long, Row> out = collect(tEnv.executeSql("SELECT id, tail_probability, anomaly FROM "
        + "ML_PREDICT(TABLE events, MODEL detector, DESCRIPTOR(temp, pressure, flow))"));
    for (Row r : out.values()) {
      assertEquals((Double) r.getField("tail_probability") < 0.5, r.getField("anomaly"));
    }
    assertFalse(out.isEmpty());
  }
}
