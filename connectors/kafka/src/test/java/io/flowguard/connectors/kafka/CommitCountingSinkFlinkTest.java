package io.flowguard.connectors.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link CommitCountingSink} on a real broker and a MiniCluster, where Kafka really refuses a commit:
 * one checkpoint stalls longer than the sink's transaction timeout, the broker aborts the transaction,
 * and Flink's committer, which does not fail the job for that, drops it. The records are missing from
 * the output, and the sink's counts say how many: {@code recordsCommitFailed} equals the gap between
 * what it wrote and what a read_committed consumer sees, for good (later records commit normally).
 * An at-least-once sink on the same stream counts every record committed. And after a restore, the
 * transaction the checkpoint recorded, which the earlier run had committed, counts as recovered and
 * committed, not as lost.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CommitCountingSinkFlinkTest {

  /** Metrics of running tasks only: after a restart, the new attempt's. */
  static final InMemoryReporter REPORTER = InMemoryReporter.create();

  @RegisterExtension
  static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
      () -> new MiniClusterResourceConfiguration.Builder()
          .setConfiguration(REPORTER.addToConfiguration(new Configuration()))
          .setNumberTaskManagers(1)
          .setNumberSlotsPerTaskManager(2)
          .build());

  /** Transactions of the exactly-once sink time out after this; a checkpoint stalls for longer. */
  static final Duration TRANSACTION_TIMEOUT = Duration.ofSeconds(2);
  static final long STALL_MILLIS = 8_000;
  static final int FIRST = 40;
  static final int LATER = 25;

  static final AtomicInteger SEEN = new AtomicInteger();
  static final AtomicBoolean STALLED = new AtomicBoolean();

  /** Its own broker, checking for timed-out transactions every 500 ms (the default is 10 s). */
  static EmbeddedKafka kafka;

  @BeforeAll
  static void startBroker() {
    kafka = new EmbeddedKafka(Map.of(
        "transaction.abort.timed.out.transaction.cleanup.interval.ms", "500")).start();
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  /**
   * Passes records on; once it has seen the first {@value #FIRST}, it stalls the next checkpoint for
   * {@value #STALL_MILLIS} ms (after the sink has prepared its transaction, before the checkpoint
   * completes and the transaction is committed).
   */
  static final class StallOneCheckpoint extends RichMapFunction<ConsumedRecord, byte[]>
      implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;

    @Override
    public byte[] map(ConsumedRecord record) {
      SEEN.incrementAndGet();
      return record.value();
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
      if (SEEN.get() >= FIRST && STALLED.compareAndSet(false, true)) {
        Thread.sleep(STALL_MILLIS);
      }
    }

    @Override
    public void initializeState(FunctionInitializationContext context) {}
  }

  @Test
  void aCommitKafkaRefusesIsCountedAndIsExactlyTheGapInTheOutput() throws Exception {
    kafka.createTopic("ccs-in", 1, false);
    kafka.createTopic("ccs-eos", 1, false);
    kafka.createTopic("ccs-alo", 1, false);
    produce("ccs-in", 0, FIRST);

    Configuration conf = new Configuration();
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setParallelism(1);
    env.enableCheckpointing(300);
    String bootstrap = kafka.bootstrapServers();
    DataStream<byte[]> records = env.fromSource(
            KafkaIo.sourceBuilder(bootstrap, List.of("ccs-in"), "ccs", new ConsumedRecordDeserializer(),
                    new Properties())
                .setStartingOffsets(OffsetsInitializer.earliest()).build(),
            WatermarkStrategy.noWatermarks(), "in")
        .map(new StallOneCheckpoint()).name("stall");
    records.sinkTo(KafkaIo.countingSink(bootstrap, new BytesSerializer("ccs-eos"),
            SinkOptions.exactlyOnce("ccs-eos").withTransactionTimeout(TRANSACTION_TIMEOUT),
            new Properties()))
        .name("eos-sink").uid("eos-sink");
    records.sinkTo(KafkaIo.countingSink(bootstrap, new BytesSerializer("ccs-alo"), SinkOptions.atLeastOnce(),
            new Properties()))
        .name("alo-sink").uid("alo-sink");
    JobClient client = env.executeAsync("commit-counting");
    JobID job = client.getJobID();
    try {
      await(() -> STALLED.get() && metric(job, "eos-sink", "recordsCommitFailed")
              + metric(job, "eos-sink", "recordsCommitted") == FIRST,
          "every first record's transaction answered");
      long failed = metric(job, "eos-sink", "recordsCommitFailed");
      assertTrue(failed > 0, "the stalled checkpoint's transaction was refused");

      produce("ccs-in", FIRST, LATER);
      await(() -> metric(job, "eos-sink", "recordsCommitted") == FIRST + LATER - failed
              && metric(job, "alo-sink", "recordsCommitted") == FIRST + LATER,
          "the later records committed");

      assertEquals(FIRST + LATER, metric(job, "eos-sink", "recordsWritten"));
      assertEquals(failed, metric(job, "eos-sink", "recordsCommitFailed"), "no other failure");
      assertEquals(0, metric(job, "eos-sink", "recordsUncommitted"));
      assertEquals(FIRST + LATER - failed, readCommitted("ccs-eos"),
          "recordsCommitFailed is exactly what the output misses");
      assertEquals(FIRST + LATER, metric(job, "alo-sink", "recordsWritten"));
      assertEquals(0, metric(job, "alo-sink", "recordsCommitFailed"));
      assertEquals(0, metric(job, "alo-sink", "recordsUncommitted"));
      assertEquals(FIRST + LATER, readCommitted("ccs-alo"));
    } finally {
      client.cancel().get(30, TimeUnit.SECONDS);
    }
  }

  static final int RESTORED = 30;
  static final AtomicInteger SEEN_BEFORE_FAILURE = new AtomicInteger();
  static final AtomicLong CHECKPOINT_WITH_ALL = new AtomicLong(-1);
  static final AtomicBoolean FAILED = new AtomicBoolean();

  /**
   * Passes records on. The first checkpoint taken after all {@value #RESTORED} records holds them in
   * its transaction; the next checkpoint fails once (in the first attempt), by which time that
   * transaction is committed, so the job restores from a checkpoint whose committer state holds a
   * transaction Kafka has already committed.
   */
  static final class FailTheCheckpointAfterTheCommit extends RichMapFunction<ConsumedRecord, byte[]>
      implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;
    private transient boolean firstAttempt;

    @Override
    public void open(org.apache.flink.api.common.functions.OpenContext context) {
      firstAttempt = getRuntimeContext().getTaskInfo().getAttemptNumber() == 0;
    }

    @Override
    public byte[] map(ConsumedRecord record) {
      if (firstAttempt) {
        SEEN_BEFORE_FAILURE.incrementAndGet();
      }
      return record.value();
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) {
      if (!firstAttempt || SEEN_BEFORE_FAILURE.get() < RESTORED) {
        return;
      }
      if (CHECKPOINT_WITH_ALL.compareAndSet(-1, context.getCheckpointId())) {
        return;
      }
      if (context.getCheckpointId() > CHECKPOINT_WITH_ALL.get() && FAILED.compareAndSet(false, true)) {
        throw new IllegalStateException("injected: checkpoint " + context.getCheckpointId()
            + " fails after checkpoint " + CHECKPOINT_WITH_ALL.get() + " committed");
      }
    }

    @Override
    public void initializeState(FunctionInitializationContext context) {}
  }

  @Test
  void aRestoredTransactionThatTheEarlierRunCommittedCountsAsRecoveredNotLost() throws Exception {
    kafka.createTopic("ccr-in", 1, false);
    kafka.createTopic("ccr-out", 1, false);
    produce("ccr-in", 0, RESTORED);

    Configuration conf = new Configuration();
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 1);
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setParallelism(1);
    env.enableCheckpointing(300);
    String bootstrap = kafka.bootstrapServers();
    env.fromSource(
            KafkaIo.sourceBuilder(bootstrap, List.of("ccr-in"), "ccr", new ConsumedRecordDeserializer(),
                    new Properties())
                .setStartingOffsets(OffsetsInitializer.earliest()).build(),
            WatermarkStrategy.noWatermarks(), "in")
        .map(new FailTheCheckpointAfterTheCommit()).name("fail")
        .sinkTo(KafkaIo.countingSink(bootstrap, new BytesSerializer("ccr-out"),
            SinkOptions.exactlyOnce("ccr-out").withTransactionTimeout(Duration.ofSeconds(60)),
            new Properties()))
        .name("restored-sink").uid("restored-sink");
    JobClient client = env.executeAsync("commit-counting-restore");
    JobID job = client.getJobID();
    try {
      // While the job restarts its metrics are briefly absent: wait for the new attempt's.
      await(() -> FAILED.get() && !REPORTER.findMetrics(job,
              "restored-sink.*\\.flowguard\\.recoveredRecordsCommitted$").isEmpty()
              && metric(job, "restored-sink", "recoveredRecordsCommitted") > 0,
          "the restored transaction settled");
      assertEquals(0, metric(job, "restored-sink", "recoveredRecordsUnconfirmed"));
      assertEquals(0, metric(job, "restored-sink", "recordsCommitFailed"));
      assertEquals(RESTORED, readCommitted("ccr-out"), "every record once: nothing was lost");
    } finally {
      client.cancel().get(30, TimeUnit.SECONDS);
    }
  }

  /** A sink's metric summed over its subtasks; fails if it has none. */
  static long metric(JobID job, String sink, String name) {
    Map<String, Metric> found = REPORTER.findMetrics(job, sink + ".*\\.flowguard\\." + name + "$");
    assertTrue(!found.isEmpty(), sink + " has no metric " + name);
    long sum = 0;
    for (Metric m : found.values()) {
      sum += m instanceof Counter c ? c.getCount() : ((Number) ((Gauge<?>) m).getValue()).longValue();
    }
    return sum;
  }

  static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for: " + what);
      Thread.sleep(100);
    }
  }

  static void produce(String topic, int from, int count) {
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(kafka.clientProperties(),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = from; i < from + count; i++) {
        p.send(new ProducerRecord<>(topic, ("record-" + i).getBytes(StandardCharsets.UTF_8)));
      }
      p.flush();
    }
  }

  /** How many committed records the topic holds (read_committed, to its end offsets). */
  static int readCommitted(String topic) {
    Properties props = kafka.clientProperties();
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<Object> seen = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (c.position(tp) < end) {
        assertTrue(System.nanoTime() < deadline, "could not read " + topic + " to " + end);
        c.poll(Duration.ofMillis(100)).forEach(seen::add);
      }
    }
    return seen.size();
  }
}
