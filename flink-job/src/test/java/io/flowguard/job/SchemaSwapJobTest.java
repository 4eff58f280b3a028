package io.flowguard.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowguard.connectors.model.ModelEvent;
import io.flowguard.connectors.model.ModelEventJson;
import io.flowguard.connectors.model.ModelEventKind;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.flink.scoring.ModelSwapPolicy;
import io.flowguard.job.Expectations.Sent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobID;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 19 item 2: a valid newer version trained on other features is refused (v1 keeps scoring,
 * no restart, one REFUSED model event naming both schemas), and the same change published as a
 * declared schema change takes over.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SchemaSwapJobTest {

  static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension
  static final MiniClusterExtension MINI_CLUSTER = JobTests.miniCluster(REPORTER);

  static byte[] twoFeatureJson(String key, long ts, double a, double b) {
    return String.format(Locale.ROOT, "{\"key\":\"%s\",\"ts\":%d,\"features\":{\"a\":%s,\"b\":%s}}",
        key, ts, Double.toString(a), Double.toString(b)).getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void anUndeclaredSchemaChangeIsRefusedAndADeclaredOneTakesOver() throws Exception {
    JobConfig config = JobTests.config("schemaswap");
    JobTests.createTopics(config);
    ModelTopic.publish(config.clientProperties(), config.modelTopic(), TestModels.NAME,
        TestModels.v1());
    byte[] twoFeatures = TestModels.trainFeatures(TestModels.NAME, 2, 7L, List.of("a", "b"));

    StreamExecutionEnvironment env = JobTests.environment(1);
    FlowguardPipeline pipeline = new FlowguardPipeline(config);
    pipeline.configure(env);
    pipeline.build(env);
    JobClient client = env.executeAsync(config.jobName());
    JobID job = client.getJobID();
    try {
      JobTests.awaitActiveVersion(REPORTER, job, TestModels.NAME, 1);
      ModelTopic.publish(config.clientProperties(), config.modelTopic(), TestModels.NAME,
          twoFeatures);
      JobTests.await(() -> JobTests.counter(REPORTER, job, "schemaChangesRefused")
          == JobTests.PARALLELISM, Duration.ofSeconds(60), "the schema change refused");
      assertEquals(List.of(1, 1), JobTests.activeVersions(REPORTER, job, TestModels.NAME));
      ModelEvent refused = ModelEventJson.fromJson(JobTests.awaitCommitted(config.modelEventsTopic(), 1,
          Duration.ofSeconds(60)).get(0).value());
      assertEquals(ModelEventKind.REFUSED, refused.kind());
      assertEquals(ModelEvent.SCHEMA_CHANGED, refused.reason());
      assertEquals(TestModels.NAME, refused.model());
      assertEquals(2, refused.challengerVersion());
      assertEquals(1, refused.championVersion());
      List<String> active = TestModels.read(TestModels.v1()).preprocessor().featureNames();
      assertEquals("features [a, b] refused, active " + active, refused.dataWindow());
      assertTrue(refused.message().contains("v2 has features [a, b] but the active v1 has " + active),
          refused.message());
      List<Sent> threeFeatureEvents = Expectations.normalEvents(2, 10, 1_000, 3);
      Expectations.produce(config.eventsTopics().get(0), threeFeatureEvents);
      JobTests.awaitCommitted(config.scoresTopic(), threeFeatureEvents.size(),
          Duration.ofSeconds(60));

      // The same file declared as a schema change, at a higher version.
      byte[] declared = ModelFormat.toBytes(ModelSwapPolicy.declaringSchemaChange(
          TestModels.read(TestModels.trainFeatures(TestModels.NAME, 3, 7L, List.of("a", "b")))));
      ModelTopic.publish(config.clientProperties(), config.modelTopic(), TestModels.NAME, declared);
      JobTests.awaitActiveVersion(REPORTER, job, TestModels.NAME, 3);
      List<String> keys = new ArrayList<>();
      List<byte[]> values = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        keys.add("key-" + (i % 2));
        values.add(twoFeatureJson("key-" + (i % 2), 5_000 + i, 1 + 0.01 * i, 0.8));
      }
      JobTests.produce(config.eventsTopics().get(0), keys, values);
      int total = threeFeatureEvents.size() + values.size();
      JobTests.awaitCommitted(config.scoresTopic(), total, Duration.ofSeconds(60));
      JobTests.awaitOutputSettled(REPORTER, job);

      Map<Long, JsonNode> scored =
          Expectations.byTs(JobTests.jsons(JobTests.readCommitted(config.scoresTopic())));
      assertEquals(total, scored.size());
      for (Sent s : threeFeatureEvents) {
        assertEquals("1", scored.get(s.ts()).get("modelVersion").asText(), "scored by v1");
      }
      for (int i = 0; i < 20; i++) {
        assertEquals("3", scored.get(5_000L + i).get("modelVersion").asText(), "scored by v3");
      }
      assertEquals(0, JobTests.readCommitted(config.deadLettersTopic()).size());
      assertEquals(1, JobTests.readCommitted(config.modelEventsTopic()).size(),
          "one model event for the refusal, whatever the parallelism; none for the declared change");
      assertEquals(0, JobTests.restarts(REPORTER, job));
    } finally {
      client.cancel().get(30, TimeUnit.SECONDS);
    }
  }
}
