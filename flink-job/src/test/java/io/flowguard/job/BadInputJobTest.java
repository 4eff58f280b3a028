package io.flowguard.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.connectors.event.DeadLetter;
import io.flowguard.connectors.event.DeadLetterJson;
import io.flowguard.connectors.event.DeadLetterReason;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.job.Expectations.Sent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
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
 * One record of each kind of bad input in a stream of good events: each becomes a dead letter with
 * its reason and original bytes, every good event is scored, and the job never restarts. (The CSV
 * reasons MALFORMED_CSV and CSV_FIELD_COUNT need the CSV codec; the connectors' tests cover them.)
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class BadInputJobTest {

  static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension
  static final MiniClusterExtension MINI_CLUSTER = JobTests.miniCluster(REPORTER);

  static final String OK = "\"features\":{\"a\":1,\"b\":1,\"c\":-2}";

  static Map<DeadLetterReason, byte[]> badRecords() {
    Map<DeadLetterReason, String> bad = new EnumMap<>(DeadLetterReason.class);
    bad.put(DeadLetterReason.OVERSIZED,
        "{\"key\":\"k\",\"pad\":\"" + "x".repeat(3000) + "\"," + OK + "}");
    bad.put(DeadLetterReason.NOT_JSON, "{\"key\":\"k\", " + OK);
    bad.put(DeadLetterReason.NOT_AN_OBJECT, "[1,2,3]");
    bad.put(DeadLetterReason.DUPLICATE_FIELD, "{\"key\":\"k\",\"key\":\"j\"," + OK + "}");
    bad.put(DeadLetterReason.INVALID_FIELD, "{\"key\":5," + OK + "}");
    bad.put(DeadLetterReason.MISSING_KEY, "{" + OK + "}");
    bad.put(DeadLetterReason.INVALID_TIMESTAMP, "{\"key\":\"k\",\"ts\":-5," + OK + "}");
    bad.put(DeadLetterReason.NO_FEATURES, "{\"key\":\"k\",\"ts\":1}");
    bad.put(DeadLetterReason.MISSING_FEATURE, "{\"key\":\"k\",\"features\":{\"a\":1,\"b\":1}}");
    bad.put(DeadLetterReason.EXTRA_FEATURE,
        "{\"key\":\"k\",\"features\":{\"a\":1,\"b\":1,\"c\":1,\"d\":1}}");
    bad.put(DeadLetterReason.NON_NUMERIC_FEATURE,
        "{\"key\":\"k\",\"features\":{\"a\":\"1\",\"b\":1,\"c\":1}}");
    bad.put(DeadLetterReason.NON_FINITE_FEATURE,
        "{\"key\":\"k\",\"features\":{\"a\":1e999,\"b\":1,\"c\":1}}");
    bad.put(DeadLetterReason.WRONG_FEATURE_COUNT, "{\"key\":\"k\",\"values\":[1,2]}");
    bad.put(DeadLetterReason.UNKNOWN_MODEL, "{\"key\":\"k\",\"model\":\"gone\"," + OK + "}");
    bad.put(DeadLetterReason.NO_MODEL, "{\"key\":\"k\",\"model\":\"never\"," + OK + "}");
    Map<DeadLetterReason, byte[]> out = new EnumMap<>(DeadLetterReason.class);
    bad.forEach((r, s) -> out.put(r, s.getBytes(StandardCharsets.UTF_8)));
    // A valid event, but in UTF-16: events must be UTF-8.
    out.put(DeadLetterReason.NOT_UTF8, ("{\"key\":\"k\"," + OK + "}")
        .getBytes(StandardCharsets.UTF_16LE));
    bad.put(DeadLetterReason.KEY_TOO_LONG, "{\"key\":\"" + "k".repeat(1025) + "\"," + OK + "}");
    out.put(DeadLetterReason.KEY_TOO_LONG,
        bad.get(DeadLetterReason.KEY_TOO_LONG).getBytes(StandardCharsets.UTF_8));
    return out;
  }

  @Test
  void eachBadRecordIsDeadLetteredWithItsReasonAndBytesAndGoodEventsAreScored()
      throws Exception {
    JobConfig config = JobTests.config("badinput").with(Map.of(
        "flowguard.events.max-record-bytes", "2048", "flowguard.scoring.pending.timeout", "1 s"));
    JobTests.createTopics(config);
    // 'gone' is published and withdrawn before the default model, so once the default model is
    // active on every instance, the withdrawal has been seen too (one partition, one reader).
    ModelTopic.publish(config.clientProperties(), config.modelTopic(), "gone",
        TestModels.train("gone", 1, 5L));
    ModelTopic.retire(config.clientProperties(), config.modelTopic(), "gone");
    ModelTopic.publish(config.clientProperties(), config.modelTopic(), TestModels.NAME,
        TestModels.v1());

    StreamExecutionEnvironment env = JobTests.environment(1);
    FlowguardPipeline pipeline = new FlowguardPipeline(config);
    pipeline.configure(env);
    pipeline.build(env);
    JobClient client = env.executeAsync(config.jobName());
    JobID job = client.getJobID();
    try {
      JobTests.awaitActiveVersion(REPORTER, job, TestModels.NAME, 1);
      Map<DeadLetterReason, byte[]> bad = badRecords();
      List<Sent> good = Expectations.normalEvents(3, 30, 1_000, 9);
      List<byte[]> values = new ArrayList<>();
      List<String> keys = new ArrayList<>();
      for (Sent s : good) {
        values.add(s.json());
        keys.add(s.key());
      }
      // Bad records spread through the stream.
      List<byte[]> badValues = new ArrayList<>(bad.values());
      Collections.reverse(badValues);
      for (int i = 0; i < badValues.size(); i++) {
        values.add(i * 5, badValues.get(i));
        keys.add(i * 5, null);
      }
      JobTests.produce(config.eventsTopics().get(0), keys, values);

      JobTests.awaitCommitted(config.scoresTopic(), good.size(), Duration.ofSeconds(60));
      List<DeadLetter> letters = new ArrayList<>();
      JobTests.awaitCommitted(config.deadLettersTopic(), bad.size(), Duration.ofSeconds(60))
          .forEach(r -> letters.add(DeadLetterJson.fromJson(r.value())));
      // Nothing more may come: whatever the job still held is committed once the output settled.
      JobTests.awaitOutputSettled(REPORTER, job);
      assertEquals(good.size(), JobTests.readCommitted(config.scoresTopic()).size());
      assertEquals(bad.size(), JobTests.readCommitted(config.deadLettersTopic()).size());

      EnumSet<DeadLetterReason> seen = EnumSet.noneOf(DeadLetterReason.class);
      for (DeadLetter d : letters) {
        assertTrue(seen.add(d.reason()), "one letter per reason: " + d);
        assertArrayEquals(bad.get(d.reason()), d.original(), d.toString());
        assertEquals(config.eventsTopics().get(0), d.origin().topic());
        assertTrue(d.origin().offset() >= 0);
      }
      assertEquals(bad.keySet(), seen);
      Expectations.byTs(JobTests.jsons(JobTests.readCommitted(config.scoresTopic())));
      assertEquals(good.size(), JobTests.counter(REPORTER, job, "eventsScored"));
      assertEquals(bad.size(), JobTests.counter(REPORTER, job, "deadLetters\\.[A-Z0-9_]+"));
      assertEquals(0, JobTests.restarts(REPORTER, job));
      assertEquals(Arrays.asList(1, 1), JobTests.activeVersions(REPORTER, job, TestModels.NAME));
    } finally {
      client.cancel().get(30, TimeUnit.SECONDS);
    }
  }
}
