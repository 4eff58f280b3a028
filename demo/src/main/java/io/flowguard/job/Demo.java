package io.flowguard.job;

import io.flowguard.connectors.kafka.EmbeddedKafka;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.ModelTrainer;
import io.flowguard.core.train.TrainingListener;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The end-to-end demo on one machine, offline: an embedded Kafka broker, a model trained on the spot
 * on bundled data, the Flowguard job on a local Flink environment, a labelled event replay, a live
 * summary, a hot swap to a second model mid-stream, and precision/recall at the end.
 *
 * <pre>
 * java -jar flink-job/target/flowguard-demo.jar [--seconds 40] [--rate 500] [--until-interrupted]
 *     [--parallelism 2] [--seed 1] [--verbose]
 * </pre>
 */
public final class Demo {

  static final String MODEL = "shuttle";
  static final int MACHINES = 16;
  // Two faulty machines send anomalous readings (40 % of their events); the rest are healthy.
  static final List<String> FAULTY = List.of("machine-04", "machine-11");
  static final double FAULTY_ANOMALY_SHARE = 0.4;
  static final int MALFORMED_EVERY = 500;
  static final double FALSE_ALARM_RATE = 0.005;

  /** Demo settings. */
  public record Options(int seconds, int rate, boolean untilInterrupted, int parallelism,
      long seed, boolean verbose) {

    public static Options parse(String[] args) {
      int seconds = 40;
      int rate = 500;
      boolean forever = false;
      int parallelism = 2;
      long seed = 1;
      boolean verbose = false;
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--seconds" -> seconds = Integer.parseInt(value(args, ++i));
          case "--rate" -> rate = Integer.parseInt(value(args, ++i));
          case "--until-interrupted" -> forever = true;
          case "--parallelism" -> parallelism = Integer.parseInt(value(args, ++i));
          case "--seed" -> seed = Long.parseLong(value(args, ++i));
          case "--verbose" -> verbose = true;
          default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
        }
      }
      if (seconds < 4 || rate < 1 || parallelism < 1) {
        throw new IllegalArgumentException("--seconds >= 4, --rate >= 1, --parallelism >= 1");
      }
      return new Options(seconds, rate, forever, parallelism, seed, verbose);
    }

    private static String value(String[] args, int i) {
      if (i >= args.length) {
        throw new IllegalArgumentException(args[i - 1] + " needs a value");
      }
      return args[i];
    }
  }

  /** What a run ended with. */
  public record Result(long sent, long scored, long deadLetters, Map<String, Long> scoredByVersion,
      double precision, double recall) {}

  private final Options options;
  private final PrintStream out;
  private final long start = System.nanoTime();
  private final AtomicBoolean stop = new AtomicBoolean();

  private Demo(Options options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  public static void main(String[] args) throws Exception {
    if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
      System.out.println("usage: flowguard-demo [--seconds 40] [--rate 500] [--until-interrupted]"
          + " [--parallelism 2] [--seed 1] [--verbose]");
      return;
    }
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("demo: " + e.getMessage());
      System.exit(2);
      return;
    }
    // Before any logger exists: Flink and Kafka log thousands of INFO lines.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", options.verbose() ? "warn" : "error");
    // issue 19: the committer's benign fenced-commit ERROR is demoted by message, not by logger.
    System.setErr(new FencedCommitLogFilter(System.err, options.verbose()));
    Demo demo = new Demo(options, System.out);
    Thread main = Thread.currentThread();
    Thread hook = new Thread(() -> {
      demo.stop.set(true);
      try {
        main.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "demo-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    Result result = demo.run();
    if (!demo.stop.get()) {
      // Flink's and Kafka's non-daemon threads would keep a finished demo alive.
      System.exit(result.scored() > 0 ? 0 : 1);
    }
  }

  /** Runs the demo, printing to {@code out}; for tests and embedding. */
  public static Result run(Options options, PrintStream out) throws Exception {
    return new Demo(options, out).run();
  }

  private void say(String format, Object... args) {
    double t = (System.nanoTime() - start) / 1e9;
    out.printf(Locale.ROOT, "[%5.1fs] %s%n", t, String.format(Locale.ROOT, format, args));
    out.flush();
  }

  private double elapsed() {
    return (System.nanoTime() - start) / 1e9;
  }

  private Result run() throws Exception {
    out.println("Flowguard demo: streaming anomaly detection with a normalizing flow on Flink."
        + (options.untilInterrupted() ? " Ctrl-C stops it." : ""));
    say("starting Kafka (embedded KRaft broker, in this JVM) ...");
    EmbeddedKafka kafka = quietly(() -> new EmbeddedKafka().start());
    try {
      return runWith(kafka);
    } finally {
      if (stopRequested()) {
        // Ctrl-C: other shutdown hooks (Flink's, the broker's temp-directory clean-up) race with
        // this one; the summary is out, so their complaints would only be noise.
        System.setErr(new PrintStream(OutputStream.nullOutputStream()));
      }
      quietly(() -> {
        kafka.close();
        return null;
      });
    }
  }

  private Result runWith(EmbeddedKafka kafka) throws Exception {
    JobConfig config = JobConfig.of(Map.ofEntries(
        Map.entry("flowguard.kafka.bootstrap-servers", kafka.bootstrapServers()),
        Map.entry("flowguard.kafka.group-id", "flowguard-demo"),
        Map.entry("flowguard.kafka.transactional-id-prefix", "flowguard-demo"),
        Map.entry("flowguard.kafka.starting-offsets", "earliest"),
        Map.entry("execution.checkpointing.interval", "500 ms"),
        Map.entry("parallelism.default", Integer.toString(options.parallelism())),
        Map.entry("flowguard.scoring.false-alarm-rate", Double.toString(FALSE_ALARM_RATE)),
        Map.entry("flowguard.scoring.typicality.windows", "32,128"),
        Map.entry("flowguard.scoring.typicality.alpha", "0.999")));
    Properties client = config.clientProperties();
    kafka.createTopic(config.eventsTopics().get(0), 2, false);
    kafka.createTopic(config.scoresTopic(), 2, false);
    kafka.createTopic(config.alertsTopic(), 1, false);
    kafka.createTopic(config.deadLettersTopic(), 1, false);
    ModelTopic.ensureTopic(client, config.modelTopic());
    say("Kafka at %s; topics events (2 partitions), scores, alerts, dead-letters, models"
        + " (compacted)", kafka.bootstrapServers());

    DemoData data = DemoData.load();
    say("data: %s, %d features; %d normal rows train the model, %d normal and %d anomalous"
        + " rows are replayed", DemoData.SOURCE_NAME, data.features.size(), data.train.rows(),
        data.normal.size(), data.anomalies.size());
    byte[] v1 = train(data, 1, options.seed());
    ModelTopic.publish(client, config.modelTopic(), MODEL, v1);
    say("published %s v1 to the model topic", MODEL);
    byte[] v2 = train(data, 2, options.seed() + 1);
    say("v2 (retrained with another seed) waits for the hot swap");

    Configuration flinkConf = new Configuration();
    flinkConf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
    flinkConf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
    flinkConf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofSeconds(1));
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.createLocalEnvironment(options.parallelism(), flinkConf);
    FlowguardPipeline pipeline = new FlowguardPipeline(config);
    pipeline.configure(env);
    pipeline.build(env);
    JobClient job = env.executeAsync("flowguard-demo");
    say("Flink job started (local, parallelism %d, exactly-once sinks, checkpoints every 500 ms)",
        options.parallelism());

    Map<Long, Boolean> labels = DemoMonitor.newLabels();
    long[] sent = new long[2];
    try (DemoMonitor monitor = new DemoMonitor(client, config, labels)) {
      monitor.start();
      replay(config, client, data, v2, labels, monitor, sent);
      say("replay done: waiting for the job to commit the last events ...");
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      long lastPrint = System.nanoTime();
      while (!monitor.caughtUp(sent[0], sent[1]) && System.nanoTime() < deadline
          && !stopRequested()) {
        Thread.sleep(100);
        if (System.nanoTime() - lastPrint > 1_000_000_000L) {
          out.println(monitor.statusLine(elapsed(), 0));
          lastPrint = System.nanoTime();
        }
      }
      job.cancel();
      if (monitor.failure() != null) {
        say("the monitor failed: %s", monitor.failure());
      }
      out.println();
      for (String line : monitor.summary(sent[0], sent[1], FALSE_ALARM_RATE)) {
        out.println(line);
      }
      out.flush();
      return new Result(sent[0], monitor.scored(), monitor.deadLetters(),
          monitor.scoredByVersion(), monitor.precision(), monitor.recall());
    }
  }

  private boolean stopRequested() {
    return stop.get();
  }

  private byte[] train(DemoData data, int version, long seed) {
    long t = System.nanoTime();
    // The default model (AutoConfig): shuttle's integer features are dequantized, so its NLLs are sane
    // and early stopping on the validation NLL works.
    ModelTrainer.Options o = ModelTrainer.Options.automatic(MODEL, version, data.train, seed, 0.2);
    FlowModel model = ModelTrainer.train(data.train, o, TrainingListener.NONE).model();
    say("trained %s v%d (MAF, %d layers, hidden %s, seed %d) in %.1f s; entropy H = %.2f nats",
        MODEL, version, model.spec().layers(), Arrays.toString(model.spec().hidden()), seed,
        (System.nanoTime() - t) / 1e9, model.calibration().entropy());
    return ModelFormat.toBytes(model);
  }

  /**
   * Events each model scores at least, around the hot swap: v2 is published half way once v1 has
   * scored this many (a job that starts late would otherwise read v1 and v2 before any event and
   * score everything by v2), and a bounded replay goes on past its length until v2 has scored as
   * many. A quarter of the planned events, at most 500.
   */
  static long swapEvents(Options o) {
    return Math.max(1, Math.min(500, (long) o.rate() * o.seconds() / 4));
  }

  /**
   * Sends events at the configured rate; publishes v2 half way, once v1 has scored {@link
   * #swapEvents} events; prints a status line a second.
   */
  private void replay(JobConfig config, Properties client, DemoData data, byte[] v2,
      Map<Long, Boolean> labels, DemoMonitor monitor, long[] sent) throws Exception {
    String topic = config.eventsTopics().get(0);
    Random rng = new Random(options.seed());
    long tsBase = System.currentTimeMillis();
    long swapAt = (options.untilInterrupted() ? 20 : options.seconds() / 2) * 1_000_000_000L;
    long swapEvents = swapEvents(options);
    boolean swapped = false;
    boolean swapWaitSaid = false;
    boolean overtimeSaid = false;
    say("replaying %s at %d events/s over %d machines (%s faulty); 1 record in %d is malformed;"
        + " v2 follows half way, once v1 has scored %d events",
        options.untilInterrupted() ? "until interrupted" : options.seconds() + " s",
        options.rate(), MACHINES, FAULTY, MALFORMED_EVERY, swapEvents);
    out.println(DemoMonitor.header());
    long replayStart = System.nanoTime();
    long nextPrint = replayStart + 1_000_000_000L;
    long sentAtLastPrint = 0;
    long end = replayStart + options.seconds() * 1_000_000_000L;
    // A job that never scores would otherwise keep a bounded replay going forever.
    long giveUp = end + Duration.ofSeconds(60).toNanos();
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(client, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (long seq = 0; ; seq++) {
        long now = System.nanoTime();
        if (stopRequested()) {
          break;
        }
        if (!options.untilInterrupted() && now >= end) {
          if (swapped && monitor.scoredBy("v2") >= swapEvents) {
            break;
          }
          if (now >= giveUp) {
            say("v2 has not scored %d events %d s after the replay's end; stopping without them",
                swapEvents, Duration.ofNanos(giveUp - end).toSeconds());
            break;
          }
          if (!overtimeSaid) {
            say("the replay goes on until v2 has scored %d events", swapEvents);
            overtimeSaid = true;
          }
        }
        if (!swapped && now - replayStart >= swapAt) {
          if (monitor.scoredBy("v1") >= swapEvents) {
            ModelTopic.publish(client, config.modelTopic(), MODEL, v2);
            say("published %s v2: hot swap, no restart", MODEL);
            swapped = true;
          } else if (!swapWaitSaid) {
            say("the hot swap waits until v1 has scored %d events (%d so far)", swapEvents,
                monitor.scoredBy("v1"));
            swapWaitSaid = true;
          }
        }
        if (now >= nextPrint) {
          out.println(monitor.statusLine(elapsed(), (sent[0] + sent[1] - sentAtLastPrint)
              / ((now - nextPrint + 1e9) / 1e9)));
          sentAtLastPrint = sent[0] + sent[1];
          nextPrint += 1_000_000_000L;
        }
        String key = String.format(Locale.ROOT, "machine-%02d", 1 + (int) (seq % MACHINES));
        boolean anomalous = FAULTY.contains(key) && rng.nextDouble() < FAULTY_ANOMALY_SHARE;
        List<double[]> pool = anomalous ? data.anomalies : data.normal;
        double[] row = pool.get(rng.nextInt(pool.size()));
        long ts = tsBase + seq;
        byte[] value = eventJson(key, ts, data.features, row);
        if (seq % MALFORMED_EVERY == MALFORMED_EVERY - 1) {
          value = Arrays.copyOf(value, value.length / 2); // a truncated record: dead letter
          sent[1]++;
        } else {
          labels.put(ts, anomalous);
          sent[0]++;
        }
        producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value));
        long due = replayStart + (long) ((seq + 1) * 1e9 / options.rate());
        long wait = due - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
      }
      producer.flush();
    }
  }

  static byte[] eventJson(String key, long ts, List<String> names, double[] row) {
    StringBuilder s = new StringBuilder(200);
    s.append("{\"key\":\"").append(key).append("\",\"model\":\"").append(MODEL)
        .append("\",\"ts\":").append(ts).append(",\"features\":{");
    for (int i = 0; i < names.size(); i++) {
      s.append(i == 0 ? "" : ",").append('"').append(names.get(i)).append("\":")
          .append(Double.toString(row[i]));
    }
    return s.append("}}").toString().getBytes(StandardCharsets.UTF_8);
  }

  /** Runs an action with System.out silenced: the embedded broker prints format chatter there. */
  private <T> T quietly(ThrowingSupplier<T> action) throws Exception {
    PrintStream original = System.out;
    if (options.verbose()) {
      return action.get();
    }
    System.setOut(new PrintStream(OutputStream.nullOutputStream()));
    try {
      return action.get();
    } finally {
      System.setOut(original);
    }
  }

  @FunctionalInterface
  private interface ThrowingSupplier<T> {
    T get() throws Exception;
  }
}
