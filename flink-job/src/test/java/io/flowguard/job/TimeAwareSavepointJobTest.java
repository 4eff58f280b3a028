package io.flowguard.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.job.Expectations.Sent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stop a job scoring with a time-aware model with a savepoint mid-stream and resubmit it from the
 * savepoint: every key's history comes back from the {@code context-history} state, so the restored job
 * scores the rest of the stream exactly as one uninterrupted replay would, and no key warms up again.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TimeAwareSavepointJobTest {

  static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension
  static final MiniClusterExtension MINI_CLUSTER = JobTests.miniCluster(REPORTER);

  @Test
  void keyHistoriesComeBackFromASavepointAndScoresContinueAsWithoutTheStop(@TempDir Path savepoints)
      throws Exception {
    JobConfig config = JobTests.config("ta-restore").with("flowguard.scoring.pending.timeout", "5 s");
    JobTests.createTopics(config);
    byte[] model = TimeAwareModels.v1();
    ModelTopic.publish(config.clientProperties(), config.modelTopic(), TestModels.NAME, model);
    List<Sent> all = TimeAwareModels.events(3, 30, 1_700_000_000_000L, 100, 17);
    List<Sent> before = all.subList(0, 60);
    List<Sent> after = all.subList(60, all.size());
    String events = config.eventsTopics().get(0);
    Expectations.produce(events, before);

    JobClient first = SavepointRestoreJobTest.pipeline(config).executeAsync(config.jobName());
    String savepoint;
    try {
      JobTests.awaitCommitted(config.scoresTopic(), before.size(), Duration.ofSeconds(60));
      JobTests.awaitActiveVersion(REPORTER, first.getJobID(), TestModels.NAME, 1);
      savepoint = first.stopWithSavepoint(false, savepoints.toUri().toString(),
          SavepointFormatType.CANONICAL).get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      first.cancel();
      throw e;
    }
    Expectations.produce(events, after);

    StreamExecutionEnvironment env = SavepointRestoreJobTest.pipeline(config);
    StreamGraph graph = env.getStreamGraph();
    graph.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(savepoint, false));
    JobClient second = env.executeAsync(graph);
    try {
      JobTests.awaitActiveVersion(REPORTER, second.getJobID(), TestModels.NAME, 1);
      JobTests.awaitCommitted(config.scoresTopic(), all.size(), Duration.ofSeconds(60));
      JobTests.awaitOutputSettled(REPORTER, second.getJobID()); // then nothing else may appear
      Map<Long, JsonNode> scored =
          Expectations.byTs(JobTests.jsons(JobTests.readCommitted(config.scoresTopic())));
      assertEquals(all.size(), scored.size());
      // One replay over both halves: the histories (and typicality windows) continue across the restore.
      Map<Long, ReferenceScorer.Expected> want = Expectations.expected(TestModels.read(model), all);
      for (Sent s : all) {
        Expectations.assertScored(want.get(s.ts()), scored.get(s.ts()));
      }
      Set<String> seen = new HashSet<>();
      for (Sent s : after) {
        JsonNode context = scored.get(s.ts()).get("context");
        if (seen.add(s.key())) {
          assertEquals(TimeAwareModels.WINDOW, context.get("events").asInt(),
              "the first event of " + s.key() + " after the restore sees a full history");
        }
        assertFalse(context.get("warmingUp").asBoolean(), s.toString());
      }
      assertEquals(3, seen.size());
      assertEquals(0, JobTests.counter(REPORTER, second.getJobID(), "warmingUp"), "no warm-up after the restore");
      assertEquals(0, JobTests.counter(REPORTER, second.getJobID(), "contextResets\\.gap"));
      assertEquals(0, JobTests.counter(REPORTER, second.getJobID(), "contextResets\\.outOfOrder"));
      assertEquals(List.of(), JobTests.readCommitted(config.deadLettersTopic()));
      assertEquals(0, JobTests.restarts(REPORTER, second.getJobID()));
    } finally {
      second.cancel().get(30, TimeUnit.SECONDS);
    }
  }
}
