package io.flowguard.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Columns that are not features (ids, labels, timestamps, free text) need not be numbers: train leaves out
 * the --ignore'd ones unparsed, and score copies every non-feature column through verbatim.
 */
class CarriedColumnsCliTest {

  @TempDir
  static Path dir;

  static Path model;

  @BeforeAll
  static void fixture() throws Exception {
    model = dir.resolve("m.fgm");
    ModelFormat.write(CliRun.model("m"), model);
  }

  @Test
  void scoreCopiesNonFeatureCsvColumnsVerbatim() throws Exception {
    Path data = Files.writeString(dir.resolve("ids.csv"),
        "id,a,site,b\n9007199254740993,0.5,\"Plant 7, hall B\",-0.25\n7,1,,2\n");
    Path out = dir.resolve("scored.csv");
    CliRun r = CliRun.of("score", "--model", model.toString(), "--data", data.toString(), "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    List<String> lines = Files.readAllLines(out);
    assertEquals("id,a,site,b,log_density,nll,tail_probability,anomaly", lines.get(0));
    assertTrue(lines.get(1).startsWith("9007199254740993,0.5,\"Plant 7, hall B\",-0.25,"), lines.get(1));
    assertTrue(lines.get(2).startsWith("7,1.0,,2.0,"), "an id stays 7, features are the numbers scored: " + lines.get(2));
  }

  @Test
  void scoreToJsonKeepsCarriedValuesAsTheFileHadThem() throws Exception {
    Path data = Files.writeString(dir.resolve("events.jsonl"),
        "{\"key\": \"pump-01\", \"ts\": 1700000000000123456, \"features\": {\"a\": 0.5, \"b\": 1}, \"ok\": true}\n"
            + "{\"key\": \"pump-02\", \"features\": {\"b\": 2, \"a\": 1}, \"ok\": false}\n");
    Path out = dir.resolve("scored.jsonl");
    CliRun r = CliRun.of("score", "--model", model.toString(), "--data", data.toString(), "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    List<String> lines = Files.readAllLines(out);
    assertTrue(lines.get(0).startsWith("{\"key\":\"pump-01\",\"ts\":1700000000000123456,\"a\":0.5,\"b\":1.0,\"ok\":true,"),
        lines.get(0));
    JsonNode second = new ObjectMapper().readTree(lines.get(1));
    assertEquals("pump-02", second.get("key").asText());
    assertTrue(!second.has("ts"), "absent in the input, absent in the output");
    assertTrue(second.has("log_density") && second.get("ok").isBoolean(), lines.get(1));
  }

  @Test
  void scoreToCsvFromJsonLinesWritesTheCarriedText() throws Exception {
    Path data = Files.writeString(dir.resolve("flat.jsonl"),
        "{\"id\": 12345678901234567890, \"a\": 0.5, \"b\": 1, \"note\": \"x, y\"}\n");
    Path out = dir.resolve("flat.csv");
    CliRun r = CliRun.of("score", "--model", model.toString(), "--data", data.toString(), "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    List<String> lines = Files.readAllLines(out);
    assertEquals("id,a,b,note,log_density,nll,tail_probability,anomaly", lines.get(0));
    assertTrue(lines.get(1).startsWith("12345678901234567890,0.5,1.0,\"x, y\","), lines.get(1));
  }

  @Test
  void trainIgnoresTextColumnsWithoutParsingThem() throws Exception {
    StringBuilder b = new StringBuilder("id,a,b,label\n");
    java.util.SplittableRandom rng = new java.util.SplittableRandom(5);
    for (int i = 0; i < 300; i++) {
      b.append("pump-").append(i).append(',').append(rng.nextGaussian()).append(',').append(rng.nextGaussian())
          .append(i % 2 == 0 ? ",normal\n" : ",\"ok, checked\"\n");
    }
    Path data = Files.writeString(dir.resolve("text.csv"), b);
    Path out = dir.resolve("text.fgm");
    CliRun r = CliRun.of("train", "--data", data.toString(), "--out", out.toString(), "--ignore", "id,label",
        "--epochs", "2", "--no-report", "--spec", "{\"family\": \"maf\", \"layers\": 1, \"hidden\": [4]}");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("Read 300 rows x 2 features from " + data + " (not features: id, label)"), r.err());
    FlowModel m = ModelFormat.read(out);
    assertEquals(List.of("a", "b"), m.preprocessor().featureNames());
  }

  @Test
  void aTextColumnLeftInTheFeaturesSuggestsIgnore() throws Exception {
    Path data = Files.writeString(dir.resolve("label.csv"), "a,b,label\n1,2,normal\n");
    CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("never.fgm").toString())
        .assertUserError("line 2, column 3 ('label'): 'normal' is not a number; Flowguard models numeric features"
            + " only. If 'label' is not a feature (an id, a label), leave it out with --ignore label");
  }

  @Test
  void ignoringAColumnTheFileLacksIsAnError() throws Exception {
    Path data = Files.writeString(dir.resolve("ab.csv"), "a,b\n1,2\n");
    CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("never.fgm").toString(), "--ignore", "id")
        .assertUserError("--ignore id: " + data + " has no column 'id'; its columns are [a, b]");
  }
}
