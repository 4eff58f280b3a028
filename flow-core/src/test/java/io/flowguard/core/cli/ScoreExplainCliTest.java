package io.flowguard.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code score --explain [K]}: explanation columns for anomalies (or every row), in CSV and JSON lines. */
class ScoreExplainCliTest {

  @TempDir
  Path dir;
  Path model;
  Path data;

  @BeforeEach
  void fixture() throws Exception {
    FlowModel m = CliRun.model("pump");
    model = dir.resolve("m.fgm");
    ModelFormat.write(m, model);
    data = dir.resolve("events.csv");
    // Row 1 is ordinary, row 2 has b far outside its training range (an anomaly at any rate).
    Files.writeString(data, "id,a,b\n1,0.1,-0.2\n2,0.3,25.0\n");
  }

  @Test
  void csvGetsExplanationColumnsForAnomaliesOnly() throws Exception {
    Path out = dir.resolve("s.csv");
    CliRun r = CliRun.of("score", "--model", model.toString(), "--data", data.toString(), "--out", out.toString(),
        "--explain", "2");
    assertEquals(0, r.code(), r.err());
    List<String> lines = Files.readAllLines(out);
    List<String> header = List.of(lines.get(0).split(",", -1));
    assertEquals(List.of("id", "a", "b", "log_density", "nll", "tail_probability", "anomaly"), header.subList(0, 7));
    assertEquals(7 + 2 * 6 + 3, header.size());
    assertEquals("explain1_feature", header.get(7));
    String[] ordinary = lines.get(1).split(",", -1);
    String[] anomaly = lines.get(2).split(",", -1);
    assertEquals(header.size(), ordinary.length);
    assertEquals(header.size(), anomaly.length);
    assertEquals("0", ordinary[6]);
    assertEquals("", ordinary[7], "an ordinary row is not explained");
    assertEquals("1", anomaly[6]);
    assertEquals("b", anomaly[header.indexOf("explain1_feature")]);
    assertEquals(25.0, Double.parseDouble(anomaly[header.indexOf("explain1_value")]), 0.0);
    assertTrue(Math.abs(Double.parseDouble(anomaly[header.indexOf("explain1_typical")])) < 3);
    assertTrue(Double.parseDouble(anomaly[header.indexOf("explain1_contribution")]) > 10);
    assertEquals("1", anomaly[header.indexOf("explain1_out_of_range")]);
  }

  @Test
  void jsonLinesGetAnExplanationArrayAndExplainAllExplainsEveryRow() throws Exception {
    Path out = dir.resolve("s.jsonl");
    CliRun r = CliRun.of("score", "--model", model.toString(), "--data", data.toString(), "--out", out.toString(),
        "--explain", "--explain-all");
    assertEquals(0, r.code(), r.err());
    List<String> lines = Files.readAllLines(out);
    ObjectMapper json = new ObjectMapper();
    JsonNode ordinary = json.readTree(lines.get(0));
    JsonNode anomaly = json.readTree(lines.get(1));
    assertEquals(2, ordinary.get("explanation").size(), "K defaults to 3, and the model has 2 features");
    JsonNode top = anomaly.get("explanation").get(0);
    assertEquals("b", top.get("feature").asText());
    assertTrue(top.get("contribution").asDouble() > 10);
    assertTrue(top.get("out_of_range").asBoolean());
    assertTrue(top.has("typical") && top.has("z") && top.has("value"));
    assertFalse(anomaly.get("explanation_joint").asBoolean());
  }

  @Test
  void explainAllWithoutExplainIsAUsageError() {
    CliRun.of("score", "--model", model.toString(), "--data", data.toString(), "--out",
        dir.resolve("x.csv").toString(), "--explain-all").assertUserError("--explain-all needs --explain");
  }

  @Test
  void aModelWithoutStatisticsIsExplainedWithANote() throws Exception {
    FlowModel m = ModelFormat.read(model);
    FlowModel bare = new FlowModel(m.name(), 1, m.preprocessor(), m.flow(), m.calibration(), m.provenance());
    ModelFormat.write(bare, model);
    Path out = dir.resolve("s.csv");
    CliRun r = CliRun.of("score", "--model", model.toString(), "--data", data.toString(), "--out", out.toString(),
        "--explain", "1");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("no training statistics"), r.err());
    String last = Files.readAllLines(out).get(2);
    assertTrue(last.contains("z and ranges unknown"), last);
  }
}
