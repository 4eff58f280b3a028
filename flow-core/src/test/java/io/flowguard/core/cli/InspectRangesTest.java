package io.flowguard.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.model.ModelFormat;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code inspect} lists the stored training ranges, or says that an older model has none. */
class InspectRangesTest {

  @TempDir
  Path dir;

  @Test
  void inspectShowsTheTrainingRanges() throws Exception {
    Path model = dir.resolve("m.fgm");
    var m = CliRun.model("pump");
    ModelFormat.write(m, model);
    CliRun r = CliRun.of("inspect", model.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("Training ranges  over 400 rows"), r.out());
    var a = m.featureStatistics().orElseThrow().feature(0);
    assertTrue(r.out().lines().anyMatch(l -> l.trim().startsWith("a ") && l.contains(String.format(java.util.Locale.ROOT,
        "%.6g", a.min()))), r.out());
  }

  @Test
  void inspectOfAVersion3FileSaysTheRangesAreNotStored() {
    CliRun r = CliRun.of("inspect", "src/test/resources/model-v3-stats/model-v3.fgm");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("Training ranges  not stored (model format 3"), r.out());
  }
}
