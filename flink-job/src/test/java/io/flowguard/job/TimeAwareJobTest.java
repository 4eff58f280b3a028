package io.flowguard.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.core.cli.FlowguardCli;
import io.flowguard.job.Expectations.Sent;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.JobID;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kafka job with a time-aware model (k = 4 previous events), three keys interleaved, at parallelism 2:
 * every event's score is the one a replay of its key's events through {@code Scorer.scoreInContext} gives,
 * and {@code flowguard score} on the same events gives it too. One bounded run of the job serves both tests.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TimeAwareJobTest {

  static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension
  static final MiniClusterExtension MINI_CLUSTER = JobTests.miniCluster(REPORTER);

  static final int KEYS = 3;
  static final int PER_KEY = 60;

  private static List<Sent> events;
  private static Map<Long, JsonNode> scored;
  private static JobID job;
  private static JobConfig config;

  /** Runs the job once over the test's events (a bounded run) and returns its scores by event time. */
  static synchronized Map<Long, JsonNode> scoredByTheJob() throws Exception {
    if (scored == null) {
      config = JobTests.config("timeaware");
      JobTests.createTopics(config);
      ModelTopic.publish(config.clientProperties(), config.modelTopic(), TestModels.NAME,
          TimeAwareModels.v1());
      events = TimeAwareModels.events(KEYS, PER_KEY, 1_700_000_000_000L, 100, 5);
      // Two far-out events of one key, so that anomalies are part of the comparison.
      events.add(new Sent("key-0", 1_700_000_020_000L, new double[] {6, -6, 10}));
      events.add(new Sent("key-0", 1_700_000_020_100L, new double[] {1, 0.8, -2}));
      Expectations.produce(config.eventsTopics().get(0), events);
      JobExecutionResult result = ParityJobTest.runBounded(config);
      job = result.getJobID();
      scored = Expectations.byTs(JobTests.jsons(JobTests.readCommitted(config.scoresTopic())));
    }
    return scored;
  }

  @Test
  void everyEventIsScoredAsAReplayOfItsKeysEventsThroughTheScorerInContext() throws Exception {
    Map<Long, JsonNode> got = scoredByTheJob();
    assertEquals(events.size(), got.size());
    Map<Long, ReferenceScorer.Expected> want =
        Expectations.expected(TestModels.read(TimeAwareModels.v1()), events);
    long warming = 0;
    for (Sent s : events) {
      JsonNode j = got.get(s.ts());
      assertEquals(s.key(), j.get("key").asText());
      assertEquals("1", j.get("modelVersion").asText());
      Expectations.assertScored(want.get(s.ts()), j); // scores, typicality and the context block
      warming += want.get(s.ts()).warmingUp() ? 1 : 0;
    }
    // Each key's first k events warm up (0..k-1 previous events), the rest see a full window.
    assertEquals(KEYS * TimeAwareModels.WINDOW, warming);
    assertEquals(TimeAwareModels.WINDOW, got.get(events.get(KEYS * TimeAwareModels.WINDOW).ts())
        .get("context").get("events").asInt());
    assertTrue(got.get(1_700_000_020_000L).get("anomaly").asBoolean(), "the far-out event is an anomaly");
    assertEquals(warming, JobTests.counter(REPORTER, job, "warmingUp"));
    assertEquals(0, JobTests.counter(REPORTER, job, "contextResets\\.gap"));
    assertEquals(0, JobTests.counter(REPORTER, job, "contextResets\\.outOfOrder"));
    assertEquals(events.size(), JobTests.counter(REPORTER, job, "eventsScored"));
    assertEquals(List.of(), JobTests.readCommitted(config.deadLettersTopic()));
  }

  @Test
  void theCliScoresTheSameKeyedEventsAsTheJob(@TempDir Path dir) throws Exception {
    Map<Long, JsonNode> got = scoredByTheJob();
    Path model = Files.write(dir.resolve("default.fgm"), TimeAwareModels.v1());
    // The very records the job read, as JSON lines: key, ts and features.
    List<String> lines = new ArrayList<>();
    for (Sent s : events) {
      lines.add(new String(s.json(), StandardCharsets.UTF_8));
    }
    Path data = Files.write(dir.resolve("events.jsonl"), lines);
    Path out = dir.resolve("scored.jsonl");
    StringWriter err = new StringWriter();
    int rc = FlowguardCli.run(new String[] {"score", "--model", model.toString(), "--data", data.toString(),
        "--out", out.toString(), "--false-alarm-rate", Double.toString(JobTests.RATE)},
        new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
    assertEquals(0, rc, err.toString());

    List<String> rows = Files.readAllLines(out);
    assertEquals(events.size(), rows.size());
    for (String row : rows) {
      JsonNode cli = JobTests.JSON.readTree(row);
      JsonNode j = got.get(cli.get("ts").asLong());
      String at = cli + " vs " + j;
      assertEquals(j.get("key").asText(), cli.get("key").asText(), at);
      assertEquals(j.get("logDensity").asDouble(), cli.get("log_density").asDouble(), Expectations.TOLERANCE, at);
      assertEquals(j.get("nll").asDouble(), cli.get("nll").asDouble(), Expectations.TOLERANCE, at);
      assertEquals(j.get("tailProbability").asDouble(), cli.get("tail_probability").asDouble(),
          Expectations.TOLERANCE, at);
      assertEquals(j.get("anomaly").asBoolean(), cli.get("anomaly").asBoolean(), at);
      assertEquals(j.get("context").get("events").asInt(), cli.get("history_events").asInt(), at);
      assertEquals(j.get("context").get("warmingUp").asBoolean(), cli.get("warming_up").asBoolean(), at);
    }
  }
}
