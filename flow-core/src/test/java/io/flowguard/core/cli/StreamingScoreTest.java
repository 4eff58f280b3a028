package io.flowguard.core.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.data.DataFormatException;
import io.flowguard.core.data.DataReader;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code score} streams its input a chunk at a time, and what it writes and prints is byte for byte what
 * the whole-file implementation ({@link WholeFileScore}) wrote and printed, for every pairing of CSV and
 * JSON-lines input and output and any chunk size; a bad row anywhere leaves no output behind.
 */
class StreamingScoreTest {

  @TempDir
  static Path dir;

  static Path modelFile;
  static FlowModel model;

  @BeforeAll
  static void fixture() throws Exception {
    modelFile = dir.resolve("m.fgm");
    ModelFormat.write(CliRun.model("m"), modelFile);
    model = ModelFormat.read(modelFile);
  }

  /**
   * Rows with carried ids and quoted text (commas, quotes, line breaks, empty), features out of order, and
   * every seventh row an outlier so that some are anomalies.
   */
  static Path csv(String name, int rows) throws Exception {
    String[] sites = {"Plant 7, hall B", "say \"hi\"", "two\nlines", "", "plain"};
    SplittableRandom rng = new SplittableRandom(rows);
    StringBuilder b = new StringBuilder("id,b,site,a\n");
    for (int i = 0; i < rows; i++) {
      double scale = i % 7 == 0 ? 6 : 1;
      String site = sites[i % sites.length];
      b.append(i == 0 ? "007" : Integer.toString(i)).append(',').append(scale * rng.nextGaussian()).append(',')
          .append(site.isEmpty() ? "" : ScoreCommand.csvField(site)).append(',').append(scale * rng.nextGaussian())
          .append('\n');
    }
    return Files.writeString(dir.resolve(name), b);
  }

  /**
   * Events and flat rows: key and ts absent from some rows, a carried field that appears first near the end
   * (after several chunks), carried numbers as written, booleans, null, nested JSON and escaped strings.
   */
  static Path jsonLines(String name, int rows) throws Exception {
    SplittableRandom rng = new SplittableRandom(rows);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < rows; i++) {
      double scale = i % 7 == 0 ? 6 : 1;
      String a = Double.toString(scale * rng.nextGaussian());
      String bv = Double.toString(scale * rng.nextGaussian());
      if (i % 5 == 4) {
        b.append("{\"b\": ").append(bv).append(", \"a\": ").append(a).append(", \"id\": 1.10}\n");
        continue;
      }
      b.append('{');
      if (i % 3 != 1) {
        b.append("\"key\": \"pump-").append(i % 4).append("\", ");
      }
      if (i % 2 == 0) {
        b.append("\"ts\": ").append(1700000000000123456L + i).append(", ");
      }
      b.append("\"features\": {\"a\": ").append(a).append(", \"b\": ").append(bv).append('}');
      b.append(", \"ok\": ").append(i % 2 == 0);
      b.append(", \"note\": ").append(i % 6 == 0 ? "null" : "\"x, \\\"y\\\"\\nz\"");
      if (i >= rows - 3) {
        b.append(", \"late\": {\"seen\": [1, 2]}");
      }
      b.append("}\n");
    }
    return Files.writeString(dir.resolve(name), b);
  }

  static Path input(String format, int rows) throws Exception {
    String name = "in-" + rows + "." + format;
    Path p = dir.resolve(name);
    if (Files.exists(p)) {
      return p;
    }
    return format.equals("csv") ? csv(name, rows) : jsonLines(name, rows);
  }

  @ParameterizedTest(name = "{0} -> {1}, {2} rows, chunks of {3}")
  @CsvSource({
      "csv, csv, 40, 1", "csv, csv, 40, 3", "csv, csv, 40, 4096",
      "csv, jsonl, 40, 1", "csv, jsonl, 40, 3", "csv, jsonl, 40, 4096",
      "jsonl, csv, 40, 1", "jsonl, csv, 40, 3", "jsonl, csv, 40, 4096",
      "jsonl, jsonl, 40, 1", "jsonl, jsonl, 40, 3", "jsonl, jsonl, 40, 4096"})
  void theOutputIsTheWholeFileOutputForAnyChunkSize(String in, String out, int rows, int chunk) throws Exception {
    Path data = input(in, rows);
    Path expected = dir.resolve("expected-" + in + "-" + rows + "." + out);
    String printed = WholeFileScore.run(model, 0.01, data, expected);
    Path actual = Files.createDirectories(dir.resolve("chunked-" + chunk)).resolve(in + "-" + rows + "." + out);
    ScoreCommand.Tally tally = ScoreCommand.score(model, 0.01, data, actual, chunk);
    assertArrayEquals(Files.readAllBytes(expected), Files.readAllBytes(actual), actual + " differs from " + expected);
    assertEquals(printed.lines().findFirst().orElseThrow(), String.format(java.util.Locale.ROOT,
        "Scored %d events with m v1: %d anomalies at false-alarm rate %s (%.2f %%)", tally.events(),
        tally.anomalies(), Rates.format(0.01), 100.0 * tally.anomalies() / tally.events()));
    assertTrue(tally.anomalies() > 0, "the fixture has anomalies: " + printed);
  }

  /** The command itself, with its own chunk size, on more rows than one chunk: same file, same summary. */
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({"csv, csv", "csv, jsonl", "jsonl, csv", "jsonl, jsonl"})
  void theCommandOnMoreRowsThanAChunkWritesAndPrintsWhatTheWholeFileScoreDid(String in, String out) throws Exception {
    int rows = ScoreCommand.CHUNK_ROWS * 2 + 17;
    Path data = input(in, rows);
    Path expected = dir.resolve("expected-" + in + "-" + rows + "." + out);
    String printed = WholeFileScore.run(model, 0.001, data, expected);
    Path outDir = Files.createDirectories(dir.resolve("cli-" + in + "-" + out));
    Path actual = outDir.resolve("scored." + out);
    CliRun r = CliRun.of("score", "--model", modelFile.toString(), "--data", data.toString(), "--out",
        actual.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals(printed.replace(expected.toString(), actual.toString()), r.out());
    assertArrayEquals(Files.readAllBytes(expected), Files.readAllBytes(actual));
    assertEquals(List.of(actual), list(outDir), "no temporary file is left beside the output");
  }

  /**
   * A bad row after the first chunk (so that scored rows were already written) fails the run with the
   * whole-file reader's message, and leaves no output: the temporary file is deleted.
   */
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({"csv, csv", "csv, jsonl", "jsonl, jsonl", "jsonl, csv"})
  void aBadRowAfterTheFirstChunkExits2WithTheReadersMessageAndWritesNothing(String in, String out)
      throws Exception {
    Path data = badAfterFirstChunk(in);
    String message = assertThrows(DataFormatException.class, () -> DataReader.read(data, List.of("a", "b")::contains))
        .getMessage();
    Path outDir = Files.createDirectories(dir.resolve("bad-" + in + "-" + out));
    Path target = outDir.resolve("scored." + out);
    CliRun.of("score", "--model", modelFile.toString(), "--data", data.toString(), "--out", target.toString())
        .assertUserError("flowguard score: " + message);
    assertFalse(Files.exists(target), "no partial output");
    assertEquals(List.of(), list(outDir), "no temporary file is left");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({"csv, csv", "jsonl, jsonl"})
  void aFailedRunLeavesAnEarlierOutputUntouched(String in, String out) throws Exception {
    Path data = badAfterFirstChunk(in);
    Path outDir = Files.createDirectories(dir.resolve("keep-" + in + "-" + out));
    String message = assertThrows(DataFormatException.class, () -> DataReader.read(data, List.of("a", "b")::contains))
        .getMessage();
    Path target = Files.writeString(outDir.resolve("scored." + out), "yesterday's scores\n");
    CliRun.of("score", "--model", modelFile.toString(), "--data", data.toString(), "--out", target.toString())
        .assertUserError("flowguard score: " + message);
    assertEquals("yesterday's scores\n", Files.readString(target));
    assertEquals(List.of(target), list(outDir), "no temporary file is left");
  }

  @Test
  void aSuccessfulRunReplacesAnEarlierOutput() throws Exception {
    Path data = input("csv", 40);
    Path outDir = Files.createDirectories(dir.resolve("replace"));
    Path target = Files.writeString(outDir.resolve("scored.csv"), "yesterday's scores\n");
    assertEquals(0, CliRun.of("score", "--model", modelFile.toString(), "--data", data.toString(), "--out",
        target.toString()).code());
    assertTrue(Files.readString(target).startsWith("id,b,site,a,log_density,"));
    assertEquals(List.of(target), list(outDir));
  }

  /**
   * As when the whole file was read before the model's columns were checked: a missing feature column is
   * reported only when no row is malformed, and then at once.
   */
  @Test
  void aMalformedRowIsReportedBeforeAMissingFeatureColumn() throws Exception {
    StringBuilder b = new StringBuilder("a,c\n");
    b.append("1,2\n".repeat(ScoreCommand.CHUNK_ROWS + 10)).append("oops,2\n");
    Path data = Files.writeString(dir.resolve("no-b.csv"), b);
    Path target = dir.resolve("no-b-scored.csv");
    CliRun.of("score", "--model", modelFile.toString(), "--data", data.toString(), "--out", target.toString())
        .assertUserError(data + " line " + (ScoreCommand.CHUNK_ROWS + 12) + ", column 1 ('a'): 'oops'");
    Path clean = Files.writeString(dir.resolve("no-b-clean.csv"), "a,c\n1,2\n");
    CliRun.of("score", "--model", modelFile.toString(), "--data", clean.toString(), "--out", target.toString())
        .assertUserError("no column 'b', which model 'm' needs");
    assertFalse(Files.exists(target));
  }

  @Test
  void aColumnThatOnlyALaterRowCarriesIsNamedAsNotAFeature() throws Exception {
    StringBuilder b = new StringBuilder();
    b.append("{\"a\": 1}\n".repeat(ScoreCommand.CHUNK_ROWS + 10)).append("{\"features\": {\"a\": 2}, \"b\": 3}\n");
    Path data = Files.writeString(dir.resolve("late-b.jsonl"), b);
    CliRun.of("score", "--model", modelFile.toString(), "--data", data.toString(), "--out",
        dir.resolve("late-b-scored.jsonl").toString())
        .assertUserError("column 'b', which model 'm' needs, is not a feature in this file");
  }

  /** {@link ScoreCommand#CHUNK_ROWS} + 100 good rows, then a row whose feature 'b' is not a number. */
  private static Path badAfterFirstChunk(String format) throws Exception {
    int good = ScoreCommand.CHUNK_ROWS + 100;
    StringBuilder b = new StringBuilder();
    if (format.equals("csv")) {
      b.append("id,a,b\n").append("x,0.5,-0.25\n".repeat(good)).append("y,0.5,oops\n");
    } else {
      b.append("{\"key\": \"x\", \"features\": {\"a\": 0.5, \"b\": -0.25}}\n".repeat(good))
          .append("{\"key\": \"y\", \"features\": {\"a\": 0.5, \"b\": \"oops\"}}\n");
    }
    return Files.writeString(dir.resolve("bad-after-chunk." + format), b);
  }

  private static List<Path> list(Path dir) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files.sorted().toList();
    }
  }
}
