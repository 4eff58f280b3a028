package io.flowguard.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.connectors.event.CsvEventCodec;
import io.flowguard.connectors.event.EventCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobConfigTest {

  @Test
  void defaultsApplyWhenOnlyTheBrokerIsGiven() {
    JobConfig c = JobConfig.of(Map.of("bootstrap.servers", "kafka:9092"));
    assertEquals("kafka:9092", c.bootstrapServers());
    assertEquals(java.util.List.of("events"), c.eventsTopics());
    assertEquals("scores", c.scoresTopic());
    assertEquals("alerts", c.alertsTopic());
    assertEquals("dead-letters", c.deadLettersTopic());
    assertEquals("flowguard-models", c.modelTopic());
    assertEquals(Optional.empty(), c.modelDirectory());
    assertEquals(0.001, c.falseAlarmRate());
    assertArrayEquals(new int[] {32, 128}, c.typicalityWindows());
    assertEquals(0.999, c.typicalityAlpha());
    assertEquals(Optional.empty(), c.parallelism());
    assertEquals(Duration.ofSeconds(10), c.checkpointInterval());
    assertEquals(DeliveryGuarantee.EXACTLY_ONCE, c.deliveryGuarantee());
    assertEquals(1000, c.pendingMaxEvents());
    assertEquals(Duration.ofSeconds(60), c.pendingTimeout());
    assertTrue(c.decoder() instanceof EventCodec);
  }

  @Test
  void aConfigFileIsReadAndArgumentsOverrideIt(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("job.properties");
    Files.writeString(file, String.join("\n",
        "bootstrap.servers=a:1", "scores.topic=s1", "typicality.windows=8, 32",
        "kafka.security.protocol=SASL_SSL",
        "kafka.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule"
            + " required username=\"u\" password=\"hunter2\";"), StandardCharsets.UTF_8);
    JobConfig c = JobConfig.fromArgs(new String[] {
        "--config", file.toString(), "--scores.topic", "s2", "--parallelism=4",
        "--delivery.guarantee", "at-least-once", "--checkpoint.interval", "500 ms"});
    assertEquals("a:1", c.bootstrapServers());
    assertEquals("s2", c.scoresTopic());
    assertArrayEquals(new int[] {8, 32}, c.typicalityWindows());
    assertEquals(Optional.of(4), c.parallelism());
    assertEquals(DeliveryGuarantee.AT_LEAST_ONCE, c.deliveryGuarantee());
    assertEquals(Duration.ofMillis(500), c.checkpointInterval());
    assertEquals("SASL_SSL", c.kafkaProperties().getProperty("security.protocol"));
    assertTrue(c.kafkaProperties().getProperty("sasl.jaas.config").contains("hunter2"));
    assertFalse(c.describe().contains("hunter2"), "secrets are masked in logs");
    assertTrue(c.describe().contains("kafka.security.protocol = SASL_SSL"));
  }

  @Test
  void sinksGetDistinctTransactionalIdPrefixes() {
    JobConfig c = JobConfig.of(Map.of("bootstrap.servers", "a:1", "transactional-id.prefix", "fg"));
    assertEquals("fg-scores", c.sinkOptions("scores").transactionalIdPrefix());
    assertEquals("fg-alerts", c.sinkOptions("alerts").transactionalIdPrefix());
    assertEquals(Duration.ofMinutes(15), c.sinkOptions("alerts").transactionTimeout());
  }

  @Test
  void csvEventsNeedTheirColumns() {
    assertThrows(IllegalArgumentException.class,
        () -> JobConfig.of(Map.of("bootstrap.servers", "a:1", "events.format", "csv")));
    JobConfig c = JobConfig.of(Map.of("bootstrap.servers", "a:1", "events.format", "csv",
        "events.csv.columns", "key,ts,x,y", "events.csv.timestamp", "ts"));
    assertEquals(java.util.List.of("x", "y"), ((CsvEventCodec) c.decoder()).featureColumns());
  }

  @Test
  void mistakesAreReportedByKey() {
    Map<String, String> base = Map.of("bootstrap.servers", "a:1");
    JobConfig ok = JobConfig.of(base);
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> JobConfig.of(Map.of())).getMessage().contains("bootstrap.servers"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> ok.with("scores.topik", "x")).getMessage().contains("unknown option 'scores.topik'"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> ok.with("false.alarm.rate", "2")).getMessage().contains("false.alarm.rate"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> ok.with("checkpoint.interval", "soon")).getMessage().contains("checkpoint.interval"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> ok.with("delivery.guarantee", "maybe")).getMessage().contains("delivery.guarantee"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> JobConfig.fromArgs(new String[] {"--parallelism"})).getMessage().contains("value"));
  }

  @Test
  void retrainingIsOffByDefaultWithDocumentedDefaults() {
    JobConfig c = JobConfig.of(Map.of("bootstrap.servers", "a:1"));
    assertFalse(c.retrainEnabled());
    assertEquals(Duration.ofHours(1), c.retrainInterval());
    assertEquals(0.1, c.retrainSampleRate());
    assertEquals(10_000, c.retrainReservoirSize());
    assertEquals(io.flowguard.job.retrain.Reservoir.Algorithm.RECENT,
        c.retrainReservoirAlgorithm());
    assertEquals(0.05, c.retrainMaxKeyShare());
    assertEquals(1000, c.retrainMinRows());
    assertEquals(0.2, c.retrainHoldoutFraction());
    assertTrue(c.retrainDriftTrigger());
    assertEquals(1e-12, c.retrainDriftMinTailProbability());
    assertEquals(0.25, c.retrainCpuShare());
    assertEquals("flowguard-model-events", c.modelEventsTopic());
    assertEquals(10, c.modelHistoryVersions());
    io.flowguard.job.retrain.RetrainSettings s = io.flowguard.job.retrain.RetrainSettings.of(c);
    assertEquals("flowguard-models-history", s.historyTopic());
    assertEquals(Duration.ofMillis(200), s.pollInterval());
  }

  @Test
  void retrainingMistakesAreReportedByKey() {
    JobConfig ok = JobConfig.of(Map.of("bootstrap.servers", "a:1"));
    Map<String, String> bad = Map.ofEntries(
        Map.entry("retrain.enabled", "yes"), Map.entry("retrain.sample-rate", "0"),
        Map.entry("retrain.reservoir.algorithm", "newest"),
        Map.entry("retrain.max-key-share", "1.5"), Map.entry("retrain.min-rows", "50"),
        Map.entry("retrain.holdout-fraction", "0.95"),
        Map.entry("retrain.drift.alert-fraction", "0"), Map.entry("retrain.drift.blocks", "0"),
        Map.entry("retrain.interval", "later"), Map.entry("model.history.versions", "0"),
        Map.entry("retrain.cpu-share", "0"));
    for (Map.Entry<String, String> e : bad.entrySet()) {
      String message = assertThrows(IllegalArgumentException.class,
          () -> ok.with(e.getKey(), e.getValue())).getMessage();
      assertTrue(message.contains(e.getKey()), message);
    }
    // Promotions go to the model topic: a job reading a model directory would never see them.
    String message = assertThrows(IllegalArgumentException.class, () -> ok.with(Map.of(
        "retrain.enabled", "true", "model.directory", "/models"))).getMessage();
    assertTrue(message.contains("model.directory"), message);
  }

  /**
   * Max parallelism is set explicitly (a savepoint fixes it: left to Flink it would be derived from the
   * first deployment's parallelism), and a parallelism above it is refused with the option to raise.
   */
  @Test
  void maxParallelismIsExplicitAndBoundsTheParallelism() {
    JobConfig c = JobConfig.of(Map.of("bootstrap.servers", "kafka:9092", "parallelism", "4"));
    assertEquals(720, c.maxParallelism());
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    new FlowguardPipeline(c).configure(env);
    assertEquals(720, env.getMaxParallelism());
    assertEquals(4, env.getParallelism());

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JobConfig.of(
        Map.of("bootstrap.servers", "kafka:9092", "parallelism", "200", "max-parallelism", "128")));
    assertTrue(e.getMessage().contains("parallelism 200 exceeds max-parallelism 128"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> JobConfig.of(
        Map.of("bootstrap.servers", "kafka:9092", "max-parallelism", "0")));
  }

  @Test
  void everyOptionIsDocumented() throws Exception {
    Path doc = Path.of("..", "docs", "configuration.md");
    String text = Files.readString(doc, StandardCharsets.UTF_8);
    for (JobConfig.Option o : JobConfig.allOptions()) {
      assertTrue(text.contains("| `" + o.key() + "` |"), o.key() + " is missing from " + doc);
    }
  }

  /**
   * The docker deployment's job arguments (job.properties plus the compose file's overrides, after
   * Flink's "--" separator) are a valid configuration: a renamed option breaks this test, not the stack.
   */
  @Test
  void dockerComposeJobArgumentsAreAValidConfiguration() throws Exception {
    Path props = Path.of("..", "docker", "job.properties");
    String compose = Files.readString(Path.of("..", "docker", "docker-compose.yml"), StandardCharsets.UTF_8);
    for (String key : new String[] {"--config", "--bootstrap.servers", "--events.topic", "--scores.topic",
        "--alerts.topic", "--dead-letters.topic", "--model.topic"}) {
      assertTrue(compose.contains(key + " "), "compose passes " + key);
    }
    JobConfig config = JobConfig.fromArgs(new String[] {"--config", props.toString(), "--bootstrap.servers",
        "kafka:19092", "--events.topic", "events", "--scores.topic", "scores", "--alerts.topic", "alerts",
        "--dead-letters.topic", "dead-letters", "--model.topic", "flowguard-models"});
    assertEquals("kafka:19092", config.bootstrapServers());
  }
}
