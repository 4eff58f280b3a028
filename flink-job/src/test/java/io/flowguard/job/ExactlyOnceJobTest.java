package io.flowguard.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowguard.connectors.kafka.ConsumedRecord;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.job.Expectations.Sent;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A failure in the middle of the stream, with checkpointing and exactly-once sinks: the output that
 * read_committed consumers see holds every input exactly once, with the scores (typicality windows
 * included) of a failure-free run of the same input.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ExactlyOnceJobTest {

  static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension
  static final MiniClusterExtension MINI_CLUSTER = JobTests.miniCluster(REPORTER);

  static final int FAIL_AT = 1_000;
  static final AtomicInteger SEEN = new AtomicInteger();
  static final AtomicBoolean FAILED = new AtomicBoolean();

  /**
   * Passes records on, 1 ms each so that checkpoints complete while the stream runs, and throws once
   * (over all subtasks and attempts: the flags are static) at the {@value #FAIL_AT}th record.
   */
  static final class FailOnce implements MapFunction<ConsumedRecord, ConsumedRecord> {
    private static final long serialVersionUID = 1L;

    @Override
    public ConsumedRecord map(ConsumedRecord r) throws Exception {
      Thread.sleep(1);
      if (SEEN.incrementAndGet() >= FAIL_AT && FAILED.compareAndSet(false, true)) {
        throw new IllegalStateException("injected failure at record " + FAIL_AT);
      }
      return r;
    }
  }

  static JobExecutionResult run(JobConfig config, boolean injectFailure) throws Exception {
    StreamExecutionEnvironment env = JobTests.environment(2);
    FlowguardPipeline p = new FlowguardPipeline(config);
    p.configure(env);
    DataStream<ConsumedRecord> events = p.addEventSource(env,
        p.eventSourceBuilder().setBounded(OffsetsInitializer.latest()).build());
    if (injectFailure) {
      events = events.map(new FailOnce()).name("fail-once").uid("fail-once");
    }
    p.addSinks(p.wire(events, p.addModelSource(env,
        p.modelTopicSourceBuilder().setBounded(OffsetsInitializer.latest()).build())));
    return env.execute(config.jobName());
  }

  static Map<Long, JsonNode> scores(JobConfig c) {
    return Expectations.byTs(JobTests.jsons(JobTests.readCommitted(c.scoresTopic())));
  }

  static Set<Long> alerts(JobConfig c) {
    return JobTests.jsons(JobTests.readCommitted(c.alertsTopic())).stream()
        .map(j -> j.get("ts").asLong()).collect(Collectors.toSet());
  }

  @Test
  void committedOutputHoldsEveryInputOnceWithTheScoresOfAFailureFreeRun() throws Exception {
    JobConfig failing = JobTests.config("eos");
    JobTests.createTopics(failing);
    // Same input (events and model topics), separate outputs, groups and transactional ids.
    JobConfig clean = failing.with(Map.of(
        "scores.topic", "eos-clean-scores", "alerts.topic", "eos-clean-alerts",
        "dead-letters.topic", "eos-clean-dead", "group.id", "eos-clean",
        "transactional-id.prefix", "eos-clean"));
    JobTests.createTopics(clean);
    ModelTopic.publish(failing.clientProperties(), failing.modelTopic(), TestModels.NAME,
        TestModels.v1());
    List<Sent> events = Expectations.normalEvents(4, 500, 1_000, 3);
    for (int i = 0; i < 8; i++) {
      events.add(new Sent("key-" + (i % 4), 10_000 + i, new double[] {6, -6, 10}));
    }
    Expectations.produce(failing.eventsTopics().get(0), events);

    JobExecutionResult cleanRun = run(clean, false);
    assertEquals(0, JobTests.restarts(REPORTER, cleanRun.getJobID()));
    JobExecutionResult failedRun = run(failing, true);
    assertTrue(FAILED.get(), "the failure was injected");
    assertEquals(1, JobTests.restarts(REPORTER, failedRun.getJobID()));

    Map<Long, JsonNode> expected = scores(clean);
    Map<Long, JsonNode> got = scores(failing); // fails on a duplicate
    assertEquals(events.size(), expected.size());
    assertEquals(expected.keySet(), got.keySet());
    for (Map.Entry<Long, JsonNode> e : expected.entrySet()) {
      assertEquals(e.getValue(), got.get(e.getKey()));
    }
    assertEquals(JobTests.readCommitted(clean.alertsTopic()).size(),
        JobTests.readCommitted(failing.alertsTopic()).size(), "no duplicate alerts");
    assertEquals(alerts(clean), alerts(failing));
    assertTrue(alerts(failing).containsAll(Set.of(10_000L, 10_007L)));
    assertEquals(List.of(), JobTests.readCommitted(failing.deadLettersTopic()));
  }
}
