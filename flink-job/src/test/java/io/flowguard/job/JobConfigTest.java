package io.flowguard.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.connectors.event.CsvEventCodec;
import io.flowguard.connectors.event.EventCodec;
import io.flowguard.flink.FlowguardOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobConfigTest {

  private static final String BROKER = "flowguard.kafka.bootstrap-servers";

  /** Every key of the release before typed options: each must keep working (as a deprecated key). */
  private static final List<String> KEYS_BEFORE_TYPED_OPTIONS = List.of(
      "bootstrap.servers", "events.topic", "events.format", "events.csv.columns", "events.csv.key",
      "events.csv.timestamp", "events.csv.model", "events.max-record-bytes",
      "events.starting-offsets", "scores.topic", "alerts.topic", "dead-letters.topic", "group.id",
      "model.topic", "model.directory", "model.directory.rescan", "false.alarm.rate",
      "typicality.windows", "typicality.alpha", "parallelism", "max-parallelism",
      "checkpoint.interval", "delivery.guarantee", "transactional-id.prefix", "transaction.timeout",
      "pending.max-events", "pending.timeout", "job.name", "model-events.topic",
      "model.history.versions", "retrain.enabled", "retrain.interval", "retrain.sample-rate",
      "retrain.reservoir.size", "retrain.reservoir.algorithm", "retrain.max-key-share",
      "retrain.min-rows", "retrain.holdout-fraction", "retrain.tolerance", "retrain.cpu-share",
      "retrain.drift.trigger", "retrain.drift.block", "retrain.drift.alert-fraction",
      "retrain.drift.blocks", "retrain.drift.min-tail-probability");

  @Test
  void defaultsApplyWhenOnlyTheBrokerIsGiven() {
    JobConfig c = JobConfig.of(Map.of(BROKER, "kafka:9092"));
    assertEquals("kafka:9092", c.bootstrapServers());
    assertEquals(List.of("events"), c.eventsTopics());
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
    assertEquals(JobOptions.StartingOffsets.COMMITTED, c.startingOffsets());
    assertTrue(c.decoder() instanceof EventCodec);
  }

  @Test
  void aConfigFileIsReadAndArgumentsOverrideIt(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("job.properties");
    Files.writeString(file, String.join("\n",
        BROKER + "=a:1", "flowguard.kafka.scores-topic=s1",
        "flowguard.scoring.typicality.windows=8;32",
        "flowguard.kafka.property.security.protocol=SASL_SSL",
        "flowguard.kafka.property.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule"
            + " required username=\"u\" password=\"hunter2\";"), StandardCharsets.UTF_8);
    JobConfig c = JobConfig.fromArgs(new String[] {
        "--config", file.toString(), "--flowguard.kafka.scores-topic", "s2",
        "--parallelism.default=4", "--flowguard.kafka.delivery-guarantee", "at-least-once",
        "--execution.checkpointing.interval", "500 ms"});
    assertEquals("a:1", c.bootstrapServers());
    assertEquals("s2", c.scoresTopic());
    assertArrayEquals(new int[] {8, 32}, c.typicalityWindows());
    assertEquals(Optional.of(4), c.parallelism());
    assertEquals(DeliveryGuarantee.AT_LEAST_ONCE, c.deliveryGuarantee());
    assertEquals(Duration.ofMillis(500), c.checkpointInterval());
    assertEquals("SASL_SSL", c.kafkaProperties().getProperty("security.protocol"));
    assertTrue(c.kafkaProperties().getProperty("sasl.jaas.config").contains("hunter2"));
    assertFalse(c.describe().contains("hunter2"), "secrets are masked in logs");
    assertTrue(c.describe().contains("flowguard.kafka.property.security.protocol = SASL_SSL"));
  }

  /** A job.properties of the release before typed options reads as the same configuration. */
  @Test
  void deprecatedKeysReadAsTheirCurrentOptions(@TempDir Path dir) throws Exception {
    Path old = dir.resolve("old.properties");
    Files.writeString(old, String.join("\n", "bootstrap.servers=a:1", "events.topic=e1,e2",
        "false.alarm.rate=0.01", "typicality.windows=8, 32", "checkpoint.interval=2 s",
        "parallelism=3", "delivery.guarantee=at_least_once", "retrain.holdout-fraction=0.3",
        "retrain.reservoir.algorithm=uniform", "model.directory=", "job.name=j",
        "kafka.security.protocol=SASL_SSL"), StandardCharsets.UTF_8);
    JobConfig fromOld = JobConfig.fromArgs(new String[] {"--config", old.toString()});
    JobConfig current = JobConfig.of(Map.ofEntries(Map.entry(BROKER, "a:1"),
        Map.entry("flowguard.kafka.events-topic", "e1;e2"),
        Map.entry("flowguard.scoring.false-alarm-rate", "0.01"),
        Map.entry("flowguard.scoring.typicality.windows", "8;32"),
        Map.entry("execution.checkpointing.interval", "2 s"), Map.entry("parallelism.default", "3"),
        Map.entry("flowguard.kafka.delivery-guarantee", "at-least-once"),
        Map.entry("flowguard.retrain.hold-out", "0.3"),
        Map.entry("flowguard.retrain.reservoir.algorithm", "uniform"),
        Map.entry("pipeline.name", "j"),
        Map.entry("flowguard.kafka.property.security.protocol", "SASL_SSL")));
    assertEquals(current, fromOld);
    assertEquals(List.of("e1", "e2"), fromOld.eventsTopics());
    assertEquals(Optional.empty(), fromOld.modelDirectory(), "an empty value leaves it unset");
  }

  @Test
  void everyKeyOfTheEarlierReleaseIsADeprecatedKeyOfAnOption() {
    Set<String> deprecated = new TreeSet<>();
    for (ConfigOption<?> o : JobOptions.all()) {
      deprecated.addAll(OptionDocs.deprecatedKeys(o));
    }
    assertEquals(new TreeSet<>(KEYS_BEFORE_TYPED_OPTIONS), deprecated);
  }

  /** The later argument wins, whether it or the file uses the deprecated spelling. */
  @Test
  void anArgumentWinsOverTheFileWhicheverKeyEitherUses(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("job.properties");
    Files.writeString(file, BROKER + "=a:1\nflowguard.scoring.false-alarm-rate=0.001\n",
        StandardCharsets.UTF_8);
    JobConfig c = JobConfig.fromArgs(new String[] {"--config", file.toString(),
        "--false.alarm.rate", "0.0001"});
    assertEquals(0.0001, c.falseAlarmRate());
  }

  @Test
  void oneSettingUnderBothKeysWithDifferentValuesIsRefused() {
    String message = assertThrows(IllegalArgumentException.class, () -> JobConfig.of(Map.of(
        BROKER, "a:1", "false.alarm.rate", "0.1", "flowguard.scoring.false-alarm-rate", "0.2")))
        .getMessage();
    assertTrue(message.contains("flowguard.scoring.false-alarm-rate is given twice"), message);
  }

  @Test
  void anUnknownKeyIsAnErrorThatSuggestsTheClosestKey() {
    JobConfig ok = JobConfig.of(Map.of(BROKER, "a:1"));
    Map<String, String> expected = Map.of(
        "scores.topik", "flowguard.kafka.scores-topic",          // a typo of a deprecated key
        "flowguard.scoring.false-alarm-rat", "flowguard.scoring.false-alarm-rate",
        "false-alarm-rate", "flowguard.scoring.false-alarm-rate", // the CLI's spelling
        "execution.checkpointing.dri", "execution.checkpointing.dir"); // one of Flink's
    expected.forEach((given, meant) -> {
      String message = assertThrows(IllegalArgumentException.class, () -> ok.with(given, "1"))
          .getMessage();
      assertTrue(message.contains("unknown option '" + given + "'; did you mean '" + meant + "'?"),
          message);
    });
    String far = assertThrows(IllegalArgumentException.class, () -> ok.with("colour", "blue"))
        .getMessage();
    assertTrue(far.startsWith("unknown option 'colour' ("), far);
  }

  @Test
  void flinksOwnOptionsPassThroughToFlink() {
    JobConfig c = JobConfig.of(Map.of(BROKER, "a:1",
        "execution.checkpointing.dir", "file:///tmp/ckpt",
        "execution.state-recovery.path", "file:///tmp/ckpt/abc/chk-7",
        "state.backend.type", "rocksdb",
        "metrics.reporter.prom.factory.class", "org.example.Factory",
        "checkpoint.interval", "3 s"));
    Configuration flink = c.flinkConfiguration();
    assertEquals("file:///tmp/ckpt", flink.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY));
    assertEquals("file:///tmp/ckpt/abc/chk-7", flink.get(StateRecoveryOptions.SAVEPOINT_PATH));
    assertEquals("rocksdb", flink.getString("state.backend.type", ""));
    assertEquals("org.example.Factory", flink.getString("metrics.reporter.prom.factory.class", ""));
    assertEquals(Duration.ofSeconds(3), flink.get(CheckpointingOptions.CHECKPOINTING_INTERVAL));
    assertEquals(720, flink.get(JobOptions.MAX_PARALLELISM));
    assertEquals(ExternalizedCheckpointRetention.DELETE_ON_CANCELLATION, c.with(
            "execution.checkpointing.externalized-checkpoint-retention", "DELETE_ON_CANCELLATION")
        .flinkConfiguration().get(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION));
  }

  @Test
  void sinksGetDistinctTransactionalIdPrefixes() {
    JobConfig c = JobConfig.of(Map.of(BROKER, "a:1", "flowguard.kafka.transactional-id-prefix", "fg"));
    assertEquals("fg-scores", c.sinkOptions("scores").transactionalIdPrefix());
    assertEquals("fg-alerts", c.sinkOptions("alerts").transactionalIdPrefix());
    assertEquals(Duration.ofMinutes(15), c.sinkOptions("alerts").transactionTimeout());
  }

  @Test
  void csvEventsNeedTheirColumns() {
    String message = assertThrows(IllegalArgumentException.class,
        () -> JobConfig.of(Map.of(BROKER, "a:1", "flowguard.events.format", "csv"))).getMessage();
    assertTrue(message.contains("flowguard.events.csv.columns"), message);
    JobConfig c = JobConfig.of(Map.of(BROKER, "a:1", "flowguard.events.format", "csv",
        "flowguard.events.csv.columns", "key,ts,x,y", "flowguard.events.csv.timestamp", "ts"));
    assertEquals(List.of("x", "y"), ((CsvEventCodec) c.decoder()).featureColumns());
  }

  @Test
  void mistakesAreReportedByKey() {
    JobConfig ok = JobConfig.of(Map.of(BROKER, "a:1"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> JobConfig.of(Map.of())).getMessage().contains(BROKER));
    Map<String, String> bad = Map.of(
        "flowguard.scoring.false-alarm-rate", "2",
        "flowguard.scoring.typicality.alpha", "1",
        "flowguard.scoring.typicality.windows", "8;8",
        "flowguard.scoring.pending.timeout", "0 ms",
        "execution.checkpointing.interval", "soon",
        "flowguard.kafka.delivery-guarantee", "maybe",
        "flowguard.kafka.starting-offsets", "newest",
        "flowguard.events.max-record-bytes", "many");
    bad.forEach((key, value) -> {
      String message = assertThrows(IllegalArgumentException.class, () -> ok.with(key, value))
          .getMessage();
      assertTrue(message.contains(key), message);
    });
    String deprecated = assertThrows(IllegalArgumentException.class,
        () -> ok.with("false.alarm.rate", "2")).getMessage();
    assertTrue(deprecated.contains("flowguard.scoring.false-alarm-rate"), deprecated);
    String choices = assertThrows(IllegalArgumentException.class,
        () -> ok.with("flowguard.kafka.delivery-guarantee", "maybe")).getMessage();
    assertTrue(choices.contains("exactly-once") && choices.contains("at-least-once"), choices);
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> JobConfig.fromArgs(new String[] {"--parallelism.default"})).getMessage()
        .contains("value"));
  }

  @Test
  void retrainingIsOffByDefaultWithDocumentedDefaults() {
    JobConfig c = JobConfig.of(Map.of(BROKER, "a:1"));
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
    JobConfig ok = JobConfig.of(Map.of(BROKER, "a:1"));
    Map<String, String> bad = Map.ofEntries(
        Map.entry("flowguard.retrain.enabled", "yes"),
        Map.entry("flowguard.retrain.sample-rate", "0"),
        Map.entry("flowguard.retrain.reservoir.algorithm", "newest"),
        Map.entry("flowguard.retrain.max-key-share", "1.5"),
        Map.entry("flowguard.retrain.min-rows", "50"),
        Map.entry("flowguard.retrain.hold-out", "0.95"),
        Map.entry("flowguard.retrain.drift.alert-fraction", "0"),
        Map.entry("flowguard.retrain.drift.blocks", "0"),
        Map.entry("flowguard.retrain.interval", "later"),
        Map.entry("flowguard.model.history-versions", "0"),
        Map.entry("flowguard.retrain.cpu-share", "0"));
    for (Map.Entry<String, String> e : bad.entrySet()) {
      String message = assertThrows(IllegalArgumentException.class,
          () -> ok.with(e.getKey(), e.getValue())).getMessage();
      assertTrue(message.contains(e.getKey()), message);
    }
    // Promotions go to the model topic: a job reading a model directory would never see them.
    String message = assertThrows(IllegalArgumentException.class, () -> ok.with(Map.of(
        "flowguard.retrain.enabled", "true", "flowguard.model.directory", "/models"))).getMessage();
    assertTrue(message.contains("flowguard.model.directory"), message);
  }

  /**
   * Max parallelism is set explicitly (a savepoint fixes it: left to Flink it would be derived from the
   * first deployment's parallelism), and a parallelism above it is refused with the option to raise.
   */
  @Test
  void maxParallelismIsExplicitAndBoundsTheParallelism() {
    JobConfig c = JobConfig.of(Map.of(BROKER, "kafka:9092", "parallelism.default", "4"));
    assertEquals(720, c.maxParallelism());
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    new FlowguardPipeline(c).configure(env);
    assertEquals(720, env.getMaxParallelism());
    assertEquals(4, env.getParallelism());

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JobConfig.of(
        Map.of(BROKER, "kafka:9092", "parallelism", "200", "max-parallelism", "128")));
    assertTrue(e.getMessage().contains("parallelism 200 (parallelism.default) exceeds"
        + " max-parallelism 128 (pipeline.max-parallelism)"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> JobConfig.of(
        Map.of(BROKER, "kafka:9092", "pipeline.max-parallelism", "0")));
  }

  @Test
  void theScoringSettingsAreThoseOfTheSharedOptions() {
    JobConfig c = JobConfig.of(Map.of(BROKER, "a:1", "flowguard.scoring.false-alarm-rate", "0.01",
        "flowguard.scoring.typicality.windows", "8", "flowguard.scoring.pending.max-events", "7"));
    var settings = c.scoringSettings();
    var direct = FlowguardOptions.scoringSettings(c.options());
    assertEquals(0.01, settings.falseAlarmRate());
    assertArrayEquals(new int[] {8}, settings.windows());
    assertEquals(7, settings.pendingMaxEvents());
    assertEquals(direct.falseAlarmRate(), settings.falseAlarmRate());
    assertArrayEquals(direct.windows(), settings.windows());
  }

  @Test
  void helpListsEveryOptionWithItsTypeDefaultAndDescription() {
    String help = OptionDocs.help();
    for (ConfigOption<?> o : JobOptions.all()) {
      String d = OptionDocs.defaultText(o);
      assertTrue(help.contains("--" + o.key() + " <" + OptionDocs.typeName(o) + ">"
          + (d.isEmpty() ? "" : "  (default: " + d + ")")), o.key());
      String firstWords = OptionDocs.description(o).split(" ")[0];
      assertFalse(firstWords.isBlank(), o.key() + " has a description");
    }
    assertTrue(help.contains("--flowguard.scoring.false-alarm-rate <Double>  (default: 0.001)"));
    assertTrue(help.contains("Replaces false.alarm.rate (deprecated)."));
  }

  /**
   * The docker deployment's job arguments (job.properties plus the compose file's overrides, after
   * Flink's "--" separator) are a valid configuration: a renamed option breaks this test, not the stack.
   */
  @Test
  void dockerComposeJobArgumentsAreAValidConfiguration() throws Exception {
    Path props = Path.of("..", "docker", "job.properties");
    String compose = Files.readString(Path.of("..", "docker", "docker-compose.yml"), StandardCharsets.UTF_8);
    String[] keys = {"--config", "--" + BROKER, "--flowguard.kafka.events-topic",
        "--flowguard.kafka.scores-topic", "--flowguard.kafka.alerts-topic",
        "--flowguard.kafka.dead-letters-topic", "--flowguard.kafka.model-topic"};
    for (String key : keys) {
      assertTrue(compose.contains(key + " "), "compose passes " + key);
    }
    JobConfig config = JobConfig.fromArgs(new String[] {"--config", props.toString(), keys[1],
        "kafka:19092", keys[2], "events", keys[3], "scores", keys[4], "alerts", keys[5],
        "dead-letters", keys[6], "flowguard-models"});
    assertEquals("kafka:19092", config.bootstrapServers());
    for (String line : Files.readAllLines(props, StandardCharsets.UTF_8)) {
      String l = line.strip();
      if (!l.isEmpty() && !l.startsWith("#")) {
        String key = l.substring(0, l.indexOf('='));
        assertFalse(OptionKeys.kind(key) == OptionKeys.Kind.DEPRECATED
            || OptionKeys.kind(key) == OptionKeys.Kind.DEPRECATED_KAFKA_PROPERTY,
            "job.properties uses the current key, not " + key);
      }
    }
  }
}
