package io.flowguard.job;

import static io.flowguard.job.Expectations.assertScored;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.job.Expectations.Sent;
import java.time.Duration;
import java.util.ArrayList;
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
 * A model published mid-stream takes over in the running job. The swap point is made exact by the
 * test: the first batch is produced and fully scored, then version 2 is published and the test
 * waits until every scoring instance reports it active (metric gauge), then the second batch is
 * produced. Every event must be scored exactly once, the first batch by v1 and the second by v2,
 * without a restart.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class HotSwapJobTest {

  static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension
  static final MiniClusterExtension MINI_CLUSTER = JobTests.miniCluster(REPORTER);

  @Test
  void aSecondModelTakesOverMidStreamWithoutARestart() throws Exception {
    JobConfig config = JobTests.config("hotswap");
    JobTests.createTopics(config);
    byte[] v1 = TestModels.v1();
    byte[] v2 = TestModels.v2();
    ModelTopic.publish(config.clientProperties(), config.modelTopic(), TestModels.NAME, v1);
    List<Sent> before = Expectations.normalEvents(4, 50, 1_000, 1);
    List<Sent> after = Expectations.normalEvents(4, 50, 100_000, 2);
    String events = config.eventsTopics().get(0);
    Expectations.produce(events, before);

    StreamExecutionEnvironment env = JobTests.environment(1);
    FlowguardPipeline pipeline = new FlowguardPipeline(config);
    pipeline.configure(env);
    pipeline.build(env);
    JobClient client = env.executeAsync(config.jobName());
    JobID job = client.getJobID();
    try {
      JobTests.awaitCommitted(config.scoresTopic(), before.size(), Duration.ofSeconds(60));
      JobTests.awaitActiveVersion(REPORTER, job, TestModels.NAME, 1);

      // A damaged model file is rejected on every instance and v1 stays.
      byte[] damaged = TestModels.v2();
      damaged[damaged.length / 2] ^= 0x33;
      ModelTopic.publish(config.clientProperties(), config.modelTopic(), TestModels.NAME, damaged);
      JobTests.await(() -> JobTests.counter(REPORTER, job, "modelsRejected")
          == JobTests.PARALLELISM, Duration.ofSeconds(60), "the damaged model rejected");
      assertEquals(List.of(1, 1), JobTests.activeVersions(REPORTER, job, TestModels.NAME));

      ModelTopic.publish(config.clientProperties(), config.modelTopic(), TestModels.NAME, v2);
      JobTests.awaitActiveVersion(REPORTER, job, TestModels.NAME, 2);
      Expectations.produce(events, after);

      int total = before.size() + after.size();
      JobTests.awaitCommitted(config.scoresTopic(), total, Duration.ofSeconds(60));
      JobTests.awaitOutputSettled(REPORTER, job); // then nothing else may appear
      Map<Long, JsonNode> scored =
          Expectations.byTs(JobTests.jsons(JobTests.readCommitted(config.scoresTopic())));
      assertEquals(total, scored.size());

      Map<Long, ReferenceScorer.Expected> want1 =
          Expectations.expected(TestModels.read(v1), before);
      // Windows restart with the new version, so v2's reference sees the second batch only.
      Map<Long, ReferenceScorer.Expected> want2 = Expectations.expected(TestModels.read(v2), after);
      List<String> versions = new ArrayList<>();
      for (Sent s : before) {
        JsonNode got = scored.get(s.ts());
        versions.add(got.get("modelVersion").asText());
        assertScored(want1.get(s.ts()), got);
      }
      for (Sent s : after) {
        JsonNode got = scored.get(s.ts());
        versions.add(got.get("modelVersion").asText());
        assertScored(want2.get(s.ts()), got);
      }
      assertEquals(before.size(), versions.subList(0, before.size()).stream()
          .filter("1"::equals).count());
      assertEquals(after.size(), versions.subList(before.size(), total).stream()
          .filter("2"::equals).count());
      assertEquals(0, JobTests.restarts(REPORTER, job));
    } finally {
      client.cancel().get(30, TimeUnit.SECONDS);
    }
  }
}
