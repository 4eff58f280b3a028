package io.flowguard.connectors.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.connectors.SharedKafka;
import io.flowguard.connectors.TestModels;
import io.flowguard.connectors.kafka.EmbeddedKafka;
import io.flowguard.connectors.model.ModelEvent;
import io.flowguard.connectors.model.ModelEventKind;
import io.flowguard.connectors.model.ModelEvents;
import io.flowguard.connectors.model.ModelHistory;
import io.flowguard.connectors.model.ModelRecord;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.core.cli.FlowguardCli;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.Lineage;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.ModelSignature;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code flowguard models list} and {@code models rollback} against the in-process broker. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ModelsCommandTest {

  static final EmbeddedKafka KAFKA = SharedKafka.get();

  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = FlowguardCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }

  static void publishVersions(String modelTopic, int upTo) {
    for (int v = 1; v <= upTo; v++) {
      ModelHistory.publish(KAFKA.clientProperties(), modelTopic, TestModels.bytes("pump", v));
    }
  }

  @Test
  void listShowsEveryStoredVersionWithItsLineageAndMarksTheActiveOne() {
    String modelTopic = "mc-list-models";
    publishVersions(modelTopic, 3);
    Run r = run("models", "list", "--bootstrap-servers", KAFKA.bootstrapServers(), "--model-topic", modelTopic,
        "--model", "pump");
    assertEquals(0, r.code(), r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals(4, lines.size(), r.out());
    assertTrue(lines.get(0).contains("version") && lines.get(0).contains("held-out NLL"), lines.get(0));
    assertTrue(lines.get(1).matches("\\s+1  2026-01-01T00:00:01Z\\s+-\\s+trained\\s+100  -"), lines.get(1));
    assertTrue(lines.get(2).matches("\\s+2  2026-01-01T00:00:02Z\\s+v1\\s+scheduled from v1\\s+100  1.5000 \\(1.7500\\)"),
        lines.get(2));
    assertTrue(lines.get(3).startsWith("*       3"), "the model topic's version is active: " + lines.get(3));
  }

  @Test
  void listOfAnUnknownModelIsAUserError() {
    Run r = run("models", "list", "--bootstrap-servers", KAFKA.bootstrapServers(), "--model-topic", "mc-none-models",
        "--model", "pump");
    assertEquals(FlowguardCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("no stored versions of model 'pump'"), r.err());
  }

  @Test
  void rollbackRepublishesTheOldParametersAsNewestPlusOne() throws Exception {
    String modelTopic = "mc-rollback-models";
    publishVersions(modelTopic, 3);
    Run r = run("models", "rollback", "--bootstrap-servers", KAFKA.bootstrapServers(), "--model-topic", modelTopic,
        "--model", "pump", "--to", "1", "--events-topic", "mc-rollback-events");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("published as v4 (replacing v3)"), r.out());

    FlowModel active = ModelFormat.read(ModelTopic.current(KAFKA.clientProperties(), modelTopic, "pump")
        .orElseThrow().bytes());
    FlowModel v1 = ModelFormat.read(TestModels.bytes("pump", 1));
    assertEquals(4, active.version());
    assertArrayEquals(v1.flow().parameters(), active.flow().parameters(), 0.0);
    assertEquals(v1.calibration(), active.calibration());
    assertEquals(v1.preprocessor(), active.preprocessor());
    Lineage l = active.provenance().lineage().orElseThrow();
    assertEquals(Lineage.Trigger.ROLLBACK, l.trigger());
    assertEquals(OptionalInt.of(1), l.rollbackOf());
    assertEquals(OptionalInt.of(3), l.parentVersion());
    assertEquals(List.of(1, 2, 3, 4), ModelHistory.read(KAFKA.clientProperties(),
        ModelHistory.historyTopicFor(modelTopic), "pump").entries().stream().map(ModelHistory.Entry::version).toList());
    List<ModelEvent> events = ModelEvents.readAll(KAFKA.clientProperties(), "mc-rollback-events");
    assertEquals(1, events.size());
    assertEquals(ModelEventKind.ROLLED_BACK, events.get(0).kind());
    assertEquals(4, events.get(0).challengerVersion());
    assertEquals(3, events.get(0).championVersion());

    Run list = run("models", "list", "--bootstrap-servers", KAFKA.bootstrapServers(), "--model-topic", modelTopic,
        "--model", "pump");
    assertTrue(list.out().lines().anyMatch(line -> line.startsWith("*       4") && line.contains("rollback of v1")),
        list.out());
  }

  @Test
  void rollbackToAVersionThatIsNotStoredNamesTheStoredOnes() {
    String modelTopic = "mc-rollback-missing-models";
    publishVersions(modelTopic, 2);
    Run r = run("models", "rollback", "--bootstrap-servers", KAFKA.bootstrapServers(), "--model-topic", modelTopic,
        "--model", "pump", "--to", "7");
    assertEquals(FlowguardCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("version 7 of model 'pump' is not in 'mc-rollback-missing-models-history'; stored"
        + " versions: 1, 2"), r.err());
  }

  @Test
  void rollbackWithSignPublishesTheNewVersionWithItsSignature() throws Exception {
    String modelTopic = "mc-rollback-signed-models";
    publishVersions(modelTopic, 2);
    KeyPair keys = ModelSignature.generate();
    Path key = Files.createTempFile("publisher", ".key");
    try {
      Files.writeString(key, ModelSignature.privateKeyPem(keys.getPrivate()));
      Run r = run("models", "rollback", "--bootstrap-servers", KAFKA.bootstrapServers(), "--model-topic", modelTopic,
          "--model", "pump", "--to", "1", "--events-topic", "mc-rollback-signed-events", "--sign", key.toString());
      assertEquals(0, r.code(), r.err());
      assertTrue(r.out().contains("published as v3 (replacing v2, signed)"), r.out());
      ModelRecord record = ModelTopic.current(KAFKA.clientProperties(), modelTopic, "pump").orElseThrow();
      assertEquals(3, ModelFormat.read(record.bytes()).version());
      assertTrue(ModelSignature.verify(List.of(keys.getPublic()), record.bytes(), record.signature()),
          "the model record carries the signature of its bytes");
    } finally {
      Files.deleteIfExists(key);
    }
  }

  @Test
  void rollbackWithAMissingKeyPublishesNothing() {
    String modelTopic = "mc-rollback-nokey-models";
    publishVersions(modelTopic, 2);
    Run r = run("models", "rollback", "--bootstrap-servers", KAFKA.bootstrapServers(), "--model-topic", modelTopic,
        "--model", "pump", "--to", "1", "--sign", "/nonexistent/publisher.key");
    assertEquals(FlowguardCli.EXIT_USAGE, r.code(), r.err());
    assertTrue(r.err().contains("publisher.key"), r.err());
    assertEquals(List.of(1, 2), ModelHistory.read(KAFKA.clientProperties(),
        ModelHistory.historyTopicFor(modelTopic), "pump").entries().stream().map(ModelHistory.Entry::version).toList());
  }
}
