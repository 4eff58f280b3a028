package io.flowguard.connectors.cli;

import io.flowguard.connectors.event.DeadLetter;
import io.flowguard.connectors.event.Event;
import io.flowguard.connectors.event.EventCodec;
import io.flowguard.connectors.event.Origin;
import io.flowguard.connectors.event.Parsed;
import io.flowguard.connectors.event.RawEvent;
import io.flowguard.connectors.kafka.TopicReader;
import io.flowguard.connectors.model.ModelEvent;
import io.flowguard.connectors.model.ModelEvents;
import io.flowguard.connectors.model.ModelHistory;
import io.flowguard.connectors.model.ModelRecord;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.core.context.ContextSpec;
import io.flowguard.core.context.KeyHistory;
import io.flowguard.core.context.RawContexts;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.Lineage;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.ModelFormatException;
import io.flowguard.core.model.ModelSignature;
import io.flowguard.core.model.Retraining;
import io.flowguard.core.train.TrainingListener;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flowguard retrain}: the offline refresh. Reads a bounded window of the events topic, drops what
 * the champion flags, trains and validates a challenger with {@link Retraining}, and publishes it (with
 * history) or rejects it. Exit codes: 0 promoted, 3 rejected, 2 user error, 1 failure.
 */
@Command(
    name = "retrain",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
        "Refresh a model from the recent events of a Kafka topic, without stopping the jobs that use it.",
        "",
        "For cron-style operations:",
        "",
        "  1. read the events of the last --since (e.g. PT24H) from --topic: from the offsets at now - since",
        "     to the end offsets at start; records that do not decode are counted and reported, never fatal;",
        "  2. take the current model (the champion) from --model-in, or else from --model-topic;",
        "  3. drop the events the champion flags as anomalies at --false-alarm-rate, so the refresh never",
        "     learns what it should catch;",
        "  4. hold out --hold-out of the rest, train a challenger on the others with the champion's spec and",
        "     training configuration, and validate it on the held-out events: finite NLLs, a sane",
        "     calibration, and a mean NLL no worse than the champion's plus --tolerance;",
        "  5. with --publish, publish the challenger as version champion + 1 (history topic first, then the",
        "     model topic, where every job hot-swaps it in) and write a PROMOTED or REJECTED record to",
        "     --events-topic.",
        "",
        "Exit codes: 0 promoted, 3 rejected (the reason is printed), 2 bad arguments, unknown topic or no",
        "model, 1 failure. Example (daily refresh of model 'pump', keeping the last 10 versions):",
        "",
        "  flowguard retrain --bootstrap-servers kafka:9092 --topic events --since PT24H --model pump \\",
        "      --publish --model-topic flowguard-models",
        "",
        "Without --publish it is a dry run: validate, print the decision, write --out if given.",
        "",
        "A time-aware champion (trained with --context-window) is refreshed in context: each event's key",
        "history is replayed from the window in offset order (the event's key and ts, as the job reads them,",
        "under the model's gap and order rules, from the window's start), the anomaly filter and both models",
        "judge each event given its history, and the challenger keeps the champion's context definition.",
        "",
        "Jobs that verify signatures (model.verification-keys) refuse unsigned models: give --sign KEY, as",
        "to 'flowguard publish' (with --out, OUT.sig is written beside the file too).",
        ""})
public final class RetrainCommand implements Callable<Integer> {

  /** Exit code of a rejected challenger: the command worked, the champion stays. */
  public static final int EXIT_REJECTED = 3;

  @Option(names = "--bootstrap-servers", required = true, paramLabel = "HOST:PORT", description = "Kafka brokers.")
  String bootstrapServers;

  @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "The events topic (JSON events, as the job reads them).")
  String topic;

  @Option(names = "--since", required = true, paramLabel = "DURATION",
      description = "How far back to read, ISO-8601 (PT24H = 24 hours, P7D = 7 days, PT30M).")
  Duration since;

  @Option(names = "--model", paramLabel = "NAME",
      description = "The model to refresh; events of other models are skipped. Default: the name in --model-in.")
  String model;

  @Option(names = "--model-in", paramLabel = "FILE",
      description = "The champion as a model file. Default: the model topic's current record for --model.")
  Path modelIn;

  @Option(names = "--publish", description = "Publish a promoted challenger and write a model event (otherwise a dry run).")
  boolean publish;

  @Option(names = "--model-topic", defaultValue = ModelTopic.DEFAULT_TOPIC, paramLabel = "TOPIC",
      description = "The compacted model topic (default: ${DEFAULT-VALUE}).")
  String modelTopic;

  @Option(names = "--history-topic", paramLabel = "TOPIC", description = "The model history topic (default: MODEL-TOPIC-history).")
  String historyTopic;

  @Option(names = "--keep", defaultValue = "10", paramLabel = "N", description = "Versions kept in the history (default: ${DEFAULT-VALUE}).")
  int keep;

  @Option(names = {"--model-events-topic", "--events-topic"}, defaultValue = ModelHistory.DEFAULT_EVENTS_TOPIC, paramLabel = "TOPIC",
      description = "Where PROMOTED/REJECTED records go with --publish (default: ${DEFAULT-VALUE}).")
  String eventsTopic;

  @Option(names = "--out", paramLabel = "FILE", description = "Also write the promoted challenger to this model file.")
  Path out;

  @Option(names = "--sign", paramLabel = "KEY",
      description = "Sign the promoted challenger with this Ed25519 private key (PEM, from 'flowguard keygen'), as"
          + " 'publish --sign' does: jobs with model.verification-keys accept only signed models. With --out, also"
          + " writes OUT.sig.")
  Path signingKey;

  @Option(names = "--false-alarm-rate", defaultValue = "1e-3", paramLabel = "RATE",
      description = "Events the champion flags at this rate are dropped before training; the challenger's"
          + " calibration is checked at it (default: ${DEFAULT-VALUE}; use the job's flowguard.scoring.false-alarm-rate).")
  double falseAlarmRate;

  @Option(names = "--seed", defaultValue = "0", paramLabel = "N", description = "Seed of the hold-out split and training (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--hold-out", defaultValue = "0.2", paramLabel = "FRACTION",
      description = "Share of the events held out to compare challenger and champion (default: ${DEFAULT-VALUE}).")
  double holdOut;

  @Option(names = "--min-rows", defaultValue = "1000", paramLabel = "N",
      description = "Fewer usable events than this and the refresh is rejected as NOT_ENOUGH_DATA (default: ${DEFAULT-VALUE}).")
  int minRows;

  @Option(names = "--tolerance", defaultValue = "0.1", paramLabel = "NATS",
      description = "How much worse (mean held-out NLL, nats per event) the challenger may be and still win"
          + " (default: ${DEFAULT-VALUE}).")
  double tolerance;

  @Option(names = "--max-steps", defaultValue = "0", paramLabel = "N", description = "Bound on training steps; 0 = the champion's budget (default).")
  int maxSteps;

  @Option(names = "--max-events", defaultValue = "200000", paramLabel = "N",
      description = "Train on a uniform sample of at most N events of the window (default: ${DEFAULT-VALUE}): bounds"
          + " memory and training time on busy topics.")
  int maxEvents;

  @Option(names = "--kafka-property", paramLabel = "KEY=VALUE",
      description = "Extra Kafka client properties (e.g. security.protocol=SASL_SSL); repeatable.")
  Map<String, String> kafkaProperties = Map.of();

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter stdout = spec.commandLine().getOut();
    if (since.isNegative() || since.isZero()) {
      throw new IllegalArgumentException("--since must be a positive duration such as PT24H, got " + since);
    }
    if (keep < 1) {
      throw new IllegalArgumentException("--keep must be at least 1");
    }
    if (maxEvents < 1) {
      throw new IllegalArgumentException("--max-events must be at least 1");
    }
    if (signingKey != null && !publish && out == null) {
      throw new IllegalArgumentException("--sign signs what --publish publishes (or --out writes); add --publish");
    }
    // The key before any work: a refresh whose result cannot be signed should not run for nothing.
    Optional<PrivateKey> key = signingKey == null ? Optional.empty()
        : Optional.of(ModelSignature.readPrivateKey(signingKey));
    Retraining.Settings settings = settings();
    Properties props = KafkaOptions.properties(bootstrapServers, kafkaProperties);
    String history = historyTopic != null ? historyTopic : ModelHistory.historyTopicFor(modelTopic);

    FlowModel champion = champion(props, err);
    String name = champion.name();
    if (publish && modelIn != null) {
      int newest = newestPublished(props, history, name);
      if (newest > champion.version()) {
        throw new IllegalArgumentException("the model store already holds v" + newest + " of '" + name
            + "', newer than --model-in v" + champion.version() + ": its challenger v" + (champion.version() + 1)
            + " would be ignored by every job (the highest version wins). Refresh the current model (omit"
            + " --model-in), or put an older one back with 'flowguard models rollback'");
      }
    }
    Instant until = Instant.now();
    Instant from = until.minus(since);
    err.printf("Reading %s from %s (the last %s)%n", topic, from, since);
    if (!TopicReader.exists(props, topic)) {
      throw new IllegalArgumentException("topic '" + topic + "' does not exist on " + bootstrapServers
          + "; check the name");
    }
    if (publish) {
      // Before any work: a refresh that cannot report its decision should not make one.
      ModelEvents.ensureTopic(props, eventsTopic);
    }
    Window window = new Window(champion.preprocessor().featureNames(), champion.context(), name, maxEvents, seed,
        err);
    champion.context().ifPresent(c -> err.printf("Time-aware champion: %s; each event is judged given its key's"
        + " history in the window%n", c.describe()));
    Map<Integer, long[]> ranges = TopicReader.forEachSince(props, topic, from.toEpochMilli(), window::add);
    String dataWindow = describe(topic, ranges, from, until);
    if (window.rejected > 0) {
      err.printf("Skipped %d undecodable record(s): %s%n", window.rejected, window.reasons);
    }
    err.printf("Read %d record(s): %d event(s) of model '%s', %d of other models%n", window.records,
        window.events, name, window.otherModels);
    if (window.events > maxEvents) {
      err.printf("Kept a uniform sample of %d of the %d events (--max-events)%n", maxEvents, window.events);
    }

    Optional<RawContexts> contexts = window.contexts();
    Retraining.Filtered filtered = contexts.isPresent()
        ? Retraining.dropAnomalies(champion, window.table(), contexts.get(), falseAlarmRate)
        : Retraining.dropAnomalies(champion, window.table(), falseAlarmRate);
    err.printf(Locale.ROOT, "Dropped %d event(s) that v%d flags at false-alarm rate %.3g; %d remain%n",
        filtered.dropped(), champion.version(), falseAlarmRate, filtered.kept().rows());

    Retraining.Request request = Retraining.Request.refresh(champion, filtered.kept(), seed, Lineage.Trigger.OFFLINE,
        dataWindow, settings);
    if (filtered.contexts().isPresent()) {
      request = request.withContexts(filtered.contexts().get());
    }
    Retraining.Outcome outcome = Retraining.run(request, new Progress(err));
    long now = System.currentTimeMillis();
    if (!outcome.promoted()) {
      stdout.printf("Rejected v%d (%s): %s%n", outcome.metrics().challengerVersion(), outcome.reason(),
          outcome.message());
      if (publish) {
        ModelEvents.send(props, eventsTopic, ModelEvent.of(name, outcome, dataWindow, now));
        err.printf("Wrote a REJECTED record to %s%n", eventsTopic);
      }
      return EXIT_REJECTED;
    }
    FlowModel challenger = outcome.challenger().orElseThrow();
    byte[] bytes = ModelFormat.toBytes(challenger);
    byte[] signature = key.map(k -> ModelSignature.sign(k, bytes)).orElse(new byte[0]);
    if (out != null) {
      if (out.toAbsolutePath().getParent() != null) {
        Files.createDirectories(out.toAbsolutePath().getParent());
      }
      if (key.isPresent()) {
        // The signature first, as 'flowguard sign' asks: a job would refuse the model file without it.
        Path sig = Path.of(out + ModelSignature.FILE_SUFFIX);
        Files.writeString(sig, ModelSignature.signatureFileText(signature), StandardCharsets.US_ASCII);
        err.printf("Wrote %s%n", sig);
      }
      ModelFormat.write(challenger, out);
      err.printf("Wrote %s (%d bytes)%n", out, bytes.length);
    }
    if (publish) {
      ModelHistory.Published p = ModelHistory.publish(props, modelTopic, history, bytes, keep, signature);
      ModelEvents.send(props, eventsTopic, ModelEvent.of(name, outcome, dataWindow, now));
      stdout.printf("Promoted %s v%d: %s%n", name, challenger.version(), outcome.message());
      stdout.printf("Published v%d (%d bytes%s) to %s at offset %d and %s at offset %d%s; wrote a PROMOTED record"
              + " to %s%n", p.version(), bytes.length, key.isPresent() ? ", signed" : "", modelTopic, p.modelOffset(),
          history, p.historyOffset(),
          p.retired().isEmpty() ? "" : " (retired " + p.retired() + ")", eventsTopic);
    } else {
      stdout.printf("Validated %s v%d (dry run, not published; add --publish): %s%n", name, challenger.version(),
          outcome.message());
    }
    return 0;
  }

  private Retraining.Settings settings() {
    try {
      return Retraining.Settings.defaults().withHoldOutFraction(holdOut).withMinRows(minRows)
          .withToleranceNats(tolerance).withFalseAlarmRate(falseAlarmRate).withMaxSteps(maxSteps);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid option: " + e.getMessage(), e);
    }
  }

  private FlowModel champion(Properties props, PrintWriter err) throws Exception {
    if (modelIn != null) {
      FlowModel m = ModelFormat.read(modelIn);
      if (model != null && !model.equals(m.name())) {
        throw new IllegalArgumentException("--model is '" + model + "' but " + modelIn + " holds model '" + m.name()
            + "'");
      }
      err.printf("Champion: %s v%d from %s%n", m.name(), m.version(), modelIn);
      return m;
    }
    if (model == null) {
      throw new IllegalArgumentException("say which model to refresh: --model NAME (or --model-in FILE)");
    }
    Optional<ModelRecord> current = ModelTopic.current(props, modelTopic, model);
    if (current.isEmpty()) {
      throw new IllegalArgumentException("no model '" + model + "' on topic '" + modelTopic + "': train one with"
          + " 'flowguard train' and publish it, or pass the current model with --model-in");
    }
    FlowModel m;
    try {
      m = ModelFormat.read(current.get().bytes());
    } catch (ModelFormatException e) {
      throw new IllegalArgumentException("the current record of '" + model + "' on '" + modelTopic
          + "' is not a valid model (" + e.getMessage() + "); roll back with 'flowguard models rollback'", e);
    }
    err.printf("Champion: %s v%d from %s offset %d%n", m.name(), m.version(), modelTopic, current.get().offset());
    return m;
  }

  /** The highest version of the model on the model topic or in its history (0 for none). */
  private int newestPublished(Properties props, String history, String name) {
    int newest = ModelHistory.read(props, history, name).newest().map(ModelHistory.Entry::version).orElse(0);
    Optional<ModelRecord> current = ModelTopic.current(props, modelTopic, name);
    if (current.isPresent()) {
      try {
        newest = Math.max(newest, ModelFormat.read(current.get().bytes()).version());
      } catch (ModelFormatException e) {
        // An unreadable current record has no version; the jobs rejected it too.
      }
    }
    return newest;
  }

  /**
   * The decoded window, built record by record: the model's events in schema order (a uniform reservoir
   * of at most {@code capacity}, seeded, once there are more), and counts of what was skipped. For a
   * time-aware model, every event of the window joins its key's history (as the job's scoring does) and a
   * kept event keeps the raw context it had: its key's previous events, event time and declared fields.
   */
  private static final class Window {
    private final EventCodec codec = new EventCodec();
    private final List<String> features;
    /** The names resolved per event: the features, then a time-aware model's context fields. */
    private final List<String> resolved;
    private final ContextSpec context;
    private final Map<String, KeyHistory> histories = new HashMap<>();
    private final String name;
    private final int capacity;
    private final SplittableRandom rng;
    private final PrintWriter err;
    private double[] values;
    private double[] contextHistory = new double[0];
    private int[] contextEvents = new int[0];
    private long[] contextTimes = new long[0];
    private double[] contextFields = new double[0];
    private long records;
    private long events;
    private long otherModels;
    private long rejected;
    private final Map<String, Long> reasons = new TreeMap<>();

    Window(List<String> features, Optional<ContextSpec> context, String name, int capacity, long seed,
           PrintWriter err) {
      this.features = features;
      this.context = context.orElse(null);
      this.resolved = this.context == null ? features
          : java.util.stream.Stream.concat(features.stream(), this.context.fields().stream()).toList();
      this.name = name;
      this.capacity = capacity;
      this.rng = new SplittableRandom(seed ^ 0x2545F4914F6CDD1DL);
      this.err = err;
      this.values = new double[Math.min(capacity, 4096) * features.size()];
    }

    void add(ConsumerRecord<byte[], byte[]> r) {
      records++;
      byte[] bytes = r.value() == null ? new byte[0] : r.value();
      Parsed<RawEvent> raw = codec.decode(bytes, new Origin(r.topic(), r.partition(), r.offset()), r.timestamp());
      if (raw instanceof Parsed.Ok<RawEvent> ok && !ok.value().model().equals(name)) {
        otherModels++;
        return;
      }
      Parsed<Event> event = raw.flatMap(e -> codec.resolve(e, resolved));
      if (event instanceof Parsed.Ok<Event> ok) {
        int d = features.size();
        KeyHistory history = null;
        if (context != null) {
          // Before the event joins it: the history the job scored this event against.
          history = histories.computeIfAbsent(ok.value().key(), k -> new KeyHistory(context.window(), d));
          history.admit(context, ok.value().eventTime());
        }
        // Reservoir sampling (algorithm R): every event of the window is kept with probability capacity / events.
        long slot = events < capacity ? events : rng.nextLong(events + 1);
        events++;
        if (slot < capacity) {
          int row = (int) slot;
          if ((long) (row + 1) * d > values.length) {
            values = Arrays.copyOf(values, (int) Math.min((long) capacity * d, Math.max(2L * values.length, (long) (row + 1) * d)));
          }
          System.arraycopy(ok.value().features(), 0, values, row * d, d);
          if (history != null) {
            keepContext(row, history, ok.value());
          }
        }
        if (history != null) {
          history.append(ok.value().features(), 0, ok.value().eventTime());
        }
        return;
      }
      DeadLetter letter = event.deadLetter().orElseThrow();
      reasons.merge(letter.reason().name(), 1L, Long::sum);
      if (rejected == 0) {
        err.printf("First undecodable record (%s partition %d offset %d): %s: %s%n", r.topic(), r.partition(),
            r.offset(), letter.reason(), letter.message());
      }
      rejected++;
    }

    /** Stores the raw context of the event kept at {@code row}. */
    private void keepContext(int row, KeyHistory history, Event e) {
      int w = context.window() * features.size();
      int nf = context.fields().size();
      if (row >= contextEvents.length) {
        int rows = (int) Math.min(capacity, Math.max(2L * contextEvents.length, Math.max(16, row + 1)));
        contextHistory = Arrays.copyOf(contextHistory, rows * w);
        contextEvents = Arrays.copyOf(contextEvents, rows);
        contextTimes = Arrays.copyOf(contextTimes, rows);
        contextFields = Arrays.copyOf(contextFields, rows * nf);
      }
      // A replaced row's older history may be longer: clear its slots first.
      Arrays.fill(contextHistory, row * w, (row + 1) * w, 0.0);
      contextEvents[row] = history.copyNewestFirst(contextHistory, row * w);
      contextTimes[row] = e.eventTime();
      System.arraycopy(e.features(), features.size(), contextFields, row * nf, nf);
    }

    Dataset table() {
      int rows = (int) Math.min(events, capacity);
      return new Dataset("topic window", features, Arrays.copyOf(values, rows * features.size()), rows);
    }

    /** The kept events' raw contexts, for a time-aware model; empty otherwise. */
    Optional<RawContexts> contexts() {
      if (context == null) {
        return Optional.empty();
      }
      int rows = (int) Math.min(events, capacity);
      int w = context.window() * features.size();
      int nf = context.fields().size();
      return Optional.of(new RawContexts(context, features, Arrays.copyOf(contextHistory, rows * w),
          Arrays.copyOf(contextEvents, rows), Arrays.copyOf(contextTimes, rows), Arrays.copyOf(contextFields, rows * nf)));
    }
  }

  /** e.g. {@code topic events, partitions 0:120..5000 1:98..4870, 2026-12-01T08:00:00Z..2026-12-02T08:00:00Z}. */
  private static String describe(String topic, Map<Integer, long[]> ranges, Instant from, Instant until) {
    StringBuilder s = new StringBuilder("topic ").append(topic);
    s.append(", offsets");
    new TreeMap<>(ranges).forEach((p, r) -> s.append(' ').append(p).append(':').append(r[0])
        .append("..").append(r[1]));
    s.append(", ").append(from).append("..").append(until);
    return s.toString();
  }

  /** One line per training report on stderr. */
  private static final class Progress implements TrainingListener {
    private final PrintWriter err;

    Progress(PrintWriter err) {
      this.err = err;
    }

    @Override
    public void onProgress(int step, int totalSteps, double epoch, double trainNll, double validationNll,
                           int skippedSteps) {
      err.printf(Locale.ROOT, "  training step %d/%d  epoch %.1f  train NLL %.4f%s%n", step, totalSteps, epoch,
          trainNll, Double.isNaN(validationNll) ? "" : String.format(Locale.ROOT, "  val NLL %.4f", validationNll));
      err.flush();
    }
  }
}
