package io.flowguard.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowguard.connectors.event.DeadLetter;
import io.flowguard.connectors.event.DeadLetterJson;
import io.flowguard.connectors.event.DeadLetterReason;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.job.Expectations.Sent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.JobID;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Bad input to a time-aware model's key history in the Kafka job. An event far out of order and one after
 * a gap longer than the model's limit start that key's history afresh: each is scored (with no history,
 * flagged as warming up) and counted by its reset metric, never dead-lettered and never a failure; an event
 * out of order within the model's bound joins the history as it stands. A non-finite feature is
 * dead-lettered as for any model and leaves the history untouched: the key's next event is scored as if
 * it had never come. Other keys are not affected.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TimeAwareBadInputJobTest {

  static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension
  static final MiniClusterExtension MINI_CLUSTER = JobTests.miniCluster(REPORTER);

  static final long T0 = 1_700_000_000_000L;

  @Test
  void outOfOrderAndGappedEventsResetTheKeysHistoryAndNonFiniteOnesAreDeadLettered() throws Exception {
    JobConfig config = JobTests.config("ta-badinput");
    JobTests.createTopics(config);
    byte[] model = TimeAwareModels.v1();
    ModelTopic.publish(config.clientProperties(), config.modelTopic(), TestModels.NAME, model);

    // key-1 and key-2: ordinary events, 1 s apart (times ending in 001, unique).
    List<Sent> others = TimeAwareModels.events(2, 20, T0 + 1, 1_000, 3).stream()
        .map(s -> new Sent(s.key().equals("key-0") ? "key-1" : "key-2", s.ts(), s.features())).toList();
    // key-0: a full history, then the cases, each a record (a Sent, or the non-finite event's bytes).
    Random rng = new Random(4);
    List<Object> key0 = new ArrayList<>();
    long t = T0;
    double[] f = null;
    for (int i = 0; i < 8; i++) {
      f = TimeAwareModels.next(rng, f);
      key0.add(new Sent("key-0", t += 1_000, f));
    }
    long newest = t;
    Sent withinBound = new Sent("key-0", newest - TimeAwareModels.MAX_OUT_OF_ORDER_MILLIS + 500,
        TimeAwareModels.next(rng, f));
    key0.add(withinBound);
    Sent farOutOfOrder = new Sent("key-0", newest - TimeAwareModels.MAX_OUT_OF_ORDER_MILLIS - 1_500,
        TimeAwareModels.next(rng, f));
    key0.add(farOutOfOrder);
    // Right after the reset the history holds one event: a non-finite event must not make it two.
    key0.add(("{\"key\":\"key-0\",\"ts\":" + (newest + 500) + ",\"features\":{\"a\":1e999,\"b\":1,\"c\":-2}}")
        .getBytes(StandardCharsets.UTF_8));
    Sent afterNonFinite = new Sent("key-0", newest + 1_007, TimeAwareModels.next(rng, f));
    key0.add(afterNonFinite);
    t = afterNonFinite.ts();
    for (int i = 0; i < 5; i++) {
      f = TimeAwareModels.next(rng, f);
      key0.add(new Sent("key-0", t += 1_007, f));
    }
    Sent afterGap = new Sent("key-0", t + TimeAwareModels.MAX_GAP_MILLIS + 1_000, TimeAwareModels.next(rng, f));
    key0.add(afterGap);
    t = afterGap.ts();
    for (int i = 0; i < 6; i++) {
      f = TimeAwareModels.next(rng, f);
      key0.add(new Sent("key-0", t += 1_011, f));
    }

    // The stream: key-0's records and the others' interleaved; each key's in the order above.
    List<String> keys = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    List<Sent> sent = new ArrayList<>();
    for (int i = 0; i < Math.max(key0.size(), others.size()); i++) {
      if (i < key0.size()) {
        keys.add("key-0");
        if (key0.get(i) instanceof Sent s) {
          sent.add(s);
          values.add(s.json());
        } else {
          values.add((byte[]) key0.get(i));
        }
      }
      if (i < others.size()) {
        sent.add(others.get(i));
        keys.add(others.get(i).key());
        values.add(others.get(i).json());
      }
    }
    JobTests.produce(config.eventsTopics().get(0), keys, values);

    JobExecutionResult result = ParityJobTest.runBounded(config);
    JobID job = result.getJobID();

    Map<Long, JsonNode> scored = Expectations.byTs(JobTests.jsons(JobTests.readCommitted(config.scoresTopic())));
    assertEquals(sent.size(), scored.size(), "every valid event is scored");
    // The reference replays each key in arrival order with the same rules, without the non-finite record.
    Map<Long, ReferenceScorer.Expected> want = Expectations.expectedInArrivalOrder(
        new ReferenceScorer(TestModels.read(model), JobTests.RATE, JobTests.WINDOWS, JobTests.ALPHA), sent);
    long warming = 0;
    for (Sent s : sent) {
      Expectations.assertScored(want.get(s.ts()), scored.get(s.ts()));
      warming += want.get(s.ts()).warmingUp() ? 1 : 0;
    }
    JsonNode inBound = scored.get(withinBound.ts()).get("context");
    assertEquals(TimeAwareModels.WINDOW, inBound.get("events").asInt(), "within the bound: the history stands");
    for (Sent reset : List.of(farOutOfOrder, afterGap)) {
      JsonNode j = scored.get(reset.ts());
      assertEquals(0, j.get("context").get("events").asInt(), j.toString());
      assertTrue(j.get("context").get("warmingUp").asBoolean(), j.toString());
      assertTrue(Double.isFinite(j.get("logDensity").asDouble()), "scored: " + j);
    }
    assertEquals(1, scored.get(afterNonFinite.ts()).get("context").get("events").asInt(),
        "the non-finite event did not join the history");

    List<DeadLetter> letters = JobTests.readCommitted(config.deadLettersTopic()).stream()
        .map(r -> DeadLetterJson.fromJson(r.value())).toList();
    assertEquals(1, letters.size(), letters.toString());
    assertEquals(DeadLetterReason.NON_FINITE_FEATURE, letters.get(0).reason());
    assertEquals(1, JobTests.counter(REPORTER, job, "contextResets\\.gap"));
    assertEquals(1, JobTests.counter(REPORTER, job, "contextResets\\.outOfOrder"));
    assertEquals(warming, JobTests.counter(REPORTER, job, "warmingUp"));
    // key-1 and key-2 warm up once each, key-0 three times (its start and the two resets).
    assertEquals(5L * TimeAwareModels.WINDOW, warming);
    assertEquals(sent.size(), JobTests.counter(REPORTER, job, "eventsScored"));
    assertEquals(0, JobTests.restarts(REPORTER, job));
  }
}
