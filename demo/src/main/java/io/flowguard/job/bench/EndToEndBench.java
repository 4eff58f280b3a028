package io.flowguard.job.bench;

import io.flowguard.connectors.kafka.EmbeddedKafka;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.core.context.ContextSpec;
import io.flowguard.core.context.EventSequence;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.ModelTrainer;
import io.flowguard.core.score.Scorer;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingListener;
import io.flowguard.job.FlowguardPipeline;
import io.flowguard.job.JobConfig;
import io.flowguard.flink.scoring.ScoringKernel;
import io.flowguard.flink.scoring.ScoringSettings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
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
 * End-to-end benchmark of the job on this machine: embedded broker, JSON in and out, local Flink at
 * parallelism 2, a MAF with d = 10 ({@code --dim}), 5 layers, hidden 128 x 128; with {@code
 * --context-window K}, a time-aware model of the same architecture trained on the same rows ordered
 * per key by time (64 keys, as the benchmark's events), scoring each event given its key's K previous ones.
 *
 * <ol>
 *   <li>Throughput, exactly-once: N events are produced first, then a bounded job scores them all;
 *       events/s = N / (last - first scored record's write time), so start-up is not counted.
 *   <li>Latency, at-least-once: events are produced at a fixed rate (default 5 000/s) while the job
 *       runs; latency = the scored record's write time (sink) minus the event's send time, and the
 *       time a consumer receives it minus the send time. The first seconds are warm-up.
 * </ol>
 *
 * Each run is repeated with a trivial scorer (a sum of squares instead of the flow), so that the
 * flow's share of the cost shows. Run with {@code demo/bench.sh}; figures are rough on a shared
 * machine.
 *
 * <p>The cost of context ({@code --context-window K --runs N}): throughput only, the context-free model
 * and the time-aware one of the same architecture alternated (in ABBA order, so that a drift of the
 * machine's load weighs on both alike), N runs each after one short uncounted run of each; medians and
 * their ratio, of events per second and of events per CPU-second of the process (broker, job and
 * producer share it).
 */
public final class EndToEndBench {

  static final int DIM = 10;
  static final String MODEL = "default";
  /** Event keys k0..k63, in turn. */
  static final int KEYS = 64;

  /** Scores with -0.5 |x|^2: the job's cost without the flow. */
  static final ScoringKernel.Factory TRIVIAL = (model, rate) -> (x, out) -> {
    double s = 0;
    for (double v : x) {
      s += v * v;
    }
    out.rejection = Scorer.Rejection.NONE;
    out.rejectedAt = -1;
    out.logDensity = -0.5 * s;
    out.nll = 0.5 * s;
    out.tailProbability = 0.5;
    out.anomaly = false;
    return true;
  };

  private final EmbeddedKafka kafka;
  private int events;
  private int rate;
  private final int seconds;
  private final int warmupSeconds;
  private final byte[] model;
  private final double[][] mix;
  private int run;
  private String falseAlarmRate = "0.001";
  private String explainTop = "3";
  /** Further job options ({@code --option key=value,key=value}), e.g. Kafka client properties. */
  private final Map<String, String> extraOptions = new java.util.TreeMap<>();

  private EndToEndBench(EmbeddedKafka kafka, int events, int rate, int seconds, byte[] model, double[][] mix) {
    this.kafka = kafka;
    this.events = events;
    this.rate = rate;
    this.seconds = seconds;
    this.warmupSeconds = Math.min(5, seconds / 3);
    this.model = model;
    this.mix = mix;
  }

  public static void main(String[] args) throws Exception {
    BenchArgs.quietLogging();
    Map<String, String> a = BenchArgs.parse(args);
    int events = Integer.parseInt(a.getOrDefault("events", "100000"));
    int rate = Integer.parseInt(a.getOrDefault("rate", "5000"));
    int seconds = Integer.parseInt(a.getOrDefault("seconds", "20"));
    boolean trivial = !a.getOrDefault("trivial", "true").equals("false");
    int dim = Integer.parseInt(a.getOrDefault("dim", Integer.toString(DIM)));
    int window = Integer.parseInt(a.getOrDefault("context-window", "0"));
    int runs = Integer.parseInt(a.getOrDefault("runs", window == 0 ? "3" : "0"));
    int[] rates = Arrays.stream(a.getOrDefault("rates", a.getOrDefault("rate", "5000,10000")).split(","))
        .mapToInt(v -> Integer.parseInt(v.trim())).filter(v -> v > 0).toArray(); // --rates 0: no latency runs
    double[][] mix = dim == DIM ? MIX : mixing(new Random(7), dim);

    PrintlnQuiet quiet = new PrintlnQuiet();
    EmbeddedKafka kafka = quiet.run(() -> new EmbeddedKafka().start());
    try {
      System.out.printf(Locale.ROOT, "Training the benchmark model (MAF, d = %d, 5 x 128%s) ...%n", dim,
          window == 0 ? "" : ", k = " + window + " previous events of context");
      byte[] model = trainModel(mix, window);
      EndToEndBench bench = new EndToEndBench(kafka, events, rates.length > 0 ? rates[0] : 5000, seconds, model, mix);
      bench.falseAlarmRate = a.getOrDefault("false-alarm-rate", "0.001");
      bench.explainTop = a.getOrDefault("explain-top", "3");
      for (String kv : a.getOrDefault("option", "").split(",")) {
        if (!kv.isBlank()) {
          bench.extraOptions.put(kv.substring(0, kv.indexOf('=')).trim(), kv.substring(kv.indexOf('=') + 1).trim());
        }
      }
      if (!bench.extraOptions.isEmpty()) {
        System.out.println("job options: " + bench.extraOptions);
      }
      System.out.printf(Locale.ROOT, "false-alarm rate %s, explanations of the top %s features%n",
          bench.falseAlarmRate, bench.explainTop);
      List<String> rows;
      if (runs > 0 && window > 0) {
        System.out.printf(Locale.ROOT, "Training the context-free model of the same architecture ...%n");
        // The cost of context: throughput only, the context-free model first (the ratios are to it).
        rows = bench.compare(List.of(new Variant("k = 0", trainModel(mix, 0), false, bench.explainTop),
            new Variant("k = " + window, model, false, bench.explainTop)), runs, new int[0]);
      } else if (runs > 0 && trivial) {
        List<Variant> variants = new ArrayList<>(List.of(
            new Variant("trivial scorer", model, true, "0"),
            new Variant("flow (MAF 5x128)", model, false, bench.explainTop)));
        if (a.getOrDefault("all-variants", "false").equals("true")) {
          // The flow without explanations (their cost), and a time-aware flow of 16 previous events.
          variants.add(new Variant("flow, no explanations", model, false, "0"));
          System.out.printf(Locale.ROOT, "Training the time-aware model (k = 16) of the same architecture ...%n");
          variants.add(new Variant("flow, k = 16", trainModel(mix, 16), false, bench.explainTop));
        }
        rows = bench.compare(variants, runs, rates);
      } else {
        String label = window == 0 ? "flow (MAF 5x128)" : "flow, k = " + window;
        rows = bench.throughputAndLatency(label, trivial);
      }
      System.out.println();
      System.out.printf(Locale.ROOT, "End to end, embedded Kafka, JSON, parallelism 2, %d cores, d = %d:%n",
          Runtime.getRuntime().availableProcessors(), dim);
      rows.forEach(System.out::println);
    } finally {
      quiet.run(() -> {
        kafka.close();
        return null;
      });
    }
    System.exit(0);
  }

  /** One configuration the default runs compare: a model, the flow or the trivial scorer, explanations. */
  record Variant(String label, byte[] model, boolean trivial, String explainTop) {}

  /**
   * The default runs (and the cost of context, throughput only): each variant (the trivial scorer, or the
   * context-free model, first) {@code runs} times after one short uncounted
   * run of each, in an order rotated from run to run (for two variants ABBA...: every variant takes every
   * place equally often), so that a drift of the machine weighs on all alike; exactly-once throughput
   * (with each run's CPU breakdown per event), then at-least-once latency at each rate; medians and each
   * variant's ratio to the first.
   */
  private List<String> compare(List<Variant> variants, int runs, int[] rates) throws Exception {
    List<String> rows = new ArrayList<>();
    int n = variants.size();
    int counted = events;
    events = Math.max(1, counted / 5);
    for (Variant v : variants) {
      throughput(v, " (warm-up)");
    }
    events = counted;
    double[][] perSecond = new double[n][runs];
    double[][] perCpu = new double[n][runs];
    for (int r = 0; r < runs; r++) {
      for (int i = 0; i < n; i++) {
        int v = (i + r) % n;
        Throughput t = throughput(variants.get(v), "");
        perSecond[v][r] = t.perSecond();
        perCpu[v][r] = t.perCpuSecond();
        rows.add("  run " + (r + 1) + ": " + t.line().trim());
        rows.add("         " + t.breakdown());
      }
    }
    for (int v = 0; v < n; v++) {
      rows.add(String.format(Locale.ROOT, "  median throughput, exactly-once, %-26s %7.0f events/s %s, per CPU-second %6.0f %s%s",
          variants.get(v).label() + ":", median(perSecond[v]), Arrays.toString(round(perSecond[v])), median(perCpu[v]),
          Arrays.toString(round(perCpu[v])), v == 0 ? "" : String.format(Locale.ROOT, ": ratio to %s %.3f (per CPU-second %.3f)", variants.get(0).label(),
              median(perSecond[v]) / median(perSecond[0]), median(perCpu[v]) / median(perCpu[0]))));
    }
    int rateBefore = rate;
    for (int rateNow : rates) {
      rate = rateNow;
      long[][][] pct = new long[n][3][runs]; // [variant][p50, p99, p99.9][run]
      for (int r = 0; r < runs; r++) {
        for (int i = 0; i < n; i++) {
          int v = (i + r) % n;
          Latency l = latency(variants.get(v));
          long[] p = {l.p50(), l.p99(), l.p999()};
          for (int q = 0; q < 3; q++) {
            pct[v][q][r] = p[q];
          }
          rows.add("  run " + (r + 1) + ": " + l.line().trim());
        }
      }
      double[][] med = new double[n][3];
      for (int v = 0; v < n; v++) {
        for (int q = 0; q < 3; q++) {
          med[v][q] = median(Arrays.stream(pct[v][q]).asDoubleStream().toArray());
        }
      }
      for (int v = 0; v < n; v++) {
        rows.add(String.format(Locale.ROOT, "  median latency at %d/s to the scores topic, %-26s p50 %.0f, p99 %.0f, p99.9 %.0f ms"
            + " (p99 per run %s)%s", rate, variants.get(v).label() + ":", med[v][0], med[v][1], med[v][2],
            Arrays.toString(pct[v][1]), v == 0 ? "" : String.format(Locale.ROOT, ": p99 ratio to %s %.3f",
                variants.get(0).label(), med[v][1] / med[0][1])));
      }
    }
    rate = rateBefore;
    return rows;
  }

  private Throughput throughput(Variant v, String suffix) throws Exception {
    String before = explainTop;
    explainTop = v.explainTop();
    try {
      return throughput(v.label() + suffix, v.model(), v.trivial());
    } finally {
      explainTop = before;
    }
  }

  private Latency latency(Variant v) throws Exception {
    String before = explainTop;
    explainTop = v.explainTop();
    try {
      return latency(v.label(), v.model(), v.trivial());
    } finally {
      explainTop = before;
    }
  }

  /** The single runs ({@code --runs 0}): throughput and latency of the flow (and of the trivial scorer). */
  private List<String> throughputAndLatency(String label, boolean trivial) throws Exception {
    List<String> rows = new ArrayList<>();
    rows.add(throughput(label, model, false).line());
    if (trivial) {
      rows.add(throughput("trivial scorer", model, true).line());
    }
    rows.add(latency(label, false).line());
    if (trivial) {
      rows.add(latency("trivial scorer", true).line());
    }
    return rows;
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static long[] round(double[] v) {
    return Arrays.stream(v).mapToLong(Math::round).toArray();
  }

  /** One throughput run: events per second, per CPU-second of the process, and its report line. */
  record Throughput(double perSecond, double perCpuSecond, String line, String breakdown) {}

  /** One latency run: write-time percentiles (ms) and its report line. */
  record Latency(long p50, long p99, long p999, String line) {}

  /** Normal events: N(0, I) mixed by a fixed lower-triangular matrix (correlated features). */
  static final double[][] MIX = mixing(new Random(7));

  static double[][] mixing(Random rng) {
    return mixing(rng, DIM);
  }

  static double[][] mixing(Random rng, int dim) {
    double[][] mix = new double[dim][dim];
    for (int i = 0; i < dim; i++) {
      for (int j = 0; j <= i; j++) {
        mix[i][j] = i == j ? 1 : 0.3 * rng.nextGaussian();
      }
    }
    return mix;
  }

  static byte[] trainModel() {
    return trainModel(MIX, 0);
  }

  /**
   * The benchmark's model of {@code mix.length} features: context-free ({@code window} 0), or time-aware
   * with {@code window} previous events, trained on the same rows as the benchmark's events come: keyed
   * {@code k0..k63} in turn, event time = row number, so each key's rows are in time order.
   */
  static byte[] trainModel(double[][] mix, int window) {
    int dim = mix.length;
    Random rng = new Random(8);
    int n = 4000;
    double[] x = new double[n * dim];
    long[] times = new long[n];
    int[] keys = new int[n];
    for (int r = 0; r < n; r++) {
      double[] row = sample(rng, mix);
      System.arraycopy(row, 0, x, r * dim, dim);
      times[r] = r;
      keys[r] = r % KEYS;
    }
    List<String> names = new ArrayList<>();
    for (int i = 0; i < dim; i++) {
      names.add("f" + i);
    }
    List<String> keyNames = new ArrayList<>();
    for (int k = 0; k < KEYS; k++) {
      keyNames.add("k" + k);
    }
    Dataset data = new Dataset("bench", names, x, n);
    FlowSpec spec = FlowSpec.of(FlowSpec.MAF, dim).withLayers(5).withHidden(128, 128);
    TrainingConfig training = TrainingConfig.defaults().withSteps(200).withEvalEvery(50).withSeed(1);
    ModelTrainer.Options options = new ModelTrainer.Options(MODEL, 1, spec, training, 0.2);
    FlowModel m = window == 0 ? ModelTrainer.train(data, options, TrainingListener.NONE).model()
        : ModelTrainer.trainInContext(new EventSequence(data, times, keys, keyNames, new double[0], 0),
            ContextSpec.ofWindow(window), options, TrainingListener.NONE).model();
    return ModelFormat.toBytes(m);
  }

  static double[] sample(Random rng, double[][] mix) {
    int dim = mix.length;
    double[] z = new double[dim];
    for (int i = 0; i < dim; i++) {
      z[i] = rng.nextGaussian();
    }
    double[] row = new double[dim];
    for (int i = 0; i < dim; i++) {
      for (int j = 0; j <= i; j++) {
        row[i] += mix[i][j] * z[j];
      }
    }
    return row;
  }

  static byte[] json(String key, long ts, double[] f) {
    StringBuilder s = new StringBuilder(320);
    s.append("{\"key\":\"").append(key).append("\",\"ts\":").append(ts).append(",\"features\":{");
    for (int i = 0; i < f.length; i++) {
      s.append(i == 0 ? "" : ",").append("\"f").append(i).append("\":").append(f[i]);
    }
    return s.append("}}").toString().getBytes(StandardCharsets.UTF_8);
  }

  private JobConfig config(String name, String guarantee, byte[] model) {
    String p = "bench" + (++run) + "-" + name;
    Map<String, String> options = new java.util.HashMap<>(Map.ofEntries(
        Map.entry("flowguard.kafka.bootstrap-servers", kafka.bootstrapServers()),
        Map.entry("flowguard.kafka.events-topic", p + "-events"), Map.entry("flowguard.kafka.scores-topic", p + "-scores"),
        Map.entry("flowguard.kafka.alerts-topic", p + "-alerts"), Map.entry("flowguard.kafka.dead-letters-topic", p + "-dead"),
        Map.entry("flowguard.kafka.model-topic", p + "-models"), Map.entry("flowguard.kafka.group-id", p),
        Map.entry("flowguard.kafka.transactional-id-prefix", p), Map.entry("flowguard.kafka.starting-offsets", "earliest"),
        Map.entry("flowguard.kafka.delivery-guarantee", guarantee), Map.entry("execution.checkpointing.interval", "1 s"),
        Map.entry("parallelism.default", "2"), Map.entry("flowguard.scoring.typicality.windows", "32,128"),
        Map.entry("flowguard.scoring.false-alarm-rate", falseAlarmRate),
        Map.entry("flowguard.scoring.explain.top", explainTop)));
    options.putAll(extraOptions);
    JobConfig c = JobConfig.of(options);
    kafka.createTopic(c.eventsTopics().get(0), 2, false);
    kafka.createTopic(c.scoresTopic(), 2, false);
    kafka.createTopic(c.alertsTopic(), 1, false);
    kafka.createTopic(c.deadLettersTopic(), 1, false);
    ModelTopic.publish(c.clientProperties(), c.modelTopic(), MODEL, model);
    return c;
  }

  private static StreamExecutionEnvironment environment() {
    Configuration conf = new Configuration();
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    return StreamExecutionEnvironment.createLocalEnvironment(2, conf);
  }

  private KafkaProducer<byte[], byte[]> producer() {
    Properties p = kafka.clientProperties();
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  private Throughput throughput(String label, byte[] model, boolean trivial) throws Exception {
    System.out.printf(Locale.ROOT, "Throughput, exactly-once, %s: producing %d events ...%n", label,
        events);
    JobConfig c = config(trivial ? "tput-trivial" : "tput-flow", "exactly-once", model);
    Random rng = new Random(1);
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      for (int i = 0; i < events; i++) {
        String key = "k" + (i % KEYS);
        producer.send(new ProducerRecord<>(c.eventsTopics().get(0),
            key.getBytes(StandardCharsets.UTF_8), json(key, i, sample(rng, mix))));
      }
      producer.flush();
    }
    StreamExecutionEnvironment env = environment();
    FlowguardPipeline p = pipeline(c, trivial);
    p.configure(env);
    p.addSinks(p.wire(
        p.addEventSource(env, p.eventSourceBuilder().setBounded(OffsetsInitializer.latest()).build()),
        p.addModelSource(env,
            p.modelTopicSourceBuilder().setBounded(OffsetsInitializer.latest()).build())));
    long t0 = System.nanoTime();
    CpuClock cpu = CpuClock.start();
    CpuBreakdown threads = CpuBreakdown.start();
    try {
      env.execute("bench-throughput");
    } finally {
      cpu.stop();
      threads.stop();
    }
    double wall = (System.nanoTime() - t0) / 1e9;
    long[] span = writeTimeSpan(c.scoresTopic());
    double perSecond = span[2] * 1000.0 / Math.max(1, span[1] - span[0]);
    double perCpuSecond = span[2] / cpu.secondsBetween(span[0], span[1]);
    return new Throughput(perSecond, perCpuSecond, String.format(Locale.ROOT,
        "  throughput, exactly-once, %-17s %8.0f events/s, %6.0f per CPU-second  (%d scored in %.1f s of"
            + " processing; job wall time %.1f s with start-up)", label + ":", perSecond, perCpuSecond, span[2],
        (span[1] - span[0]) / 1000.0, wall), CpuBreakdown.perEvent(threads.between(span[0], span[1]), span[2])
            + " (between the first and last scored record)");
  }

  /**
   * The CPU time this process (broker, job and all) spent, sampled every 20 ms with the wall clock, so
   * that the CPU time between two wall-clock instants (the first and last scored record's write times)
   * can be read afterwards. Meant to depend less on other processes than events per second; on the
   * shared 2-core VM it still varied up to 2x between runs of one model under other builds' load
   * (bench/results-context-cost-2026-12-07.txt), so alternate and take medians all the same.
   */
  static final class CpuClock {
    private final List<long[]> samples = new ArrayList<>(); // {epoch millis, process CPU nanos}
    private final Thread thread;
    private volatile boolean running = true;

    private CpuClock() {
      com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
          java.lang.management.ManagementFactory.getOperatingSystemMXBean();
      thread = new Thread(() -> {
        while (running) {
          long[] sample = {System.currentTimeMillis(), os.getProcessCpuTime()};
          synchronized (samples) {
            samples.add(sample);
          }
          try {
            Thread.sleep(20);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "bench-cpu-clock");
      thread.setDaemon(true);
    }

    static CpuClock start() {
      CpuClock c = new CpuClock();
      c.thread.start();
      return c;
    }

    void stop() throws InterruptedException {
      running = false;
      thread.join();
    }

    /** CPU seconds between two epoch-millisecond instants, interpolated between samples. */
    double secondsBetween(long fromMillis, long toMillis) {
      return (at(toMillis) - at(fromMillis)) / 1e9;
    }

    private double at(long millis) {
      synchronized (samples) {
        long[] before = samples.get(0);
        for (long[] s : samples) {
          if (s[0] >= millis) {
            return s[0] == before[0] ? s[1]
                : before[1] + (s[1] - before[1]) * (double) (millis - before[0]) / (s[0] - before[0]);
          }
          before = s;
        }
        return before[1];
      }
    }
  }

  private Latency latency(String label, boolean trivial) throws Exception {
    return latency(label, model, trivial);
  }

  private Latency latency(String label, byte[] model, boolean trivial) throws Exception {
    System.out.printf(Locale.ROOT, "Latency, at-least-once, %s: %d events/s for %d s ...%n", label,
        rate, seconds);
    JobConfig c = config(trivial ? "lat-trivial" : "lat-flow", "at-least-once", model);
    StreamExecutionEnvironment env = environment();
    FlowguardPipeline p = pipeline(c, trivial);
    p.configure(env);
    p.build(env);
    JobClient job = env.executeAsync("bench-latency");
    CpuBreakdown threads = CpuBreakdown.start();
    List<long[]> samples = new ArrayList<>(); // {sent, written, received}
    AtomicBoolean consuming = new AtomicBoolean(true);
    Thread consumer = new Thread(() -> consume(c.scoresTopic(), samples, consuming), "bench-consumer");
    consumer.start();
    Thread.sleep(3_000); // job start-up
    long sent = 0;
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      Random rng = new Random(2);
      long start = System.nanoTime();
      long end = start + seconds * 1_000_000_000L;
      for (long i = 0; System.nanoTime() < end; i++) {
        String key = "k" + (i % KEYS);
        producer.send(new ProducerRecord<>(c.eventsTopics().get(0),
            key.getBytes(StandardCharsets.UTF_8),
            json(key, System.currentTimeMillis(), sample(rng, mix))));
        sent++;
        long wait = start + (long) ((i + 1) * 1e9 / rate) - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
      }
    }
    long producedTo = System.currentTimeMillis();
    Thread.sleep(3_000);
    threads.stop();
    consuming.set(false);
    consumer.join(10_000);
    job.cancel().get();
    long warmupEnd;
    List<Long> written = new ArrayList<>();
    List<Long> received = new ArrayList<>();
    synchronized (samples) {
      long first = samples.stream().mapToLong(s -> s[0]).min().orElse(0);
      warmupEnd = first + warmupSeconds * 1000L;
      for (long[] s : samples) {
        if (s[0] >= warmupEnd) {
          written.add(s[1] - s[0]);
          received.add(s[2] - s[0]);
        }
      }
    }
    return new Latency(pct(written, 50), pct(written, 99), pct(written, 99.9), String.format(Locale.ROOT,
        "  latency at %d/s, at-least-once, %-17s p50 %3d ms, p99 %4d ms, p99.9 %4d ms to the scores topic;"
            + " p50 %3d ms, p99 %4d ms, p99.9 %4d ms to a consumer  (%d of %d events, first %d s skipped)",
        rate, label + ":", pct(written, 50), pct(written, 99), pct(written, 99.9), pct(received, 50),
        pct(received, 99), pct(received, 99.9), samples.size(), sent, warmupSeconds)
        + "\n         " + CpuBreakdown.cores(threads.between(warmupEnd, producedTo), producedTo - warmupEnd)
        + " (after the warm-up, while producing)");
  }

  private FlowguardPipeline pipeline(JobConfig c, boolean trivial) {
    ScoringSettings s = c.scoringSettings();
    return new FlowguardPipeline(c, trivial ? s.withKernels(TRIVIAL) : s);
  }

  private void consume(String topic, List<long[]> out, AtomicBoolean running) {
    Properties p = kafka.clientProperties();
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-consumer-" + topic);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "10");
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(topic));
      while (running.get()) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(20))) {
          long now = System.currentTimeMillis();
          long ts = eventTime(r.value());
          synchronized (out) {
            out.add(new long[] {ts, r.timestamp(), now});
          }
        }
      }
    }
  }

  /** The "ts" field of a scored event's JSON, without a JSON parser (it is the 4th field). */
  static long eventTime(byte[] json) {
    String s = new String(json, StandardCharsets.UTF_8);
    int at = s.indexOf("\"ts\":") + 5;
    int end = at;
    while (end < s.length() && Character.isDigit(s.charAt(end))) {
      end++;
    }
    return Long.parseLong(s.substring(at, end));
  }

  /** {min write time, max write time, count} of a topic's committed records. */
  private long[] writeTimeSpan(String topic) {
    Properties p = kafka.clientProperties();
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    long count = 0;
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic).stream()
          .map(i -> new TopicPartition(topic, i.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          min = Math.min(min, r.timestamp());
          max = Math.max(max, r.timestamp());
          count++;
        }
      }
    }
    return new long[] {min, max, count};
  }

  private static long pct(List<Long> values, double percentile) {
    if (values.isEmpty()) {
      return -1;
    }
    long[] v = values.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(v);
    return v[Math.min(v.length - 1, (int) Math.ceil(percentile / 100.0 * v.length) - 1)];
  }

  /** Silences System.out while the embedded broker prints its storage-format chatter. */
  private static final class PrintlnQuiet {
    <T> T run(java.util.concurrent.Callable<T> action) throws Exception {
      java.io.PrintStream original = System.out;
      System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
      try {
        return action.call();
      } finally {
        System.setOut(original);
      }
    }
  }
}
