package io.flowguard.job;

import static io.flowguard.job.Expectations.assertScored;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.job.Expectations.Sent;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The job's scores are the Scorer's scores, end to end through Kafka, at parallelism 2. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ParityJobTest {

  static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension
  static final MiniClusterExtension MINI_CLUSTER = JobTests.miniCluster(REPORTER);

  /** Runs the pipeline with bounded sources (everything in the topics now) to completion. */
  static JobExecutionResult runBounded(JobConfig config) throws Exception {
    StreamExecutionEnvironment env = JobTests.environment(1);
    FlowguardPipeline p = new FlowguardPipeline(config);
    p.configure(env);
    p.addSinks(p.wire(
        p.addEventSource(env, p.eventSourceBuilder().setBounded(OffsetsInitializer.latest()).build()),
        p.addModelSource(env,
            p.modelTopicSourceBuilder().setBounded(OffsetsInitializer.latest()).build())));
    return env.execute(config.jobName());
  }

  @Test
  void scoresEqualTheScorersScoresForTheSameEventsAndModel() throws Exception {
    JobConfig config = JobTests.config("parity");
    JobTests.createTopics(config);
    byte[] model = TestModels.v1();
    ModelTopic.publish(config.clientProperties(), config.modelTopic(), TestModels.NAME, model);
    List<Sent> events = Expectations.normalEvents(6, 100, 1_000, 7);
    // A few far-out events, so that anomalies and alerts are part of the comparison.
    for (int i = 0; i < 6; i++) {
      events.add(new Sent("key-" + i, 5_000 + i, new double[] {6, -6, 10}));
    }
    Expectations.produce(config.eventsTopics().get(0), events);

    JobExecutionResult result = runBounded(config);

    Map<Long, JsonNode> scored =
        Expectations.byTs(JobTests.jsons(JobTests.readCommitted(config.scoresTopic())));
    assertEquals(events.size(), scored.size());
    Map<Long, ReferenceScorer.Expected> want =
        Expectations.expected(TestModels.read(model), events);
    for (Sent s : events) {
      JsonNode got = scored.get(s.ts());
      assertEquals(s.key(), got.get("key").asText());
      assertEquals("1", got.get("modelVersion").asText());
      assertScored(want.get(s.ts()), got);
    }
    List<JsonNode> alertRecords = JobTests.jsons(JobTests.readCommitted(config.alertsTopic()));
    Set<Long> alerts = alertRecords.stream().filter(j -> !j.has("episode"))
        .map(j -> j.get("ts").asLong()).collect(Collectors.toSet());
    Set<Long> expectedAlerts = scored.values().stream().filter(j -> j.get("anomaly").asBoolean())
        .map(j -> j.get("ts").asLong()).collect(Collectors.toSet());
    assertTrue(expectedAlerts.containsAll(Set.of(5_000L, 5_005L)), "far-out events are alerts");
    assertEquals(expectedAlerts, alerts);
    // Typicality alarms arrive as episodes: OPENED where a key's window enters the alarm state,
    // CLEARED where it leaves, replayed here from the per-event alarm flags of the scores.
    Set<String> episodes = alertRecords.stream().filter(j -> j.has("episode"))
        .filter(j -> !j.get("episode").asText().equals("UPDATE"))
        .map(j -> j.get("episode").asText() + " " + j.get("key").asText() + " M="
            + j.get("window").asInt() + " ts=" + j.get("ts").asLong())
        .collect(Collectors.toSet());
    assertEquals(Expectations.episodes(scored.values()), episodes);
    assertEquals(List.of(), JobTests.readCommitted(config.deadLettersTopic()));

    assertEquals(events.size(), JobTests.counter(REPORTER, result.getJobID(), "eventsScored"));
    assertEquals(scored.values().stream().filter(j -> j.get("anomaly").asBoolean()).count(),
        JobTests.counter(REPORTER, result.getJobID(), "anomalies"));
    long latencySamples = REPORTER.findMetrics(result.getJobID(), "flowguard\\.scoringLatencyMicros$")
        .values().stream().mapToLong(m -> ((Histogram) m).getCount()).sum();
    assertEquals(events.size(), latencySamples);
  }
}
