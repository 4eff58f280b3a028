package io.flowguard.flink;

import io.flowguard.connectors.event.CsvEventCodec;
import io.flowguard.connectors.event.EventCodec;
import io.flowguard.connectors.event.EventDecoder;
import io.flowguard.flink.scoring.ScoringKernel;
import io.flowguard.flink.scoring.ScoringSettings;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;

/**
 * The scoring settings every user of Flowguard shares (the job, the DataStream API, the SQL model
 * provider), as Flink {@link ConfigOption}s: typed, with a default and a description each.
 *
 * <p>Keys are {@code flowguard.<area>.<name>}, lower case, words joined by {@code -}; a command of the
 * {@code flowguard} CLI spells the same setting {@code --<name>} (the key's last segment):
 * {@code --false-alarm-rate} is {@link #FALSE_ALARM_RATE}. The keys of earlier releases are declared
 * as deprecated keys of their option ({@link ConfigOption#withDeprecatedKeys}), so old configuration
 * files keep working.
 *
 * <pre>{@code
 * Configuration conf = new Configuration();
 * conf.set(FlowguardOptions.FALSE_ALARM_RATE, 1e-4);
 * ScoringSettings settings = FlowguardOptions.scoringSettings(conf);
 * }</pre>
 *
 * Adding an option: declare a {@code public static final ConfigOption} here (it is found by {@link
 * #options()}, so the job accepts it, lists it in {@code --help} and the documentation test asks for it
 * in docs/configuration.md), and read it where it is used.
 */
public final class FlowguardOptions {

  private FlowguardOptions() {}

  /** How event records are encoded ({@link #EVENTS_FORMAT}). */
  public enum EventFormat {
    /** JSON objects, see {@link EventCodec}. */
    JSON,
    /** Delimited lines with the columns of {@link #EVENTS_CSV_COLUMNS}, see {@link CsvEventCodec}. */
    CSV
  }

  // ---- scoring -------------------------------------------------------------------------------

  public static final ConfigOption<Double> FALSE_ALARM_RATE =
      ConfigOptions.key("flowguard.scoring.false-alarm-rate")
          .doubleType()
          .defaultValue(0.001)
          .withDeprecatedKeys("false.alarm.rate")
          .withDescription("An event is an anomaly when its tail probability is below this rate, in"
              + " (0, 1): about this fraction of normal events raise an alert.");

  public static final ConfigOption<List<Integer>> TYPICALITY_WINDOWS =
      ConfigOptions.key("flowguard.scoring.typicality.windows")
          .intType()
          .asList()
          .defaultValues(32, 128)
          .withDeprecatedKeys("typicality.windows")
          .withDescription("Window sizes M (events per key) of the typicality test, separated by ';'"
              + " or ','; each must be calibrated in the model (flowguard train calibrates 1, 8, 32,"
              + " 128). Empty disables the test.");

  public static final ConfigOption<Double> TYPICALITY_ALPHA =
      ConfigOptions.key("flowguard.scoring.typicality.alpha")
          .doubleType()
          .defaultValue(0.999)
          .withDeprecatedKeys("typicality.alpha")
          .withDescription("Level of the typicality test: a full normal window alarms with"
              + " probability about 1 - alpha. Must be calibrated in the model (0.99 and 0.999 by"
              + " default).");

  public static final ConfigOption<Integer> PENDING_MAX_EVENTS =
      ConfigOptions.key("flowguard.scoring.pending.max-events")
          .intType()
          .defaultValue(1000)
          .withDeprecatedKeys("pending.max-events")
          .withDescription("Events per key held while their model has not arrived; more are"
              + " dead-lettered (NO_MODEL).");

  public static final ConfigOption<Duration> PENDING_TIMEOUT =
      ConfigOptions.key("flowguard.scoring.pending.timeout")
          .durationType()
          .defaultValue(Duration.ofSeconds(60))
          .withDeprecatedKeys("pending.timeout")
          .withDescription("How long a key's held events wait for their model (from the oldest"
              + " one's arrival) before they are dead-lettered (NO_MODEL).");

  public static final ConfigOption<Integer> EXPLAIN_TOP =
      ConfigOptions.key("flowguard.scoring.explain.top")
          .intType()
          .defaultValue(3)
          .withDescription("Features in each anomaly's explanation (which features, the value that"
              + " would have been typical, how much of the surprise each accounts for;"
              + " docs/explanations.md); 0 turns explanations off.");

  public static final ConfigOption<Boolean> EXPLAIN_ALL =
      ConfigOptions.key("flowguard.scoring.explain.all")
          .booleanType()
          .defaultValue(false)
          .withDescription("Explain every event, not only anomalies (about 0.7 ms per event at 10"
              + " features, 4 ms at 50).");

  public static final ConfigOption<Double> EXPLAIN_MAX_PER_SECOND =
      ConfigOptions.key("flowguard.scoring.explain.max-per-second")
          .doubleType()
          .defaultValue(ScoringSettings.DEFAULT_EXPLAIN_PER_SECOND)
          .withDescription("Explanations per second per scoring subtask at most; anomalies over the"
              + " cap say so in their explanation note and count in the explanationsSkipped metric.");

  public static final ConfigOption<Boolean> RECOMMENDED_RATES =
      ConfigOptions.key("flowguard.scoring.use-recommended-rates")
          .booleanType()
          .defaultValue(false)
          .withDescription("Score each model at the false-alarm rate its file recommends (flowguard train"
              + " --recommend-rate), where the model has one; others use the false-alarm rate.");

  public static final ConfigOption<Map<String, String>> MODEL_RATES =
      ConfigOptions.key("flowguard.scoring.model-false-alarm-rates")
          .mapType()
          .noDefaultValue()
          .withDescription("False-alarm rates per model name, e.g. 'pump:1e-4,fan:0.01'; these models"
              + " ignore the false-alarm rate and any recommended rate.");

  public static final ConfigOption<List<String>> MODEL_VERIFICATION_KEYS =
      ConfigOptions.key("flowguard.scoring.model-verification-keys")
          .stringType()
          .asList()
          .noDefaultValue()
          .withDescription("Public key files (PEM, from flowguard keygen): when set, only model records"
              + " signed by one of their private keys are accepted (docs/deployment.md, Signed models);"
              + " read where the job is built. Unset: no verification.");

  public static final ConfigOption<Integer> EPISODE_UPDATE_EVENTS =
      ConfigOptions.key("flowguard.scoring.typicality.episode-update-events")
          .intType()
          .defaultValue(ScoringSettings.DEFAULT_EPISODE_UPDATE_EVERY)
          .withDescription("While a key's window stays in the alarm state, an UPDATE record of its"
              + " episode is written at most every this many events (0: none; OPENED and CLEARED are"
              + " always written).");

  // ---- event decoding ------------------------------------------------------------------------

  public static final ConfigOption<Integer> EVENTS_MAX_KEY_BYTES =
      ConfigOptions.key("flowguard.events.max-key-bytes")
          .intType()
          .defaultValue(EventDecoder.DEFAULT_MAX_KEY_BYTES)
          .withDescription("Events whose key has more UTF-8 bytes are dead-lettered as KEY_TOO_LONG"
              + " (1..16384): every score and alert record carries the key.");

  public static final ConfigOption<Boolean> EVENTS_IGNORE_UNKNOWN_FEATURES =
      ConfigOptions.key("flowguard.events.ignore-unknown-features")
          .booleanType()
          .defaultValue(false)
          .withDescription("Drop features the model does not know instead of dead-lettering the event"
              + " as EXTRA_FEATURE (lets producers add fields before the model knows them).");

  public static final ConfigOption<EventFormat> EVENTS_FORMAT =
      ConfigOptions.key("flowguard.events.format")
          .enumType(EventFormat.class)
          .defaultValue(EventFormat.JSON)
          .withDeprecatedKeys("events.format")
          .withDescription("Encoding of event records: json (see EventCodec) or csv (needs"
              + " flowguard.events.csv.columns).");

  public static final ConfigOption<Integer> EVENTS_MAX_RECORD_BYTES =
      ConfigOptions.key("flowguard.events.max-record-bytes")
          .intType()
          .defaultValue(EventDecoder.DEFAULT_MAX_RECORD_BYTES)
          .withDeprecatedKeys("events.max-record-bytes")
          .withDescription("Larger records are dead-lettered as OVERSIZED without being parsed.");

  public static final ConfigOption<List<String>> EVENTS_CSV_COLUMNS =
      ConfigOptions.key("flowguard.events.csv.columns")
          .stringType()
          .asList()
          .noDefaultValue()
          .withDeprecatedKeys("events.csv.columns")
          .withDescription("csv only: every column of a line, in order, separated by ';' or ','.");

  public static final ConfigOption<String> EVENTS_CSV_KEY =
      ConfigOptions.key("flowguard.events.csv.key")
          .stringType()
          .defaultValue("key")
          .withDeprecatedKeys("events.csv.key")
          .withDescription("csv only: the key column.");

  public static final ConfigOption<String> EVENTS_CSV_TIMESTAMP =
      ConfigOptions.key("flowguard.events.csv.timestamp")
          .stringType()
          .noDefaultValue()
          .withDeprecatedKeys("events.csv.timestamp")
          .withDescription("csv only: the event-time column (epoch ms); unset: the record's"
              + " timestamp.");

  public static final ConfigOption<String> EVENTS_CSV_MODEL =
      ConfigOptions.key("flowguard.events.csv.model")
          .stringType()
          .noDefaultValue()
          .withDeprecatedKeys("events.csv.model")
          .withDescription("csv only: a column naming each line's model; unset: every line uses the"
              + " model 'default'. Feature columns are all the others.");

  /**
   * Every option of this class, sorted by key: the declarations above are the only list, so that a
   * new option cannot be forgotten in the job's key check, its {@code --help} or its documentation.
   */
  public static List<ConfigOption<?>> options() {
    return declaredOptions(FlowguardOptions.class);
  }

  /**
   * The public static {@link ConfigOption} fields of a class, sorted by key (for option holders
   * such as this one and the job's).
   */
  public static List<ConfigOption<?>> declaredOptions(Class<?> holder) {
    List<ConfigOption<?>> out = new ArrayList<>();
    for (Field f : holder.getDeclaredFields()) {
      int m = f.getModifiers();
      if (Modifier.isPublic(m) && Modifier.isStatic(m) && ConfigOption.class.isAssignableFrom(f.getType())) {
        try {
          out.add((ConfigOption<?>) f.get(null));
        } catch (IllegalAccessException e) {
          throw new IllegalStateException("cannot read " + f, e);
        }
      }
    }
    out.sort(Comparator.comparing(ConfigOption::key));
    HashSet<String> keys = new HashSet<>();
    for (ConfigOption<?> o : out) {
      if (!keys.add(o.key())) {
        throw new IllegalStateException(holder.getName() + " declares " + o.key() + " twice");
      }
    }
    return List.copyOf(out);
  }

  /**
   * The event decoder of a configuration ({@link #EVENTS_FORMAT} and the options it names).
   *
   * @throws IllegalArgumentException naming the key of a missing or bad value
   */
  public static EventDecoder decoder(ReadableConfig conf) {
    int maxBytes = conf.get(EVENTS_MAX_RECORD_BYTES);
    if (maxBytes < 1) {
      throw new IllegalArgumentException(EVENTS_MAX_RECORD_BYTES.key() + " must be at least 1, got "
          + maxBytes);
    }
    int maxKeyBytes = conf.get(EVENTS_MAX_KEY_BYTES);
    if (maxKeyBytes < 1 || maxKeyBytes > 16384) {
      throw new IllegalArgumentException(EVENTS_MAX_KEY_BYTES.key() + " must be in 1..16384, got "
          + maxKeyBytes);
    }
    boolean ignoreUnknown = conf.get(EVENTS_IGNORE_UNKNOWN_FEATURES);
    switch (conf.get(EVENTS_FORMAT)) {
      case JSON:
        return new EventCodec(maxBytes, maxKeyBytes, ignoreUnknown, Clock.systemUTC());
      case CSV:
        List<String> columns = conf.getOptional(EVENTS_CSV_COLUMNS).orElse(List.of()).stream()
            .map(String::trim).filter(s -> !s.isEmpty()).toList();
        if (columns.isEmpty()) {
          throw new IllegalArgumentException(EVENTS_FORMAT.key() + "=csv needs "
              + EVENTS_CSV_COLUMNS.key());
        }
        CsvEventCodec.Builder b = CsvEventCodec.builder(columns)
            .key(conf.get(EVENTS_CSV_KEY))
            .maxRecordBytes(maxBytes)
            .maxKeyBytes(maxKeyBytes)
            .ignoreUnknownFeatures(ignoreUnknown);
        nonBlank(conf, EVENTS_CSV_TIMESTAMP).ifPresent(b::timestamp);
        nonBlank(conf, EVENTS_CSV_MODEL).ifPresent(b::model);
        try {
          return b.build();
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(EVENTS_CSV_COLUMNS.key() + ": " + e.getMessage(), e);
        }
      default:
        throw new AssertionError(conf.get(EVENTS_FORMAT));
    }
  }

  /**
   * The scoring operator's settings of a configuration, decoding events with {@link
   * #decoder(ReadableConfig)} and scoring with the flow.
   *
   * @throws IllegalArgumentException naming the key of a bad value
   */
  public static ScoringSettings scoringSettings(ReadableConfig conf) {
    return scoringSettings(conf, decoder(conf));
  }

  /**
   * The scoring operator's settings of a configuration with a decoder of the caller's (which
   * resolves features against a model's schema and stamps dead letters), scoring with the flow.
   *
   * @throws IllegalArgumentException naming the key of a bad value
   */
  public static ScoringSettings scoringSettings(ReadableConfig conf, EventDecoder decoder) {
    double rate = conf.get(FALSE_ALARM_RATE);
    if (!(rate > 0 && rate < 1)) {
      throw new IllegalArgumentException(FALSE_ALARM_RATE.key() + " must be in (0, 1), got " + rate);
    }
    double alpha = conf.get(TYPICALITY_ALPHA);
    if (!(alpha > 0 && alpha < 1)) {
      throw new IllegalArgumentException(TYPICALITY_ALPHA.key() + " must be in (0, 1), got " + alpha);
    }
    List<Integer> windows = conf.get(TYPICALITY_WINDOWS);
    if (windows.stream().anyMatch(m -> m < 1)) {
      throw new IllegalArgumentException(TYPICALITY_WINDOWS.key() + " must be positive sizes, got "
          + windows);
    }
    if (windows.stream().distinct().count() != windows.size()) {
      throw new IllegalArgumentException(TYPICALITY_WINDOWS.key() + " has a duplicate size: "
          + windows);
    }
    int pendingMax = conf.get(PENDING_MAX_EVENTS);
    if (pendingMax < 0) {
      throw new IllegalArgumentException(PENDING_MAX_EVENTS.key() + " must not be negative, got "
          + pendingMax);
    }
    Duration pendingTimeout = conf.get(PENDING_TIMEOUT);
    if (pendingTimeout.toMillis() < 1) {
      throw new IllegalArgumentException(PENDING_TIMEOUT.key() + " must be at least 1 ms, got "
          + pendingTimeout);
    }
    int episodes = conf.get(EPISODE_UPDATE_EVENTS);
    if (episodes < 0) {
      throw new IllegalArgumentException(EPISODE_UPDATE_EVENTS.key() + " must be >= 0, got "
          + episodes);
    }
    int top = conf.get(EXPLAIN_TOP);
    if (top < 0) {
      throw new IllegalArgumentException(EXPLAIN_TOP.key() + " must not be negative, got " + top);
    }
    double perSecond = conf.get(EXPLAIN_MAX_PER_SECOND);
    if (!(perSecond > 0)) {
      throw new IllegalArgumentException(EXPLAIN_MAX_PER_SECOND.key() + " must be positive, got "
          + perSecond);
    }
    Map<String, Double> modelRates = new java.util.LinkedHashMap<>();
    for (Map.Entry<String, String> e : conf.getOptional(MODEL_RATES).orElse(Map.of()).entrySet()) {
      double r;
      try {
        r = Double.parseDouble(e.getValue().trim());
      } catch (NumberFormatException ex) {
        throw new IllegalArgumentException(MODEL_RATES.key() + ": the rate of model '" + e.getKey()
            + "' is not a number: '" + e.getValue() + "'");
      }
      if (!(r > 0 && r < 1)) {
        throw new IllegalArgumentException(MODEL_RATES.key() + ": the rate of model '" + e.getKey()
            + "' must be in (0, 1), got " + r);
      }
      modelRates.put(e.getKey().trim(), r);
    }
    return new ScoringSettings(rate, windows.stream().mapToInt(Integer::intValue).toArray(), alpha,
        pendingMax, pendingTimeout, decoder, ScoringKernel.FLOW)
        .withExplanations(top, conf.get(EXPLAIN_ALL), perSecond)
        .withModelRates(modelRates, conf.get(RECOMMENDED_RATES))
        .withVerificationKeys(verificationKeys(conf))
        .withEpisodeUpdateEvery(episodes);
  }

  /** The public keys of {@link #MODEL_VERIFICATION_KEYS}, read from their files; empty: none. */
  public static List<java.security.PublicKey> verificationKeys(ReadableConfig conf) {
    List<java.security.PublicKey> keys = new java.util.ArrayList<>();
    for (String file : conf.getOptional(MODEL_VERIFICATION_KEYS).orElse(List.of())) {
      if (file.isBlank()) {
        continue;
      }
      try {
        keys.add(io.flowguard.core.model.ModelSignature.readPublicKey(
            java.nio.file.Path.of(file.trim())));
      } catch (java.io.IOException e) {
        throw new IllegalArgumentException(MODEL_VERIFICATION_KEYS.key() + ": cannot read " + file
            + ": " + e, e);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(MODEL_VERIFICATION_KEYS.key() + ": " + e.getMessage(), e);
      }
    }
    return keys;
  }

  private static Optional<String> nonBlank(ReadableConfig conf, ConfigOption<String> option) {
    return conf.getOptional(option).map(String::trim).filter(s -> !s.isEmpty());
  }
}
