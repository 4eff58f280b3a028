package io.flowguard.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowguard.connectors.event.DeadLetterJson;
import io.flowguard.connectors.kafka.RecordSizeLimit;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.job.Expectations.Sent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobID;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 19's records that stalled the job: a 600 kB record that fails decoding, a valid event with a
 * 600 000-character key, and a 5 MB record (the events topic allows 8 MiB, the output topics keep
 * the broker's stock 1 MiB). Each becomes one bounded dead letter, the job never restarts, and
 * every valid event before and after them is scored exactly once.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class OversizedOutputJobTest {

  static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension
  static final MiniClusterExtension MINI_CLUSTER = JobTests.miniCluster(REPORTER);

  @Test
  void oversizedAndLongKeyedRecordsAreDeadLetteredWithinTheLimitWithoutRestarts()
      throws Exception {
    JobConfig config = JobTests.config("oversize");
    JobTests.kafka().createTopic(config.eventsTopics().get(0), 2,
        Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(8 << 20)));
    JobTests.createTopics(config);
    ModelTopic.publish(config.clientProperties(), config.modelTopic(), TestModels.NAME,
        TestModels.v1());

    StreamExecutionEnvironment env = JobTests.environment(2);
    FlowguardPipeline pipeline = new FlowguardPipeline(config);
    pipeline.configure(env);
    pipeline.build(env);
    JobClient client = env.executeAsync(config.jobName());
    JobID job = client.getJobID();
    try {
      JobTests.awaitActiveVersion(REPORTER, job, TestModels.NAME, 1);
      List<Sent> before = Expectations.normalEvents(3, 10, 1_000, 1);
      List<Sent> after = Expectations.normalEvents(3, 10, 2_000, 2);
      byte[] notJson = ("{\"key\":\"k\",\"pad\":\"" + "x".repeat(600_000))
          .getBytes(StandardCharsets.UTF_8);
      byte[] longKey = TestModels.json("k".repeat(600_000), TestModels.NAME, 1_500,
          new double[] {1, 1, -2}).getBytes(StandardCharsets.UTF_8);
      byte[] huge = ("{\"key\":\"k\",\"pad\":\"" + "y".repeat(5_000_000) + "\"}")
          .getBytes(StandardCharsets.UTF_8);
      Map<String, byte[]> bad = Map.of("NOT_JSON", notJson, "KEY_TOO_LONG", longKey,
          "OVERSIZED", huge);

      List<byte[]> values = new ArrayList<>();
      before.forEach(s -> values.add(s.json()));
      values.add(notJson);
      values.add(longKey);
      values.add(huge);
      after.forEach(s -> values.add(s.json()));
      produceLarge(config.eventsTopics().get(0), values);

      int good = before.size() + after.size();
      JobTests.awaitCommitted(config.scoresTopic(), good, Duration.ofSeconds(90));
      JobTests.awaitCommitted(config.deadLettersTopic(), bad.size(), Duration.ofSeconds(60));
      JobTests.awaitOutputSettled(REPORTER, job);

      List<ConsumerRecord<byte[], byte[]>> scores = JobTests.readCommitted(config.scoresTopic());
      Set<Long> ts = new HashSet<>();
      for (JsonNode n : JobTests.jsons(scores)) {
        assertTrue(ts.add(n.get("ts").asLong()), "scored once: " + n.get("ts"));
      }
      Set<Long> sent = new HashSet<>();
      before.forEach(s -> sent.add(s.ts()));
      after.forEach(s -> sent.add(s.ts()));
      assertEquals(sent, ts, "every valid event before and after the bad records is scored");

      int limit = RecordSizeLimit.DEFAULT_MAX_REQUEST_BYTES - RecordSizeLimit.FRAMING_BYTES;
      Map<String, JsonNode> letters = new HashMap<>();
      for (ConsumerRecord<byte[], byte[]> r : JobTests.readCommitted(config.deadLettersTopic())) {
        assertTrue(r.value().length <= limit, r.value().length + " bytes > " + limit);
        JsonNode n = JobTests.json(r.value());
        letters.put(n.get("reason").asText(), n);
      }
      assertEquals(bad.keySet(), letters.keySet());
      bad.forEach((reason, original) -> {
        JsonNode n = letters.get(reason);
        assertEquals(original.length, n.get("originalBytes").asInt(), reason);
        assertEquals(DeadLetterJson.sha256(original), n.get("originalSha256").asText(), reason);
        assertTrue(n.get("truncated").asBoolean(), reason);
        assertEquals(DeadLetterJson.DEFAULT_MAX_ORIGINAL_BYTES,
            n.get("originalText").asText().length(), reason + ": an ASCII prefix of 64 KiB");
        assertTrue(n.get("original") == null, reason + ": the bytes are carried once");
      });
      assertEquals(0, JobTests.restarts(REPORTER, job));
    } finally {
      client.cancel().get(30, TimeUnit.SECONDS);
    }
  }

  /** Produces records of up to 8 MiB (the test producer's request limit raised accordingly). */
  static void produceLarge(String topic, List<byte[]> values) {
    Properties p = JobTests.kafka().clientProperties();
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(8 << 20));
    p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(64L << 20));
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (byte[] v : values) {
        // One partition keeps the order "before, bad, after" for the whole stream.
        producer.send(new ProducerRecord<>(topic, 0, null, v));
      }
      producer.flush();
    }
  }
}
