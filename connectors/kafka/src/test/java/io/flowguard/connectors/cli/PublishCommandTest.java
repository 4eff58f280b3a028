package io.flowguard.connectors.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.connectors.SharedKafka;
import io.flowguard.connectors.kafka.TopicReader;
import io.flowguard.connectors.model.ModelHistory;
import io.flowguard.core.cli.FlowguardCli;
import io.flowguard.core.flow.FlowFactory;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.Calibration;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.Preprocessor;
import io.flowguard.core.model.Provenance;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(120)
class PublishCommandTest {

  @TempDir
  Path dir;

  private static FlowModel model(String name) {
    FlowSpec spec = FlowSpec.of(FlowSpec.MAF, 2).withLayers(1).withHidden(4);
    SplittableRandom rng = new SplittableRandom(1);
    double[] x = new double[200];
    for (int i = 0; i < x.length; i++) {
      x[i] = rng.nextDouble();
    }
    double[] nll = new double[100];
    for (int i = 0; i < nll.length; i++) {
      nll[i] = rng.nextDouble();
    }
    Provenance p = new Provenance(spec.toJson(), Map.of(), 0, "0".repeat(64), 100,
        new Provenance.TrainingMetrics(Double.NaN, Double.NaN, 0, 0), "2026-01-01T00:00:00Z", "test", 1);
    return new FlowModel(name, 3, Preprocessor.fit(List.of("a", "b"), x, 100), FlowFactory.create(spec, 0),
        Calibration.fit(nll, 0), p);
  }

  private static int run(StringWriter out, StringWriter err, String... args) {
    return FlowguardCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  @Test
  void publishPutsTheVerifiedModelFileOnTheModelTopicKeyedByName() throws Exception {
    Path file = dir.resolve("pump.fgm");
    ModelFormat.write(model("pump"), file);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    String bootstrap = SharedKafka.get().bootstrapServers();
    int code = run(out, err, "publish", file.toString(), "--bootstrap-servers", bootstrap, "--topic", "cli-models");
    assertEquals(0, code, err.toString());
    assertTrue(out.toString().contains("Published pump v3"), out.toString());

    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrap);
    props.put("group.id", "publish-test");
    props.put("auto.offset.reset", "earliest");
    try (KafkaConsumer<String, byte[]> consumer =
             new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of("cli-models"));
      ConsumerRecord<String, byte[]> record = null;
      long deadline = System.currentTimeMillis() + 30_000;
      while (record == null && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          record = r;
        }
      }
      assertEquals("pump", record.key());
      assertArrayEquals(Files.readAllBytes(file), record.value());
    }
    assertArrayEquals(Files.readAllBytes(file), ModelHistory.fetch(props,
        "cli-models-history", "pump", 3).orElseThrow(), "publish keeps the file in the history too");
  }

  @Test
  void aCorruptModelIsNeverPublished() throws Exception {
    Path file = dir.resolve("bad.fgm");
    byte[] bytes = ModelFormat.toBytes(model("pump"));
    bytes[bytes.length - 40] ^= 1;
    Files.write(file, bytes);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = run(out, err, "publish", file.toString(), "--bootstrap-servers", SharedKafka.get().bootstrapServers(),
        "--topic", "cli-models-bad");
    assertEquals(FlowguardCli.EXIT_USAGE, code);
    assertTrue(err.toString().toLowerCase().contains("checksum"), err.toString());
    // Not a single record, under any key, on the model topic or its history.
    assertEquals(List.of(), records("cli-models-bad"), "records on the model topic");
    assertEquals(List.of(), records(ModelHistory.historyTopicFor("cli-models-bad")), "records in the history");
  }

  @Test
  void schemaChangeRecordsTheDeclarationInThePublishedFilesLineage() throws Exception {
    Path file = dir.resolve("pump.fgm");
    ModelFormat.write(model("pump"), file);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    Properties props = SharedKafka.get().clientProperties();
    int code = run(out, err, "publish", file.toString(), "--bootstrap-servers",
        SharedKafka.get().bootstrapServers(), "--topic", "cli-models-schema", "--schema-change");
    assertEquals(0, code, err.toString());
    assertTrue(out.toString().contains("a declared schema change to [a, b]"), out.toString());
    byte[] published = TopicReader.readAll(props, "cli-models-schema").records().get(0).value();
    FlowModel m = ModelFormat.read(published);
    assertTrue(m.provenance().lineage().orElseThrow().schemaChange());
    assertFalse(ModelFormat.read(Files.readAllBytes(file)).provenance().lineage().isPresent(),
        "the file itself is left as it was");
  }

  @Test
  void signPutsAVerifiableSignatureInTheRecordHeaderAndLeavesTheFileAsItIs() throws Exception {
    Path file = dir.resolve("pump.fgm");
    ModelFormat.write(model("pump"), file);
    java.security.KeyPair pair = io.flowguard.core.model.ModelSignature.generate();
    Path key = dir.resolve("publisher.key");
    Files.writeString(key, io.flowguard.core.model.ModelSignature.privateKeyPem(pair.getPrivate()));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = run(out, err, "publish", file.toString(), "--bootstrap-servers",
        SharedKafka.get().bootstrapServers(), "--topic", "cli-models-signed", "--sign", key.toString());
    assertEquals(0, code, err.toString());
    assertTrue(out.toString().contains("signed"), out.toString());
    Properties props = SharedKafka.get().clientProperties();
    for (String topic : List.of("cli-models-signed", ModelHistory.historyTopicFor("cli-models-signed"))) {
      var record = TopicReader.readAll(props, topic).records().get(0);
      assertArrayEquals(Files.readAllBytes(file), record.value());
      byte[] sig = record.headers().lastHeader(io.flowguard.core.model.ModelSignature.HEADER).value();
      assertTrue(io.flowguard.core.model.ModelSignature.verify(List.of(pair.getPublic()),
          record.value(), sig), topic);
    }
  }

  /** The keys of every record on a topic; none when it does not exist. */
  private static List<String> records(String topic) {
    Properties props = SharedKafka.get().clientProperties();
    if (!TopicReader.exists(props, topic)) {
      return List.of();
    }
    return TopicReader.readAll(props, topic).records().stream()
        .map(r -> r.key() == null ? "(no key)" : new String(r.key(), StandardCharsets.UTF_8)).toList();
  }
}
