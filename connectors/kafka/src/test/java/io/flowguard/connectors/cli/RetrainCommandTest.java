package io.flowguard.connectors.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.connectors.SharedKafka;
import io.flowguard.connectors.kafka.EmbeddedKafka;
import io.flowguard.connectors.model.ModelEvent;
import io.flowguard.connectors.model.ModelEventKind;
import io.flowguard.connectors.model.ModelEvents;
import io.flowguard.connectors.model.ModelHistory;
import io.flowguard.connectors.model.ModelRecord;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.core.cli.FlowguardCli;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.Lineage;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.ModelSignature;
import io.flowguard.core.model.ModelTrainer;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingListener;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code flowguard retrain} end to end against the in-process broker: each exit code, what lands on the
 * model, history and model-events topics. Each test has its own topics.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RetrainCommandTest {

  static final List<String> NAMES = List.of("load", "temp", "vib");
  static final EmbeddedKafka KAFKA = SharedKafka.get();
  /**
   * Trained to convergence on 3000 rows, so a refresh on the same regime is a fair fight. Refreshes reuse
   * this configuration; the patience of 20 evaluations keeps early stopping from ending a challenger's
   * training at a passing spike of the mean validation NLL (a few tail rows of the shifted regime).
   */
  static final FlowModel CHAMPION = ModelTrainer.train(rows(3000, 0.0, 1), new ModelTrainer.Options("pump", 1,
      FlowSpec.of(FlowSpec.MAF, 3).withLayers(2).withHidden(16, 16),
      TrainingConfig.defaults().withSteps(2000).withBatchSize(128).withEvalEvery(50).withPatience(20).withSeed(1),
      0.2), TrainingListener.NONE).model();

  @TempDir
  Path dir;

  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = FlowguardCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }

  /** The 3-feature "machine" of the flow-core retraining tests: temp follows load quadratically. */
  static Dataset rows(int n, double shift, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] x = new double[n * 3];
    for (int r = 0; r < n; r++) {
      double load = rng.nextGaussian() + shift;
      x[r * 3] = 50 + 10 * load;
      x[r * 3 + 1] = 20 + 2 * load * load + 0.5 * rng.nextGaussian();
      x[r * 3 + 2] = 0.3 + 0.05 * rng.nextGaussian();
    }
    return new Dataset("rows", NAMES, x, n);
  }

  static byte[] eventJson(String model, double[] x, int r) {
    return String.format(Locale.ROOT, "{\"key\":\"m-%d\",\"model\":\"%s\",\"features\":{\"load\":%s,\"temp\":%s,"
        + "\"vib\":%s}}", r % 7, model, x[r * 3], x[r * 3 + 1], x[r * 3 + 2]).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Writes the values to a new 2-partition topic and waits for every acknowledgement. The producer waits
   * for both partitions' leaders first: on a topic created a moment ago, an idempotent producer that
   * meets NOT_LEADER_OR_FOLLOWER can get stuck in OUT_OF_ORDER_SEQUENCE_NUMBER retries.
   */
  static void produce(String topic, List<byte[]> values) throws Exception {
    KAFKA.createTopic(topic, 2, false);
    Properties pp = KAFKA.clientProperties();
    pp.put("enable.idempotence", "false");
    pp.put("acks", "all");
    pp.put("max.in.flight.requests.per.connection", "1");
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(pp, new ByteArraySerializer(),
        new ByteArraySerializer())) {
      long deadline = System.currentTimeMillis() + 30_000;
      while (p.partitionsFor(topic).stream().anyMatch(i -> i.leader() == null || i.leader().isEmpty())) {
        assertTrue(System.currentTimeMillis() < deadline, "no leaders for " + topic);
        Thread.sleep(100);
      }
      List<java.util.concurrent.Future<?>> acks = new ArrayList<>();
      for (byte[] v : values) {
        acks.add(p.send(new ProducerRecord<>(topic, v)));
      }
      for (java.util.concurrent.Future<?> a : acks) {
        a.get(60, TimeUnit.SECONDS);
      }
    }
  }

  static List<byte[]> events(String model, Dataset d) {
    List<byte[]> out = new ArrayList<>();
    for (int r = 0; r < d.rows(); r++) {
      out.add(eventJson(model, d.values(), r));
    }
    return out;
  }

  /** Publishes the champion as v1 with history, on a fresh model topic. */
  static void publishChampion(String modelTopic) {
    ModelHistory.publish(KAFKA.clientProperties(), modelTopic, ModelFormat.toBytes(CHAMPION));
  }

  static String[] retrainArgs(String topic, String modelTopic, String... more) {
    List<String> a = new ArrayList<>(List.of("retrain", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic",
        topic, "--since", "PT1H", "--model", "pump", "--model-topic", modelTopic, "--events-topic",
        modelTopic + "-events", "--min-rows", "500", "--false-alarm-rate", "0.01"));
    a.addAll(List.of(more));
    return a.toArray(String[]::new);
  }

  static FlowModel current(String modelTopic) throws Exception {
    return ModelFormat.read(ModelTopic.current(KAFKA.clientProperties(), modelTopic, "pump").orElseThrow().bytes());
  }

  static List<ModelEvent> modelEvents(String modelTopic) {
    return ModelEvents.readAll(KAFKA.clientProperties(), modelTopic + "-events");
  }

  @Test
  void aRefreshOnANewRegimeExitsZeroAndPublishesTheNextVersionWithHistoryAndAPromotedEvent() throws Exception {
    String topic = "rt-promote-events";
    String modelTopic = "rt-promote-models";
    publishChampion(modelTopic);
    List<byte[]> values = events("pump", rows(3000, 1.5, 2));
    values.add("{\"key\": \"broken\"".getBytes(StandardCharsets.UTF_8)); // not JSON
    values.add("{\"key\":\"m\",\"model\":\"pump\",\"features\":{\"load\":\"hot\",\"temp\":1,\"vib\":1}}"
        .getBytes(StandardCharsets.UTF_8));
    values.addAll(events("other", rows(40, 0.0, 3)));
    produce(topic, values);
    Path out = dir.resolve("challenger.fgm");

    Run r = run(retrainArgs(topic, modelTopic, "--publish", "--out", out.toString()));
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("Promoted pump v2"), r.out());
    assertTrue(r.err().contains("Skipped 2 undecodable record(s)"), r.err());
    assertTrue(r.err().contains("3000 event(s) of model 'pump', 40 of other models"), r.err());

    FlowModel published = current(modelTopic);
    assertEquals(2, published.version());
    Lineage l = published.provenance().lineage().orElseThrow();
    assertEquals(Lineage.Trigger.OFFLINE, l.trigger());
    assertEquals(java.util.OptionalInt.of(1), l.parentVersion());
    assertTrue(l.data().startsWith("topic " + topic + ", offsets 0:0.."), l.data());
    assertArrayEquals(Files.readAllBytes(out), ModelTopic.current(KAFKA.clientProperties(), modelTopic, "pump")
        .orElseThrow().bytes(), "--out holds the published model");
    assertEquals(List.of(1, 2), ModelHistory.read(KAFKA.clientProperties(), ModelHistory.historyTopicFor(modelTopic),
        "pump").entries().stream().map(ModelHistory.Entry::version).toList());
    List<ModelEvent> events = modelEvents(modelTopic);
    assertEquals(1, events.size());
    ModelEvent e = events.get(0);
    assertEquals(ModelEventKind.PROMOTED, e.kind());
    assertEquals("VALIDATED", e.reason());
    assertEquals(2, e.challengerVersion());
    assertEquals(1, e.championVersion());
    assertTrue(e.challengerNll() < e.championNll(), e.toString());
    assertEquals(l.data(), e.dataWindow());
  }

  @Test
  void tooFewEventsExitThreeWithTheReasonAndARejectedEventAndTheChampionStays() throws Exception {
    String topic = "rt-few-events";
    String modelTopic = "rt-few-models";
    publishChampion(modelTopic);
    produce(topic, events("pump", rows(300, 0.0, 4)));

    Run r = run(retrainArgs(topic, modelTopic, "--publish"));
    assertEquals(RetrainCommand.EXIT_REJECTED, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("Rejected v2 (NOT_ENOUGH_DATA): not enough data"), r.out());
    assertEquals(1, current(modelTopic).version(), "the champion stays");
    List<ModelEvent> events = modelEvents(modelTopic);
    assertEquals(1, events.size());
    assertEquals(ModelEventKind.REJECTED, events.get(0).kind());
    assertEquals("NOT_ENOUGH_DATA", events.get(0).reason());
  }

  @Test
  void aWindowOfCorruptedEventsIsRejectedBecauseTheChampionDropsThemAsAnomalies() throws Exception {
    String topic = "rt-corrupt-events";
    String modelTopic = "rt-corrupt-models";
    publishChampion(modelTopic);
    Dataset d = rows(1500, 0.0, 5);
    double[] x = d.values().clone();
    for (int r = 0; r < d.rows(); r++) {
      x[r * 3 + 1] += 15; // a stuck temperature sensor: every event far off the load curve
    }
    produce(topic, events("pump", new Dataset("corrupt", NAMES, x, d.rows())));

    Run r = run(retrainArgs(topic, modelTopic, "--publish"));
    assertEquals(RetrainCommand.EXIT_REJECTED, r.code(), r.out() + r.err());
    java.util.regex.Matcher dropped = java.util.regex.Pattern.compile("Dropped (\\d+) event").matcher(r.err());
    assertTrue(dropped.find(), r.err());
    // 30 standard deviations off the curve: all but a handful are anomalies to the champion.
    assertTrue(Integer.parseInt(dropped.group(1)) >= 1450, r.err());
    assertTrue(r.out().contains("NOT_ENOUGH_DATA"), r.out());
    assertEquals(1, current(modelTopic).version());
  }

  @Test
  void aDryRunValidatesWithoutPublishing() throws Exception {
    String topic = "rt-dry-events";
    String modelTopic = "rt-dry-models";
    publishChampion(modelTopic);
    produce(topic, events("pump", rows(3000, 1.5, 6)));
    Path champion = dir.resolve("champion.fgm");
    ModelFormat.write(CHAMPION, champion);

    Run r = run(retrainArgs(topic, modelTopic, "--model-in", champion.toString()));
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("Validated pump v2 (dry run, not published"), r.out());
    assertEquals(1, current(modelTopic).version());
    assertEquals(List.of(), modelEvents(modelTopic));
  }

  @Test
  void maxEventsTrainsOnAUniformSampleOfTheWindow() throws Exception {
    String topic = "rt-sample-events";
    String modelTopic = "rt-sample-models";
    publishChampion(modelTopic);
    produce(topic, events("pump", rows(4000, 1.5, 8)));
    Path out = dir.resolve("sampled.fgm");

    Run r = run(retrainArgs(topic, modelTopic, "--max-events", "2500", "--out", out.toString()));
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.err().contains("Kept a uniform sample of 2500 of the 4000 events"), r.err());
    long rows = ModelFormat.read(out).provenance().lineage().orElseThrow().dataRows();
    // 2500 sampled, minus what the champion flags on the shifted regime (up to about 15 % measured).
    assertTrue(rows <= 2500 && rows > 1900, "trained on " + rows);
  }

  @Test
  void publishingARefreshOfAnOlderModelFileThanTheStoreHoldsIsRefused() throws Exception {
    String topic = "rt-old-events";
    String modelTopic = "rt-old-models";
    publishChampion(modelTopic);
    FlowModel v2 = new FlowModel("pump", 2, CHAMPION.preprocessor(), CHAMPION.flow(), CHAMPION.calibration(),
        CHAMPION.provenance());
    ModelHistory.publish(KAFKA.clientProperties(), modelTopic, ModelFormat.toBytes(v2));
    produce(topic, events("pump", rows(600, 0.0, 9)));
    Path v1 = dir.resolve("v1.fgm");
    ModelFormat.write(CHAMPION, v1);

    Run r = run(retrainArgs(topic, modelTopic, "--model-in", v1.toString(), "--publish"));
    assertEquals(FlowguardCli.EXIT_USAGE, r.code(), r.out() + r.err());
    assertTrue(r.err().contains("already holds v2 of 'pump', newer than --model-in v1"), r.err());
    assertEquals(2, current(modelTopic).version());
  }

  @Test
  void withSignThePublishedChallengerAndTheOutFileCarryItsSignature() throws Exception {
    String topic = "rt-signed-events";
    String modelTopic = "rt-signed-models";
    publishChampion(modelTopic);
    produce(topic, events("pump", rows(3000, 1.5, 10)));
    KeyPair keys = ModelSignature.generate();
    Path key = dir.resolve("publisher.key");
    Files.writeString(key, ModelSignature.privateKeyPem(keys.getPrivate()));
    Path out = dir.resolve("challenger.fgm");

    Run r = run(retrainArgs(topic, modelTopic, "--publish", "--out", out.toString(), "--sign", key.toString()));
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("bytes, signed)"), r.out());
    ModelRecord record = ModelTopic.current(KAFKA.clientProperties(), modelTopic, "pump").orElseThrow();
    assertEquals(2, ModelFormat.read(record.bytes()).version());
    List<PublicKey> verification = List.of(keys.getPublic());
    assertTrue(ModelSignature.verify(verification, record.bytes(), record.signature()),
        "the model record carries the signature of its bytes");
    byte[] fileSignature = ModelSignature.parseSignatureFile(
        Files.readString(Path.of(out + ModelSignature.FILE_SUFFIX)));
    assertTrue(ModelSignature.verify(verification, Files.readAllBytes(out), fileSignature),
        "--out gets its signature file");
  }

  @Test
  void signWithoutPublishOrOutAndAMissingKeyAreUserErrorsBeforeAnyWork() throws Exception {
    String modelTopic = "rt-signerr-models";
    publishChampion(modelTopic);
    produce("rt-signerr-events", events("pump", rows(10, 0.0, 11)));

    Run dryRun = run(retrainArgs("rt-signerr-events", modelTopic, "--sign", dir.resolve("k").toString()));
    assertEquals(FlowguardCli.EXIT_USAGE, dryRun.code());
    assertTrue(dryRun.err().contains("--sign signs what --publish publishes"), dryRun.err());

    Run noKey = run(retrainArgs("rt-signerr-events", modelTopic, "--publish", "--sign",
        dir.resolve("missing.key").toString()));
    assertEquals(FlowguardCli.EXIT_USAGE, noKey.code());
    assertTrue(noKey.err().contains("missing.key"), noKey.err());
    assertTrue(!noKey.err().contains("Reading "), "fails before reading the topic: " + noKey.err());
    assertEquals(1, current(modelTopic).version());
  }

  @Test
  void userErrorsExitTwoWithOneClearLine() throws Exception {
    String modelTopic = "rt-errors-models";
    publishChampion(modelTopic);
    produce("rt-errors-events", events("pump", rows(10, 0.0, 7)));

    Run unknownTopic = run(retrainArgs("rt-no-such-topic", modelTopic));
    assertEquals(FlowguardCli.EXIT_USAGE, unknownTopic.code());
    assertTrue(unknownTopic.err().contains("topic 'rt-no-such-topic' does not exist"), unknownTopic.err());

    Run noModel = run(retrainArgs("rt-errors-events", "rt-errors-empty-models"));
    assertEquals(FlowguardCli.EXIT_USAGE, noModel.code());
    assertTrue(noModel.err().contains("no model 'pump' on topic 'rt-errors-empty-models'"), noModel.err());

    Run badSince = run("retrain", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", "rt-errors-events",
        "--since", "yesterday", "--model", "pump");
    assertEquals(FlowguardCli.EXIT_USAGE, badSince.code());
    assertTrue(badSince.err().contains("--since"), badSince.err());

    Run negative = run(retrainArgs("rt-errors-events", modelTopic, "--hold-out", "1.5"));
    assertEquals(FlowguardCli.EXIT_USAGE, negative.code());
    assertTrue(negative.err().contains("hold-out fraction"), negative.err());

    Run missing = run("retrain", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", "rt-errors-events",
        "--since", "PT1H");
    assertEquals(FlowguardCli.EXIT_USAGE, missing.code());
    assertTrue(missing.err().contains("--model NAME"), missing.err());

    Path notAModel = dir.resolve("junk.fgm");
    Files.writeString(notAModel, "junk");
    Run junk = run(retrainArgs("rt-errors-events", modelTopic, "--model-in", notAModel.toString()));
    assertEquals(FlowguardCli.EXIT_USAGE, junk.code());
    assertTrue(junk.err().contains("not a Flowguard model file"), junk.err());
    for (Run each : List.of(unknownTopic, noModel, badSince, negative, missing, junk)) {
      assertTrue(!each.err().contains("\tat "), "no stack trace without --verbose: " + each.err());
    }
  }

  @Test
  void helpTeachesTheExitCodesAndAnExample() {
    Run r = run("retrain", "--help");
    assertEquals(0, r.code());
    assertTrue(r.out().contains("Exit codes: 0 promoted, 3 rejected"), r.out());
    assertTrue(r.out().contains("--since PT24H --model pump"), r.out());
  }

  static Properties props() {
    return KAFKA.clientProperties();
  }
}
