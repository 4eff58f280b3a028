package io.flowguard.job;

import io.flowguard.connectors.event.EventDecoder;
import io.flowguard.connectors.event.DeadLetterJson;
import io.flowguard.connectors.kafka.KafkaIo;
import io.flowguard.connectors.kafka.RecordSizeLimit;
import io.flowguard.connectors.kafka.SinkOptions;
import io.flowguard.flink.FlowguardOptions;
import io.flowguard.flink.scoring.ScoringSettings;
import io.flowguard.job.retrain.Reservoir;
import java.io.IOException;
import java.io.Reader;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job's configuration: the options of {@link JobOptions} and {@link FlowguardOptions}
 * (documented in docs/configuration.md), Kafka client properties under {@value
 * JobOptions#KAFKA_PROPERTY_PREFIX}, and Flink's own options, which pass through to Flink ({@link
 * #flinkConfiguration}); read from a properties file and {@code --key value} overrides ({@link
 * #fromArgs}).
 *
 * <p>The keys of earlier releases ({@code false.alarm.rate}, {@code kafka.*}, ...) still work: each is
 * read as its option's current key, with a WARN naming it. An unknown key is an error with the key it
 * most likely meant, rather than ignored: a misspelt option would otherwise silently run the job with
 * its default. Immutable and serializable (it travels inside Flink functions).
 */
public final class JobConfig implements Serializable {

  private static final long serialVersionUID = 2L;

  private static final Logger LOG = LoggerFactory.getLogger(JobConfig.class);

  /** Flowguard options by current key, values as given (normalized). */
  private final TreeMap<String, String> values;
  /** Flink's own options the user gave, passed through. */
  private final TreeMap<String, String> flink;
  private final Properties kafka;
  private final Configuration options;

  private JobConfig(Map<String, String> canonical) {
    TreeMap<String, String> v = new TreeMap<>();
    TreeMap<String, String> f = new TreeMap<>();
    Properties k = new Properties();
    for (Map.Entry<String, String> e : canonical.entrySet()) {
      String key = e.getKey();
      switch (OptionKeys.kind(key)) {
        case OPTION -> {
          String value = normalize(OptionKeys.option(key).orElseThrow(), e.getValue());
          if (value != null) {
            v.put(key, value);
          }
        }
        case KAFKA_PROPERTY -> k.setProperty(key.substring(JobOptions.KAFKA_PROPERTY_PREFIX.length()),
            e.getValue());
        case FLINK -> f.put(key, e.getValue());
        default -> throw new IllegalStateException("not a canonical key: " + key);
      }
    }
    this.values = v;
    this.flink = f;
    this.kafka = k;
    this.options = Configuration.fromMap(v);
    validate();
  }

  /**
   * A configuration of the given options (current or deprecated keys); every other option has its
   * default.
   *
   * @throws IllegalArgumentException for an unknown key, a key given twice (old and new spelling) or
   *     a bad value
   */
  public static JobConfig of(Map<String, String> options) {
    Map<String, String> canonical = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : new TreeMap<>(options).entrySet()) {
      String key = canonicalKey(e.getKey().trim());
      String value = e.getValue().trim();
      String before = canonical.put(key, value);
      if (before != null && !before.equals(value)) {
        throw new IllegalArgumentException(key + " is given twice (under its current and its"
            + " deprecated key) with different values: '" + before + "' and '" + value + "'");
      }
    }
    return new JobConfig(canonical);
  }

  /**
   * Reads {@code --config FILE} (a properties file) if given, then applies {@code --key value} and
   * {@code --key=value} arguments over it, in order (an argument wins over the file whichever
   * spelling, current or deprecated, either uses).
   *
   * @throws IllegalArgumentException for a malformed argument, an unknown option or a bad value
   */
  public static JobConfig fromArgs(String[] args) throws IOException {
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
        overrides.put(canonicalKey(key.trim()), value.trim());
      }
    }
    Map<String, String> options = new LinkedHashMap<>();
    if (file.isPresent()) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(file.get(), StandardCharsets.UTF_8)) {
        p.load(r);
      }
      for (String k : new TreeMap<>(toMap(p)).keySet()) {
        String key = canonicalKey(k.trim());
        String value = p.getProperty(k).trim();
        String before = options.put(key, value);
        if (before != null && !before.equals(value)) {
          throw new IllegalArgumentException(file.get() + " gives " + key + " twice (under its"
              + " current and its deprecated key) with different values");
        }
      }
    }
    options.putAll(overrides);
    return new JobConfig(options);
  }

  /**
   * The current key of a key: itself, or the option a deprecated key stands for (with a WARN).
   *
   * @throws IllegalArgumentException for a key that is neither an option, a Kafka property nor one
   *     of Flink's options, with the key it most likely meant
   */
  static String canonicalKey(String key) {
    switch (OptionKeys.kind(key)) {
      case OPTION, KAFKA_PROPERTY, FLINK:
        return key;
      case DEPRECATED: {
        String current = OptionKeys.option(key).orElseThrow().key();
        LOG.warn("Option '{}' is deprecated; use '{}' (docs/configuration.md)", key, current);
        return current;
      }
      case DEPRECATED_KAFKA_PROPERTY: {
        String current = JobOptions.KAFKA_PROPERTY_PREFIX
            + key.substring(JobOptions.DEPRECATED_KAFKA_PREFIX.length());
        LOG.warn("Option '{}' is deprecated; use '{}' (docs/configuration.md)", key, current);
        return current;
      }
      default:
        throw new IllegalArgumentException("unknown option '" + key + "'"
            + OptionKeys.suggestion(key).map(s -> "; did you mean '" + s + "'?").orElse("")
            + " (every option: --help or docs/configuration.md; Flink's own options pass through,"
            + " Kafka client properties go under " + JobOptions.KAFKA_PROPERTY_PREFIX + ")");
    }
  }

  /**
   * A value as Flink parses it: lists separated by ';' (',' is accepted, as earlier releases wrote
   * them), enum constants by their name or display form; null for a blank value of an option without
   * a default (unset, as earlier releases read an empty value).
   */
  private static String normalize(ConfigOption<?> o, String value) {
    String v = value.trim();
    if (v.isEmpty() && !o.hasDefaultValue()) {
      return null;
    }
    if (OptionDocs.isList(o)) {
      String separator = v.contains(";") ? ";" : ",";
      v = Arrays.stream(v.split(separator, -1)).map(String::trim).filter(p -> !p.isEmpty())
          .collect(java.util.stream.Collectors.joining(";"));
    }
    Class<?> type = OptionDocs.valueType(o);
    if (type.isEnum() && !OptionDocs.isList(o)) {
      for (Object c : type.getEnumConstants()) {
        Enum<?> e = (Enum<?>) c;
        String given = v.toUpperCase(Locale.ROOT);
        if (e.name().equals(given.replace('-', '_')) || e.toString().toUpperCase(Locale.ROOT).equals(given)) {
          return e.toString();
        }
      }
      throw new IllegalArgumentException(o.key() + " must be one of " + Arrays.stream(
          type.getEnumConstants()).map(OptionDocs::display).toList() + ", got '" + value + "'");
    }
    return v;
  }

  /** A copy with some options replaced (current or deprecated keys). */
  public JobConfig with(Map<String, String> overrides) {
    Map<String, String> all = new LinkedHashMap<>(values);
    all.putAll(flink);
    kafka.stringPropertyNames().forEach(
        k -> all.put(JobOptions.KAFKA_PROPERTY_PREFIX + k, kafka.getProperty(k)));
    for (Map.Entry<String, String> e : new TreeMap<>(overrides).entrySet()) {
      all.put(canonicalKey(e.getKey().trim()), e.getValue().trim());
    }
    return new JobConfig(all);
  }

  /** A copy with one option replaced. */
  public JobConfig with(String key, String value) {
    return with(Map.of(key, value));
  }

  /**
   * The value of any option of {@link JobOptions} or {@link FlowguardOptions}, or its default.
   *
   * @throws IllegalArgumentException naming the key, for a value of the wrong type
   */
  public <T> T get(ConfigOption<T> option) {
    return options.get(option);
  }

  /** The value of an option, if set or defaulted. */
  public <T> Optional<T> getOptional(ConfigOption<T> option) {
    Optional<T> set = options.getOptional(option);
    return set.isPresent() || !option.hasDefaultValue() ? set : Optional.of(option.defaultValue());
  }

  /** The Flowguard options as a Flink configuration (current keys, only those given). */
  public Configuration options() {
    return new Configuration(options);
  }

  private void validate() {
    if (getOptional(JobOptions.BOOTSTRAP_SERVERS).map(String::isBlank).orElse(true)) {
      throw new IllegalArgumentException(JobOptions.BOOTSTRAP_SERVERS.key() + " is required");
    }
    // Scoring and decoding rules live with their options (ranges, csv columns, window sizes).
    scoringSettings();
    if (checkpointInterval().toMillis() < 10) {
      throw new IllegalArgumentException(JobOptions.CHECKPOINT_INTERVAL.key()
          + " must be at least 10 ms");
    }
    String max = JobOptions.MAX_PARALLELISM.key();
    parallelism().ifPresent(p -> {
      if (p < 1) {
        throw new IllegalArgumentException(JobOptions.PARALLELISM.key() + " must be at least 1");
      }
      if (p > maxParallelism()) {
        throw new IllegalArgumentException("parallelism " + p + " (" + JobOptions.PARALLELISM.key()
            + ") exceeds max-parallelism " + maxParallelism() + " (" + max + "); raise " + max
            + " (a new job only: a savepoint keeps its value)");
      }
    });
    if (maxParallelism() < 1 || maxParallelism() > 32768) {
      throw new IllegalArgumentException(max + " must be in 1..32768 (Flink's limit), got "
          + maxParallelism());
    }
    if (modelDirectoryRescan().isNegative()) {
      throw new IllegalArgumentException(JobOptions.MODEL_DIRECTORY_RESCAN.key()
          + " must not be negative");
    }
    if (eventsTopics().isEmpty()) {
      throw new IllegalArgumentException(JobOptions.EVENTS_TOPIC.key() + " names no topic");
    }
    validateRetraining();
    if (deadLettersMaxOriginalBytes() < 0) {
      throw new IllegalArgumentException(JobOptions.DEAD_LETTERS_MAX_ORIGINAL_BYTES.key()
          + " must be >= 0");
    }
    recordSizeLimit();
    if (retrainEnabled() && !modelVerificationKeys().isEmpty() && retrainSigningKey().isEmpty()) {
      throw new IllegalArgumentException(JobOptions.RETRAIN_ENABLED.key() + "=true with "
          + FlowguardOptions.MODEL_VERIFICATION_KEYS.key() + " needs "
          + JobOptions.RETRAIN_SIGNING_KEY.key() + ": the job would refuse its own unsigned"
          + " promotions");
    }
    // Reads every remaining option once, so that a badly typed value fails here, not on a cluster.
    for (ConfigOption<?> o : JobOptions.all()) {
      get(o);
    }
    sinkOptions("check");
  }

  private void validateRetraining() {
    if (modelHistoryVersions() < 1) {
      throw new IllegalArgumentException(JobOptions.MODEL_HISTORY_VERSIONS.key()
          + " must be at least 1");
    }
    if (retrainInterval().toMillis() < 1) {
      throw new IllegalArgumentException(JobOptions.RETRAIN_INTERVAL.key() + " must be at least 1 ms");
    }
    requireIn(JobOptions.RETRAIN_SAMPLE_RATE, retrainSampleRate(), false, true, "(0, 1]");
    if (retrainReservoirSize() < 1) {
      throw new IllegalArgumentException(JobOptions.RETRAIN_RESERVOIR_SIZE.key()
          + " must be at least 1");
    }
    requireIn(JobOptions.RETRAIN_MAX_KEY_SHARE, retrainMaxKeyShare(), false, true, "(0, 1]");
    if (retrainMinRows() < 100 || retrainMinRows() > retrainReservoirSize()) {
      throw new IllegalArgumentException(JobOptions.RETRAIN_MIN_ROWS.key() + " must be between 100"
          + " and " + JobOptions.RETRAIN_RESERVOIR_SIZE.key() + " (" + retrainReservoirSize() + ")");
    }
    double holdout = retrainHoldoutFraction();
    if (!(holdout > 0 && holdout < 0.9)) {
      throw new IllegalArgumentException(JobOptions.RETRAIN_HOLD_OUT.key() + " must be in (0, 0.9)");
    }
    requireIn(JobOptions.RETRAIN_CPU_SHARE, retrainCpuShare(), false, true, "(0, 1]");
    if (!(retrainTolerance() >= 0) || Double.isInfinite(retrainTolerance())) {
      throw new IllegalArgumentException(JobOptions.RETRAIN_TOLERANCE.key()
          + " must be a number >= 0");
    }
    if (retrainDriftBlock() < 1 || retrainDriftBlocks() < 1) {
      throw new IllegalArgumentException(JobOptions.RETRAIN_DRIFT_BLOCK.key() + " and "
          + JobOptions.RETRAIN_DRIFT_BLOCKS.key() + " must be at least 1");
    }
    requireIn(JobOptions.RETRAIN_DRIFT_ALERT_FRACTION, retrainDriftAlertFraction(), false, true,
        "(0, 1]");
    requireIn(JobOptions.RETRAIN_DRIFT_MIN_TAIL_PROBABILITY, retrainDriftMinTailProbability(), true,
        false, "[0, 1)");
    if (retrainEnabled() && modelDirectory().isPresent()) {
      throw new IllegalArgumentException(JobOptions.RETRAIN_ENABLED.key() + "=true publishes"
          + " retrained models to the model topic, but " + JobOptions.MODEL_DIRECTORY.key()
          + " is set, so the job would never read them back; use the model topic, or disable"
          + " retraining");
    }
  }

  private static void requireIn(ConfigOption<Double> o, double v, boolean zeroIn, boolean oneIn,
      String range) {
    boolean ok = (zeroIn ? v >= 0 : v > 0) && (oneIn ? v <= 1 : v < 1);
    if (!ok) {
      throw new IllegalArgumentException(o.key() + " must be in " + range + ", got " + v);
    }
  }

  public String bootstrapServers() {
    return get(JobOptions.BOOTSTRAP_SERVERS);
  }

  public List<String> eventsTopics() {
    return get(JobOptions.EVENTS_TOPIC).stream().map(String::trim).filter(s -> !s.isEmpty())
        .toList();
  }

  public String scoresTopic() {
    return get(JobOptions.SCORES_TOPIC);
  }

  public String alertsTopic() {
    return get(JobOptions.ALERTS_TOPIC);
  }

  public String deadLettersTopic() {
    return get(JobOptions.DEAD_LETTERS_TOPIC);
  }

  public String groupId() {
    return get(JobOptions.GROUP_ID);
  }

  public String modelTopic() {
    return get(JobOptions.MODEL_TOPIC);
  }

  /** The model directory, if models come from files rather than the model topic. */
  public Optional<String> modelDirectory() {
    return options.getOptional(JobOptions.MODEL_DIRECTORY);
  }

  /** Zero: list the directory once. */
  public Duration modelDirectoryRescan() {
    return get(JobOptions.MODEL_DIRECTORY_RESCAN);
  }

  public double falseAlarmRate() {
    return get(FlowguardOptions.FALSE_ALARM_RATE);
  }

  public int[] typicalityWindows() {
    return get(FlowguardOptions.TYPICALITY_WINDOWS).stream().mapToInt(Integer::intValue).toArray();
  }

  public double typicalityAlpha() {
    return get(FlowguardOptions.TYPICALITY_ALPHA);
  }

  public Optional<Integer> parallelism() {
    return options.getOptional(JobOptions.PARALLELISM);
  }

  public int maxParallelism() {
    return get(JobOptions.MAX_PARALLELISM);
  }

  public Duration checkpointInterval() {
    return get(JobOptions.CHECKPOINT_INTERVAL);
  }

  public DeliveryGuarantee deliveryGuarantee() {
    DeliveryGuarantee g = get(JobOptions.DELIVERY_GUARANTEE);
    if (g == DeliveryGuarantee.NONE) {
      throw new IllegalArgumentException(JobOptions.DELIVERY_GUARANTEE.key()
          + " must be exactly-once or at-least-once, got 'none'");
    }
    return g;
  }

  public String transactionalIdPrefix() {
    return get(JobOptions.TRANSACTIONAL_ID_PREFIX);
  }

  public Duration transactionTimeout() {
    return get(JobOptions.TRANSACTION_TIMEOUT);
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
    return get(FlowguardOptions.PENDING_MAX_EVENTS);
  }

  public Duration pendingTimeout() {
    return get(FlowguardOptions.PENDING_TIMEOUT);
  }

  public String jobName() {
    return get(JobOptions.JOB_NAME);
  }

  public String modelEventsTopic() {
    return get(JobOptions.MODEL_EVENTS_TOPIC);
  }

  public int modelHistoryVersions() {
    return get(JobOptions.MODEL_HISTORY_VERSIONS);
  }

  public boolean retrainEnabled() {
    return get(JobOptions.RETRAIN_ENABLED);
  }

  /** Events between UPDATE records of an open typicality episode (0: none). */
  public int typicalityEpisodeUpdateEvery() {
    return get(FlowguardOptions.EPISODE_UPDATE_EVENTS);
  }

  /** The public keys model records must be signed with; empty: no verification. */
  public List<java.security.PublicKey> modelVerificationKeys() {
    return FlowguardOptions.verificationKeys(options);
  }

  /** The file of the key in-job retraining signs promotions with, if set. */
  public Optional<String> retrainSigningKey() {
    return getOptional(JobOptions.RETRAIN_SIGNING_KEY).map(String::trim).filter(f -> !f.isEmpty());
  }

  /** Most bytes of a rejected record that a dead letter keeps. */
  public int deadLettersMaxOriginalBytes() {
    return get(JobOptions.DEAD_LETTERS_MAX_ORIGINAL_BYTES);
  }

  /**
   * The record size limit of the job's sinks: the producers' max.request.size (a Kafka property or
   * Kafka's default 1 MiB) and each topic's max.message.bytes, read when a sink opens.
   */
  public io.flowguard.connectors.kafka.RecordSizeLimit recordSizeLimit() {
    return io.flowguard.connectors.kafka.RecordSizeLimit.of(bootstrapServers(), kafkaProperties());
  }

  public Duration retrainInterval() {
    return get(JobOptions.RETRAIN_INTERVAL);
  }

  public double retrainSampleRate() {
    return get(JobOptions.RETRAIN_SAMPLE_RATE);
  }

  public int retrainReservoirSize() {
    return get(JobOptions.RETRAIN_RESERVOIR_SIZE);
  }

  public Reservoir.Algorithm retrainReservoirAlgorithm() {
    return get(JobOptions.RETRAIN_RESERVOIR_ALGORITHM);
  }

  public double retrainMaxKeyShare() {
    return get(JobOptions.RETRAIN_MAX_KEY_SHARE);
  }

  public int retrainMinRows() {
    return get(JobOptions.RETRAIN_MIN_ROWS);
  }

  public double retrainHoldoutFraction() {
    return get(JobOptions.RETRAIN_HOLD_OUT);
  }

  public double retrainTolerance() {
    return get(JobOptions.RETRAIN_TOLERANCE);
  }

  public double retrainCpuShare() {
    return get(JobOptions.RETRAIN_CPU_SHARE);
  }

  public boolean retrainDriftTrigger() {
    return get(JobOptions.RETRAIN_DRIFT_TRIGGER);
  }

  public int retrainDriftBlock() {
    return get(JobOptions.RETRAIN_DRIFT_BLOCK);
  }

  public double retrainDriftAlertFraction() {
    return get(JobOptions.RETRAIN_DRIFT_ALERT_FRACTION);
  }

  public int retrainDriftBlocks() {
    return get(JobOptions.RETRAIN_DRIFT_BLOCKS);
  }

  public double retrainDriftMinTailProbability() {
    return get(JobOptions.RETRAIN_DRIFT_MIN_TAIL_PROBABILITY);
  }

  public JobOptions.StartingOffsets startingOffsets() {
    return get(JobOptions.STARTING_OFFSETS);
  }

  /** Extra Kafka client properties (a copy), without their prefix. */
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

  /**
   * The configuration the job hands to Flink: Flink's own options the user gave (checkpoint
   * storage, state backend, restore path, restart strategy, ...) and the job's options that are
   * Flink keys, with the job's defaults.
   */
  public Configuration flinkConfiguration() {
    Configuration c = Configuration.fromMap(flink);
    parallelism().ifPresent(p -> c.set(JobOptions.PARALLELISM, p));
    c.set(JobOptions.MAX_PARALLELISM, maxParallelism());
    c.set(JobOptions.CHECKPOINT_INTERVAL, checkpointInterval());
    c.set(JobOptions.JOB_NAME, jobName());
    return c;
  }

  /** Flink's own options the user gave (a copy), as given. */
  public Map<String, String> flinkOptions() {
    return new TreeMap<>(flink);
  }

  /** The scoring operator's settings of this configuration, scoring with the flow. */
  public ScoringSettings scoringSettings() {
    return FlowguardOptions.scoringSettings(options);
  }

  /** The event decoder configured by {@link FlowguardOptions#EVENTS_FORMAT} and its options. */
  public EventDecoder decoder() {
    return FlowguardOptions.decoder(options);
  }

  /** Every option with its effective value, Flink's options, and the Kafka properties (secrets masked). */
  public String describe() {
    StringBuilder s = new StringBuilder();
    for (ConfigOption<?> o : JobOptions.all()) {
      s.append("  ").append(o.key()).append(" = ")
          .append(getOptional(o).map(OptionDocs::display).orElse("")).append('\n');
    }
    flink.forEach((k, v) -> s.append("  ").append(k).append(" = ").append(v).append(" (Flink)\n"));
    Properties masked = KafkaIo.redacted(kafka);
    for (String k : new TreeMap<>(toMap(masked)).keySet()) {
      s.append("  ").append(JobOptions.KAFKA_PROPERTY_PREFIX).append(k).append(" = ")
          .append(masked.getProperty(k)).append('\n');
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
    return o instanceof JobConfig c && values.equals(c.values) && flink.equals(c.flink)
        && kafka.equals(c.kafka);
  }

  @Override
  public int hashCode() {
    return Objects.hash(values, flink, kafka);
  }

  @Override
  public String toString() {
    return "JobConfig{\n" + describe() + "}";
  }
}
