package io.flowguard.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowguard.connectors.model.ModelEvent;
import io.flowguard.connectors.model.ModelEventKind;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.core.context.KeyHistory;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.score.Scorer;
import io.flowguard.job.Expectations.Sent;
import io.flowguard.job.retrain.ChallengerTrainer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
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
 * In-job retraining of a time-aware champion, on the embedded broker and a MiniCluster of parallelism 2:
 * the scored events carry their raw contexts to the reservoir, the scheduled retraining promotes a
 * time-aware challenger with the champion's context definition (VALIDATED, on the model topic), and scoring
 * continues in context under it with every key's history kept across the swap.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class TimeAwareRetrainJobTest {

  static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension
  static final MiniClusterExtension MINI_CLUSTER = JobTests.miniCluster(REPORTER);

  static final String MODEL = TestModels.NAME;

  @Test
  void aTimeAwareChampionIsRetrainedInTheJobAndScoringContinuesInContextAcrossTheSwap() throws Exception {
    // 4 keys: each may hold all its rows (max-key-share 0.3); a full-speed training on 2000+ rows.
    JobConfig c = RetrainJobs.config("ctx-retrain", "3 s", Map.of(
        "flowguard.retrain.reservoir.size", "3000", "flowguard.retrain.min-rows", "2000",
        "flowguard.retrain.max-key-share", "0.3", "flowguard.retrain.drift.trigger", "false",
        "flowguard.retrain.cpu-share", "1"));
    RetrainJobs.createTopics(c);
    byte[] v1 = TimeAwareChampions.v1();
    FlowModel champion = TestModels.read(v1);
    ModelTopic.publish(c.clientProperties(), c.modelTopic(), MODEL, v1);
    String topic = c.eventsTopics().get(0);
    Random rng = new Random(7);
    double[][] last = new double[4][];
    // Events 100 ms apart, so a key's are 400 ms apart: well within the 60 s gap limit.
    List<Sent> before = TimeAwareChampions.events(4, 700, 0L, 100L, rng, last);
    Expectations.produce(topic, before);

    StreamExecutionEnvironment env = JobTests.environment(1);
    FlowguardPipeline p = RetrainJobs.pipeline(c, ChallengerTrainer.RETRAINING);
    p.configure(env);
    p.build(env);
    JobClient client = env.executeAsync(c.jobName());
    JobID job = client.getJobID();
    try {
      RetrainJobs.awaitScores(c, before.size());
      JobTests.await(() -> RetrainJobs.modelEvents(c).stream().anyMatch(e -> e.kind() == ModelEventKind.PROMOTED),
          Duration.ofSeconds(90), "a promotion");
      ModelEvent promoted = RetrainJobs.modelEvents(c).stream().filter(e -> e.kind() == ModelEventKind.PROMOTED)
          .findFirst().orElseThrow();
      assertEquals("VALIDATED", promoted.reason(), promoted.toString());
      assertEquals(2, promoted.challengerVersion());

      FlowModel v2 = RetrainJobs.newestModel(c);
      assertEquals(2, v2.version());
      assertEquals(champion.context(), v2.context(), "the context definition never changes by retraining");
      assertEquals(champion.spec(), v2.spec());
      JobTests.awaitActiveVersion(REPORTER, job, MODEL, 2);

      // The keys go on where they were; every event is scored by v2 given the key's history, which the swap
      // kept: none warms up again.
      List<Sent> after = TimeAwareChampions.events(4, 100, before.size() * 100L, 100L, rng, last);
      Expectations.produce(topic, after);
      RetrainJobs.awaitScores(c, before.size() + after.size());
      Map<Long, JsonNode> scores = RetrainJobs.scores(c);
      Map<String, List<Sent>> byKey = new HashMap<>();
      for (Sent s : before) {
        byKey.computeIfAbsent(s.key(), k -> new ArrayList<>()).add(s);
      }
      Scorer scorer = new Scorer(v2, JobTests.RATE);
      Map<String, KeyHistory> histories = new HashMap<>();
      Scorer.Score expected = new Scorer.Score();
      for (Map.Entry<String, List<Sent>> e : byKey.entrySet()) {
        KeyHistory h = scorer.newHistory();
        for (Sent s : e.getValue()) {
          scorer.scoreInContext(s.features(), 0, 3, h, s.ts(), null, 0, expected);
        }
        histories.put(e.getKey(), h);
      }
      for (Sent s : after) {
        JsonNode got = scores.get(s.ts());
        assertEquals("2", got.get("modelVersion").asText(), got.toString());
        assertEquals(TimeAwareChampions.WINDOW, got.get("context").get("events").asInt(), got.toString());
        assertFalse(got.get("context").get("warmingUp").asBoolean(), got.toString());
        // v2 reads the raw history v1's events left: the score of a replay of the key through v2.
        scorer.scoreInContext(s.features(), 0, 3, histories.get(s.key()), s.ts(), null, 0, expected);
        assertEquals(expected.nll, got.get("nll").asDouble(), 1e-9, got.toString());
      }
      assertFalse(scores.values().stream().anyMatch(j -> j.has("contextHistory") || j.has("contextFields")),
          "the carried contexts never reach the scores topic");
      System.out.printf("time-aware in-job retraining: %s%n", promoted);
      assertEquals(0, JobTests.restarts(REPORTER, job));
    } finally {
      client.cancel().get(30, TimeUnit.SECONDS);
    }
  }
}
