package io.flowguard.job.bench;

import io.flowguard.connectors.kafka.EmbeddedKafka;
import io.flowguard.connectors.model.ModelHistory;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.Lineage;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.ModelFormatException;
import io.flowguard.core.model.Retraining;
import io.flowguard.job.FlowguardPipeline;
import io.flowguard.job.JobConfig;
import io.flowguard.job.retrain.ChallengerTrainer;
import io.flowguard.job.retrain.MemoryReservoirStore;
import io.flowguard.job.retrain.Reservoir;
import io.flowguard.job.retrain.ReservoirMeta;
import io.flowguard.job.retrain.ReservoirRow;
import io.flowguard.job.retrain.RetrainSettings;
import io.flowguard.flink.scoring.ScoringSettings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.base.IntSerializer;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The closing figures of in-job retraining, on this machine (run with {@code flink-job/bench.sh
 * retrain}), for the end-to-end benchmark's model (MAF, d = 10, 5 x 128):
 *
 * <ol>
 *   <li>State size of a full reservoir of 50 000 events of d = 10 from 1000 keys: the rows and
 *       per-key counts the operator keeps, serialized with the serializers Flink uses for its
 *       state (slot -> row map entries, key counts, bookkeeping): what a full checkpoint writes
 *       for one model, without the state backend's per-key-group framing.
 *   <li>Retraining wall time: flow-core's {@link Retraining#run} (train, calibrate, validate) on
 *       a reservoir of 10 000 rows (the default size) and of 50 000 rows, median of the runs.
 *   <li>Scoring throughput while a retraining runs vs without: the end-to-end benchmark's
 *       exactly-once throughput run (N events produced first, then a bounded job at parallelism 2
 *       scores them), once with retraining off and once with retraining on (sample rate 0.1) and a
 *       trainer that retrains over and over as long as the job runs, so that a training is
 *       running during the whole measurement; alternated, median of the runs. Events/s count the
 *       scores written from the one of the event a third into the input (or from the first
 *       training's start, if later), the same window in both runs, so that it is really "while a
 *       retrain runs" and the JIT is warm in both.
 * </ol>
 */
public final class InJobRetrainBench {

  /** Trainings completed by {@link #LOOPING} in the current run, and when the first started. */
  static final AtomicInteger TRAININGS = new AtomicInteger();
  static final AtomicLong FIRST_TRAINING_MS = new AtomicLong();

  /** Retrains again and again until the operator closes (its listener then throws). */
  static final ChallengerTrainer LOOPING = (request, listener) -> {
    FIRST_TRAINING_MS.compareAndSet(0, System.currentTimeMillis());
    while (true) {
      Retraining.Outcome o = Retraining.run(request, listener);
      TRAININGS.incrementAndGet();
      if (Thread.currentThread().isInterrupted()) {
        return o;
      }
    }
  };

  private final EmbeddedKafka kafka;
  private final byte[] model;
  private int run;

  private final String cpuShare;

  private InJobRetrainBench(EmbeddedKafka kafka, byte[] model, String cpuShare) {
    this.kafka = kafka;
    this.model = model;
    this.cpuShare = cpuShare;
  }

  public static void main(String[] args) throws Exception {
    BenchArgs.quietLogging();
    Map<String, String> a = BenchArgs.parse(args);
    int events = Integer.parseInt(a.getOrDefault("events", "200000"));
    int runs = Integer.parseInt(a.getOrDefault("runs", "3"));
    int bigRuns = Integer.parseInt(a.getOrDefault("big-runs", "1"));
    String cpuShare = a.getOrDefault("cpu-share", Double.toString(io.flowguard.job.JobOptions.RETRAIN_CPU_SHARE.defaultValue()));

    System.out.printf(Locale.ROOT, "Training the benchmark model (MAF, d = %d, 5 x 128) ...%n",
        EndToEndBench.DIM);
    byte[] model = EndToEndBench.trainModel();
    List<String> rows = new ArrayList<>();
    rows.add(stateSize(50_000));
    rows.add(retrainTime(model, 10_000, runs));
    if (bigRuns > 0) {
      rows.add(retrainTime(model, 50_000, bigRuns));
    }

    EmbeddedKafka kafka = quietly(() -> new EmbeddedKafka().start());
    try {
      InJobRetrainBench bench = new InJobRetrainBench(kafka, model, cpuShare);
      List<Double> off = new ArrayList<>();
      List<Double> on = new ArrayList<>();
      List<Integer> trainings = new ArrayList<>();
      for (int r = 0; r < runs; r++) {
        off.add(bench.throughput(events, false));
        on.add(bench.throughput(events, true));
        trainings.add(TRAININGS.get());
      }
      double mOff = median(off);
      double mOn = median(on);
      List<Double> ratios = new ArrayList<>();
      for (int r = 0; r < runs; r++) {
        ratios.add(100 * on.get(r) / off.get(r));
      }
      rows.add(String.format(Locale.ROOT, "  throughput, exactly-once, retraining off: %8.0f"
          + " events/s (median of %s)", mOff, fmt(off)));
      rows.add(String.format(Locale.ROOT, "  throughput, exactly-once, while retraining"
          + " (retrain.cpu-share %s): %6.0f"
          + " events/s (median of %s; trainings completed per run %s) = %.0f %% of off;"
          + " paired runs %s %%, median %.0f %%", cpuShare, mOn, fmt(on), trainings,
          100 * mOn / mOff, fmt(ratios), median(ratios)));
    } finally {
      quietly(() -> {
        kafka.close();
        return null;
      });
    }
    System.out.println();
    System.out.printf(Locale.ROOT, "In-job retraining, parallelism 2, %d cores:%n",
        Runtime.getRuntime().availableProcessors());
    rows.forEach(System.out::println);
    System.exit(0);
  }

  // ---- state size ----

  static String stateSize(int n) throws Exception {
    System.out.printf(Locale.ROOT, "State of a %d-event reservoir ...%n", n);
    Reservoir reservoir = new Reservoir(n, 1.0, Reservoir.Algorithm.RECENT);
    MemoryReservoirStore store = new MemoryReservoirStore();
    String[] names = new String[EndToEndBench.DIM];
    for (int i = 0; i < names.length; i++) {
      names[i] = "f" + i;
    }
    ReservoirMeta meta = new ReservoirMeta(names, 0, 0, 0);
    Random rng = new Random(3);
    for (int i = 0; i < n; i++) {
      meta = reservoir.offer(meta, new ReservoirRow(String.format("pump-%04d", i % 1000),
          1_700_000_000_000L + i, EndToEndBench.sample(rng, EndToEndBench.MIX)), false, store)
          .meta();
    }
    SerializerConfigImpl config = new SerializerConfigImpl();
    TypeSerializer<ReservoirRow> rowSerializer =
        TypeInformation.of(ReservoirRow.class).createSerializer(config);
    TypeSerializer<ReservoirMeta> metaSerializer =
        TypeInformation.of(ReservoirMeta.class).createSerializer(config);
    DataOutputSerializer out = new DataOutputSerializer(1 << 20);
    long rows = 0;
    for (Map.Entry<Integer, ReservoirRow> e : store.rows().entrySet()) {
      out.clear();
      IntSerializer.INSTANCE.serialize(e.getKey(), out);
      rowSerializer.serialize(e.getValue(), out);
      rows += out.length();
    }
    long counts = 0;
    for (Map.Entry<String, Integer> e : store.counts(false).entrySet()) {
      out.clear();
      StringSerializer.INSTANCE.serialize(e.getKey(), out);
      IntSerializer.INSTANCE.serialize(e.getValue(), out);
      counts += out.length();
    }
    out.clear();
    metaSerializer.serialize(meta, out);
    long total = rows + counts + out.length();
    return String.format(Locale.ROOT, "  reservoir state, %d events of d = %d from 1000 keys:"
        + " %.2f MiB serialized (%.0f bytes per event: slot + key + event time + %d doubles as a"
        + " Flink POJO; key counts %.1f KiB), what a full checkpoint of the operator writes for"
        + " one model, before compression", meta.size(), EndToEndBench.DIM, total / 1048576.0,
        rows / (double) meta.size(), EndToEndBench.DIM, counts / 1024.0);
  }

  // ---- retraining wall time ----

  static String retrainTime(byte[] modelBytes, int n, int runs) throws ModelFormatException {
    FlowModel champion = ModelFormat.read(modelBytes);
    Random rng = new Random(4);
    double[] x = new double[n * EndToEndBench.DIM];
    for (int r = 0; r < n; r++) {
      System.arraycopy(EndToEndBench.sample(rng, EndToEndBench.MIX), 0, x,
          r * EndToEndBench.DIM, EndToEndBench.DIM);
    }
    Dataset data = new Dataset("reservoir", champion.preprocessor().featureNames(), x, n);
    List<Double> seconds = new ArrayList<>();
    String outcome = "";
    for (int i = 0; i < runs; i++) {
      System.out.printf(Locale.ROOT, "Retraining on %d rows, run %d of %d ...%n", n, i + 1, runs);
      long t0 = System.nanoTime();
      Retraining.Outcome o = Retraining.run(Retraining.Request.refresh(champion, data, 100 + i,
          Lineage.Trigger.SCHEDULED, "bench", Retraining.Settings.defaults()));
      seconds.add((System.nanoTime() - t0) / 1e9);
      outcome = o.reason() + ", " + o.metrics().trainRows() + " rows trained";
    }
    return String.format(Locale.ROOT, "  retraining wall time, %d-row reservoir: %.1f s (median"
        + " of %s; %s; steps scaled from the champion's 200 on 4000 rows)", n, median(seconds),
        fmt(seconds), outcome);
  }

  // ---- throughput ----

  private double throughput(int events, boolean retraining) throws Exception {
    System.out.printf(Locale.ROOT, "Throughput, exactly-once, retraining %s: %d events ...%n",
        retraining ? "on" : "off", events);
    String p = "rbench" + (++run) + (retraining ? "-on" : "-off");
    Map<String, String> o = new HashMap<>(Map.ofEntries(
        Map.entry("flowguard.kafka.bootstrap-servers", kafka.bootstrapServers()),
        Map.entry("flowguard.kafka.events-topic", p + "-events"), Map.entry("flowguard.kafka.scores-topic", p + "-scores"),
        Map.entry("flowguard.kafka.alerts-topic", p + "-alerts"), Map.entry("flowguard.kafka.dead-letters-topic", p + "-dead"),
        Map.entry("flowguard.kafka.model-topic", p + "-models"), Map.entry("flowguard.kafka.group-id", p),
        Map.entry("flowguard.kafka.transactional-id-prefix", p), Map.entry("flowguard.kafka.starting-offsets", "earliest"),
        Map.entry("execution.checkpointing.interval", "1 s"), Map.entry("parallelism.default", "2"),
        Map.entry("flowguard.scoring.typicality.windows", "32,128"), Map.entry("flowguard.kafka.model-events-topic", p + "-me")));
    if (retraining) {
      o.putAll(Map.of("flowguard.retrain.enabled", "true", "flowguard.retrain.sample-rate", "0.1",
          "flowguard.retrain.min-rows", "1000", "flowguard.retrain.interval", "200 ms",
          "flowguard.retrain.max-key-share", "0.1", "flowguard.retrain.cpu-share", cpuShare));
    }
    JobConfig c = JobConfig.of(o);
    kafka.createTopic(c.eventsTopics().get(0), 2, false);
    kafka.createTopic(c.scoresTopic(), 2, false);
    kafka.createTopic(c.alertsTopic(), 1, false);
    kafka.createTopic(c.deadLettersTopic(), 1, false);
    kafka.createTopic(c.modelEventsTopic(), 1, false);
    ModelTopic.publish(c.clientProperties(), c.modelTopic(), EndToEndBench.MODEL, model);
    ModelTopic.ensureTopic(c.clientProperties(), ModelHistory.historyTopicFor(c.modelTopic()));
    Random rng = new Random(1);
    Properties pp = kafka.clientProperties();
    pp.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < events; i++) {
        String key = "k" + (i % 64);
        producer.send(new ProducerRecord<>(c.eventsTopics().get(0),
            key.getBytes(StandardCharsets.UTF_8),
            EndToEndBench.json(key, i, EndToEndBench.sample(rng, EndToEndBench.MIX))));
      }
      producer.flush();
    }
    Configuration conf = new Configuration();
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2, conf);
    ScoringSettings scoring = c.scoringSettings();
    FlowguardPipeline pipeline = new FlowguardPipeline(c, scoring,
        RetrainSettings.of(c).withTrainer(LOOPING));
    pipeline.configure(env);
    pipeline.addSinks(pipeline.wire(
        pipeline.addEventSource(env,
            pipeline.eventSourceBuilder().setBounded(OffsetsInitializer.latest()).build()),
        pipeline.addModelSource(env,
            pipeline.modelTopicSourceBuilder().setBounded(OffsetsInitializer.latest()).build())));
    TRAININGS.set(0);
    FIRST_TRAINING_MS.set(0);
    env.execute("retrain-bench");
    if (retraining && FIRST_TRAINING_MS.get() == 0) {
      throw new IllegalStateException("no training started during the run; use more --events");
    }
    // The same window in both runs: from the score of the event a third into the input (warm
    // JIT, and with retraining on, after the first training started: it needs 1000 sampled rows,
    // a tenth of the way in at sample rate 0.1), or from the training's start if that is later.
    List<long[]> written = scoreTimes(c.scoresTopic()); // {write time, event index}
    long from = written.stream().filter(w -> w[1] >= events / 3).mapToLong(w -> w[0]).min()
        .orElseThrow();
    if (retraining) {
      from = Math.max(from, FIRST_TRAINING_MS.get());
    }
    long start = from;
    long count = written.stream().filter(w -> w[0] >= start).count();
    long last = written.stream().mapToLong(w -> w[0]).max().orElseThrow();
    return count * 1000.0 / Math.max(1, last - start);
  }

  /** {write time, event index} of every committed score. */
  private List<long[]> scoreTimes(String topic) {
    Properties p = kafka.clientProperties();
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    List<long[]> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic).stream()
          .map(i -> new TopicPartition(topic, i.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          out.add(new long[] {r.timestamp(), EndToEndBench.eventTime(r.value())});
        }
      }
    }
    return out;
  }

  static double median(List<Double> v) {
    double[] s = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  static String fmt(List<Double> v) {
    return Arrays.toString(v.stream().map(x -> String.format(Locale.ROOT, x < 100 ? "%.1f" : "%.0f",
        x)).toArray());
  }

  private static <T> T quietly(java.util.concurrent.Callable<T> action) throws Exception {
    java.io.PrintStream original = System.out;
    System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
    try {
      return action.call();
    } finally {
      System.setOut(original);
    }
  }
}
