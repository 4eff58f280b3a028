package io.flowguard.job;

import io.flowguard.connectors.model.ModelHistory;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.flink.FlowguardOptions;
import io.flowguard.job.retrain.Reservoir;
import java.time.Duration;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;

/**
 * The Kafka job's own options (its topics, Kafka delivery, the model source, in-job retraining) as
 * Flink {@link ConfigOption}s; the scoring options it shares with the DataStream API and the SQL
 * provider are in {@link FlowguardOptions}. Keys follow the same style: {@code flowguard.<area>.<name>},
 * and the {@code flowguard} CLI spells a shared setting {@code --<name>} ({@code --bootstrap-servers},
 * {@code --model-topic}, {@code --min-rows}, ...).
 *
 * <p>Four options are Flink's own keys with the job's default ({@link #PARALLELISM}, {@link
 * #MAX_PARALLELISM}, {@link #CHECKPOINT_INTERVAL}, {@link #JOB_NAME}): the job reads them like any
 * other option and hands them to Flink, so there is one key per setting.
 *
 * <p>Adding an option is one declaration here (or in {@link FlowguardOptions}): {@link JobConfig}
 * finds every {@code public static final ConfigOption} of both classes, accepts its key and deprecated
 * keys, lists it in {@code --help} and checks that docs/configuration.md has its row
 * ({@code ConfigurationDocTest} regenerates the table). Read it with {@link JobConfig#get}; a range
 * rule goes in {@code JobConfig#validate}.
 */
public final class JobOptions {

  private JobOptions() {}

  /** Kafka client properties: {@code flowguard.kafka.property.sasl.mechanism=PLAIN}. */
  public static final String KAFKA_PROPERTY_PREFIX = "flowguard.kafka.property.";

  /** The prefix of Kafka client properties in earlier releases ({@code kafka.sasl.mechanism}). */
  public static final String DEPRECATED_KAFKA_PREFIX = "kafka.";

  /** Where the job starts reading events when it has no state. */
  public enum StartingOffsets {
    /** The group's committed offsets; earliest for a new group. */
    COMMITTED,
    EARLIEST,
    LATEST
  }

  // ---- Kafka ---------------------------------------------------------------------------------

  public static final ConfigOption<String> BOOTSTRAP_SERVERS =
      ConfigOptions.key("flowguard.kafka.bootstrap-servers")
          .stringType()
          .noDefaultValue()
          .withDeprecatedKeys("bootstrap.servers")
          .withDescription("Kafka bootstrap servers (host:port,...). Required.");

  public static final ConfigOption<String> GROUP_ID =
      ConfigOptions.key("flowguard.kafka.group-id")
          .stringType()
          .defaultValue("flowguard")
          .withDeprecatedKeys("group.id")
          .withDescription("Kafka consumer group of the event source (the model source uses"
              + " <group-id>-models).");

  public static final ConfigOption<List<String>> EVENTS_TOPIC =
      ConfigOptions.key("flowguard.kafka.events-topic")
          .stringType()
          .asList()
          .defaultValues("events")
          .withDeprecatedKeys("events.topic")
          .withDescription("Topic of input events (several separated by ';' or ',').");

  public static final ConfigOption<StartingOffsets> STARTING_OFFSETS =
      ConfigOptions.key("flowguard.kafka.starting-offsets")
          .enumType(StartingOffsets.class)
          .defaultValue(StartingOffsets.COMMITTED)
          .withDeprecatedKeys("events.starting-offsets")
          .withDescription("Where a job without state starts reading events: committed (the"
              + " group's committed offsets, earliest for a new group), earliest or latest. A"
              + " restored job always resumes from its checkpoint.");

  public static final ConfigOption<String> SCORES_TOPIC =
      ConfigOptions.key("flowguard.kafka.scores-topic")
          .stringType()
          .defaultValue("scores")
          .withDeprecatedKeys("scores.topic")
          .withDescription("Topic of every scored event (JSON, keyed by the event key).");

  public static final ConfigOption<String> ALERTS_TOPIC =
      ConfigOptions.key("flowguard.kafka.alerts-topic")
          .stringType()
          .defaultValue("alerts")
          .withDeprecatedKeys("alerts.topic")
          .withDescription("Topic of alerts: scored events that are anomalies or raise a"
              + " typicality alarm.");

  public static final ConfigOption<String> DEAD_LETTERS_TOPIC =
      ConfigOptions.key("flowguard.kafka.dead-letters-topic")
          .stringType()
          .defaultValue("dead-letters")
          .withDeprecatedKeys("dead-letters.topic")
          .withDescription("Topic of rejected records (reason, message, original bytes, source"
              + " coordinates).");

  public static final ConfigOption<String> MODEL_TOPIC =
      ConfigOptions.key("flowguard.kafka.model-topic")
          .stringType()
          .defaultValue(ModelTopic.DEFAULT_TOPIC)
          .withDeprecatedKeys("model.topic")
          .withDescription("Compacted model topic (key = model name, value = model file); used"
              + " unless flowguard.model.directory is set.");

  public static final ConfigOption<String> MODEL_EVENTS_TOPIC =
      ConfigOptions.key("flowguard.kafka.model-events-topic")
          .stringType()
          .defaultValue(ModelHistory.DEFAULT_EVENTS_TOPIC)
          .withDeprecatedKeys("model-events.topic")
          .withDescription("Topic of model lifecycle events (JSON, key = model name): versions the"
              + " scoring operator refused as undeclared schema changes, and with"
              + " flowguard.retrain.enabled the promoted, rejected and failed retrainings. Created"
              + " at start-up if missing.");

  public static final ConfigOption<DeliveryGuarantee> DELIVERY_GUARANTEE =
      ConfigOptions.key("flowguard.kafka.delivery-guarantee")
          .enumType(DeliveryGuarantee.class)
          .defaultValue(DeliveryGuarantee.EXACTLY_ONCE)
          .withDeprecatedKeys("delivery.guarantee")
          .withDescription("exactly-once (Kafka transactions committed on checkpoints) or"
              + " at-least-once (no checkpoint latency; duplicates possible after a failure).");

  public static final ConfigOption<String> TRANSACTIONAL_ID_PREFIX =
      ConfigOptions.key("flowguard.kafka.transactional-id-prefix")
          .stringType()
          .defaultValue("flowguard")
          .withDeprecatedKeys("transactional-id.prefix")
          .withDescription("Prefix of the sinks' transactional ids (each sink appends -scores,"
              + " -alerts, -episodes, -dead-letters and -model-events; with retraining also -model)."
              + " Must be unique per job on a Kafka cluster.");

  public static final ConfigOption<Integer> DEAD_LETTERS_MAX_ORIGINAL_BYTES =
      ConfigOptions.key("flowguard.kafka.dead-letters-max-original-bytes")
          .intType()
          .defaultValue(io.flowguard.connectors.event.DeadLetterJson.DEFAULT_MAX_ORIGINAL_BYTES)
          .withDescription("Most bytes of a rejected record a dead letter keeps (a prefix; the record's"
              + " length and SHA-256 are always given), so that no dead letter exceeds the sink's"
              + " record size limit.");

  public static final ConfigOption<Duration> TRANSACTION_TIMEOUT =
      ConfigOptions.key("flowguard.kafka.transaction-timeout")
          .durationType()
          .defaultValue(Duration.ofMinutes(15))
          .withDeprecatedKeys("transaction.timeout")
          .withDescription("Kafka transaction timeout of exactly-once sinks; must exceed the"
              + " checkpoint interval plus a restart (a lost TaskManager: 50 s heartbeat timeout, the"
              + " restart, a checkpoint), and not exceed the broker's transaction.max.timeout.ms"
              + " (15 min by default).");

  // ---- models --------------------------------------------------------------------------------

  public static final ConfigOption<String> MODEL_DIRECTORY =
      ConfigOptions.key("flowguard.model.directory")
          .stringType()
          .noDefaultValue()
          .withDeprecatedKeys("model.directory")
          .withDescription("A directory of *.fgm model files (any Flink file system: file://,"
              + " s3://, ...) instead of the model topic.");

  public static final ConfigOption<Duration> MODEL_DIRECTORY_RESCAN =
      ConfigOptions.key("flowguard.model.directory-rescan")
          .durationType()
          .defaultValue(Duration.ofSeconds(30))
          .withDeprecatedKeys("model.directory.rescan")
          .withDescription("How often flowguard.model.directory is listed for new or rewritten"
              + " files; 0 lists it once.");

  public static final ConfigOption<Integer> MODEL_HISTORY_VERSIONS =
      ConfigOptions.key("flowguard.model.history-versions")
          .intType()
          .defaultValue(10)
          .withDeprecatedKeys("model.history.versions")
          .withDescription("Versions per model kept in the model history topic"
              + " (<model-topic>-history) when the job promotes a retrained model; older ones are"
              + " tombstoned.");

  // ---- Flink's own keys, with the job's defaults ---------------------------------------------

  public static final ConfigOption<Integer> PARALLELISM =
      ConfigOptions.key("parallelism.default")
          .intType()
          .noDefaultValue()
          .withDeprecatedKeys("parallelism")
          .withDescription("Flink's option: parallelism of the job; unset: the cluster's default"
              + " (locally: the number of cores).");

  public static final ConfigOption<Integer> MAX_PARALLELISM =
      ConfigOptions.key("pipeline.max-parallelism")
          .intType()
          .defaultValue(720)
          .withDeprecatedKeys("max-parallelism")
          .withDescription("Flink's option, with the job's default: most parallel instances keyed"
              + " state can ever be spread over (its number of key groups). Fixed by the first"
              + " savepoint: a job restored from it must use the same value. 720 divides evenly by"
              + " 1-6, 8, 9, 10, 12, 15, 16, 18, 20, 24, ...; Flowguard before this option let Flink"
              + " derive it (128 up to parallelism 85): restore such savepoints with 128.");

  public static final ConfigOption<Duration> CHECKPOINT_INTERVAL =
      ConfigOptions.key("execution.checkpointing.interval")
          .durationType()
          .defaultValue(Duration.ofSeconds(10))
          .withDeprecatedKeys("checkpoint.interval")
          .withDescription("Flink's option, with the job's default: the checkpoint interval. With"
              + " exactly-once delivery, output becomes visible to read_committed consumers only"
              + " when a checkpoint completes, so this is also the output latency.");

  public static final ConfigOption<String> JOB_NAME =
      ConfigOptions.key("pipeline.name")
          .stringType()
          .defaultValue("flowguard")
          .withDeprecatedKeys("job.name")
          .withDescription("Flink's option, with the job's default: the job name.");

  // ---- in-job retraining ---------------------------------------------------------------------

  public static final ConfigOption<String> RETRAIN_SIGNING_KEY =
      ConfigOptions.key("flowguard.retrain.signing-key")
          .stringType()
          .noDefaultValue()
          .withDescription("Private key file (PEM) with which in-job retraining signs the models it"
              + " promotes; read on each TaskManager when the model sink opens. Required with"
              + " retraining and flowguard.scoring.model-verification-keys (its public key must be"
              + " among them).");

  public static final ConfigOption<Boolean> RETRAIN_ENABLED =
      ConfigOptions.key("flowguard.retrain.enabled")
          .booleanType()
          .defaultValue(false)
          .withDeprecatedKeys("retrain.enabled")
          .withDescription("Retrain models in the job from a reservoir of recent normal events and"
              + " promote a better challenger to the model topic (see docs/retraining.md). Off by"
              + " default: it writes to the model topic, which every job reading it obeys, so it is a"
              + " decision to take, not a default to discover. Needs the model topic (not"
              + " flowguard.model.directory) and write access to it.");

  public static final ConfigOption<Duration> RETRAIN_INTERVAL =
      ConfigOptions.key("flowguard.retrain.interval")
          .durationType()
          .defaultValue(Duration.ofHours(1))
          .withDeprecatedKeys("retrain.interval")
          .withDescription("Processing time between scheduled retrainings of a model (the first one"
              + " an interval after the model's first sampled event).");

  public static final ConfigOption<Double> RETRAIN_SAMPLE_RATE =
      ConfigOptions.key("flowguard.retrain.sample-rate")
          .doubleType()
          .defaultValue(0.1)
          .withDeprecatedKeys("retrain.sample-rate")
          .withDescription("Fraction of scored events (Bernoulli sample) sent to the retraining"
              + " operator, in (0, 1]. Anomalies are sampled too: they feed the drift statistic, and"
              + " outside a drift never the reservoir.");

  public static final ConfigOption<Integer> RETRAIN_RESERVOIR_SIZE =
      ConfigOptions.key("flowguard.retrain.reservoir.size")
          .intType()
          .defaultValue(10_000)
          .withDeprecatedKeys("retrain.reservoir.size")
          .withDescription("Most normal events kept per model for retraining (about 120 bytes of"
              + " state each for 10 features; a time-aware model's rows also keep their raw context,"
              + " 8 bytes per value: about 1.4 kB each for 10 features and 16 previous events).");

  public static final ConfigOption<Reservoir.Algorithm> RETRAIN_RESERVOIR_ALGORITHM =
      ConfigOptions.key("flowguard.retrain.reservoir.algorithm")
          .enumType(Reservoir.Algorithm.class)
          .defaultValue(Reservoir.Algorithm.RECENT)
          .withDeprecatedKeys("retrain.reservoir.algorithm")
          .withDescription("How a full reservoir makes room: recent (a new row replaces a random"
              + " one: recency-weighted) or uniform (reservoir sampling: a uniform sample of"
              + " everything admitted).");

  public static final ConfigOption<Double> RETRAIN_MAX_KEY_SHARE =
      ConfigOptions.key("flowguard.retrain.max-key-share")
          .doubleType()
          .defaultValue(0.05)
          .withDeprecatedKeys("retrain.max-key-share")
          .withDescription("Largest share of the reservoir one entity key may hold, enforced on"
              + " insert (floor(share x size) rows, at least 1). With few keys, raise it: 10 keys at"
              + " 0.05 fill at most half the reservoir.");

  public static final ConfigOption<Integer> RETRAIN_MIN_ROWS =
      ConfigOptions.key("flowguard.retrain.min-rows")
          .intType()
          .defaultValue(1000)
          .withDeprecatedKeys("retrain.min-rows")
          .withDescription("Fewest reservoir rows (drift rows during a drift) a retraining starts"
              + " with; at least 100 and at most flowguard.retrain.reservoir.size.");

  public static final ConfigOption<Double> RETRAIN_HOLD_OUT =
      ConfigOptions.key("flowguard.retrain.hold-out")
          .doubleType()
          .defaultValue(0.2)
          .withDeprecatedKeys("retrain.holdout-fraction")
          .withDescription("Fraction of the reservoir held out to compare the challenger with the"
              + " champion, in (0, 0.9).");

  public static final ConfigOption<Double> RETRAIN_TOLERANCE =
      ConfigOptions.key("flowguard.retrain.tolerance")
          .doubleType()
          .defaultValue(0.1)
          .withDeprecatedKeys("retrain.tolerance")
          .withDescription("How much worse (mean held-out NLL, nats per event) a challenger may be"
              + " than the champion and still be promoted: absorbs the spread between equally good"
              + " models.");

  public static final ConfigOption<Double> RETRAIN_CPU_SHARE =
      ConfigOptions.key("flowguard.retrain.cpu-share")
          .doubleType()
          .defaultValue(0.25)
          .withDeprecatedKeys("retrain.cpu-share")
          .withDescription("Share of one core a background training may use, in (0, 1]. Java cannot"
              + " lower a thread's OS priority, so the training pauses after each progress report"
              + " (about once an epoch) for (1 - share) / share times the time it worked: it never"
              + " takes a whole core from scoring, and takes 1 / share times as long. 1 never pauses"
              + " (spare cores).");

  public static final ConfigOption<Boolean> RETRAIN_DRIFT_TRIGGER =
      ConfigOptions.key("flowguard.retrain.drift.trigger")
          .booleanType()
          .defaultValue(true)
          .withDeprecatedKeys("retrain.drift.trigger")
          .withDescription("Also retrain, without waiting for the schedule, as soon as a declared"
              + " drift has flowguard.retrain.min-rows drift rows.");

  public static final ConfigOption<Integer> RETRAIN_DRIFT_BLOCK =
      ConfigOptions.key("flowguard.retrain.drift.block")
          .intType()
          .defaultValue(500)
          .withDeprecatedKeys("retrain.drift.block")
          .withDescription("Sampled events per block of the drift statistic (the share of events"
              + " raising an alert).");

  public static final ConfigOption<Double> RETRAIN_DRIFT_ALERT_FRACTION =
      ConfigOptions.key("flowguard.retrain.drift.alert-fraction")
          .doubleType()
          .defaultValue(0.2)
          .withDeprecatedKeys("retrain.drift.alert-fraction")
          .withDescription("A block is high when at least this share of its events raised an alert"
              + " (anomaly or typicality alarm).");

  public static final ConfigOption<Integer> RETRAIN_DRIFT_BLOCKS =
      ConfigOptions.key("flowguard.retrain.drift.blocks")
          .intType()
          .defaultValue(3)
          .withDeprecatedKeys("retrain.drift.blocks")
          .withDescription("Consecutive high blocks that declare a drift (and low blocks that end"
              + " it).");

  public static final ConfigOption<Double> RETRAIN_DRIFT_MIN_TAIL_PROBABILITY =
      ConfigOptions.key("flowguard.retrain.drift.min-tail-probability")
          .doubleType()
          .defaultValue(1e-12)
          .withDeprecatedKeys("retrain.drift.min-tail-probability")
          .withDescription("During a drift, events are admitted to the reservoir unless their tail"
              + " probability under the champion is below this: gross outliers stay out. Kept low"
              + " because a shifted normal regime lies far in the champion's tail (see"
              + " docs/retraining.md#drift).");

  /**
   * Every option of the job: the shared scoring options and the job's own, sorted by key, Flowguard's
   * keys before Flink's.
   */
  public static List<ConfigOption<?>> all() {
    java.util.ArrayList<ConfigOption<?>> all = new java.util.ArrayList<>(FlowguardOptions.options());
    all.addAll(FlowguardOptions.declaredOptions(JobOptions.class));
    all.sort(java.util.Comparator.<ConfigOption<?>, Boolean>comparing(
        o -> !o.key().startsWith("flowguard.")).thenComparing(ConfigOption::key));
    return List.copyOf(all);
  }
}
