package io.flowguard.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.core.context.KeyHistory;
import io.flowguard.job.Expectations.Sent;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
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
 * Hot swaps of a time-aware model in a running job. A retrained version with the same features and window
 * (v1 -> v2) reads each key's history as v1 left it: no key warms up again, and v2's scores are those of a
 * replay that carries the histories over. A version with another window (v2 -> v3) cannot use them: every
 * key starts afresh and warms up. The swap points are exact: each batch is scored before the next model is
 * published, and the next batch is produced once every instance reports that model active.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TimeAwareHotSwapJobTest {

  static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension
  static final MiniClusterExtension MINI_CLUSTER = JobTests.miniCluster(REPORTER);

  static final int KEYS = 3;

  @Test
  void aRetrainedVersionKeepsEachKeysHistoryAndAnotherWindowStartsAfresh() throws Exception {
    JobConfig config = JobTests.config("ta-hotswap");
    JobTests.createTopics(config);
    byte[] v1 = TimeAwareModels.v1();
    byte[] v2 = TimeAwareModels.v2();
    byte[] v3 = TimeAwareModels.v3OtherWindow();
    ModelTopic.publish(config.clientProperties(), config.modelTopic(), TestModels.NAME, v1);
    List<Sent> all = TimeAwareModels.events(KEYS, 30, 1_700_000_000_000L, 100, 23);
    List<Sent> byV1 = all.subList(0, 30);
    List<Sent> byV2 = all.subList(30, 60);
    List<Sent> byV3 = all.subList(60, 90);
    String events = config.eventsTopics().get(0);
    Expectations.produce(events, byV1);

    StreamExecutionEnvironment env = JobTests.environment(1);
    FlowguardPipeline pipeline = new FlowguardPipeline(config);
    pipeline.configure(env);
    pipeline.build(env);
    JobClient client = env.executeAsync(config.jobName());
    JobID job = client.getJobID();
    try {
      JobTests.awaitCommitted(config.scoresTopic(), 30, Duration.ofSeconds(60));
      JobTests.awaitActiveVersion(REPORTER, job, TestModels.NAME, 1);
      ModelTopic.publish(config.clientProperties(), config.modelTopic(), TestModels.NAME, v2);
      JobTests.awaitActiveVersion(REPORTER, job, TestModels.NAME, 2);
      Expectations.produce(events, byV2);
      JobTests.awaitCommitted(config.scoresTopic(), 60, Duration.ofSeconds(60));
      ModelTopic.publish(config.clientProperties(), config.modelTopic(), TestModels.NAME, v3);
      JobTests.awaitActiveVersion(REPORTER, job, TestModels.NAME, 3);
      Expectations.produce(events, byV3);
      JobTests.awaitCommitted(config.scoresTopic(), 90, Duration.ofSeconds(60));
      JobTests.awaitOutputSettled(REPORTER, job); // then nothing else may appear
      Map<Long, JsonNode> scored =
          Expectations.byTs(JobTests.jsons(JobTests.readCommitted(config.scoresTopic())));
      assertEquals(all.size(), scored.size());

      ReferenceScorer ref1 = reference(v1, new HashMap<>());
      Map<Long, ReferenceScorer.Expected> want = new HashMap<>(Expectations.expected(ref1, byV1));
      // v2 continues v1's key histories (typicality windows restart with the version, as always).
      want.putAll(Expectations.expected(reference(v2, ref1.histories()), byV2));
      want.putAll(Expectations.expected(reference(v3, new HashMap<>()), byV3));
      for (int i = 0; i < all.size(); i++) {
        Sent s = all.get(i);
        JsonNode got = scored.get(s.ts());
        assertEquals(Integer.toString(1 + i / 30), got.get("modelVersion").asText(), got.toString());
        Expectations.assertScored(want.get(s.ts()), got);
      }
      for (int i = 0; i < KEYS; i++) {
        JsonNode afterV2 = scored.get(byV2.get(i).ts());
        assertEquals(TimeAwareModels.WINDOW, afterV2.get("context").get("events").asInt(), afterV2.toString());
        assertFalse(afterV2.get("context").get("warmingUp").asBoolean(), afterV2.toString());
        JsonNode afterV3 = scored.get(byV3.get(i).ts());
        assertEquals(0, afterV3.get("context").get("events").asInt(), afterV3.toString());
        assertTrue(afterV3.get("context").get("warmingUp").asBoolean(), afterV3.toString());
      }
      // The carried history matters: v2 with a fresh history would score the first event otherwise.
      Sent firstByV2 = byV2.get(0);
      double fresh = reference(v2, new HashMap<>()).next(firstByV2.key(), firstByV2.ts(),
          firstByV2.features()).logDensity();
      assertTrue(Math.abs(fresh - scored.get(firstByV2.ts()).get("logDensity").asDouble()) > 1e-6,
          "the carried history changes the score");
      // Warm-up: k events per key under v1, none under v2, the new window's k' under v3.
      assertEquals(KEYS * (TimeAwareModels.WINDOW + TimeAwareModels.OTHER_WINDOW),
          JobTests.counter(REPORTER, job, "warmingUp"));
      assertEquals(0, JobTests.counter(REPORTER, job, "contextResets\\.gap")
          + JobTests.counter(REPORTER, job, "contextResets\\.outOfOrder"), "a swap is not a reset by the rules");
      assertEquals(0, JobTests.restarts(REPORTER, job));
    } finally {
      client.cancel().get(30, TimeUnit.SECONDS);
    }
  }

  static ReferenceScorer reference(byte[] model, Map<String, KeyHistory> histories) {
    return new ReferenceScorer(TestModels.read(model), JobTests.RATE, JobTests.WINDOWS, JobTests.ALPHA, histories);
  }
}
