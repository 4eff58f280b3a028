package io.flowguard.sql;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way a {@code CREATE MODEL ... 'provider' = 'flowguard'} statement can disagree with its model
 * fails the query at planning time (no job is started), with a message naming both sides.
 */
@Timeout(120)
class PlanningErrorTest {

  @TempDir Path dir;
  private TableEnvironment tEnv;
  private Path model;

  @BeforeEach
  void setUp() throws Exception {
    model = dir.resolve("pump.fgm");
    Files.write(model, SqlTestModels.v1());
    tEnv = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
    tEnv.executeSql("CREATE TEMPORARY VIEW events AS SELECT * FROM (VALUES "
        + "(CAST(60 AS DOUBLE), CAST(5 AS DOUBLE), CAST(10 AS DOUBLE), 'a')) "
        + "AS t(temp, pressure, flow, label)");
  }

  /** Plans {@code ML_PREDICT} over {@code events} with the model declared by the given clauses. */
  private String planningError(String inputOutput, String with, String descriptor) {
    tEnv.executeSql("CREATE MODEL detector " + inputOutput + " WITH ('provider' = 'flowguard'" + with + ")");
    Throwable t = assertThrows(Throwable.class, () -> tEnv.explainSql(
        "SELECT * FROM ML_PREDICT(TABLE events, MODEL detector, DESCRIPTOR(" + descriptor + "))"));
    StringBuilder messages = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      messages.append(c.getMessage()).append('\n');
    }
    return messages.toString();
  }

  private String planningError(String inputOutput, String with) {
    return planningError(inputOutput, with, "temp, pressure, flow");
  }

  private String at(Path p) {
    return ", 'path' = '" + p.toUri() + "'";
  }

  private static void assertMentions(String message, String... parts) {
    for (String part : parts) {
      assertTrue(message.contains(part), "expected <" + part + "> in:\n" + message
          + "\n(all expected: " + Arrays.toString(parts) + ")");
    }
  }

  @Test
  void inputNamesThatAreNotFeaturesNameBothSides() {
    String m = planningError("INPUT (temp DOUBLE, pres DOUBLE, flow DOUBLE) OUTPUT (nll DOUBLE)", at(model));
    assertMentions(m, "INPUT columns [temp, pres, flow]", "Flowguard model 'pump' v1",
        "[temp, pressure, flow]", "Not features of the model: [pres]", "Missing from INPUT: [pressure]");
  }

  @Test
  void inputNamesDifferingOnlyInCaseGetAHint() {
    String m = planningError("INPUT (Temp DOUBLE, pressure DOUBLE, flow DOUBLE) OUTPUT (nll DOUBLE)",
        at(model));
    assertMentions(m, "did you mean Temp -> temp");
  }

  @Test
  void fewerInputColumnsThanFeaturesNameBothCounts() {
    String m = planningError("INPUT (temp DOUBLE, pressure DOUBLE) OUTPUT (nll DOUBLE)", at(model),
        "temp, pressure");
    assertMentions(m, "[temp, pressure] (2)", "[temp, pressure, flow] (3)", "Missing from INPUT: [flow]");
  }

  @Test
  void nonNumericInputColumnIsRefused() {
    String m = planningError("INPUT (temp DOUBLE, pressure DOUBLE, flow STRING) OUTPUT (nll DOUBLE)",
        at(model), "temp, pressure, label");
    assertMentions(m, "INPUT column(s) [flow STRING] are not numeric", "Flowguard model 'pump' v1",
        "[temp, pressure, flow]");
  }

  @Test
  void unknownOutputColumnIsRefusedWithTheColumnsOnOffer() {
    String m = planningError("INPUT (temp DOUBLE, pressure DOUBLE, flow DOUBLE) "
        + "OUTPUT (nll DOUBLE, score DOUBLE)", at(model));
    assertMentions(m, "unknown column score", "log_density DOUBLE, nll DOUBLE, tail_probability DOUBLE, "
        + "anomaly BOOLEAN, reason STRING");
  }

  @Test
  void outputColumnOfTheWrongTypeIsRefused() {
    String m = planningError("INPUT (temp DOUBLE, pressure DOUBLE, flow DOUBLE) OUTPUT (anomaly DOUBLE)",
        at(model));
    assertMentions(m, "anomaly DOUBLE must be BOOLEAN");
  }

  @Test
  void missingModelFileNamesThePath() {
    Path absent = dir.resolve("absent.fgm");
    String m = planningError("INPUT (temp DOUBLE, pressure DOUBLE, flow DOUBLE) OUTPUT (nll DOUBLE)",
        at(absent));
    assertMentions(m, "CREATE MODEL", "detector", "no model file or directory at '" + absent.toUri());
  }

  @Test
  void corruptModelFileSaysWhatIsWrong() throws Exception {
    byte[] bytes = SqlTestModels.v1();
    Path corrupt = dir.resolve("corrupt.fgm");
    Files.write(corrupt, Arrays.copyOf(bytes, bytes.length / 2));
    String m = planningError("INPUT (temp DOUBLE, pressure DOUBLE, flow DOUBLE) OUTPUT (nll DOUBLE)",
        at(corrupt));
    assertMentions(m, "detector", "corrupt.fgm' is not a valid Flowguard model", "cut off");
  }

  @Test
  void falseAlarmRateOutsideZeroOneIsRefused() {
    String m = planningError("INPUT (temp DOUBLE, pressure DOUBLE, flow DOUBLE) OUTPUT (nll DOUBLE)",
        at(model) + ", 'false-alarm-rate' = '1.5'");
    assertMentions(m, "'false-alarm-rate' must be in (0, 1), got 1.5");
  }

  @Test
  void misspeltOptionIsRefusedByFlinkWithTheSupportedOnes() {
    String m = planningError("INPUT (temp DOUBLE, pressure DOUBLE, flow DOUBLE) OUTPUT (nll DOUBLE)",
        at(model) + ", 'false.alarm.rate' = '0.01'");
    assertMentions(m, "false.alarm.rate", "false-alarm-rate");
  }

  @Test
  void directoryWithSeveralModelNamesNeedsModelName() throws Exception {
    Files.write(dir.resolve("fan.fgm"), SqlTestModels.train("fan", 1, 33L));
    String m = planningError("INPUT (temp DOUBLE, pressure DOUBLE, flow DOUBLE) OUTPUT (nll DOUBLE)", at(dir));
    assertMentions(m, "holds models named [fan, pump]", "'model-name'");
  }

  @Test
  void modelNameThatIsNotTheFilesModelIsRefused() {
    String m = planningError("INPUT (temp DOUBLE, pressure DOUBLE, flow DOUBLE) OUTPUT (nll DOUBLE)",
        at(model) + ", 'model-name' = 'fan'");
    assertMentions(m, "holds model 'pump', not the 'model-name' 'fan'");
  }

  @Test
  void aTimeAwareModelIsRefusedBecauseRowsCarryNoHistory() throws Exception {
    int n = 400;
    double[] x = new double[n * 3];
    long[] t = new long[n];
    java.util.Random rng = new java.util.Random(2);
    for (int i = 0; i < n; i++) {
      System.arraycopy(SqlTestModels.normal(rng), 0, x, i * 3, 3);
      t[i] = 1000L * i;
    }
    io.flowguard.core.data.Dataset ds = new io.flowguard.core.data.Dataset("ta", SqlTestModels.FEATURES, x, n);
    io.flowguard.core.model.FlowModel m = io.flowguard.core.model.ModelTrainer.trainInContext(
        io.flowguard.core.context.EventSequence.series(ds, t), io.flowguard.core.context.ContextSpec.ofWindow(2),
        new io.flowguard.core.model.ModelTrainer.Options("pump", 1,
            io.flowguard.core.flow.FlowSpec.of(io.flowguard.core.flow.FlowSpec.MAF, 3).withLayers(1).withHidden(8),
            io.flowguard.core.train.TrainingConfig.defaults().withSteps(20), 0.25),
        io.flowguard.core.train.TrainingListener.NONE).model();
    Path timeAware = dir.resolve("time-aware.fgm");
    io.flowguard.core.model.ModelFormat.write(m, timeAware);
    String msg = planningError("INPUT (temp DOUBLE, pressure DOUBLE, flow DOUBLE) OUTPUT (nll DOUBLE)", at(timeAware));
    assertMentions(msg, "is time-aware", "2 previous events", "DataStream API");
  }
}
