package io.flowguard.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code flowguard evaluate} with NAB's windows on a hand-made corpus in NAB's layout: {@code nab/} holds
 * {@code combined_windows.json}, a series with one window ({@code catA/jump.csv}) and one without
 * ({@code catB/quiet.csv}); a series elsewhere ({@code other/cycle.csv}) has no windows file within reach.
 * The flow is tiny and trained for 2 epochs: these tests check the plumbing, the files and the errors;
 * the scoring rules are checked in {@code eval.nab}.
 */
class EvaluateNabCliTest {

  @TempDir
  static Path dir;

  static Path root;

  private static final String TINY_FLOW = "{\"family\":\"maf\",\"layers\":2,\"hidden\":[16,16]}";

  /** 400 hourly points from 2020-01-01 00:00 of a noisy daily cycle; points 100..109 jump by 6 when {@code jump}. */
  private static String series(SplittableRandom rng, boolean jump) {
    StringBuilder s = new StringBuilder("timestamp,value,label\n");
    LocalDateTime t0 = LocalDateTime.of(2020, 1, 1, 0, 0);
    for (int t = 0; t < 400; t++) {
      boolean anomaly = jump && t >= 100 && t < 110;
      double v = Math.sin(2 * Math.PI * t / 24.0) + 0.1 * rng.nextGaussian() + (anomaly ? 6 : 0);
      s.append(t0.plusHours(t).toString().replace('T', ' ')).append(":00,")
          .append(String.format(Locale.ROOT, "%.5f,%d%n", v, anomaly ? 1 : 0));
    }
    return s.toString();
  }

  // Point 100 is 2020-01-05 04:00, point 109 is 2020-01-05 13:00.
  private static final String WINDOWS = """
      {
          "catA/jump.csv": [["2020-01-05 04:00:00.000000", "2020-01-05 13:00:00.000000"]],
          "catB/quiet.csv": []
      }
      """;

  @BeforeAll
  static void fixture() throws Exception {
    root = dir.resolve("data");
    SplittableRandom rng = new SplittableRandom(3);
    Files.createDirectories(root.resolve("nab/catA"));
    Files.createDirectories(root.resolve("nab/catB"));
    Files.createDirectories(root.resolve("other"));
    Files.writeString(root.resolve("nab/combined_windows.json"), WINDOWS);
    Files.writeString(root.resolve("nab/catA/jump.csv"), series(rng, true));
    Files.writeString(root.resolve("nab/catB/quiet.csv"), series(rng, false));
    Files.writeString(root.resolve("other/cycle.csv"), series(rng, true));
  }

  private static CliRun evaluate(Path out, String... more) {
    List<String> args = new ArrayList<>(List.of("evaluate", "--out", out.toString(), "--seeds", "0", "--epochs", "2",
        "--spec", TINY_FLOW));
    args.addAll(List.of(more));
    return CliRun.of(args.toArray(String[]::new));
  }

  @Test
  void suiteReportsTheNabScoreOfTheSeriesWithWindows() throws Exception {
    Path out = dir.resolve("suite");
    CliRun r = evaluate(out, "--suite", root.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("NAB score for 2 of 3 series"), r.err());
    String md = Files.readString(out.resolve("summary.md"));
    assertTrue(md.contains("## NAB score (flow)") && md.contains("| nab/catA/jump | 400 | 1 | 0 |")
        && md.contains("| nab/catB/quiet | 400 | 0 | 0 | - | - |") && md.contains("**suite, normalized**")
        && md.contains("(for information only)"), md);
    assertFalse(md.substring(md.indexOf("## NAB score")).contains("other/cycle"), "no windows file: no NAB score");
    assertTrue(r.out().contains("## NAB score (flow)"), "printed too:\n" + r.out());

    JsonNode json = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
    for (JsonNode d : json.get("datasets")) {
      assertEquals("ok", d.get("status").asText(), "the quiet series is scored for NAB, not skipped: " + d);
    }
    JsonNode nab = json.get("nab").get(0);
    assertEquals("flow", nab.get("method").asText());
    assertEquals(2, nab.get("series").size());
    assertEquals("catA/jump.csv", nab.get("series").get(0).get("key").asText());
    assertEquals(60, nab.get("series").get(0).get("probationary_points").asInt(), "floor(0.15 * 400)");
    for (String profile : List.of("standard", "reward_low_FP_rate", "reward_low_FN_rate")) {
      JsonNode p = nab.get("profiles").get(profile);
      JsonNode seed = p.get("seeds").get(0);
      double sum = 0;
      for (JsonNode s : seed.get("series")) {
        sum += s.get("raw").asDouble();
      }
      assertEquals(seed.get("raw").asDouble(), sum, 1e-9, profile + ": the suite's raw score is the series' sum");
      double nul = p.get("null").asDouble();
      double normalized = 100 * (seed.get("raw").asDouble() - nul) / (p.get("perfect").asDouble() - nul);
      assertEquals(normalized, seed.get("normalized").asDouble(), 1e-9, profile);
      assertTrue(seed.get("normalized").asDouble() >= 0, profile + ": never below the null detector, which the sweep"
          + " includes");
    }
    assertEquals(-1.0, nab.get("profiles").get("standard").get("null").asDouble(), 0.0, "one window, A_FN 1");

    // NAB's result-file layout, for NAB's own scorer: points of TRAIN (the first 60) have no score, written as 0.
    List<String> lines = Files.readAllLines(out.resolve("nab/catA/jump/nab_flow_seed0.csv"));
    assertEquals("timestamp,value,anomaly_score,label", lines.get(0));
    assertEquals(401, lines.size());
    assertTrue(lines.get(1).startsWith("2020-01-01 00:00:00,") && lines.get(1).endsWith(",0.0,0"), lines.get(1));
    assertTrue(lines.get(101).startsWith("2020-01-05 04:00:00,") && lines.get(101).endsWith(",1"), lines.get(101));
    for (String line : lines.subList(1, lines.size())) {
      double score = Double.parseDouble(line.split(",")[2]);
      assertTrue(score >= 0 && score <= 1, line);
    }
    assertFalse(Files.exists(out.resolve("other/cycle/nab_flow_seed0.csv")), "no NAB labels, no NAB file");
  }

  @Test
  void noNabLeavesItOutAndSkipsTheSeriesWithoutAnomaliesAsBefore() throws Exception {
    Path out = dir.resolve("no-nab");
    CliRun r = evaluate(out, "--suite", root.resolve("nab").toString(), "--no-nab");
    assertEquals(0, r.code(), r.err());
    String md = Files.readString(out.resolve("summary.md"));
    assertFalse(md.contains("NAB score"), md);
    assertTrue(md.contains("no anomalies (label 1) after the first 15 % (TEST)") && md.contains("`catB/quiet.csv`"), md);
  }

  @Test
  void oneSeriesGetsItsNabScoreWithData() throws Exception {
    Path out = dir.resolve("one");
    CliRun r = evaluate(out, "--data", root.resolve("nab/catA/jump.csv").toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("## NAB score (flow)") && r.out().contains("| catA/jump.csv | 400 | 1 |"), r.out());
    JsonNode json = new ObjectMapper().readTree(out.resolve("evaluation.json").toFile());
    assertEquals(1, json.get("nab").get(0).get("series").size());
    assertTrue(Files.exists(out.resolve("nab_flow_seed0.csv")));
  }

  @Test
  void aSeriesWithoutAnomaliesIsScoredForNabWithData() throws Exception {
    Path out = dir.resolve("quiet");
    CliRun r = evaluate(out, "--data", root.resolve("nab/catB/quiet.csv").toString());
    assertEquals(0, r.code(), r.err());
    JsonNode json = new ObjectMapper().readTree(out.resolve("evaluation.json").toFile());
    assertTrue(json.get("mean").get("auroc").isNull(), "AUROC is undefined: " + json.get("mean"));
    assertEquals(0.0, json.get("nab").get(0).get("profiles").get("standard").get("null").asDouble(), 0.0);
  }

  @Test
  void explicitWindowsFileFindsTheSeriesByItsPathEnd() throws Exception {
    Path elsewhere = Files.createDirectories(dir.resolve("elsewhere/catA"));
    Files.copy(root.resolve("nab/catA/jump.csv"), elsewhere.resolve("jump.csv"));
    Path out = dir.resolve("explicit");
    CliRun r = evaluate(out, "--data", elsewhere.resolve("jump.csv").toString(), "--nab-windows",
        root.resolve("nab/combined_windows.json").toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("as 'catA/jump.csv', 1 windows"), r.err());
  }

  @Test
  void aSeriesMissingFromTheWindowsFileStopsTheRunBeforeTraining() throws Exception {
    Path corpus = Files.createDirectories(dir.resolve("missing/catA"));
    Files.copy(root.resolve("nab/catA/jump.csv"), corpus.resolve("jump.csv"));
    Files.copy(root.resolve("nab/catA/jump.csv"), corpus.resolve("extra.csv"));
    Files.writeString(corpus.getParent().resolve("combined_windows.json"), WINDOWS);
    Path out = dir.resolve("missing-out");
    evaluate(out, "--suite", corpus.getParent().toString())
        .assertUserError(corpus.resolve("extra.csv") + ": not listed in the NAB windows file");
    assertFalse(Files.exists(out.resolve("summary.md")), "nothing trained, nothing written");
  }

  @Test
  void malformedWindowsFileIsAUserErrorNamingIt() throws Exception {
    Path corpus = Files.createDirectories(dir.resolve("malformed/catA"));
    Files.copy(root.resolve("nab/catA/jump.csv"), corpus.resolve("jump.csv"));
    Path windows = corpus.getParent().resolve("combined_windows.json");
    Files.writeString(windows, "{\"catA/jump.csv\": [[\"2020-01-05 04:00:00\", ]]}");
    evaluate(dir.resolve("malformed-out"), "--suite", corpus.getParent().toString())
        .assertUserError(windows + ": not valid JSON (line 1");
  }

  @Test
  void timestampsThatCannotBeParsedAreAUserErrorNamingTheRow() throws Exception {
    Path corpus = Files.createDirectories(dir.resolve("badtime/catA"));
    String text = Files.readString(root.resolve("nab/catA/jump.csv")).replace("2020-01-02 03:00:00", "tomorrow");
    Files.writeString(corpus.resolve("jump.csv"), text);
    Files.writeString(corpus.getParent().resolve("combined_windows.json"), WINDOWS);
    evaluate(dir.resolve("badtime-out"), "--data", corpus.resolve("jump.csv").toString())
        .assertUserError("data row 28: timestamp 'tomorrow'");
  }

  @Test
  void noNabAndNabWindowsTogetherAreAUserError() {
    evaluate(dir.resolve("x"), "--data", root.resolve("nab/catA/jump.csv").toString(), "--no-nab", "--nab-windows",
        root.resolve("nab/combined_windows.json").toString()).assertUserError("give one");
  }
}
