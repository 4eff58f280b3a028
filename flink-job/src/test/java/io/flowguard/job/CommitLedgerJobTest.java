package io.flowguard.job;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.job.Expectations.Sent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
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
 * Issue 19 item 5, the job's commit ledger: every record read from the events topic ({@code
 * eventsConsumed}) becomes one record that the scores or dead-letter sink commits ({@code
 * recordsCommitted}); once the input stops and checkpoints complete, the two agree and no sink holds
 * uncommitted records. (CommitCountingSinkFlinkTest shows a failed commit opening the gap.)
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CommitLedgerJobTest {

  static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension
  static final MiniClusterExtension MINI_CLUSTER = JobTests.miniCluster(REPORTER);

  static final List<String> SINKS = List.of(FlowguardPipeline.UID_SCORES_SINK,
      FlowguardPipeline.UID_ALERTS_SINK, FlowguardPipeline.UID_EPISODES_SINK,
      FlowguardPipeline.UID_DEAD_LETTERS_SINK, FlowguardPipeline.UID_MODEL_EVENTS_SINK);

  @Test
  void afterCheckpointsEveryConsumedEventIsCommittedAndNothingIsLeftUncommitted() throws Exception {
    JobConfig config = JobTests.config("ledger");
    JobTests.createTopics(config);
    ModelTopic.publish(config.clientProperties(), config.modelTopic(), TestModels.NAME,
        TestModels.v1());
    List<Sent> events = Expectations.normalEvents(4, 50, 1_000, 41);
    int malformed = 7;

    StreamExecutionEnvironment env = JobTests.environment(1);
    FlowguardPipeline pipeline = new FlowguardPipeline(config);
    pipeline.configure(env);
    pipeline.build(env);
    JobClient client = env.executeAsync(config.jobName());
    JobID job = client.getJobID();
    try {
      JobTests.awaitActiveVersion(REPORTER, job, TestModels.NAME, 1);
      Expectations.produce(config.eventsTopics().get(0), events);
      List<String> keys = new ArrayList<>(Collections.nCopies(malformed, "bad"));
      List<byte[]> values = new ArrayList<>();
      for (int i = 0; i < malformed; i++) {
        values.add(("{\"key\": \"bad\", " + i).getBytes(StandardCharsets.UTF_8)); // not JSON
      }
      JobTests.produce(config.eventsTopics().get(0), keys, values);
      JobTests.awaitCommitted(config.scoresTopic(), events.size(), Duration.ofSeconds(60));
      JobTests.awaitCommitted(config.deadLettersTopic(), malformed, Duration.ofSeconds(60));
      JobTests.awaitOutputSettled(REPORTER, job);

      long consumed = JobTests.counter(REPORTER, job, "eventsConsumed");
      long scores = JobTests.sinkMetric(REPORTER, job, FlowguardPipeline.UID_SCORES_SINK,
          "recordsCommitted");
      long dead = JobTests.sinkMetric(REPORTER, job, FlowguardPipeline.UID_DEAD_LETTERS_SINK,
          "recordsCommitted");
      assertEquals(events.size() + malformed, consumed, "every record read is counted");
      assertEquals(events.size(), scores);
      assertEquals(malformed, dead);
      assertEquals(consumed, scores + dead, "committed == consumed");
      assertEquals(JobTests.readCommitted(config.scoresTopic()).size()
          + JobTests.readCommitted(config.deadLettersTopic()).size(), scores + dead,
          "what the sinks count as committed is what a read_committed consumer sees");
      for (String sink : SINKS) {
        assertEquals(0, JobTests.sinkMetric(REPORTER, job, sink, "recordsUncommitted"), sink);
        assertEquals(0, JobTests.sinkMetric(REPORTER, job, sink, "recordsCommitFailed"), sink);
        assertEquals(JobTests.sinkMetric(REPORTER, job, sink, "recordsWritten"),
            JobTests.sinkMetric(REPORTER, job, sink, "recordsCommitted"), sink);
      }
      assertEquals(0, JobTests.restarts(REPORTER, job));
    } finally {
      client.cancel().get(30, TimeUnit.SECONDS);
    }
  }
}
