package io.flowguard.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.diagnostics.ExplanationReport;
import io.flowguard.core.model.ModelFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code report --data}: an "Explanations" section with the most anomalous rows and the per-feature bars. */
class ReportExplanationsTest {

  @TempDir
  Path dir;

  @Test
  void reportExplainsTheAlertsOfItsData() throws Exception {
    Path model = dir.resolve("m.fgm");
    ModelFormat.write(CliRun.model("pump"), model);
    StringBuilder csv = new StringBuilder("a,b\n");
    SplittableRandom rng = new SplittableRandom(2);
    for (int i = 0; i < 300; i++) {
      csv.append(rng.nextGaussian()).append(',').append(rng.nextGaussian()).append('\n');
    }
    csv.append("0.2,40.0\n");
    Path data = dir.resolve("today.csv");
    Files.writeString(data, csv);
    Path out = dir.resolve("report");
    CliRun r = CliRun.of("report", "--model", model.toString(), "--data", data.toString(), "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    String html = Files.readString(out.resolve("report.html"));
    assertTrue(html.contains("<h2>Explanations</h2>"), "the section is there");
    assertTrue(html.contains("<td>301</td>"), "the outlier row is listed by its 1-based row number");
    assertTrue(html.contains("b = 40 (typical"), "with its top feature, value and typical value");
    assertTrue(html.indexOf("</body>") > html.indexOf("Explanations"), "inside the page");
    assertTrue(Files.size(out.resolve(ExplanationReport.FEATURE_BARS)) > 1000, "the bar plot is written");
  }
}
