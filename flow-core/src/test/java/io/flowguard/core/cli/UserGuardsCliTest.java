package io.flowguard.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalDouble;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guards of issue 16 against silent mistakes a new user makes with the CLI: id-like and label-like
 * columns, too few rows, unknown output formats, non-finite numbers in JSON lines, one bad row failing a
 * file, other delimiters, gzip input, a data file given as the model, a misspelt option, and the
 * recommended false-alarm rate stored by {@code train --recommend-rate}.
 */
class UserGuardsCliTest {

  @TempDir
  static Path dir;

  static Path model;
  static Path data;

  @BeforeAll
  static void fixture() throws Exception {
    model = dir.resolve("m.fgm");
    ModelFormat.write(CliRun.model("m"), model);
    data = Files.writeString(dir.resolve("events.csv"), gaussianRows(50, 1));
  }

  private static String gaussianRows(int n, long seed) {
    StringBuilder b = new StringBuilder("a,b\n");
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = 0; i < n; i++) {
      b.append(rng.nextGaussian()).append(',').append(rng.nextGaussian()).append('\n');
    }
    return b.toString();
  }

  @Test
  void trainWarnsAboutAnIdColumnAndALabelColumn() throws Exception {
    StringBuilder b = new StringBuilder("id,x,y,label\n");
    SplittableRandom rng = new SplittableRandom(2);
    for (int i = 0; i < 300; i++) {
      b.append(i).append(',').append(rng.nextGaussian()).append(',').append(rng.nextGaussian()).append(',')
          .append(i % 50 == 0 ? 1 : 0).append('\n');
    }
    Path file = Files.writeString(dir.resolve("with-id.csv"), b);
    CliRun r = CliRun.of("train", "--data", file.toString(), "--out", dir.resolve("id.fgm").toString(), "--no-report",
        "--epochs", "2");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("column 'id' looks like a row id") && r.err().contains("--ignore id"), r.err());
    assertTrue(r.err().contains("column 'label' looks like a label") && r.err().contains("--ignore label"), r.err());
    assertFalse(r.err().contains("column 'x' looks like"), r.err());
  }

  @Test
  void trainWarnsWhenFewRowsCalibrateTheThreshold() throws Exception {
    Path file = Files.writeString(dir.resolve("small.csv"), gaussianRows(200, 3));
    CliRun r = CliRun.of("train", "--data", file.toString(), "--out", dir.resolve("small.fgm").toString(),
        "--no-report", "--epochs", "2");
    assertEquals(0, r.code(), r.err());
    // 20 % of 200 rows: 40 calibration rows, below the 200 the warning asks for.
    assertTrue(r.err().contains("only 40 rows calibrate the threshold"), r.err());
  }

  @Test
  void trainWarnsWhenTheRowsAreFewForTheParameterCount() throws Exception {
    Path file = Files.writeString(dir.resolve("tiny.csv"), gaussianRows(60, 4));
    CliRun r = CliRun.of("train", "--data", file.toString(), "--out", dir.resolve("tiny.fgm").toString(),
        "--no-report", "--epochs", "2");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("rows are few for this model"), r.err());
  }

  @Test
  void trainStoresARecommendedRateThatTheModelReturns() throws Exception {
    Path out = dir.resolve("rated.fgm");
    CliRun r = CliRun.of("train", "--data", Files.writeString(dir.resolve("r.csv"), gaussianRows(300, 5)).toString(),
        "--out", out.toString(), "--no-report", "--epochs", "2", "--recommend-rate", "0.02");
    assertEquals(0, r.code(), r.err());
    FlowModel m = ModelFormat.read(out);
    assertEquals(OptionalDouble.of(0.02), m.recommendedFalseAlarmRate());
    assertEquals(OptionalDouble.empty(), ModelFormat.read(model).recommendedFalseAlarmRate(), "absent unless given");
    CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("x.fgm").toString(), "--recommend-rate", "2")
        .assertUserError("--recommend-rate must be a probability in (0, 1)");
  }

  @Test
  void scoreRefusesAnOutputFormatItDoesNotWrite() {
    CliRun.of("score", "--model", model.toString(), "--data", data.toString(), "--out",
        dir.resolve("x.parquet").toString()).assertUserError("unknown output format '.parquet'");
    assertFalse(Files.exists(dir.resolve("x.parquet")));
  }

  @Test
  void jsonLinesOutputHasNoInfinityOrNaN() throws Exception {
    Path in = Files.writeString(dir.resolve("huge.csv"), "a,b\n1e308,-1e308\n0.1,0.2\n");
    Path out = dir.resolve("huge.jsonl");
    CliRun r = CliRun.of("score", "--model", model.toString(), "--data", in.toString(), "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    String text = Files.readString(out);
    assertFalse(text.contains("Infinity") || text.contains("NaN"), text);
    ObjectMapper json = new ObjectMapper();
    List<String> lines = text.lines().toList();
    JsonNode far = json.readTree(lines.get(0));
    assertTrue(far.get("nll").isNull() || far.get("nll").isNumber(), text);
    if (far.get("nll").isNull()) {
      assertEquals("+inf", far.get("nll_nonfinite").asText(), text);
    }
    assertTrue(json.readTree(lines.get(1)).get("nll").isNumber());
    assertFalse(json.readTree(lines.get(1)).has("nll_nonfinite"));
  }

  @Test
  void skipInvalidScoresTheRestAndListsTheRejectedRows() throws Exception {
    Path in = Files.writeString(dir.resolve("bad.csv"), "a,b\n0.1,0.2\nNaN,0.3\n0.4\n0.5,abc\n0.6,0.7\n");
    Path out = dir.resolve("bad-scored.csv");
    Path rejects = dir.resolve("rejects.csv");
    CliRun r = CliRun.of("score", "--model", model.toString(), "--data", in.toString(), "--out", out.toString(),
        "--skip-invalid", rejects.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals(3, Files.readAllLines(out).size(), "header and the two good rows");
    List<String> rejected = Files.readAllLines(rejects);
    assertEquals("line,reason", rejected.get(0));
    assertEquals(4, rejected.size(), String.join("\n", rejected));
    assertTrue(rejected.get(1).startsWith("3,") && rejected.get(2).startsWith("4,") && rejected.get(3).startsWith("5,"),
        String.join("\n", rejected));
    assertTrue(r.out().contains("Left out 3 invalid rows"), r.out());
    // Without the option, the first bad row fails the run.
    CliRun.of("score", "--model", model.toString(), "--data", in.toString(), "--out", dir.resolve("f.csv").toString())
        .assertUserError("line 3");
  }

  @Test
  void skipInvalidSaysSoWhenEveryRowIsInvalid() throws Exception {
    Path in = Files.writeString(dir.resolve("all-bad.csv"), "a,b\nNaN,1\nx,2\n");
    CliRun.of("score", "--model", model.toString(), "--data", in.toString(), "--out", dir.resolve("ab.csv").toString(),
        "--skip-invalid", dir.resolve("ab-rejects.csv").toString()).assertUserError("every data row is invalid (2 left out)");
  }

  @Test
  void aSemicolonOrTabSeparatedFileIsNamedAsSuch() throws Exception {
    Path semi = Files.writeString(dir.resolve("semi.csv"), "a;b\n0,1\n");
    CliRun.of("score", "--model", model.toString(), "--data", semi.toString(), "--out", dir.resolve("s.csv").toString())
        .assertUserError("looks ';'-separated");
    Path tab = Files.writeString(dir.resolve("tab.csv"), "a\tb\n0\t1\n");
    CliRun.of("score", "--model", model.toString(), "--data", tab.toString(), "--out", dir.resolve("t.csv").toString())
        .assertUserError("looks tab-separated");
  }

  @Test
  void gzipInputIsRead() throws Exception {
    Path gz = dir.resolve("events.csv.gz");
    try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(gz))) {
      o.write(gaussianRows(20, 6).getBytes(StandardCharsets.UTF_8));
    }
    Path out = dir.resolve("gz-scored.csv");
    CliRun r = CliRun.of("score", "--model", model.toString(), "--data", gz.toString(), "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals(21, Files.readAllLines(out).size());
  }

  @Test
  void aDataFileGivenAsTheModelIsNamed() {
    CliRun.of("score", "--model", data.toString(), "--data", data.toString(), "--out", dir.resolve("d.csv").toString())
        .assertUserError(data + " is not a Flowguard model file");
    CliRun.of("inspect", data.toString()).assertUserError("it looks like a data file");
  }

  @Test
  void aMisspeltOptionIsNamedWithASuggestion() {
    CliRun r = CliRun.of("score", "--model", model.toString(), "--data", data.toString(), "--output",
        dir.resolve("o.csv").toString());
    r.assertUserError("unknown option '--output'; did you mean --out?");
    assertFalse(r.err().contains("Missing required option"), r.err());
  }
}
