package io.flowguard.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.score.Scorer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI end to end on a small generated fixture: train -> inspect -> score -> evaluate, checking the
 * files and their numbers, and every user error exits non-zero with one clear line.
 *
 * <p>Fixture: 4 correlated Gaussian features and one constant column; anomalies are shifted by 4 standard
 * deviations along a direction the normal data never takes, so any working density model separates them.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliEndToEndTest {

  @TempDir
  static Path dir;

  static Path normal;
  static Path labelled;
  static Path model;

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }

  private static String row(SplittableRandom rng, boolean anomaly) {
    double a = rng.nextGaussian();
    double b = 0.8 * a + 0.6 * rng.nextGaussian();
    double c = rng.nextGaussian() * 2 + 10;
    double d = rng.nextGaussian() * 0.1;
    if (anomaly) {
      a += 4;
      b -= 4;
    }
    return String.format(Locale.ROOT, "%.6f,%.6f,%.6f,%.6f,3.0", a, b, c, d);
  }

  @BeforeAll
  static void fixture() throws Exception {
    SplittableRandom rng = new SplittableRandom(42);
    StringBuilder n = new StringBuilder("a,b,c,d,const\n");
    for (int i = 0; i < 800; i++) {
      n.append(row(rng, false)).append('\n');
    }
    normal = dir.resolve("normal.csv");
    Files.writeString(normal, n);
    StringBuilder l = new StringBuilder("a,b,c,d,const,label\n");
    for (int i = 0; i < 500; i++) {
      boolean anomaly = i % 10 == 0;
      l.append(row(rng, anomaly)).append(anomaly ? ",1\n" : ",0\n");
    }
    labelled = dir.resolve("labelled.csv");
    Files.writeString(labelled, l);
    model = dir.resolve("models/pump.fgm");
  }

  @Test
  @Order(1)
  void trainWritesAModelFile() throws Exception {
    CliRun r = run("train", "--data", normal.toString(), "--out", model.toString(), "--name", "pump", "--epochs", "30",
        "--spec", "{\"family\": \"maf\", \"layers\": 3, \"hidden\": [32, 32]}");
    assertEquals(0, r.code(), r.err());
    assertTrue(Files.size(model) > 1000);
    assertTrue(r.err().contains("Note: column 'const' is constant (") && r.err().contains("modelled apart"), r.err());
    assertTrue(r.err().contains("Config: flow: given by --spec"), "train prints the configuration it used\n" + r.err());
    assertTrue(r.err().contains("Config: smoothing noise"), r.err());
    FlowModel m = ModelFormat.read(model);
    assertEquals("pump", m.name());
    assertEquals(List.of("a", "b", "c", "d", "const"), m.preprocessor().featureNames());
    assertEquals(4, m.flow().dim());
    assertEquals("maf", m.spec().family());
    assertFalse(m.provenance().metrics().curve().isEmpty(), "the learning curve travels in the model file");
    Path report = dir.resolve("models/pump-report");
    for (String f : new String[] {"report.html", "training-curve.png", "nll-histogram.png", "latent-qq.png",
        "latent-pairs.png"}) {
      assertTrue(Files.size(report.resolve(f)) > 1000, "train writes " + f + " beside the model");
    }
  }

  @Test
  @Order(2)
  void inspectShowsSchemaCalibrationAndChecksum() {
    CliRun r = run("inspect", model.toString());
    assertEquals(0, r.code(), r.err());
    for (String expected : new String[] {"pump v1", "checksum verified", "const", "constant", "entropy estimate H",
        "typicality", "SHA-256"}) {
      assertTrue(r.out().contains(expected), "inspect output lacks '" + expected + "':\n" + r.out());
    }
  }

  /** The CLI's scores are the Scorer's scores for the same model file (parsed back from text: 1e-12). */
  @Test
  @Order(3)
  void scoreWritesEveryRowWithTheScorersNumbers() throws Exception {
    Path out = dir.resolve("scored.csv");
    CliRun r = run("score", "--model", model.toString(), "--data", labelled.toString(), "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    List<String> lines = Files.readAllLines(out);
    assertEquals(501, lines.size());
    assertEquals("a,b,c,d,const,label,log_density,nll,tail_probability,anomaly", lines.get(0));
    Scorer scorer = new Scorer(ModelFormat.read(model), 1e-3);
    Scorer.Score s = new Scorer.Score();
    int flagged = 0;
    int flaggedAnomalies = 0;
    for (int i = 1; i < lines.size(); i++) {
      String[] f = lines.get(i).split(",");
      double[] raw = new double[5];
      for (int c = 0; c < 5; c++) {
        raw[c] = Double.parseDouble(f[c]);
      }
      assertTrue(scorer.score(raw, s));
      assertEquals(s.logDensity, Double.parseDouble(f[6]), 1e-12 * Math.max(1, Math.abs(s.logDensity)));
      assertEquals(-Double.parseDouble(f[6]), Double.parseDouble(f[7]), 0.0);
      assertEquals(s.tailProbability, Double.parseDouble(f[8]), 1e-15);
      boolean anomaly = f[9].equals("1");
      assertEquals(s.anomaly, anomaly);
      flagged += anomaly ? 1 : 0;
      flaggedAnomalies += anomaly && f[5].startsWith("1") ? 1 : 0;
    }
    assertTrue(flaggedAnomalies >= 40, "most of the 50 shifted anomalies are flagged: " + flaggedAnomalies);
    assertTrue(flagged - flaggedAnomalies <= 5, "few of 450 normal rows are flagged: " + (flagged - flaggedAnomalies));
  }

  @Test
  @Order(4)
  void evaluateWritesPerSeedAndMeanMetrics() throws Exception {
    Path out = dir.resolve("eval");
    CliRun r = run("evaluate", "--data", labelled.toString(), "--label-column", "label", "--seeds", "0,1", "--out",
        out.toString(), "--epochs", "20", "--spec", "maf");
    assertEquals(0, r.code(), r.err());
    JsonNode json = new ObjectMapper().readTree(out.resolve("evaluation.json").toFile());
    assertEquals(2, json.get("seeds").size());
    for (JsonNode seed : json.get("seeds")) {
      for (String k : new String[] {"auroc", "ap", "test_nll", "fit_seconds", "score_events_per_second"}) {
        assertTrue(seed.has(k), "per-seed " + k);
      }
      assertEquals(270, seed.get("train_rows").asInt(), "60 % of 450 normal rows");
      assertEquals(180 + 50, seed.get("test_rows").asInt());
    }
    double auroc = json.get("mean").get("auroc").asDouble();
    assertTrue(auroc > 0.95, "shifted anomalies are separable: AUROC " + auroc);
    assertTrue(Double.isFinite(json.get("mean").get("test_nll").asDouble()));
    assertTrue(r.out().contains("mean"), r.out());
  }

  @Test
  @Order(4)
  void evaluateReportsWhereToCut() throws Exception {
    Path out = dir.resolve("eval-thresholds");
    CliRun r = run("evaluate", "--data", labelled.toString(), "--label-column", "label", "--seeds", "0", "--out",
        out.toString(), "--epochs", "20", "--spec", "maf");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("at false-alarm rate 0.001: precision") && r.out().contains("best F1")
        && r.out().contains("recall at rate 0.001:") && r.out().contains("--recommend-rate"), r.out());
    JsonNode t = new ObjectMapper().readTree(out.resolve("evaluation.json").toFile()).get("seeds").get(0)
        .get("thresholds");
    assertEquals(0.001, t.get("false_alarm_rate").asDouble(), 0.0);
    double best = t.get("best_f1").asDouble();
    assertTrue(best >= t.get("f1").asDouble() && best > 0.5, "the best F1 is at least the configured rate's: " + t);
    assertEquals(4, t.get("recall_at_rate").size());
  }

  @Test
  @Order(5)
  void reportOnNewDataWritesHtmlAndFigures() throws Exception {
    Path out = dir.resolve("report");
    CliRun r = run("report", "--model", model.toString(), "--data", labelled.toString(), "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    String html = Files.readString(out.resolve("report.html"));
    assertTrue(html.contains("nll-histogram.png") && html.contains("latent-qq.png"), html);
    assertTrue(html.contains("500 events from"), "the report says what it shows");
    assertFalse(Files.exists(out.resolve("density.png")), "no density map for a 4-D model");
  }

  @Test
  void missingDataFileIsAUserError() {
    CliRun r = run("train", "--data", dir.resolve("nope.csv").toString(), "--out", dir.resolve("x.fgm").toString());
    assertEquals(FlowguardCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("nope.csv") && r.err().contains("no such file"), r.err());
    assertFalse(r.err().contains("\tat "), "no stack trace without --verbose");
  }

  @Test
  void badCsvValueNamesLineAndColumn() throws Exception {
    Path bad = dir.resolve("bad.csv");
    Files.writeString(bad, "a,b\n1,2\n3,x\n");
    CliRun r = run("train", "--data", bad.toString(), "--out", dir.resolve("x.fgm").toString());
    assertEquals(FlowguardCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("line 3, column 2 ('b'): 'x' is not a number"), r.err());
  }

  @Test
  void nanAndWrongColumnCountAreUserErrors() throws Exception {
    Path nan = dir.resolve("nan.csv");
    Files.writeString(nan, "a,b\n1,2\nNaN,2\n");
    CliRun r = run("train", "--data", nan.toString(), "--out", dir.resolve("x.fgm").toString());
    assertEquals(FlowguardCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("line 3, column 1 ('a'): NaN is not finite"), r.err());
    Path wrong = dir.resolve("wrong.csv");
    Files.writeString(wrong, "a,b\n1,2\n1,2,3\n");
    r = run("train", "--data", wrong.toString(), "--out", dir.resolve("x.fgm").toString());
    assertEquals(FlowguardCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("line 3: 3 fields, the header has 2"), r.err());
  }

  @Test
  void unknownOptionIsAUsageError() {
    CliRun r = run("train", "--data", "x.csv", "--out", "y.fgm", "--epoch", "3");
    assertEquals(FlowguardCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("--epoch"), r.err());
  }

  @Test
  @Order(6)
  void corruptModelIsRejectedWithTheReason() throws Exception {
    byte[] bytes = Files.readAllBytes(model);
    bytes[bytes.length / 2] ^= 0x10;
    Path corrupt = dir.resolve("corrupt.fgm");
    Files.write(corrupt, bytes);
    CliRun r = run("inspect", corrupt.toString());
    assertNotEquals(0, r.code());
    assertTrue(r.err().toLowerCase(Locale.ROOT).contains("checksum"), r.err());
    r = run("score", "--model", corrupt.toString(), "--data", labelled.toString(), "--out",
        dir.resolve("never.csv").toString());
    assertNotEquals(0, r.code());
    assertFalse(Files.exists(dir.resolve("never.csv")), "nothing is written from a corrupt model");
  }

  @Test
  @Order(7)
  void scoringDataWithoutAModelFeatureNamesIt() throws Exception {
    Path partial = dir.resolve("partial.csv");
    Files.writeString(partial, "a,b,c\n1,2,3\n");
    CliRun r = run("score", "--model", model.toString(), "--data", partial.toString(), "--out",
        dir.resolve("p.csv").toString());
    assertEquals(FlowguardCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("no column 'd'"), r.err());
  }
}
