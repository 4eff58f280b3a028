package io.flowguard.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowguard.connectors.kafka.ConsumedRecord;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.job.Expectations.Sent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A failure in the middle of the stream, with checkpointing and exactly-once sinks: the output that
 * read_committed consumers see holds every input exactly once, with the scores (typicality windows
 * included) of a failure-free run of the same input. The job restores from a checkpoint taken after
 * the first {@value #FIRST_PART} events, not from the start: the test holds the rest of the input
 * back until such a checkpoint has completed, so this does not depend on the machine's speed.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ExactlyOnceJobTest {

  static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension
  static final MiniClusterExtension MINI_CLUSTER = JobTests.miniCluster(REPORTER);

  /** Events produced before the failing job starts; the rest follow after a checkpoint. */
  static final int FIRST_PART = 800;
  static final int FAIL_AT = 1_000;
  static final int EVENT_PARTITIONS = 2; // as JobTests.createTopics makes the events topic
  static final AtomicInteger SEEN = new AtomicInteger();
  static final AtomicInteger SEEN_AFTER_RESTART = new AtomicInteger();
  static final AtomicBoolean FAILED = new AtomicBoolean();
  static final AtomicLong LAST_CHECKPOINT = new AtomicLong();
  static final AtomicLong LAST_CHECKPOINT_AT_FAILURE = new AtomicLong(-1);

  /**
   * Passes records on and throws once (over all subtasks and attempts: the flags are static) at the
   * {@value #FAIL_AT}th record of the first attempt; notes the newest completed checkpoint it was
   * told of when it throws, and counts what later attempts see.
   */
  static final class FailOnce extends RichMapFunction<ConsumedRecord, ConsumedRecord>
      implements CheckpointListener {
    private static final long serialVersionUID = 1L;
    private transient boolean restarted;

    @Override
    public void open(OpenContext context) {
      restarted = getRuntimeContext().getTaskInfo().getAttemptNumber() > 0;
    }

    @Override
    public ConsumedRecord map(ConsumedRecord r) {
      if (restarted) {
        SEEN_AFTER_RESTART.incrementAndGet();
      } else if (SEEN.incrementAndGet() >= FAIL_AT && FAILED.compareAndSet(false, true)) {
        LAST_CHECKPOINT_AT_FAILURE.set(LAST_CHECKPOINT.get());
        throw new IllegalStateException("injected failure at record " + FAIL_AT);
      }
      return r;
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
      LAST_CHECKPOINT.accumulateAndGet(checkpointId, Math::max);
    }
  }

  /** The pipeline with bounded sources: events up to {@code eventsEnd}, models up to the latest. */
  static StreamExecutionEnvironment pipeline(JobConfig config, OffsetsInitializer eventsEnd,
      boolean injectFailure) {
    StreamExecutionEnvironment env = JobTests.environment(2);
    FlowguardPipeline p = new FlowguardPipeline(config);
    p.configure(env);
    DataStream<ConsumedRecord> events = p.addEventSource(env,
        p.eventSourceBuilder().setBounded(eventsEnd).build());
    if (injectFailure) {
      events = events.map(new FailOnce()).name("fail-once").uid("fail-once");
    }
    p.addSinks(p.wire(events, p.addModelSource(env,
        p.modelTopicSourceBuilder().setBounded(OffsetsInitializer.latest()).build())));
    return env;
  }

  /** The events topic partition of a key: fixed by the test, so that it knows the end offsets. */
  static int partition(String key) {
    return Math.floorMod(key.hashCode(), EVENT_PARTITIONS);
  }

  /** Sends each event to its key's {@link #partition} and waits for every acknowledgement. */
  static void produce(String topic, List<Sent> events) {
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
        JobTests.kafka().clientProperties(), new ByteArraySerializer(),
        new ByteArraySerializer())) {
      for (Sent s : events) {
        producer.send(new ProducerRecord<>(topic, partition(s.key()),
            s.key().getBytes(StandardCharsets.UTF_8), s.json()));
      }
      producer.flush();
    }
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
        "flowguard.kafka.scores-topic", "eos-clean-scores", "flowguard.kafka.alerts-topic", "eos-clean-alerts",
        "flowguard.kafka.dead-letters-topic", "eos-clean-dead", "flowguard.kafka.group-id", "eos-clean",
        "flowguard.kafka.transactional-id-prefix", "eos-clean"));
    JobTests.createTopics(clean);
    ModelTopic.publish(failing.clientProperties(), failing.modelTopic(), TestModels.NAME,
        TestModels.v1());
    List<Sent> events = Expectations.normalEvents(4, 500, 1_000, 3);
    for (int i = 0; i < 8; i++) {
      events.add(new Sent("key-" + (i % 4), 10_000 + i, new double[] {6, -6, 10}));
    }
    String topic = failing.eventsTopics().get(0);
    Map<TopicPartition, Long> end = new HashMap<>();
    for (Sent s : events) {
      end.merge(new TopicPartition(topic, partition(s.key())), 1L, Long::sum);
    }

    produce(topic, events.subList(0, FIRST_PART));
    JobClient client = pipeline(failing, OffsetsInitializer.offsets(end), true)
        .executeAsync(failing.jobName());
    JobID job = client.getJobID();
    try {
      JobTests.await(() -> SEEN.get() >= FIRST_PART, Duration.ofSeconds(60),
          "the first " + FIRST_PART + " events");
      // A checkpoint triggered from now on holds every one of them (see awaitOutputSettled for
      // why two more checkpoints: the one under way may have started before).
      long now = JobTests.completedCheckpoints(REPORTER, job);
      JobTests.await(() -> JobTests.completedCheckpoints(REPORTER, job) >= now + 2,
          Duration.ofSeconds(60), "a checkpoint after the first " + FIRST_PART + " events");
      produce(topic, events.subList(FIRST_PART, events.size()));
      client.getJobExecutionResult().get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      client.cancel();
      throw e;
    }
    assertTrue(FAILED.get(), "the failure was injected");
    assertEquals(1, JobTests.restarts(REPORTER, job));
    assertTrue(LAST_CHECKPOINT_AT_FAILURE.get() >= 1,
        "a checkpoint had completed before the failure");
    // Restored from that checkpoint, the job reads only what came after it, not all events again.
    assertTrue(SEEN_AFTER_RESTART.get() > 0 && SEEN_AFTER_RESTART.get()
        <= events.size() - FIRST_PART, "events read after the restart: " + SEEN_AFTER_RESTART);

    JobExecutionResult cleanRun = pipeline(clean, OffsetsInitializer.latest(), false)
        .execute(clean.jobName());
    assertEquals(0, JobTests.restarts(REPORTER, cleanRun.getJobID()));

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
