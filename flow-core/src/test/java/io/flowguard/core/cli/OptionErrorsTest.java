package io.flowguard.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.model.ModelFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Option values out of range are usage errors found before any work, naming the option, the value and the
 * valid range; options a command would ignore are refused.
 */
class OptionErrorsTest {

  @TempDir
  static Path dir;

  static Path data;
  static Path model;

  @BeforeAll
  static void fixture() throws Exception {
    SplittableRandom rng = new SplittableRandom(3);
    StringBuilder b = new StringBuilder("a,b,label\n");
    for (int i = 0; i < 300; i++) {
      b.append(String.format(Locale.ROOT, "%.5f,%.5f,%d%n", rng.nextGaussian(), rng.nextGaussian(), i % 10 == 0 ? 1 : 0));
    }
    data = Files.writeString(dir.resolve("normal.csv"), b);
    model = dir.resolve("m.fgm");
    ModelFormat.write(CliRun.model("m"), model);
  }

  @Test
  void evaluateRefusesSeedAndPointsToSeeds() {
    CliRun.of("evaluate", "--data", data.toString(), "--label-column", "label", "--out", dir.resolve("e").toString(),
        "--seed", "7").assertUserError("--seeds");
    assertFalse(Files.exists(dir.resolve("e")), "nothing was evaluated");
  }

  @Test
  void evaluateHelpDoesNotListSeed() {
    CliRun r = CliRun.of("evaluate", "--help");
    assertTrue(r.out().contains("--seeds"), r.out());
    assertFalse(r.out().contains("--seed "), "--seed is train's option: " + r.out());
  }

  @Test
  void trainStillTakesSeed() {
    CliRun r = CliRun.of("train", "--help");
    assertTrue(r.out().contains("--seed=N"), r.out());
  }

  @ParameterizedTest
  @CsvSource({
      "--patience, 0, '--patience must be at least 1, got 0'",
      "--batch, 0, '--batch must be at least 1, got 0'",
      "--epochs, 0, '--epochs must be at least 1, got 0'",
      "--clip, -1, '--clip must be a number >= 0 (0 disables clipping), got -1.0'",
      "--lr, 0, '--lr must be a number > 0, got 0.0'",
      "--noise, -0.5, '--noise must be a number >= 0 (0 disables the noise), got -0.5'",
      "--weight-decay, NaN, '--weight-decay must be a number >= 0, got NaN'",
      "--validation, 1, '--validation must be in [0, 1) (0 trains on every row), got 1.0'",
      "--averaging, 1.5, '--averaging must be in [0, 1) (0 disables averaging), got 1.5'",
      "--noise-schedule, steep, '--noise-schedule must be one of constant, linear, cosine, got steep'",
      "--calibration, 1.5, '--calibration must be a fraction in (0, 1), got 1.5'",
      "--calibration, 0, '--calibration must be a fraction in (0, 1), got 0.0'",
      "--model-version, 0, '--model-version must be at least 1, got 0'",
  })
  void trainOptionOutOfRangeNamesTheOptionValueAndRange(String option, String value, String message) {
    Path out = dir.resolve("never.fgm");
    CliRun.of("train", "--data", data.toString(), "--out", out.toString(), option, value).assertUserError(message);
    assertFalse(Files.exists(out));
  }

  @Test
  void evaluateChecksTheTrainingOptionsToo() {
    CliRun.of("evaluate", "--data", data.toString(), "--out", dir.resolve("e2").toString(), "--patience", "0")
        .assertUserError("--patience must be at least 1, got 0");
  }

  @Test
  void benchNeedsAtLeastOneRound() {
    CliRun.of("bench", "--model", model.toString(), "--rounds", "0").assertUserError("--rounds must be at least 1, got 0");
  }

  @Test
  void benchNeedsAtLeastOneEvent() {
    CliRun.of("bench", "--model", model.toString(), "--events", "-5").assertUserError("--events must be at least 1, got -5");
  }

  @Test
  void scoreAndReportStateTheFalseAlarmRateRangeAlike() {
    String expected = "--false-alarm-rate must be a probability in (0, 1), e.g. 0.001";
    CliRun.of("score", "--model", model.toString(), "--data", data.toString(), "--out", dir.resolve("s.csv").toString(),
        "--false-alarm-rate", "5").assertUserError(expected);
    CliRun.of("report", "--model", model.toString(), "--out", dir.resolve("r").toString(), "--false-alarm-rate", "5")
        .assertUserError(expected);
    assertFalse(Files.exists(dir.resolve("s.csv")) || Files.exists(dir.resolve("r")));
  }

  @Test
  void scorePrintsTheRateAsWritten() {
    CliRun r = CliRun.of("score", "--model", model.toString(), "--data", data.toString(), "--out",
        dir.resolve("rate.csv").toString(), "--false-alarm-rate", "0.001");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("at false-alarm rate 0.001 ("), r.out());
  }

  @ParameterizedTest
  @CsvSource({"0.001, 0.001", "0.01, 0.01", "1e-4, 0.0001", "1e-6, 1e-6", "2.5e-10, 2.5e-10", "0.05, 0.05"})
  void ratesPrintAsPeopleWriteThem(double rate, String printed) {
    assertEquals(printed, Rates.format(rate));
  }

  @Test
  void badSpecJsonSaysWhatAndWhereWithoutParserInternals() {
    CliRun r = CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("never.fgm").toString(), "--ignore",
        "label", "--spec", "{bad");
    r.assertUserError("--spec: not valid JSON (Unexpected character ('b' (code 98)): was expecting double-quote to"
        + " start field name at line 1, column 2)");
    assertFalse(r.err().contains("REDACTED") || r.err().contains("Feature"), r.err());
  }

  @Test
  void specTextAfterTheObjectIsInvalidJson() {
    CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("never.fgm").toString(), "--ignore", "label",
        "--spec", "{\"family\": \"maf\"} x").assertUserError("--spec: not valid JSON (Unrecognized token 'x'");
  }

  @Test
  void anUnknownSpecFieldListsTheFieldsInsteadOfJavaClasses() {
    CliRun r = CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("never.fgm").toString(), "--ignore",
        "label", "--spec", "{\"family\": \"maf\", \"layer\": 3}");
    r.assertUserError("--spec: invalid flow spec: unknown field \"layer\"; the fields are actNorm, activation, base,");
    assertFalse(r.err().contains("io.flowguard"), r.err());
  }

  @Test
  void aSpecFieldOfTheWrongTypeSaysWhatItMustBe() {
    CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("never.fgm").toString(), "--ignore", "label",
        "--spec", "{\"family\": \"maf\", \"hidden\": [\"wide\"]}")
        .assertUserError("--spec: invalid flow spec: field \"hidden[0]\" must be an integer");
  }
}
