package io.flowguard.job;

import io.flowguard.connectors.event.CsvEventCodec;
import io.flowguard.connectors.event.EventCodec;
import io.flowguard.connectors.event.EventDecoder;
import io.flowguard.connectors.event.DeadLetterJson;
import io.flowguard.connectors.kafka.KafkaIo;
import io.flowguard.connectors.kafka.RecordSizeLimit;
import io.flowguard.connectors.kafka.SinkOptions;
import io.flowguard.connectors.model.ModelHistory;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.job.retrain.Reservoir;
import java.io.IOException;
import java.io.Reader;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.util.TimeUtils;

/**
 * The job's configuration: every option of {@link #OPTIONS} (documented in docs/configuration.md)
 * plus Kafka client properties under the {@code kafka.} prefix, read from a properties file and
 * {@code --key value} overrides ({@link #fromArgs}).
 *
 * <p>Unknown keys are an error rather than ignored: a misspelt option would otherwise silently run the
 * job with its default. Immutable and serializable (it travels inside Flink functions).
 */
public final class JobConfig implements Serializable {

  private static final long serialVersionUID = 1L;

  /** Extra Kafka client properties: {@code kafka.sasl.mechanism=PLAIN} sets {@code sasl.mechanism}. */
  public static final String KAFKA_PREFIX = "kafka.";

  /** One documented option. */
  public record Option(String key, String defaultValue, String meaning) {}

  public static final Option BOOTSTRAP_SERVERS = new Option("bootstrap.servers", "",
      "Kafka bootstrap servers (host:port,...). Required.");
  public static final Option EVENTS_TOPIC = new Option("events.topic", "events",
      "Topic of input events (comma-separated for several).");
  public static final Option EVENTS_FORMAT = new Option("events.format", "json",
      "Event encoding: json (see EventCodec) or csv (needs events.csv.columns).");
  public static final Option EVENTS_CSV_COLUMNS = new Option("events.csv.columns", "",
      "csv only: every column of a line, in order, comma-separated.");
  public static final Option EVENTS_CSV_KEY = new Option("events.csv.key", "key",
      "csv only: the key column.");
  public static final Option EVENTS_CSV_TIMESTAMP = new Option("events.csv.timestamp", "",
      "csv only: the event-time column (epoch ms); empty: the Kafka record timestamp.");
  public static final Option EVENTS_CSV_MODEL = new Option("events.csv.model", "",
      "csv only: a column naming each line's model; empty: every line uses the model 'default'.");
  public static final Option EVENTS_MAX_RECORD_BYTES = new Option("events.max-record-bytes",
      Integer.toString(EventDecoder.DEFAULT_MAX_RECORD_BYTES),
      "Larger records are dead-lettered as OVERSIZED without being parsed.");
  public static final Option EVENTS_STARTING_OFFSETS = new Option("events.starting-offsets",
      "committed", "Where a job without state starts reading events: committed (the group's"
          + " committed offsets, earliest for a new group), earliest or latest. A restored job"
          + " always resumes from its checkpoint.");
  public static final Option SCORES_TOPIC = new Option("scores.topic", "scores",
      "Topic of every scored event (JSON, keyed by the event key).");
  public static final Option ALERTS_TOPIC = new Option("alerts.topic", "alerts",
      "Topic of alerts: scored events that are anomalies, and typicality episode records (OPENED,"
          + " UPDATE, CLEARED per key and window).");
  public static final Option DEAD_LETTERS_TOPIC = new Option("dead-letters.topic", "dead-letters",
      "Topic of rejected records (reason, message, original bytes, source coordinates).");
  public static final Option GROUP_ID = new Option("group.id", "flowguard",
      "Kafka consumer group of the event and model sources.");
  public static final Option MODEL_TOPIC = new Option("model.topic", ModelTopic.DEFAULT_TOPIC,
      "Compacted model topic (key = model name, value = model file); used unless model.directory"
          + " is set.");
  public static final Option MODEL_DIRECTORY = new Option("model.directory", "",
      "A directory of *.fgm model files (any Flink file system: file://, s3://, ...) instead of"
          + " the model topic.");
  public static final Option MODEL_DIRECTORY_RESCAN = new Option("model.directory.rescan", "30 s",
      "How often model.directory is listed for new or rewritten files; 0 lists it once.");
  public static final Option FALSE_ALARM_RATE = new Option("false.alarm.rate", "0.001",
      "An event is an anomaly when its tail probability is below this rate (about this fraction"
          + " of normal events raise an alert).");
  public static final Option TYPICALITY_WINDOWS = new Option("typicality.windows", "32,128",
      "Window sizes M (events per key) of the typicality test; each must be calibrated in the"
          + " model (flowguard train calibrates 1, 8, 32, 128). Empty disables the test.");
  public static final Option TYPICALITY_ALPHA = new Option("typicality.alpha", "0.999",
      "Level of the typicality test: a full normal window alarms with probability about 1 - alpha."
          + " Must be calibrated in the model (0.99 and 0.999 by default).");
  public static final Option PARALLELISM = new Option("parallelism", "",
      "Parallelism of the job; empty: the cluster's default.");
  public static final Option MAX_PARALLELISM = new Option("max-parallelism", "720",
      "Most parallel instances keyed state can ever be spread over (its number of key groups). Fixed by"
          + " the first savepoint: a job restored from it must use the same value. 720 divides evenly by"
          + " 1-6, 8, 9, 10, 12, 15, 16, 18, 20, 24, ...; Flowguard before this option let Flink derive it"
          + " (128 up to parallelism 85): restore such savepoints with max-parallelism 128.");
  public static final Option CHECKPOINT_INTERVAL = new Option("checkpoint.interval", "10 s",
      "Checkpoint interval. With exactly-once delivery, output becomes visible to read_committed"
          + " consumers only when a checkpoint completes, so this is also the output latency.");
  public static final Option DELIVERY_GUARANTEE = new Option("delivery.guarantee", "exactly-once",
      "exactly-once (Kafka transactions committed on checkpoints) or at-least-once (no"
          + " checkpoint latency; duplicates possible after a failure).");
  public static final Option TRANSACTIONAL_ID_PREFIX = new Option("transactional-id.prefix",
      "flowguard", "Prefix of the sinks' transactional ids (each sink appends -scores, -alerts,"
          + " -dead-letters). Must be unique per job on a Kafka cluster.");
  public static final Option TRANSACTION_TIMEOUT = new Option("transaction.timeout", "15 min",
      "Kafka transaction timeout of exactly-once sinks; must exceed the checkpoint interval plus"
          + " a restart (a lost TaskManager: 50 s heartbeat timeout, the restart, a checkpoint), and not"
          + " exceed the broker's transaction.max.timeout.ms (15 min by default).");
  public static final Option PENDING_MAX_EVENTS = new Option("pending.max-events", "1000",
      "Events per key held while their model has not arrived; more are dead-lettered (NO_MODEL).");
  public static final Option PENDING_TIMEOUT = new Option("pending.timeout", "60 s",
      "How long a key's held events wait for their model (from the oldest one's arrival) before"
          + " they are dead-lettered (NO_MODEL).");
  public static final Option JOB_NAME = new Option("job.name", "flowguard",
      "The Flink job name.");
  public static final Option MODEL_EVENTS_TOPIC = new Option("model-events.topic",
      ModelHistory.DEFAULT_EVENTS_TOPIC, "Topic of model lifecycle events (promoted, rejected, failed"
          + " retrainings; JSON, key = model name). Used when retrain.enabled is true.");
  public static final Option MODEL_HISTORY_VERSIONS = new Option("model.history.versions", "10",
      "Versions per model kept in the model history topic (<model.topic>-history) when the job"
          + " promotes a retrained model; older ones are tombstoned.");
  public static final Option RETRAIN_ENABLED = new Option("retrain.enabled", "false",
      "Retrain models in the job from a reservoir of recent normal events and promote a better"
          + " challenger to the model topic (see docs/retraining.md). Needs the model topic (not"
          + " model.directory) and write access to it.");
  public static final Option RETRAIN_INTERVAL = new Option("retrain.interval", "1 h",
      "Processing time between scheduled retrainings of a model.");
  public static final Option RETRAIN_SAMPLE_RATE = new Option("retrain.sample-rate", "0.1",
      "Fraction of scored events sent to the retraining operator (Bernoulli sample, in (0, 1]).");
  public static final Option RETRAIN_RESERVOIR_SIZE = new Option("retrain.reservoir.size", "10000",
      "Most normal events kept per model for retraining.");
  public static final Option RETRAIN_RESERVOIR_ALGORITHM = new Option(
      "retrain.reservoir.algorithm", "recent", "How a full reservoir makes room: recent (a new row"
          + " replaces a random one: recency-weighted) or uniform (reservoir sampling: a uniform"
          + " sample of everything admitted).");
  public static final Option RETRAIN_MAX_KEY_SHARE = new Option("retrain.max-key-share", "0.05",
      "Largest share of the reservoir one entity key may hold (enforced on insert).");
  public static final Option RETRAIN_MIN_ROWS = new Option("retrain.min-rows", "1000",
      "Fewest reservoir rows (drift rows during a drift) a retraining starts with.");
  public static final Option RETRAIN_HOLDOUT_FRACTION = new Option("retrain.holdout-fraction",
      "0.2", "Fraction of the reservoir held out to compare the challenger with the champion.");
  public static final Option RETRAIN_TOLERANCE = new Option("retrain.tolerance", "0.1",
      "How much worse (mean held-out NLL, nats per event) a challenger may be than the champion"
          + " and still be promoted: absorbs the spread between equally good models.");
  public static final Option RETRAIN_CPU_SHARE = new Option("retrain.cpu-share", "0.25",
      "Share of one core a background training may use, in (0, 1]: it pauses after each progress"
          + " report, so that it does not take a whole core from scoring; 1 never pauses.");
  public static final Option RETRAIN_DRIFT_TRIGGER = new Option("retrain.drift.trigger", "true",
      "Also retrain, without waiting for the schedule, as soon as a declared drift has"
          + " retrain.min-rows drift rows.");
  public static final Option RETRAIN_DRIFT_BLOCK = new Option("retrain.drift.block", "500",
      "Sampled events per block of the drift statistic (the share of events raising an alert).");
  public static final Option RETRAIN_DRIFT_ALERT_FRACTION = new Option(
      "retrain.drift.alert-fraction", "0.2", "A block is high when at least this share of its"
          + " events raised an alert (anomaly or typicality alarm).");
  public static final Option RETRAIN_DRIFT_BLOCKS = new Option("retrain.drift.blocks", "3",
      "Consecutive high blocks that declare a drift (and low blocks that end it).");
  public static final Option RETRAIN_DRIFT_MIN_TAIL_PROBABILITY = new Option(
      "retrain.drift.min-tail-probability", "1e-12", "During a drift, events are admitted unless"
          + " their tail probability under the champion is below this (gross outliers stay out).");

  // ---- BEGIN reliability options (issue 19: bounded outputs, schema-safe swaps, signed models,
  // alert episodes). Kept in one block so that the port to Flink ConfigOptions can move them
  // together; each also lives, with its default, in the settings object named beside it.
  public static final Option EVENTS_MAX_KEY_BYTES = new Option("events.max-key-bytes",
      Integer.toString(EventDecoder.DEFAULT_MAX_KEY_BYTES),
      "Events whose key has more UTF-8 bytes are dead-lettered as KEY_TOO_LONG (at most 16384):"
          + " every score and alert record carries the key. (EventDecoder)");
  public static final Option EVENTS_IGNORE_UNKNOWN_FEATURES = new Option(
      "events.ignore-unknown-features", "false", "true: features the model does not know are"
          + " dropped instead of dead-lettering the event as EXTRA_FEATURE (lets producers add"
          + " fields before the model knows them). (EventDecoder)");
  public static final Option DEAD_LETTERS_MAX_ORIGINAL_BYTES = new Option(
      "dead-letters.max-original-bytes", Integer.toString(DeadLetterJson.DEFAULT_MAX_ORIGINAL_BYTES),
      "Most bytes of a rejected record a dead letter keeps (a prefix; the record's length and"
          + " SHA-256 are always given). (DeadLetterSerializer)");
  public static final Option MODEL_VERIFICATION_KEYS = new Option("model.verification-keys", "",
      "Public key files (PEM, comma-separated; from flowguard keygen): when set, only model records"
          + " signed by one of their private keys are accepted (see docs/deployment.md, Signed"
          + " models). Read where the job is built. Empty: no verification. (ScoringSettings)");
  public static final Option RETRAIN_SIGNING_KEY = new Option("retrain.signing-key", "",
      "Private key file (PEM) with which in-job retraining signs the models it promotes; read on"
          + " each TaskManager when the model sink opens. Required with retrain.enabled and"
          + " model.verification-keys (its public key must be among them).");
  public static final Option TYPICALITY_EPISODE_UPDATE_EVERY = new Option(
      "typicality.episode.update-every", "100", "While a key's window stays in the alarm state, an"
          + " UPDATE record of its episode goes to the alerts topic at most every this many events"
          + " (0: none; OPENED and CLEARED are always written). (ScoringSettings)");
  /** The reliability options, in documentation order (appended to {@link #OPTIONS}). */
  static final List<Option> RELIABILITY_OPTIONS = List.of(
      EVENTS_MAX_KEY_BYTES, EVENTS_IGNORE_UNKNOWN_FEATURES, DEAD_LETTERS_MAX_ORIGINAL_BYTES,
      MODEL_VERIFICATION_KEYS, RETRAIN_SIGNING_KEY, TYPICALITY_EPISODE_UPDATE_EVERY);

  public int typicalityEpisodeUpdateEvery() {
    return integer(TYPICALITY_EPISODE_UPDATE_EVERY);
  }

  /** The public keys of model.verification-keys, read from their files; empty: no verification. */
  public List<java.security.PublicKey> modelVerificationKeys() {
    List<java.security.PublicKey> keys = new ArrayList<>();
    for (String file : list(get(MODEL_VERIFICATION_KEYS))) {
      try {
        keys.add(io.flowguard.core.model.ModelSignature.readPublicKey(Path.of(file)));
      } catch (IOException e) {
        throw new IllegalArgumentException(MODEL_VERIFICATION_KEYS.key() + ": cannot read " + file
            + ": " + e, e);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(MODEL_VERIFICATION_KEYS.key() + ": " + e.getMessage(), e);
      }
    }
    return keys;
  }

  /** The file of retrain.signing-key, if set. */
  public Optional<String> retrainSigningKey() {
    String f = get(RETRAIN_SIGNING_KEY);
    return f.isEmpty() ? Optional.empty() : Optional.of(f);
  }

  public int eventsMaxKeyBytes() {
    return integer(EVENTS_MAX_KEY_BYTES);
  }

  public boolean eventsIgnoreUnknownFeatures() {
    return bool(EVENTS_IGNORE_UNKNOWN_FEATURES);
  }

  public int deadLettersMaxOriginalBytes() {
    return integer(DEAD_LETTERS_MAX_ORIGINAL_BYTES);
  }

  /**
   * The record size limit of the job's sinks: the producers' max.request.size (kafka.max.request.size
   * or Kafka's default 1 MiB) and each topic's max.message.bytes, read when a sink opens.
   */
  public RecordSizeLimit recordSizeLimit() {
    return RecordSizeLimit.of(bootstrapServers(), kafkaProperties());
  }

  private void validateReliability() {
    int keyBytes = eventsMaxKeyBytes();
    if (keyBytes < 1 || keyBytes > 16384) {
      throw new IllegalArgumentException(EVENTS_MAX_KEY_BYTES.key() + " must be in 1..16384, got "
          + keyBytes);
    }
    eventsIgnoreUnknownFeatures();
    if (deadLettersMaxOriginalBytes() < 0) {
      throw new IllegalArgumentException(DEAD_LETTERS_MAX_ORIGINAL_BYTES.key() + " must be >= 0");
    }
    recordSizeLimit();
    if (typicalityEpisodeUpdateEvery() < 0) {
      throw new IllegalArgumentException(TYPICALITY_EPISODE_UPDATE_EVERY.key() + " must be >= 0");
    }
    boolean verifies = !modelVerificationKeys().isEmpty();
    if (verifies && retrainEnabled() && retrainSigningKey().isEmpty()) {
      throw new IllegalArgumentException(RETRAIN_ENABLED.key() + "=true with "
          + MODEL_VERIFICATION_KEYS.key() + " needs " + RETRAIN_SIGNING_KEY.key()
          + ": the job would refuse its own unsigned promotions");
    }
  }
  // ---- END reliability options

  /** Every option, in documentation order. */
  public static final List<Option> OPTIONS = List.of(
      BOOTSTRAP_SERVERS, EVENTS_TOPIC, EVENTS_FORMAT, EVENTS_CSV_COLUMNS, EVENTS_CSV_KEY,
      EVENTS_CSV_TIMESTAMP, EVENTS_CSV_MODEL, EVENTS_MAX_RECORD_BYTES, EVENTS_STARTING_OFFSETS,
      SCORES_TOPIC, ALERTS_TOPIC, DEAD_LETTERS_TOPIC, GROUP_ID, MODEL_TOPIC, MODEL_DIRECTORY,
      MODEL_DIRECTORY_RESCAN, FALSE_ALARM_RATE, TYPICALITY_WINDOWS, TYPICALITY_ALPHA, PARALLELISM, MAX_PARALLELISM,
      CHECKPOINT_INTERVAL, DELIVERY_GUARANTEE, TRANSACTIONAL_ID_PREFIX, TRANSACTION_TIMEOUT,
      PENDING_MAX_EVENTS, PENDING_TIMEOUT, JOB_NAME, MODEL_EVENTS_TOPIC, MODEL_HISTORY_VERSIONS,
      RETRAIN_ENABLED, RETRAIN_INTERVAL, RETRAIN_SAMPLE_RATE, RETRAIN_RESERVOIR_SIZE,
      RETRAIN_RESERVOIR_ALGORITHM, RETRAIN_MAX_KEY_SHARE, RETRAIN_MIN_ROWS,
      RETRAIN_HOLDOUT_FRACTION, RETRAIN_TOLERANCE, RETRAIN_CPU_SHARE, RETRAIN_DRIFT_TRIGGER, RETRAIN_DRIFT_BLOCK,
      RETRAIN_DRIFT_ALERT_FRACTION, RETRAIN_DRIFT_BLOCKS, RETRAIN_DRIFT_MIN_TAIL_PROBABILITY);

  private static final Map<String, Option> BY_KEY = new LinkedHashMap<>();

  static {
    for (Option o : allOptions()) {
      BY_KEY.put(o.key(), o);
    }
  }

  /** Where the job starts reading events when it has no state. */
  public enum StartingOffsets { COMMITTED, EARLIEST, LATEST }

  private final TreeMap<String, String> values;
  private final Properties kafka;

  /** {@link #OPTIONS} followed by the reliability options. */
  public static List<Option> allOptions() {
    List<Option> all = new ArrayList<>(OPTIONS);
    all.addAll(RELIABILITY_OPTIONS);
    return List.copyOf(all);
  }

  private JobConfig(Map<String, String> given) {
    TreeMap<String, String> v = new TreeMap<>();
    Properties k = new Properties();
    for (Map.Entry<String, String> e : given.entrySet()) {
      String key = e.getKey().trim();
      String value = e.getValue().trim();
      if (key.startsWith(KAFKA_PREFIX) && key.length() > KAFKA_PREFIX.length()) {
        k.setProperty(key.substring(KAFKA_PREFIX.length()), value);
      } else if (BY_KEY.containsKey(key)) {
        v.put(key, value);
      } else {
        throw new IllegalArgumentException("unknown option '" + key + "'; the options are "
            + BY_KEY.keySet() + " and kafka.* client properties (see docs/configuration.md)");
      }
    }
    this.values = v;
    this.kafka = k;
    validate();
  }

  /** A configuration of the given options; every other option has its default. */
  public static JobConfig of(Map<String, String> options) {
    return new JobConfig(options);
  }

  /**
   * Reads {@code --config FILE} (a properties file) if given, then applies {@code --key value} and
   * {@code --key=value} arguments over it, in order.
   *
   * @throws IllegalArgumentException for a malformed argument, an unknown option or a bad value
   */
  public static JobConfig fromArgs(String[] args) throws IOException {
    Map<String, String> options = new LinkedHashMap<>();
    Map<String, String> overrides = new LinkedHashMap<>();
    Optional<Path> file = Optional.empty();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--") || a.length() == 2) {
        throw new IllegalArgumentException("expected --key value, got '" + a + "'");
      }
      String key;
      String value;
      int eq = a.indexOf('=');
      if (eq > 0) {
        key = a.substring(2, eq);
        value = a.substring(eq + 1);
      } else {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("option " + a + " needs a value");
        }
        key = a.substring(2);
        value = args[++i];
      }
      if (key.equals("config")) {
        file = Optional.of(Path.of(value));
      } else {
        overrides.put(key, value);
      }
    }
    if (file.isPresent()) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(file.get(), StandardCharsets.UTF_8)) {
        p.load(r);
      }
      for (String k : p.stringPropertyNames()) {
        options.put(k, p.getProperty(k));
      }
    }
    options.putAll(overrides);
    return new JobConfig(options);
  }

  /** A copy with some options replaced. */
  public JobConfig with(Map<String, String> overrides) {
    Map<String, String> all = new LinkedHashMap<>(values);
    kafka.stringPropertyNames().forEach(k -> all.put(KAFKA_PREFIX + k, kafka.getProperty(k)));
    all.putAll(overrides);
    return new JobConfig(all);
  }

  /** A copy with one option replaced. */
  public JobConfig with(String key, String value) {
    return with(Map.of(key, value));
  }

  private void validate() {
    if (bootstrapServers().isEmpty()) {
      throw new IllegalArgumentException(BOOTSTRAP_SERVERS.key() + " is required");
    }
    if (!(falseAlarmRate() > 0 && falseAlarmRate() < 1)) {
      throw new IllegalArgumentException(FALSE_ALARM_RATE.key() + " must be in (0, 1)");
    }
    if (!(typicalityAlpha() > 0 && typicalityAlpha() < 1)) {
      throw new IllegalArgumentException(TYPICALITY_ALPHA.key() + " must be in (0, 1)");
    }
    int[] w = typicalityWindows();
    for (int m : w) {
      if (m < 1) {
        throw new IllegalArgumentException(TYPICALITY_WINDOWS.key() + " must be positive sizes");
      }
    }
    if (Arrays.stream(w).distinct().count() != w.length) {
      throw new IllegalArgumentException(TYPICALITY_WINDOWS.key() + " has a duplicate size");
    }
    if (pendingMaxEvents() < 0) {
      throw new IllegalArgumentException(PENDING_MAX_EVENTS.key() + " must not be negative");
    }
    if (pendingTimeout().toMillis() < 1) {
      throw new IllegalArgumentException(PENDING_TIMEOUT.key() + " must be at least 1 ms");
    }
    if (checkpointInterval().toMillis() < 10) {
      throw new IllegalArgumentException(CHECKPOINT_INTERVAL.key() + " must be at least 10 ms");
    }
    parallelism().ifPresent(p -> {
      if (p < 1) {
        throw new IllegalArgumentException(PARALLELISM.key() + " must be at least 1");
      }
      if (p > maxParallelism()) {
        throw new IllegalArgumentException(PARALLELISM.key() + " " + p + " exceeds " + MAX_PARALLELISM.key() + " "
            + maxParallelism() + "; raise " + MAX_PARALLELISM.key() + " (a new job only: a savepoint keeps its value)");
      }
    });
    if (maxParallelism() < 1 || maxParallelism() > 32768) {
      throw new IllegalArgumentException(MAX_PARALLELISM.key() + " must be in 1..32768 (Flink's limit), got "
          + maxParallelism());
    }
    if (modelDirectoryRescan().isNegative()) {
      throw new IllegalArgumentException(MODEL_DIRECTORY_RESCAN.key() + " must not be negative");
    }
    validateRetraining();
    validateReliability();
    // Builds the sinks' options and the decoder, so that bad values fail here, not on a cluster.
    sinkOptions("check");
    decoder();
    startingOffsets();
  }

  private void validateRetraining() {
    if (modelHistoryVersions() < 1) {
      throw new IllegalArgumentException(MODEL_HISTORY_VERSIONS.key() + " must be at least 1");
    }
    retrainReservoirAlgorithm();
    if (retrainInterval().toMillis() < 1) {
      throw new IllegalArgumentException(RETRAIN_INTERVAL.key() + " must be at least 1 ms");
    }
    double rate = retrainSampleRate();
    if (!(rate > 0 && rate <= 1)) {
      throw new IllegalArgumentException(RETRAIN_SAMPLE_RATE.key() + " must be in (0, 1]");
    }
    if (retrainReservoirSize() < 1) {
      throw new IllegalArgumentException(RETRAIN_RESERVOIR_SIZE.key() + " must be at least 1");
    }
    double share = retrainMaxKeyShare();
    if (!(share > 0 && share <= 1)) {
      throw new IllegalArgumentException(RETRAIN_MAX_KEY_SHARE.key() + " must be in (0, 1]");
    }
    if (retrainMinRows() < 100 || retrainMinRows() > retrainReservoirSize()) {
      throw new IllegalArgumentException(RETRAIN_MIN_ROWS.key() + " must be between 100 and "
          + RETRAIN_RESERVOIR_SIZE.key() + " (" + retrainReservoirSize() + ")");
    }
    double holdout = retrainHoldoutFraction();
    if (!(holdout > 0 && holdout < 0.9)) {
      throw new IllegalArgumentException(RETRAIN_HOLDOUT_FRACTION.key() + " must be in (0, 0.9)");
    }
    retrainDriftTrigger();
    if (!(retrainCpuShare() > 0 && retrainCpuShare() <= 1)) {
      throw new IllegalArgumentException(RETRAIN_CPU_SHARE.key() + " must be in (0, 1]");
    }
    if (!(retrainTolerance() >= 0) || Double.isInfinite(retrainTolerance())) {
      throw new IllegalArgumentException(RETRAIN_TOLERANCE.key() + " must be a number >= 0");
    }
    if (retrainDriftBlock() < 1 || retrainDriftBlocks() < 1) {
      throw new IllegalArgumentException(RETRAIN_DRIFT_BLOCK.key() + " and "
          + RETRAIN_DRIFT_BLOCKS.key() + " must be at least 1");
    }
    double fraction = retrainDriftAlertFraction();
    if (!(fraction > 0 && fraction <= 1)) {
      throw new IllegalArgumentException(RETRAIN_DRIFT_ALERT_FRACTION.key() + " must be in (0, 1]");
    }
    double tail = retrainDriftMinTailProbability();
    if (!(tail >= 0 && tail < 1)) {
      throw new IllegalArgumentException(
          RETRAIN_DRIFT_MIN_TAIL_PROBABILITY.key() + " must be in [0, 1)");
    }
    if (retrainEnabled() && modelDirectory().isPresent()) {
      throw new IllegalArgumentException(RETRAIN_ENABLED.key() + "=true publishes retrained models"
          + " to the model topic, but " + MODEL_DIRECTORY.key() + " is set, so the job would never"
          + " read them back; use the model topic, or disable retraining");
    }
  }

  private boolean bool(Option o) {
    String s = get(o).toLowerCase(Locale.ROOT);
    if (s.equals("true") || s.equals("false")) {
      return Boolean.parseBoolean(s);
    }
    throw new IllegalArgumentException(o.key() + " must be true or false, got '" + get(o) + "'");
  }

  private String get(Option o) {
    return values.getOrDefault(o.key(), o.defaultValue());
  }

  private Duration duration(Option o) {
    String s = get(o);
    try {
      return TimeUtils.parseDuration(s);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(o.key() + ": not a duration: '" + s
          + "' (examples: 500 ms, 10 s, 2 min)", e);
    }
  }

  private int integer(Option o) {
    try {
      return Integer.parseInt(get(o));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(o.key() + ": not an integer: '" + get(o) + "'", e);
    }
  }

  private double number(Option o) {
    try {
      return Double.parseDouble(get(o));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(o.key() + ": not a number: '" + get(o) + "'", e);
    }
  }

  private static List<String> list(String s) {
    List<String> out = new ArrayList<>();
    for (String part : s.split(",")) {
      if (!part.isBlank()) {
        out.add(part.trim());
      }
    }
    return out;
  }

  public String bootstrapServers() {
    return get(BOOTSTRAP_SERVERS);
  }

  public List<String> eventsTopics() {
    return list(get(EVENTS_TOPIC));
  }

  public String scoresTopic() {
    return get(SCORES_TOPIC);
  }

  public String alertsTopic() {
    return get(ALERTS_TOPIC);
  }

  public String deadLettersTopic() {
    return get(DEAD_LETTERS_TOPIC);
  }

  public String groupId() {
    return get(GROUP_ID);
  }

  public String modelTopic() {
    return get(MODEL_TOPIC);
  }

  /** The model directory, if models come from files rather than the model topic. */
  public Optional<String> modelDirectory() {
    String d = get(MODEL_DIRECTORY);
    return d.isEmpty() ? Optional.empty() : Optional.of(d);
  }

  /** Zero: list the directory once. */
  public Duration modelDirectoryRescan() {
    return duration(MODEL_DIRECTORY_RESCAN);
  }

  public double falseAlarmRate() {
    return number(FALSE_ALARM_RATE);
  }

  public int[] typicalityWindows() {
    try {
      return list(get(TYPICALITY_WINDOWS)).stream().mapToInt(Integer::parseInt).toArray();
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(TYPICALITY_WINDOWS.key() + ": not a list of integers: '"
          + get(TYPICALITY_WINDOWS) + "'", e);
    }
  }

  public double typicalityAlpha() {
    return number(TYPICALITY_ALPHA);
  }

  public Optional<Integer> parallelism() {
    return get(PARALLELISM).isEmpty() ? Optional.empty() : Optional.of(integer(PARALLELISM));
  }

  public int maxParallelism() {
    return integer(MAX_PARALLELISM);
  }

  public Duration checkpointInterval() {
    return duration(CHECKPOINT_INTERVAL);
  }

  public DeliveryGuarantee deliveryGuarantee() {
    return switch (get(DELIVERY_GUARANTEE).toLowerCase(Locale.ROOT)) {
      case "exactly-once", "exactly_once" -> DeliveryGuarantee.EXACTLY_ONCE;
      case "at-least-once", "at_least_once" -> DeliveryGuarantee.AT_LEAST_ONCE;
      default -> throw new IllegalArgumentException(DELIVERY_GUARANTEE.key()
          + " must be exactly-once or at-least-once, got '" + get(DELIVERY_GUARANTEE) + "'");
    };
  }

  public String transactionalIdPrefix() {
    return get(TRANSACTIONAL_ID_PREFIX);
  }

  public Duration transactionTimeout() {
    return duration(TRANSACTION_TIMEOUT);
  }

  /** The options of one sink; {@code sink} names it in its transactional id prefix. */
  public SinkOptions sinkOptions(String sink) {
    if (deliveryGuarantee() == DeliveryGuarantee.AT_LEAST_ONCE) {
      return SinkOptions.atLeastOnce();
    }
    return SinkOptions.exactlyOnce(transactionalIdPrefix() + "-" + sink)
        .withTransactionTimeout(transactionTimeout());
  }

  public int pendingMaxEvents() {
    return integer(PENDING_MAX_EVENTS);
  }

  public Duration pendingTimeout() {
    return duration(PENDING_TIMEOUT);
  }

  public String jobName() {
    return get(JOB_NAME);
  }

  public String modelEventsTopic() {
    return get(MODEL_EVENTS_TOPIC);
  }

  public int modelHistoryVersions() {
    return integer(MODEL_HISTORY_VERSIONS);
  }

  public boolean retrainEnabled() {
    return bool(RETRAIN_ENABLED);
  }

  public Duration retrainInterval() {
    return duration(RETRAIN_INTERVAL);
  }

  public double retrainSampleRate() {
    return number(RETRAIN_SAMPLE_RATE);
  }

  public int retrainReservoirSize() {
    return integer(RETRAIN_RESERVOIR_SIZE);
  }

  public Reservoir.Algorithm retrainReservoirAlgorithm() {
    try {
      return Reservoir.Algorithm.of(get(RETRAIN_RESERVOIR_ALGORITHM));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(RETRAIN_RESERVOIR_ALGORITHM.key() + ": " + e.getMessage(),
          e);
    }
  }

  public double retrainMaxKeyShare() {
    return number(RETRAIN_MAX_KEY_SHARE);
  }

  public int retrainMinRows() {
    return integer(RETRAIN_MIN_ROWS);
  }

  public double retrainHoldoutFraction() {
    return number(RETRAIN_HOLDOUT_FRACTION);
  }

  public double retrainTolerance() {
    return number(RETRAIN_TOLERANCE);
  }

  public double retrainCpuShare() {
    return number(RETRAIN_CPU_SHARE);
  }

  public boolean retrainDriftTrigger() {
    return bool(RETRAIN_DRIFT_TRIGGER);
  }

  public int retrainDriftBlock() {
    return integer(RETRAIN_DRIFT_BLOCK);
  }

  public double retrainDriftAlertFraction() {
    return number(RETRAIN_DRIFT_ALERT_FRACTION);
  }

  public int retrainDriftBlocks() {
    return integer(RETRAIN_DRIFT_BLOCKS);
  }

  public double retrainDriftMinTailProbability() {
    return number(RETRAIN_DRIFT_MIN_TAIL_PROBABILITY);
  }

  public StartingOffsets startingOffsets() {
    String s = get(EVENTS_STARTING_OFFSETS).toUpperCase(Locale.ROOT);
    try {
      return StartingOffsets.valueOf(s);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(EVENTS_STARTING_OFFSETS.key()
          + " must be committed, earliest or latest, got '" + get(EVENTS_STARTING_OFFSETS) + "'");
    }
  }

  /** Extra Kafka client properties (a copy), without the {@code kafka.} prefix. */
  public Properties kafkaProperties() {
    Properties copy = new Properties();
    copy.putAll(kafka);
    return copy;
  }

  /** Kafka client properties with {@code bootstrap.servers}, for admin clients and producers. */
  public Properties clientProperties() {
    Properties p = kafkaProperties();
    p.setProperty("bootstrap.servers", bootstrapServers());
    return p;
  }

  /** The scoring operator's settings of this configuration, scoring with the flow. */
  public io.flowguard.flink.scoring.ScoringSettings scoringSettings() {
    return new io.flowguard.flink.scoring.ScoringSettings(falseAlarmRate(), typicalityWindows(),
        typicalityAlpha(), pendingMaxEvents(), pendingTimeout(), decoder(),
        io.flowguard.flink.scoring.ScoringKernel.FLOW)
        .withVerificationKeys(modelVerificationKeys()) // issue 19 item 3: signed models
        .withEpisodeUpdateEvery(typicalityEpisodeUpdateEvery()); // issue 19 item 6
  }

  /** The event decoder configured by events.format and its options. */
  public EventDecoder decoder() {
    int maxBytes = integer(EVENTS_MAX_RECORD_BYTES);
    String format = get(EVENTS_FORMAT).toLowerCase(Locale.ROOT);
    switch (format) {
      case "json":
        return new EventCodec(maxBytes, eventsMaxKeyBytes(), eventsIgnoreUnknownFeatures(),
            Clock.systemUTC());
      case "csv":
        List<String> columns = list(get(EVENTS_CSV_COLUMNS));
        if (columns.isEmpty()) {
          throw new IllegalArgumentException(
              EVENTS_FORMAT.key() + "=csv needs " + EVENTS_CSV_COLUMNS.key());
        }
        CsvEventCodec.Builder b = CsvEventCodec.builder(columns)
            .key(get(EVENTS_CSV_KEY))
            .maxRecordBytes(maxBytes)
            .maxKeyBytes(eventsMaxKeyBytes())
            .ignoreUnknownFeatures(eventsIgnoreUnknownFeatures());
        if (!get(EVENTS_CSV_TIMESTAMP).isEmpty()) {
          b.timestamp(get(EVENTS_CSV_TIMESTAMP));
        }
        if (!get(EVENTS_CSV_MODEL).isEmpty()) {
          b.model(get(EVENTS_CSV_MODEL));
        }
        return b.build();
      default:
        throw new IllegalArgumentException(
            EVENTS_FORMAT.key() + " must be json or csv, got '" + get(EVENTS_FORMAT) + "'");
    }
  }

  /** Every option with its effective value, and the Kafka properties with secrets masked. */
  public String describe() {
    StringBuilder s = new StringBuilder();
    for (Option o : allOptions()) {
      s.append("  ").append(o.key()).append(" = ").append(get(o)).append('\n');
    }
    Properties masked = KafkaIo.redacted(kafka);
    for (String k : new TreeMap<>(toMap(masked)).keySet()) {
      s.append("  ").append(KAFKA_PREFIX).append(k).append(" = ").append(masked.getProperty(k))
          .append('\n');
    }
    return s.toString();
  }

  private static Map<String, String> toMap(Properties p) {
    Map<String, String> m = new LinkedHashMap<>();
    p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
    return m;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof JobConfig c && values.equals(c.values) && kafka.equals(c.kafka);
  }

  @Override
  public int hashCode() {
    return Objects.hash(values, kafka);
  }

  @Override
  public String toString() {
    return "JobConfig{\n" + describe() + "}";
  }
}
