package io.flowguard.job;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowguard.connectors.model.ModelEvent;
import io.flowguard.connectors.model.ModelEventJson;
import io.flowguard.connectors.model.ModelHistory;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.core.model.FlowModel;
import io.flowguard.job.Expectations.Sent;
import io.flowguard.job.retrain.ChallengerTrainer;
import io.flowguard.job.retrain.RetrainSettings;
import io.flowguard.flink.scoring.ScoringSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Shared set-up of the retraining job tests: a {@link JobTests#config} with retraining enabled and
 * small, fast settings, the extra topics, a pipeline with a chosen trainer, and readers for the
 * model, history and model-events topics.
 */
public final class RetrainJobs {

  private RetrainJobs() {}

  /** Retraining on, every scored event sampled, schedule every {@code interval}. */
  public static JobConfig config(String name, String interval, Map<String, String> extra) {
    Map<String, String> o = new HashMap<>();
    o.put("flowguard.retrain.enabled", "true");
    o.put("flowguard.retrain.interval", interval);
    o.put("flowguard.retrain.sample-rate", "1");
    o.put("flowguard.kafka.model-events-topic", name + "-model-events");
    o.putAll(extra);
    return JobTests.config(name).with(o);
  }

  /** The job's topics plus the model history and model-events topics. */
  public static void createTopics(JobConfig c) {
    JobTests.createTopics(c);
    ModelTopic.ensureTopic(c.clientProperties(), historyTopic(c));
    JobTests.kafka().createTopic(c.modelEventsTopic(), 1, false);
  }

  public static String historyTopic(JobConfig c) {
    return ModelHistory.historyTopicFor(c.modelTopic());
  }

  /** The pipeline of a configuration, training challengers with {@code trainer}. */
  public static FlowguardPipeline pipeline(JobConfig c, ChallengerTrainer trainer) {
    ScoringSettings scoring = c.scoringSettings();
    return new FlowguardPipeline(c, scoring, RetrainSettings.of(c).withTrainer(trainer));
  }

  /** Committed model events of the configuration's topic. */
  public static List<ModelEvent> modelEvents(JobConfig c) {
    List<ModelEvent> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : JobTests.readCommitted(c.modelEventsTopic())) {
      out.add(ModelEventJson.fromJson(r.value()));
    }
    return out;
  }

  /** Versions of the committed model-topic records of the model, in offset order. */
  public static List<Integer> modelTopicVersions(JobConfig c) {
    List<Integer> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : JobTests.readCommitted(c.modelTopic())) {
      if (r.value() != null) {
        out.add(TestModels.read(r.value()).version());
      }
    }
    return out;
  }

  /** Committed history record keys (tombstones included as "KEY (tombstone)"). */
  public static List<String> historyKeys(JobConfig c) {
    List<String> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : JobTests.readCommitted(historyTopic(c))) {
      String key = new String(r.key(), java.nio.charset.StandardCharsets.UTF_8);
      out.add(r.value() == null ? key + " (tombstone)" : key);
    }
    return out;
  }

  /** The newest committed model on the model topic. */
  public static FlowModel newestModel(JobConfig c) {
    List<ConsumerRecord<byte[], byte[]>> all = JobTests.readCommitted(c.modelTopic());
    return TestModels.read(all.get(all.size() - 1).value());
  }

  /** Events of a regime for {@code keys} keys, interleaved, ts from {@code ts0}. */
  public static List<Sent> events(int keys, int n, long ts0, long seed,
      Function<Random, double[]> regime) {
    Random rng = new Random(seed);
    List<Sent> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new Sent("key-" + (i % keys), ts0 + i, regime.apply(rng)));
    }
    return out;
  }

  /** Committed scores by event time (fails on a duplicate). */
  public static Map<Long, JsonNode> scores(JobConfig c) {
    return Expectations.byTs(JobTests.jsons(JobTests.readCommitted(c.scoresTopic())));
  }

  /** Waits until the topic holds at least {@code n} committed records. */
  public static void awaitScores(JobConfig c, int n) throws InterruptedException {
    JobTests.awaitCommitted(c.scoresTopic(), n, Duration.ofSeconds(60));
  }
}
