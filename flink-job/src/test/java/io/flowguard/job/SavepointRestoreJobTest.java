package io.flowguard.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.job.Expectations.Sent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * Stop with a savepoint, resubmit the same pipeline from it: the model and every key's typicality
 * window come back. The model topic source resumes after the model record (its offsets are in the
 * savepoint; the test checks that it emits nothing in the second job), so the model can only come
 * from the scoring operator's broadcast state; the windows continue exactly where they stopped.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class SavepointRestoreJobTest {

  static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension
  static final MiniClusterExtension MINI_CLUSTER = JobTests.miniCluster(REPORTER);

  /** The model topic source's operator (named by its uid). */
  static final String MODEL_SOURCE = "Source: " + FlowguardPipeline.UID_MODELS_SOURCE + "$";

  static StreamExecutionEnvironment pipeline(JobConfig config) {
    StreamExecutionEnvironment env = JobTests.environment(1);
    FlowguardPipeline p = new FlowguardPipeline(config);
    p.configure(env);
    p.build(env);
    return env;
  }

  @Test
  void modelAndTypicalityWindowsComeBackFromASavepoint(@TempDir Path savepoints)
      throws Exception {
    JobConfig config = JobTests.config("restore").with("flowguard.scoring.pending.timeout", "5 s");
    JobTests.createTopics(config);
    byte[] model = TestModels.v1();
    ModelTopic.publish(config.clientProperties(), config.modelTopic(), TestModels.NAME, model);
    List<Sent> before = Expectations.normalEvents(3, 40, 1_000, 31);
    List<Sent> after = Expectations.normalEvents(3, 20, 10_000, 32);
    String events = config.eventsTopics().get(0);
    Expectations.produce(events, before);

    JobClient first = pipeline(config).executeAsync(config.jobName());
    String savepoint;
    try {
      JobTests.awaitCommitted(config.scoresTopic(), before.size(), Duration.ofSeconds(60));
      JobTests.awaitActiveVersion(REPORTER, first.getJobID(), TestModels.NAME, 1);
      assertEquals(1, JobTests.recordsOut(REPORTER, first.getJobID(), MODEL_SOURCE),
          "the first job read the model record");
      savepoint = first.stopWithSavepoint(false, savepoints.toUri().toString(),
          SavepointFormatType.CANONICAL).get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      first.cancel();
      throw e;
    }
    Expectations.produce(events, after);

    StreamExecutionEnvironment env = pipeline(config);
    StreamGraph graph = env.getStreamGraph();
    graph.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(savepoint, false));
    JobClient second = env.executeAsync(graph);
    try {
      // Restored models are parsed while the operator initializes: the gauge shows v1 at once.
      JobTests.awaitActiveVersion(REPORTER, second.getJobID(), TestModels.NAME, 1);
      int total = before.size() + after.size();
      JobTests.awaitCommitted(config.scoresTopic(), total, Duration.ofSeconds(60));
      JobTests.awaitOutputSettled(REPORTER, second.getJobID()); // then nothing else may appear
      Map<Long, JsonNode> scored =
          Expectations.byTs(JobTests.jsons(JobTests.readCommitted(config.scoresTopic())));
      assertEquals(total, scored.size());
      List<Sent> all = new ArrayList<>(before);
      all.addAll(after);
      // One reference over both batches: the windows must continue across the restore.
      Map<Long, ReferenceScorer.Expected> want =
          Expectations.expected(TestModels.read(model), all);
      for (Sent s : all) {
        Expectations.assertScored(want.get(s.ts()), scored.get(s.ts()));
      }
      JsonNode firstAfter = scored.get(after.get(0).ts());
      assertFalse(firstAfter.get("typicality").get(1).get("statistic").isNull(),
          "the first event after the restore already has a full window of 32");
      assertEquals(List.of(), JobTests.readCommitted(config.deadLettersTopic()));
      assertEquals(0, JobTests.recordsOut(REPORTER, second.getJobID(), MODEL_SOURCE),
          "the restored model source resumed after the model record: v1 came from the state");
      assertEquals(0, JobTests.restarts(REPORTER, second.getJobID()));
    } finally {
      second.cancel().get(30, TimeUnit.SECONDS);
    }
  }
}
