package io.flowguard.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowguard.connectors.kafka.EmbeddedKafka;
import io.flowguard.connectors.model.ModelTopic;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.groups.OperatorMetricGroup;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Shared set-up of the job tests: one embedded broker per JVM, a MiniCluster of {@link
 * #PARALLELISM} slots with an in-memory metric reporter, topics per test, and reading what the job
 * committed.
 */
public final class JobTests {

  public static final int PARALLELISM = 2;
  public static final double RATE = 0.01;
  public static final int[] WINDOWS = {8, 32};
  public static final double ALPHA = 0.99;
  static final ObjectMapper JSON = new ObjectMapper();

  private static EmbeddedKafka kafka;

  private JobTests() {}

  /** One broker for all test classes of this JVM; closed when the JVM exits. */
  public static synchronized EmbeddedKafka kafka() {
    if (kafka == null) {
      EmbeddedKafka started = new EmbeddedKafka().start();
      Runtime.getRuntime().addShutdownHook(new Thread(started::close, "embedded-kafka-close"));
      kafka = started;
    }
    return kafka;
  }

  /** A MiniCluster (one TaskManager, {@link #PARALLELISM} slots) reporting to {@code reporter}. */
  public static MiniClusterExtension miniCluster(InMemoryReporter reporter) {
    return new MiniClusterExtension(() -> new MiniClusterResourceConfiguration.Builder()
        .setConfiguration(reporter.addToConfiguration(new Configuration()))
        .setNumberTaskManagers(1)
        .setNumberSlotsPerTaskManager(PARALLELISM)
        .build());
  }

  /**
   * An environment on the test MiniCluster with a fixed-delay restart strategy of {@code attempts}
   * attempts (without one, a job failing persistently with checkpointing on retries forever).
   */
  public static StreamExecutionEnvironment environment(int attempts) {
    Configuration conf = new Configuration();
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, attempts);
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setParallelism(PARALLELISM);
    return env;
  }

  /**
   * A configuration whose topics, group and transactional ids all start with {@code name}, so that
   * tests sharing the broker never see each other's records; checkpoints every 300 ms; windows 8 and
   * 32 at level 0.99; false-alarm rate 0.01.
   */
  public static JobConfig config(String name) {
    Map<String, String> o = new HashMap<>();
    o.put("flowguard.kafka.bootstrap-servers", kafka().bootstrapServers());
    o.put("flowguard.kafka.events-topic", name + "-events");
    o.put("flowguard.kafka.scores-topic", name + "-scores");
    o.put("flowguard.kafka.alerts-topic", name + "-alerts");
    o.put("flowguard.kafka.dead-letters-topic", name + "-dead");
    o.put("flowguard.kafka.model-topic", name + "-models");
    o.put("flowguard.kafka.model-events-topic", name + "-model-events");
    o.put("flowguard.kafka.group-id", name);
    o.put("flowguard.kafka.transactional-id-prefix", name);
    o.put("flowguard.kafka.transaction-timeout", "30 s");
    o.put("execution.checkpointing.interval", "300 ms");
    o.put("flowguard.kafka.starting-offsets", "earliest");
    o.put("flowguard.scoring.false-alarm-rate", Double.toString(RATE));
    o.put("flowguard.scoring.typicality.windows", "8,32");
    o.put("flowguard.scoring.typicality.alpha", Double.toString(ALPHA));
    o.put("parallelism.default", Integer.toString(PARALLELISM));
    return JobConfig.of(o);
  }

  /** Creates the configuration's topics (events and scores with 2 partitions). */
  public static void createTopics(JobConfig c) {
    EmbeddedKafka k = kafka();
    for (String t : c.eventsTopics()) {
      k.createTopic(t, 2, false);
    }
    k.createTopic(c.scoresTopic(), 2, false);
    k.createTopic(c.alertsTopic(), 1, false);
    k.createTopic(c.deadLettersTopic(), 1, false);
    k.createTopic(c.modelEventsTopic(), 1, false);
    ModelTopic.ensureTopic(c.clientProperties(), c.modelTopic());
  }

  /** Sends records keyed by the given keys (null: no key) and waits for every acknowledgement. */
  public static void produce(String topic, List<String> keys, List<byte[]> values) {
    Properties p = kafka().clientProperties();
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < values.size(); i++) {
        String key = keys.get(i);
        producer.send(new ProducerRecord<>(topic,
            key == null ? null : key.getBytes(StandardCharsets.UTF_8), values.get(i)));
      }
      producer.flush();
    }
  }

  /** Every committed record of a topic up to its current end (read_committed). */
  public static List<ConsumerRecord<byte[], byte[]>> readCommitted(String topic) {
    Properties p = kafka().clientProperties();
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic).stream()
          .map(i -> new TopicPartition(topic, i.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("could not read " + topic + " to its end " + end);
        }
        c.poll(Duration.ofMillis(100)).forEach(out::add);
      }
    }
    return out;
  }

  /** Polls until {@code topic} holds at least {@code count} committed records, or fails. */
  public static List<ConsumerRecord<byte[], byte[]>> awaitCommitted(String topic, int count,
      Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<ConsumerRecord<byte[], byte[]>> got = readCommitted(topic);
      if (got.size() >= count) {
        return got;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(topic + ": " + got.size() + " committed records after "
            + timeout + ", expected " + count);
      }
      Thread.sleep(200);
    }
  }

  public static JsonNode json(byte[] bytes) {
    try {
      return JSON.readTree(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static List<JsonNode> jsons(List<ConsumerRecord<byte[], byte[]>> records) {
    return records.stream().map(r -> json(r.value())).toList();
  }

  /** Waits until the condition holds, or fails with the message. */
  public static void await(BooleanSupplier condition, Duration timeout, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      Thread.sleep(50);
    }
  }

  /** The active version gauge of a model on every scoring instance that registered it. */
  public static List<Integer> activeVersions(InMemoryReporter reporter, JobID job, String model) {
    List<Integer> out = new ArrayList<>();
    for (Metric m : reporter.findMetrics(job,
        "flowguard\\.model\\." + model + "\\.activeVersion$").values()) {
      out.add(((Number) ((Gauge<?>) m).getValue()).intValue());
    }
    return out;
  }

  /** Waits until every scoring instance reports {@code version} active for the model. */
  public static void awaitActiveVersion(InMemoryReporter reporter, JobID job, String model,
      int version) throws InterruptedException {
    await(() -> {
      List<Integer> v = activeVersions(reporter, job, model);
      return v.size() == PARALLELISM && v.stream().allMatch(x -> x == version);
    }, Duration.ofSeconds(60), "model " + model + " v" + version + " active on every instance");
  }

  /** The sum over instances of a flowguard counter (e.g. "eventsScored"). */
  public static long counter(InMemoryReporter reporter, JobID job, String name) {
    long sum = 0;
    for (Metric m : reporter.findMetrics(job, "\\.flowguard\\." + name + "$").values()) {
      sum += ((Counter) m).getCount();
    }
    return sum;
  }

  /**
   * The sum over a sink's subtasks of one of its commit-ledger metrics (a counter or a gauge of
   * {@link io.flowguard.connectors.kafka.CommitCountingSink}, e.g. "recordsCommitted"); fails if the
   * sink has none, so that 0 means 0.
   */
  public static long sinkMetric(InMemoryReporter reporter, JobID job, String sinkUid, String name) {
    Map<String, Metric> found = reporter.findMetrics(job,
        java.util.regex.Pattern.quote(sinkUid) + ".*\\.flowguard\\." + name + "$");
    if (found.isEmpty()) {
      throw new AssertionError("sink " + sinkUid + " of job " + job + " has no metric " + name);
    }
    long sum = 0;
    for (Metric m : found.values()) {
      sum += m instanceof Counter c ? c.getCount() : ((Number) ((Gauge<?>) m).getValue()).longValue();
    }
    return sum;
  }

  /** The job's completed checkpoints so far, over all its attempts (0 before the first). */
  public static long completedCheckpoints(InMemoryReporter reporter, JobID job) {
    return reporter.findMetrics(job, "numberOfCompletedCheckpoints$").values().stream()
        .mapToLong(m -> ((Number) ((Gauge<?>) m).getValue()).longValue()).max().orElse(0);
  }

  /**
   * Waits until three more checkpoints than now have completed, so that what the job's sinks hold
   * now is committed. A record in a sink belongs to the checkpoint under way or, when that one's
   * barrier has passed the sink already, to the next one; its transaction commits when the sink is
   * told that this second checkpoint completed, a notice the JobManager sends before it triggers
   * the third, so the third completing leaves the notice ample time. After this, a test reads the
   * committed output to its end offsets and checks that nothing more came. The wait counts
   * checkpoints, not seconds, so it holds on a slow machine as on a fast one.
   */
  public static void awaitOutputSettled(InMemoryReporter reporter, JobID job)
      throws InterruptedException {
    long target = completedCheckpoints(reporter, job) + 3;
    await(() -> completedCheckpoints(reporter, job) >= target, Duration.ofSeconds(60),
        "checkpoint " + target + " of job " + job + " completed");
  }

  /**
   * The records that the operators whose name matches {@code operatorPattern} emitted, over their
   * subtasks (their numRecordsOut); fails if the job has no such operator, so that 0 means none.
   */
  public static long recordsOut(InMemoryReporter reporter, JobID job, String operatorPattern) {
    List<OperatorMetricGroup> groups = reporter.findOperatorMetricGroups(job, operatorPattern);
    if (groups.isEmpty()) {
      throw new AssertionError("job " + job + " has no operator matching " + operatorPattern);
    }
    return groups.stream()
        .mapToLong(g -> g.getIOMetricGroup().getNumRecordsOutCounter().getCount()).sum();
  }

  /** The job's restart count (0 when it never restarted). */
  public static long restarts(InMemoryReporter reporter, JobID job) {
    return reporter.findMetrics(job, "numRestarts$").values().stream()
        .mapToLong(m -> ((Number) ((Gauge<?>) m).getValue()).longValue()).max().orElse(0);
  }
}
