package io.flowguard.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code flowguard evaluate --suite} and {@code --baselines} end to end on a generated folder: two small
 * tabular sets, one series, one broken CSV, an all-normal CSV and a note. The flow is a 2-layer MAF of
 * width 16 trained for 2 epochs: these tests check the plumbing and the files, not the flow's quality.
 */
class EvaluateSuiteCliTest {

  @TempDir
  static Path dir;

  static Path root;

  private static final String TINY_FLOW = "{\"family\":\"maf\",\"layers\":2,\"hidden\":[16,16]}";

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }

  /** n rows of d Gaussian features; every 10th row is an anomaly shifted by +4 in feature 0 and -4 in 1. */
  private static String tabular(SplittableRandom rng, int n, int d) {
    StringBuilder s = new StringBuilder();
    for (int j = 0; j < d; j++) {
      s.append('x').append(j).append(',');
    }
    s.append("label\n");
    for (int i = 0; i < n; i++) {
      boolean anomaly = i % 10 == 0;
      for (int j = 0; j < d; j++) {
        double v = rng.nextGaussian() + (anomaly && j == 0 ? 4 : 0) - (anomaly && j == 1 ? 4 : 0);
        s.append(String.format(Locale.ROOT, "%.6f,", v));
      }
      s.append(anomaly ? "1\n" : "0\n");
    }
    return s.toString();
  }

  @BeforeAll
  static void fixture() throws Exception {
    root = dir.resolve("data");
    SplittableRandom rng = new SplittableRandom(7);
    Files.createDirectories(root.resolve("alpha"));
    Files.writeString(root.resolve("alpha/alpha.csv"), tabular(rng, 300, 3));
    Files.createDirectories(root.resolve("group/beta"));
    Files.writeString(root.resolve("group/beta/beta.csv"), tabular(rng, 250, 2));
    // A noisy daily cycle; points 300..309 jump by 6 and are labelled anomalous.
    StringBuilder s = new StringBuilder("timestamp,value,label\n");
    for (int t = 0; t < 400; t++) {
      boolean anomaly = t >= 300 && t < 310;
      double v = Math.sin(2 * Math.PI * t / 24.0) + 0.1 * rng.nextGaussian() + (anomaly ? 6 : 0);
      s.append(String.format(Locale.ROOT, "2020-01-01T%05d,%.5f,%d%n", t, v, anomaly ? 1 : 0));
    }
    Files.createDirectories(root.resolve("series"));
    Files.writeString(root.resolve("series/cycle.csv"), s);
    Files.writeString(root.resolve("broken.csv"), "a,b,label\n1,2,0\n3,4,1\n5,oops,0\n");
    Files.writeString(root.resolve("allnormal.csv"), "a,b,label\n1,2,0\n3,4,0\n5,6,0\n");
    Files.writeString(root.resolve("NOTES.md"), "not data\n");
  }

  @Test
  void suiteWritesOneRowPerDataSetAndRecordsTheBrokenOne() throws Exception {
    Path out = dir.resolve("suite");
    CliRun r = run("evaluate", "--suite", root.toString(), "--out", out.toString(), "--baselines", "kde,gmm",
        "--seeds", "0", "--epochs", "2", "--spec", TINY_FLOW);
    assertEquals(0, r.code(), r.err());

    String md = Files.readString(out.resolve("summary.md"));
    List<String> rows = new ArrayList<>();
    for (String line : md.split("\n")) {
      if (line.startsWith("| ") && !line.startsWith("| data set")) {
        rows.add(line.substring(2, line.indexOf(" |")));
      }
    }
    // group/beta/beta.csv is named group/beta: a file named like its folder takes the folder's name.
    assertEquals(List.of("alpha", "group/beta", "**mean**", "series/cycle", "**mean**"), rows,
        "tabular sets in path order, their mean, then the series and its mean:\n" + md);
    assertTrue(md.contains("flow AUROC") && md.contains("kde AUROC") && md.contains("gmm fit s"), md);
    assertTrue(md.contains("## Failed") && md.contains("`broken.csv`") && md.contains("'oops' is not a number"), md);
    assertTrue(md.contains("`allnormal.csv`") && md.contains("no anomalies"), md);
    assertTrue(md.contains("`NOTES.md`") && md.contains("not a CSV"), md);

    JsonNode json = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
    assertEquals(5, json.get("datasets").size(), "every labelled CSV has an entry (ok, failed or skipped)");
    for (JsonNode d : json.get("datasets")) {
      String name = d.get("name").asText();
      String status = d.get("status").asText();
      switch (name) {
        case "broken" -> {
          assertEquals("failed", status);
          assertTrue(d.get("error").asText().contains("line 4"), d.toString());
        }
        case "allnormal" -> assertEquals("skipped", status);
        default -> {
          assertEquals("ok", status, d.toString());
          for (String m : List.of("flow", "kde", "gmm")) {
            double auroc = d.get("methods").get(m).get("auroc").asDouble();
            assertTrue(auroc >= 0 && auroc <= 1, name + " " + m + " " + auroc);
          }
          assertTrue(Files.exists(out.resolve(name).resolve("evaluation.json")), name);
        }
      }
    }
    assertEquals(2, json.get("means").get("tabular").get("kde").get("datasets").asInt());
    assertEquals(1, json.get("means").get("series").get("gmm").get("datasets").asInt());
    // The shifted anomalies are far outside the normal cloud: any density baseline separates them.
    for (String set : List.of("alpha", "group/beta")) {
      JsonNode ev = new ObjectMapper().readTree(out.resolve(set).resolve("evaluation.json").toFile());
      assertTrue(ev.get("methods").get("kde").get("mean").get("auroc").asDouble() > 0.95, set + ": " + ev);
    }
    JsonNode series = new ObjectMapper().readTree(out.resolve("series/cycle/evaluation.json").toFile());
    assertEquals(60, series.get("train_points").asInt(), "15 % of 400");
    assertEquals(340, series.get("test_points").asInt());
    assertTrue(series.get("methods").get("kde").get("mean").get("auroc").asDouble() > 0.9,
        "a jump of 6 noise-free sds stands out: " + series);
    assertTrue(r.err().contains("[2/5] alpha: ok in ") && r.err().contains("kde AUROC 0.9"), "progress per data set:\n" + r.err());
  }

  @Test
  void onlyRunsTheNamedDataSets() throws Exception {
    Path out = dir.resolve("only");
    CliRun r = run("evaluate", "--suite", root.toString(), "--out", out.toString(), "--baselines", "kde", "--no-flow",
        "--seeds", "0,1", "--only", "beta,cycle");
    assertEquals(0, r.code(), r.err());
    JsonNode json = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
    List<String> names = new ArrayList<>();
    json.get("datasets").forEach(d -> names.add(d.get("name").asText()));
    assertEquals(List.of("group/beta", "series/cycle"), names);
    assertEquals(List.of("kde"), List.of(json.get("methods").get(0).asText()));
    assertFalse(Files.exists(out.resolve("alpha")));
  }

  @Test
  void baselinesRunBesideTheFlowOnOneDataSet() throws Exception {
    Path out = dir.resolve("one");
    CliRun r = run("evaluate", "--data", root.resolve("alpha/alpha.csv").toString(), "--out", out.toString(),
        "--baselines", "kde,gmm,kde-full", "--seeds", "0,1", "--epochs", "2", "--spec", TINY_FLOW);
    assertEquals(0, r.code(), r.err());
    for (String m : List.of("flow", "kde", "gmm", "kde-full")) {
      assertTrue(r.out().lines().anyMatch(l -> l.startsWith(m + " ") && l.contains("mean")), m + " mean row:\n" + r.out());
    }
    JsonNode json = new ObjectMapper().readTree(out.resolve("evaluation.json").toFile());
    assertEquals(2, json.get("seeds").size(), "the flow's figures stay at the top level");
    JsonNode gmm = json.get("methods").get("gmm");
    assertEquals(2, gmm.get("seeds").size());
    assertTrue(gmm.get("seeds").get(0).get("fitted").get("components").asInt() >= 1);
    assertEquals(json.get("seeds").get(0).get("train_rows").asInt(), gmm.get("seeds").get(0).get("train_rows").asInt(),
        "same split for flow and baselines");
  }

  @Test
  void baselinesAloneOnASeries() throws Exception {
    Path out = dir.resolve("series-only");
    CliRun r = run("evaluate", "--data", root.resolve("series/cycle.csv").toString(), "--out", out.toString(),
        "--baselines", "gmm", "--no-flow", "--seeds", "0");
    assertEquals(0, r.code(), r.err());
    JsonNode json = new ObjectMapper().readTree(out.resolve("evaluation.json").toFile());
    assertEquals("series", json.get("kind").asText());
    assertFalse(json.has("seeds"), "no flow, no top-level flow figures");
    assertEquals(15, json.get("features").asInt());
  }

  @Test
  void unknownBaselineIsAUserErrorNamingTheValidOnes() {
    CliRun r = run("evaluate", "--data", root.resolve("alpha/alpha.csv").toString(), "--out", dir.resolve("x").toString(),
        "--baselines", "kde,lof");
    assertEquals(FlowguardCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("unknown baseline 'lof'") && r.err().contains("kde, gmm"), r.err());
    assertFalse(r.err().contains("\tat "), "no stack trace");
  }

  @Test
  void dataAndSuiteTogetherOrNeitherAreUserErrors() {
    CliRun both = run("evaluate", "--data", "a.csv", "--suite", root.toString(), "--out", dir.resolve("x").toString());
    assertEquals(FlowguardCli.EXIT_USAGE, both.code());
    assertTrue(both.err().contains("exactly one of --data FILE and --suite DIR"), both.err());
    CliRun neither = run("evaluate", "--out", dir.resolve("x").toString());
    assertEquals(FlowguardCli.EXIT_USAGE, neither.code());
  }

  @Test
  void noFlowWithoutBaselinesIsAUserError() {
    CliRun r = run("evaluate", "--suite", root.toString(), "--out", dir.resolve("x").toString(), "--no-flow");
    assertEquals(FlowguardCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("nothing to evaluate"), r.err());
  }

  @Test
  void unknownOnlyNameIsAUserErrorListingTheDataSets() {
    CliRun r = run("evaluate", "--suite", root.toString(), "--out", dir.resolve("x").toString(), "--baselines", "kde",
        "--no-flow", "--only", "gamma");
    assertEquals(FlowguardCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("no data set named 'gamma'") && r.err().contains("alpha"), r.err());
  }

  @Test
  void folderWithoutDataSetsIsAUserError() throws Exception {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    Files.writeString(empty.resolve("readme.txt"), "nothing");
    CliRun r = run("evaluate", "--suite", empty.toString(), "--out", dir.resolve("x").toString(), "--baselines", "kde",
        "--no-flow");
    assertEquals(FlowguardCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("no labelled data set"), r.err());
  }

  @Test
  void everyDataSetFailingExitsNonZeroAfterWritingTheSummary() throws Exception {
    Path bad = Files.createDirectories(dir.resolve("bad"));
    Files.writeString(bad.resolve("broken.csv"), "a,label\n1,0\nx,1\n");
    Path out = dir.resolve("bad-out");
    CliRun r = run("evaluate", "--suite", bad.toString(), "--out", out.toString(), "--baselines", "kde", "--no-flow");
    assertEquals(FlowguardCli.EXIT_FAILURE, r.code());
    assertTrue(r.err().contains("every data set failed"), r.err());
    assertTrue(Files.readString(out.resolve("summary.md")).contains("`broken.csv`"));
  }
}
