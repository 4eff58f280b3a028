package io.flowguard.job;

import static io.flowguard.job.Expectations.assertScored;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowguard.connectors.model.ModelHistory;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.core.cli.FlowguardCli;
import io.flowguard.core.model.FlowModel;
import io.flowguard.job.Expectations.Sent;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobID;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code flowguard models rollback} against a running job at parallelism 2: the rollback re-publishes
 * v1's parameters as v3 on the model topic, and every scoring instance switches to it (highest version
 * wins), so every event after the switch, whichever subtask its key lives on, is scored by v3 with
 * exactly v1's densities.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class RollbackJobTest {

  static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension
  static final MiniClusterExtension MINI_CLUSTER = JobTests.miniCluster(REPORTER);

  @Test
  void afterARollbackEveryParallelInstanceScoresWithTheRolledBackVersion() throws Exception {
    JobConfig config = JobTests.config("rollback");
    JobTests.createTopics(config);
    byte[] v1 = TestModels.v1();
    ModelHistory.publish(config.clientProperties(), config.modelTopic(), v1);
    ModelHistory.publish(config.clientProperties(), config.modelTopic(), TestModels.v2());
    var before = Expectations.normalEvents(8, 20, 1_000, 1);
    var after = Expectations.normalEvents(8, 20, 100_000, 2);
    // Eight keys spread over both subtasks' key groups (Flink's default max parallelism 128).
    Set<Integer> subtasks = after.stream().map(s -> KeyGroupRangeAssignment.assignKeyToParallelOperator(s.key(),
        KeyGroupRangeAssignment.DEFAULT_LOWER_BOUND_MAX_PARALLELISM, JobTests.PARALLELISM))
        .collect(Collectors.toCollection(TreeSet::new));
    assertEquals(Set.of(0, 1), subtasks, "the keys must reach both scoring subtasks");

    String events = config.eventsTopics().get(0);
    StreamExecutionEnvironment env = JobTests.environment(1);
    FlowguardPipeline pipeline = new FlowguardPipeline(config);
    pipeline.configure(env);
    pipeline.build(env);
    JobClient client = env.executeAsync(config.jobName());
    JobID job = client.getJobID();
    try {
      // The model topic still holds v1 and v2 (not compacted yet): events wait until v2 is active.
      JobTests.awaitActiveVersion(REPORTER, job, TestModels.NAME, 2);
      Expectations.produce(events, before);
      JobTests.awaitCommitted(config.scoresTopic(), before.size(), Duration.ofSeconds(60));

      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      int code = FlowguardCli.run(new String[] {"models", "rollback", "--bootstrap-servers",
          config.clientProperties().getProperty("bootstrap.servers"), "--model-topic", config.modelTopic(),
          "--model", TestModels.NAME, "--to", "1", "--events-topic", "rollback-model-events"},
          new PrintWriter(out, true), new PrintWriter(err, true));
      assertEquals(0, code, err.toString());
      byte[] v3 = ModelTopic.current(config.clientProperties(), config.modelTopic(), TestModels.NAME)
          .orElseThrow().bytes();
      FlowModel rolledBack = TestModels.read(v3);
      assertEquals(3, rolledBack.version());
      assertArrayEquals(TestModels.read(v1).flow().parameters(), rolledBack.flow().parameters(), 0.0);

      JobTests.awaitActiveVersion(REPORTER, job, TestModels.NAME, 3);
      Expectations.produce(events, after);
      int total = before.size() + after.size();
      JobTests.awaitCommitted(config.scoresTopic(), total, Duration.ofSeconds(60));
      JobTests.awaitOutputSettled(REPORTER, job); // then nothing else may appear
      Map<Long, JsonNode> scored = Expectations.byTs(JobTests.jsons(JobTests.readCommitted(config.scoresTopic())));
      assertEquals(total, scored.size());

      // v3 is v1's parameters: its scores are v1's, with typicality windows restarted at the switch.
      Map<Long, ReferenceScorer.Expected> want = Expectations.expected(TestModels.read(v1), after);
      Set<String> keysOnV3 = new TreeSet<>();
      for (Sent s : after) {
        JsonNode got = scored.get(s.ts());
        assertEquals("3", got.get("modelVersion").asText(), got.toString());
        assertScored(want.get(s.ts()), got);
        keysOnV3.add(s.key());
      }
      assertEquals(8, keysOnV3.size(), "every key, on both subtasks, scored by v3");
      for (Sent s : before) {
        assertEquals("2", scored.get(s.ts()).get("modelVersion").asText());
      }
      assertEquals(0, JobTests.restarts(REPORTER, job));
    } finally {
      client.cancel().get(30, TimeUnit.SECONDS);
    }
  }
}
