package io.flowguard.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.context.KeyHistory;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.score.Scorer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train --context-window K} on a keyed event file, {@code score} with each key's history, and bad series. */
class TimeAwareCliTest {

  @TempDir
  Path dir;

  /** Two machines, each an AR(1) temperature, interleaved by time, NAB-style timestamps. */
  private Path keyedEvents(int perKey) throws Exception {
    SplittableRandom rng = new SplittableRandom(3);
    StringBuilder s = new StringBuilder("timestamp,key,temp\n");
    double[] v = new double[2];
    for (int t = 0; t < perKey; t++) {
      for (int k = 0; k < 2; k++) {
        v[k] = 0.9 * v[k] + 0.2 * rng.nextGaussian();
        s.append(String.format(Locale.ROOT, "2024-01-01 %02d:%02d:%02d,m%d,%.5f%n", t / 3600, (t / 60) % 60, t % 60,
            k, v[k]));
      }
    }
    Path p = dir.resolve("events.csv");
    Files.writeString(p, s);
    return p;
  }

  @Test
  void trainsATimeAwareModelAndScoresEachKeyWithItsOwnHistory() throws Exception {
    Path data = keyedEvents(600);
    Path model = dir.resolve("m.fgm");
    CliRun t = CliRun.of("train", "--data", data.toString(), "--out", model.toString(), "--context-window", "3",
        "--max-gap", "1h", "--epochs", "3", "--no-report");
    assertEquals(0, t.code(), t.err());
    assertTrue(t.err().contains("Time-aware: 3 previous events"), t.err());
    assertTrue(t.err().contains("2 keys"), t.err());
    FlowModel m = ModelFormat.read(model);
    assertEquals(3, m.context().orElseThrow().window());
    assertEquals(3_600_000L, m.context().orElseThrow().maxGapMillis());
    assertEquals(List.of("temp"), m.preprocessor().featureNames());

    Path out = dir.resolve("scored.csv");
    CliRun s = CliRun.of("score", "--model", model.toString(), "--data", data.toString(), "--out", out.toString());
    assertEquals(0, s.code(), s.err());
    List<String> lines = Files.readAllLines(out);
    assertEquals("timestamp,key,temp,log_density,nll,tail_probability,anomaly,history_events,warming_up",
        lines.get(0));
    // The reference: the Scorer, a history per key, in file order.
    Scorer scorer = new Scorer(m, 1e-3);
    Map<String, KeyHistory> histories = new HashMap<>();
    Scorer.Score score = new Scorer.Score();
    for (int i = 1; i < lines.size(); i++) {
      String[] f = lines.get(i).split(",");
      long time = io.flowguard.core.context.EventTimes.parse(f[0]).orElseThrow();
      KeyHistory h = histories.computeIfAbsent(f[1], k -> scorer.newHistory());
      scorer.scoreInContext(new double[] {Double.parseDouble(f[2])}, 0, 1, h, time, null, 0, score);
      assertEquals(score.logDensity, Double.parseDouble(f[3]), 1e-12, "row " + i);
      assertEquals(Math.min((i - 1) / 2, 3), Integer.parseInt(f[7]), "row " + i + ": each key has its own history");
      assertEquals((i - 1) / 2 < 3 ? "1" : "0", f[8]);
    }
  }

  @Test
  void aSeriesOutOfTimeOrderIsAnErrorNamingTheRows() throws Exception {
    Path data = dir.resolve("series.csv");
    Files.writeString(data, "timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:01:00,2\n"
        + "2024-01-01 00:00:30,3\n");
    CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("m.fgm").toString(), "--context-window", "2",
        "--no-report").assertUserError("row 3");
    Files.writeString(data, "timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:00:00,2\n");
    CliRun r = CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("m.fgm").toString(),
        "--context-window", "2", "--no-report");
    r.assertUserError("repeats the time of row 1");
    assertTrue(r.err().contains("sort the file by timestamp"), r.err());
  }

  @Test
  void aBadTimeOrAMissingTimeColumnIsAnError() throws Exception {
    Path data = dir.resolve("series.csv");
    Files.writeString(data, "timestamp,value\nyesterday,1\n");
    CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("m.fgm").toString(), "--context-window", "2",
        "--no-report").assertUserError("'yesterday' is not an event time");
    Files.writeString(data, "when,value\n2024-01-01 00:00:00,1\n");
    CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("m.fgm").toString(), "--context-window", "2",
        "--no-report").assertUserError("no column 'timestamp'");
  }

  @Test
  void contextOptionsWithoutAWindowAreAnError() {
    CliRun.of("train", "--data", "x.csv", "--out", dir.resolve("m.fgm").toString(), "--time-features")
        .assertUserError("add --context-window K");
    CliRun.of("train", "--data", "x.csv", "--out", dir.resolve("m.fgm").toString(), "--context-window", "2",
        "--max-gap", "soon").assertUserError("'soon' is not a duration");
  }
}
