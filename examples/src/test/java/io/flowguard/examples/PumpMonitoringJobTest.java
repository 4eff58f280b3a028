package io.flowguard.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.connectors.event.DeadLetterReason;
import io.flowguard.connectors.kafka.EmbeddedKafka;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.ModelTrainer;
import io.flowguard.core.score.Scorer;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingListener;
import io.flowguard.flink.ModelSource;
import io.flowguard.flink.Rejected;
import io.flowguard.flink.Scored;
import io.flowguard.flink.ScoredStreams;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The user job of the examples, end to end: JSON pump readings on a real (in-process) Kafka broker,
 * the job's scoring part on a MiniCluster, a model trained here on normal readings.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class PumpMonitoringJobTest {

  @RegisterExtension
  static final MiniClusterExtension CLUSTER = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder()
          .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  static EmbeddedKafka kafka;

  @BeforeAll
  static void startKafka() {
    kafka = new EmbeddedKafka().start();
  }

  @AfterAll
  static void stopKafka() {
    kafka.close();
  }

  /** Normal pumps: pressure follows temperature; vibration is independent. */
  static double[] normal(Random rng) {
    double t = 60 + 5 * rng.nextGaussian();
    double p = 1.2 + 0.02 * (t - 60) + 0.05 * rng.nextGaussian();
    double v = 0.3 + 0.05 * rng.nextGaussian();
    return new double[] {t, p, v};
  }

  static byte[] trainModel() {
    Random rng = new Random(1);
    int n = 3000;
    double[] x = new double[n * 3];
    for (int i = 0; i < n; i++) {
      System.arraycopy(normal(rng), 0, x, 3 * i, 3);
    }
    Dataset data = new Dataset("pumps", List.of("temperature", "pressure", "vibration"), x, n);
    FlowModel model = ModelTrainer.train(data, new ModelTrainer.Options("pump", 1,
            FlowSpec.of(FlowSpec.MAF, 3).withLayers(2).withHidden(16, 16),
            TrainingConfig.defaults().withSteps(300).withEvalEvery(50).withSeed(1), 0.3),
        TrainingListener.NONE).model();
    return ModelFormat.toBytes(model);
  }

  static String json(String pump, long time, double[] f) {
    return "{\"pump\":\"" + pump + "\",\"time\":" + time + ",\"temperature\":" + f[0]
        + ",\"pressure\":" + f[1] + ",\"vibration\":" + f[2] + "}";
  }

  @Test
  void readingsFromKafkaAreScoredAndTheBrokenOnesRejected(@TempDir Path models) throws Exception {
    byte[] model = trainModel();
    Files.write(models.resolve("pump.fgm"), model);
    String topic = "pump-readings";
    kafka.createTopic(topic, 2, false);
    Random rng = new Random(2);
    List<String> sent = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      sent.add(json("p" + (i % 5), i, normal(rng)));
    }
    sent.add(json("p1", 500, new double[] {60, 4.1, 0.3}));        // pressure far from typical
    sent.add("{\"pump\":\"p2\",\"time\":501,\"temperature\":61}"); // sensors missing
    sent.add("not json at all");
    Properties props = kafka.clientProperties();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props,
        new ByteArraySerializer(), new ByteArraySerializer())) {
      for (String s : sent) {
        producer.send(new ProducerRecord<>(topic, s.getBytes(StandardCharsets.UTF_8)));
      }
    }

    Configuration conf = new Configuration();
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setParallelism(2);
    KafkaSource<PumpReading> source = KafkaSource.<PumpReading>builder()
        .setBootstrapServers(kafka.bootstrapServers()).setTopics(topic).setGroupId("example")
        .setStartingOffsets(OffsetsInitializer.earliest())
        .setBounded(OffsetsInitializer.latest())
        .setValueOnlyDeserializer(new PumpReadingSchema())
        .build();
    ScoredStreams<Scored<PumpReading>, Rejected<PumpReading>> out = PumpMonitoringJob.score(
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "readings"),
        ModelSource.directory(models.toString(), Duration.ZERO));
    CloseableIterator<Scored<PumpReading>> scores = out.scores().collectAsync();
    CloseableIterator<Rejected<PumpReading>> rejected = out.rejected().collectAsync();
    env.execute("pump-example");

    List<Scored<PumpReading>> got = new ArrayList<>();
    scores.forEachRemaining(got::add);
    List<Rejected<PumpReading>> bad = new ArrayList<>();
    rejected.forEachRemaining(bad::add);
    assertEquals(sent.size(), got.size() + bad.size(), "every record comes out, scored or rejected");
    assertEquals(401, got.size());
    assertEquals(2, bad.size());
    assertTrue(bad.stream().allMatch(r -> r.reason() == DeadLetterReason.MISSING_FEATURE), bad.toString());
    assertTrue(bad.stream().anyMatch(r -> "not json at all".equals(r.event().raw)));

    Scorer scorer = new Scorer(ModelFormat.read(model), 1e-3);
    Scorer.Score want = new Scorer.Score();
    long anomalies = 0;
    for (Scored<PumpReading> s : got) {
      PumpReading r = s.event();
      scorer.score(new double[] {r.temperature, r.pressure, r.vibration}, want);
      assertEquals(want.logDensity, s.logDensity(), 1e-9);
      if (s.anomaly()) {
        anomalies++;
      }
    }
    Scored<PumpReading> broken = got.stream().filter(s -> s.event().time == 500).findFirst()
        .orElseThrow();
    assertTrue(broken.anomaly(), "pressure 4.1 where ~1.2 is typical: " + broken);
    assertTrue(anomalies <= 5, anomalies + " anomalies among 400 normal readings at rate 1e-3");
  }
}
