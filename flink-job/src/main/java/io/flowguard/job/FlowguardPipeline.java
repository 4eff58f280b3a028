package io.flowguard.job;

import io.flowguard.connectors.event.DeadLetter;
import io.flowguard.connectors.event.RawEvent;
import io.flowguard.connectors.kafka.ConsumedRecord;
import io.flowguard.connectors.kafka.ConsumedRecordDeserializer;
import io.flowguard.connectors.kafka.DeadLetterSerializer;
import io.flowguard.connectors.kafka.KafkaIo;
import io.flowguard.connectors.kafka.RecordSizeLimit;
import io.flowguard.connectors.kafka.ScoredEventSerializer;
import io.flowguard.connectors.kafka.SinkOptions;
import io.flowguard.connectors.kafka.TypicalityEpisodeSerializer;
import io.flowguard.connectors.model.ModelDirectorySource;
import io.flowguard.connectors.model.ModelEvent;
import io.flowguard.connectors.model.ModelEventSerializer;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.connectors.model.ModelRecord;
import io.flowguard.connectors.model.ModelTopicSource;
import io.flowguard.connectors.score.ScoredEvent;
import io.flowguard.connectors.score.TypicalityEpisode;
import io.flowguard.job.retrain.ModelTopicRecord;
import io.flowguard.job.retrain.ModelTopicRecordSerializer;
import io.flowguard.job.retrain.RetrainFunction;
import io.flowguard.job.retrain.RetrainSampler;
import io.flowguard.job.retrain.RetrainSettings;
import io.flowguard.flink.FlowguardScoring;
import io.flowguard.flink.ScoredStreams;
import io.flowguard.flink.scoring.RawEventScoring;
import io.flowguard.flink.scoring.ScoringFunction;
import io.flowguard.flink.scoring.ScoringKernel;
import io.flowguard.flink.scoring.ScoringSettings;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.connector.kafka.sink.KafkaSinkBuilder;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The Flowguard pipeline, shared by {@link FlowguardJob}, the demo, the benchmark and the tests:
 *
 * <pre>
 * events-source --> parse --(keyBy key)--> scoring ----------> scores-sink
 *                     |                      ^   |
 *                     |       models-source -+   +--> alert-filter --> alerts-sink
 *                     |        (broadcast)       +--(episodes)--> episodes-sink (alerts topic)
 *                     |                          +--(model events: refused schema changes)--> model-events-sink
 *                     +--(dead letters)----------+--(dead letters)--> dead-letters-sink
 * </pre>
 *
 * Every operator has a stable uid ({@link #UID_EVENTS_SOURCE} ...), so savepoints of one version of
 * the job restore into the next. Use {@link #build} for the whole job from the configuration, or
 * {@link #addEventSource}/{@link #addModelSource} with sources of your own (bounded ones in tests),
 * then {@link #wire} and {@link #addSinks}.
 */
public final class FlowguardPipeline {

  public static final String UID_EVENTS_SOURCE = "events-source";
  public static final String UID_MODELS_SOURCE = "models-source";
  public static final String UID_PARSE = "parse";
  public static final String UID_SCORING = "scoring";
  public static final String UID_ALERT_FILTER = "alert-filter";
  public static final String UID_SCORES_SINK = "scores-sink";
  public static final String UID_ALERTS_SINK = "alerts-sink";
  public static final String UID_DEAD_LETTERS_SINK = "dead-letters-sink";
  public static final String UID_EPISODES_SINK = "episodes-sink";
  public static final String UID_RETRAIN_SAMPLE = "retrain-sample";
  public static final String UID_RETRAIN = "retrain";
  public static final String UID_MODEL_SINK = "model-sink";
  public static final String UID_MODEL_EVENTS_SINK = "model-events-sink";

  /** Extra room on top of a model file in a producer request (key, headers, batch framing). */
  static final int MODEL_RECORD_OVERHEAD = 64 << 10;

  /**
   * The streams the pipeline produces, before sinks; {@code retraining} is present when {@code
   * retrain.enabled} is true; {@code modelEvents} are the scoring operator's (refused schema changes),
   * written to the model-events topic with the retraining's.
   */
  public record Outputs(
      SingleOutputStreamOperator<ScoredEvent> scores,
      DataStream<ScoredEvent> alerts,
      DataStream<DeadLetter> deadLetters,
      Optional<RetrainOutputs> retraining,
      DataStream<TypicalityEpisode> episodes,
      DataStream<ModelEvent> modelEvents) {

    /** Outputs whose episodes and model events are the scoring operator's side outputs. */
    public Outputs(SingleOutputStreamOperator<ScoredEvent> scores, DataStream<ScoredEvent> alerts,
        DataStream<DeadLetter> deadLetters, Optional<RetrainOutputs> retraining) {
      this(scores, alerts, deadLetters, retraining, scores.getSideOutput(ScoringFunction.EPISODES),
          scores.getSideOutput(ScoringFunction.MODEL_EVENTS));
    }
  }

  /** What the retraining operator produces: promotions (model and history records) and events. */
  public record RetrainOutputs(
      SingleOutputStreamOperator<ModelTopicRecord> promotions,
      DataStream<ModelEvent> modelEvents) {}

  private final JobConfig config;
  private final ScoringSettings settings;
  private final RetrainSettings retrain;

  public FlowguardPipeline(JobConfig config) {
    this(config, config.scoringSettings());
  }

  /** A pipeline with explicit scoring settings (e.g. another {@link ScoringKernel}). */
  public FlowguardPipeline(JobConfig config, ScoringSettings settings) {
    this(config, settings, RetrainSettings.of(config));
  }

  /** A pipeline with explicit scoring and retraining settings (e.g. another trainer). */
  public FlowguardPipeline(JobConfig config, ScoringSettings settings, RetrainSettings retrain) {
    this.config = Objects.requireNonNull(config, "config");
    // In-job retraining keeps each reservoir row's raw context for time-aware models: the scoring operator
    // attaches it to the scored events (not to the scores topic's records) only then.
    this.settings = Objects.requireNonNull(settings, "settings").withRawContexts(config.retrainEnabled());
    this.retrain = Objects.requireNonNull(retrain, "retrain");
  }

  public JobConfig config() {
    return config;
  }

  /**
   * Applies Flink's options of the configuration ({@link JobConfig#flinkConfiguration}: checkpoint
   * storage, state backend, ...), then parallelism, max parallelism and checkpointing (exactly-once
   * mode), and turns on object reuse between chained operators.
   */
  public StreamExecutionEnvironment configure(StreamExecutionEnvironment env) {
    env.configure(config.flinkConfiguration());
    config.parallelism().ifPresent(env::setParallelism);
    env.setMaxParallelism(config.maxParallelism());
    env.enableCheckpointing(config.checkpointInterval().toMillis(), CheckpointingMode.EXACTLY_ONCE);
    // Records are immutable and no function keeps one across calls, so chained operators may share them:
    // without this Flink deep-copies every scored event between the scoring operator, the alert filter
    // and the sinks (a profile of the end-to-end benchmark showed the copies).
    env.getConfig().enableObjectReuse();
    return env;
  }

  /** The whole job: configured sources, the pipeline and the three Kafka sinks. */
  public Outputs build(StreamExecutionEnvironment env) {
    Outputs outputs = wire(
        addEventSource(env, eventSourceBuilder().build()),
        addModelSource(env, modelSource()));
    addSinks(outputs);
    return outputs;
  }

  /**
   * The event source's builder as configured (topics, group, starting offsets, read_committed,
   * extra client properties); tests bound it with {@code setBounded(OffsetsInitializer.latest())}.
   */
  @SuppressWarnings("deprecation") // the connector's API still takes kafka-clients' OffsetResetStrategy
  public KafkaSourceBuilder<ConsumedRecord> eventSourceBuilder() {
    OffsetsInitializer start = switch (config.startingOffsets()) {
      case COMMITTED -> OffsetsInitializer.committedOffsets(
          org.apache.kafka.clients.consumer.OffsetResetStrategy.EARLIEST);
      case EARLIEST -> OffsetsInitializer.earliest();
      case LATEST -> OffsetsInitializer.latest();
    };
    return KafkaIo.sourceBuilder(config.bootstrapServers(), config.eventsTopics(),
            config.groupId(), new ConsumedRecordDeserializer(), config.kafkaProperties())
        .setStartingOffsets(start)
        .setClientIdPrefix(config.groupId() + "-events");
  }

  /** The configured model source: the model directory if set, else the model topic. */
  public Source<ModelRecord, ?, ?> modelSource() {
    if (config.modelDirectory().isPresent()) {
      String dir = config.modelDirectory().get();
      return config.modelDirectoryRescan().isZero()
          ? ModelDirectorySource.once(dir)
          : ModelDirectorySource.monitoring(dir, config.modelDirectoryRescan());
    }
    return modelTopicSourceBuilder().build();
  }

  /** The model topic source's builder as configured; tests bound it. */
  public KafkaSourceBuilder<ModelRecord> modelTopicSourceBuilder() {
    return ModelTopicSource.builder(config.bootstrapServers(), config.modelTopic(),
            config.groupId() + "-models", config.kafkaProperties())
        .setClientIdPrefix(config.groupId() + "-models");
  }

  /** Adds an event source with the pipeline's uid. */
  public DataStream<ConsumedRecord> addEventSource(
      StreamExecutionEnvironment env, Source<ConsumedRecord, ?, ?> source) {
    return env.fromSource(source, WatermarkStrategy.noWatermarks(), UID_EVENTS_SOURCE)
        .uid(UID_EVENTS_SOURCE);
  }

  /**
   * Adds a model source with the pipeline's uid, parallelism 1: models are few, the topic has one
   * partition, and one reader keeps the broadcast order the same for every scoring instance.
   */
  public DataStream<ModelRecord> addModelSource(
      StreamExecutionEnvironment env, Source<ModelRecord, ?, ?> source) {
    return env.fromSource(source, WatermarkStrategy.noWatermarks(), UID_MODELS_SOURCE)
        .uid(UID_MODELS_SOURCE)
        .setParallelism(1);
  }

  /**
   * Parse, scoring and alert filter, from the given events and models, and with {@code
   * retrain.enabled} the retraining operator (see {@link #wireRetraining}); no sinks.
   */
  public Outputs wire(DataStream<ConsumedRecord> events, DataStream<ModelRecord> models) {
    SingleOutputStreamOperator<RawEvent> raw = events
        .process(new ParseFunction(settings.decoder()))
        .name(UID_PARSE).uid(UID_PARSE);
    // The job is one user of the public DataStream API: decoded events in, the scores topic's records
    // and dead letters out, under the uids of earlier versions so that their savepoints restore.
    ScoredStreams<ScoredEvent, DeadLetter> scoring = FlowguardScoring.of(raw)
        .keyBy(new EventKey())
        .features(RawEventScoring.features(settings.decoder()))
        .modelSelector(RawEventScoring.modelField())
        .eventTime(RawEventScoring.eventTimes())
        .models(models)
        .settings(settings)
        .uids(UID_SCORING, UID_MODELS_SOURCE)
        .build(RawEventScoring.scoredEvents(), TypeInformation.of(ScoredEvent.class),
            RawEventScoring.deadLetters(settings.decoder()), ScoringFunction.DEAD_LETTERS);
    SingleOutputStreamOperator<ScoredEvent> scores = scoring.scores();
    DataStream<ScoredEvent> alerts = scores
        .filter(new AlertFilter())
        .name(UID_ALERT_FILTER).uid(UID_ALERT_FILTER);
    DataStream<DeadLetter> dead = raw.getSideOutput(ParseFunction.DEAD_LETTERS)
        .union(scoring.rejected());
    Optional<RetrainOutputs> retraining = config.retrainEnabled()
        ? Optional.of(wireRetraining(scores, models)) : Optional.empty();
    // Typicality alarms reach the alerts topic as episodes, not as every alarmed event.
    return new Outputs(scores, alerts, dead, retraining, scoring.episodes(), scoring.modelEvents());
  }

  /**
   * The retraining operator: a Bernoulli sample of the scores, keyed by model name, connected to
   * the same model stream the scoring operator reads (broadcast again), so that its champion is
   * the model scoring uses.
   */
  public RetrainOutputs wireRetraining(DataStream<ScoredEvent> scores,
      DataStream<ModelRecord> models) {
    SingleOutputStreamOperator<ModelTopicRecord> promotions = scores
        .filter(new RetrainSampler(config.retrainSampleRate()))
        .name(UID_RETRAIN_SAMPLE).uid(UID_RETRAIN_SAMPLE)
        .keyBy(new ModelName(), Types.STRING)
        .connect(models.broadcast(RetrainFunction.CHAMPIONS))
        .process(new RetrainFunction(retrain, settings))
        .name(UID_RETRAIN).uid(UID_RETRAIN);
    return new RetrainOutputs(promotions,
        promotions.getSideOutput(RetrainFunction.MODEL_EVENTS));
  }

  /**
   * The scores, alerts and dead-letter Kafka sinks, with the configured delivery guarantee. Every
   * record they write fits the producer's max.request.size and the topic's max.message.bytes
   * ({@link RecordSizeLimit}; issue 19 item 1): a record the producer refused would fail the job.
   */
  public void addSinks(Outputs outputs) {
    String bootstrap = config.bootstrapServers();
    // issue 19 (bounded outputs): the limit the serializers check, and the producers' own
    // max.request.size set to the same value so that the two can never disagree.
    RecordSizeLimit limit = config.recordSizeLimit();
    Properties props = config.kafkaProperties();
    props.setProperty(ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
        Integer.toString(limit.maxRequestBytes()));
    outputs.scores().sinkTo(KafkaIo.countingSink(bootstrap,
            new ScoredEventSerializer(config.scoresTopic(), limit), config.sinkOptions("scores"),
            props))
        .name(UID_SCORES_SINK).uid(UID_SCORES_SINK);
    outputs.alerts().sinkTo(KafkaIo.countingSink(bootstrap,
            new ScoredEventSerializer(config.alertsTopic(), limit), config.sinkOptions("alerts"),
            props))
        .name(UID_ALERTS_SINK).uid(UID_ALERTS_SINK);
    // issue 19 item 6: episode records go to the alerts topic beside the anomalies (own sink and
    // transactional id suffix -episodes; a new operator, so older savepoints restore unchanged).
    outputs.episodes().sinkTo(KafkaIo.countingSink(bootstrap,
            new TypicalityEpisodeSerializer(config.alertsTopic()), config.sinkOptions("episodes"),
            props))
        .name(UID_EPISODES_SINK).uid(UID_EPISODES_SINK);
    outputs.deadLetters().sinkTo(KafkaIo.countingSink(bootstrap,
            new DeadLetterSerializer(config.deadLettersTopic(),
                config.deadLettersMaxOriginalBytes(), limit),
            config.sinkOptions("dead-letters"), props))
        .name(UID_DEAD_LETTERS_SINK).uid(UID_DEAD_LETTERS_SINK);
    // issue 19 item 2: model events of the scoring operator (refused schema changes) and, with
    // retraining, of the retraining operator, in one sink under the uid retraining used alone before.
    DataStream<ModelEvent> modelEvents = outputs.retraining()
        .map(r -> outputs.modelEvents().union(r.modelEvents()))
        .orElse(outputs.modelEvents());
    modelEvents.sinkTo(KafkaIo.countingSink(bootstrap,
            new ModelEventSerializer(config.modelEventsTopic()), exactlyOnce("model-events"), props))
        .name(UID_MODEL_EVENTS_SINK).uid(UID_MODEL_EVENTS_SINK);
    outputs.retraining().ifPresent(this::addPromotionSink);
  }

  /**
   * The promotion sink (model topic and history, one transaction per checkpoint); the retraining's
   * model events go to the model-events sink of {@link #addSinks}. Both are exactly-once whatever
   * {@code delivery.guarantee} says: a promotion must never be published twice, and they are rare, so
   * checkpoint latency does not matter. The promotion sink runs at the retraining operator's
   * parallelism (forward), so the history record, the tombstone and the model record of a promotion
   * stay in one producer and one transaction.
   */
  public void addPromotionSink(RetrainOutputs r) {
    String bootstrap = config.bootstrapServers();
    Properties props = config.kafkaProperties();
    KafkaSinkBuilder<ModelTopicRecord> models = KafkaIo.sinkBuilder(bootstrap,
        // HOOK issue 19 item 3: promotions signed with retrain.signing-key when set.
        new ModelTopicRecordSerializer(config.retrainSigningKey()), exactlyOnce("model"), props);
    if (!props.containsKey(ProducerConfig.MAX_REQUEST_SIZE_CONFIG)) {
      models.setProperty(ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
          Integer.toString(ModelTopic.MAX_MODEL_BYTES + MODEL_RECORD_OVERHEAD));
    }
    r.promotions().sinkTo(KafkaIo.counting(models.build(), exactlyOnce("model"), props))
        .name(UID_MODEL_SINK).uid(UID_MODEL_SINK)
        .setParallelism(r.promotions().getParallelism());
  }

  private SinkOptions exactlyOnce(String sink) {
    return SinkOptions.exactlyOnce(config.transactionalIdPrefix() + "-" + sink)
        .withTransactionTimeout(config.transactionTimeout());
  }

  /** The entity key of an event: typicality windows and held events are per key. */
  public static final class EventKey implements KeySelector<RawEvent, String> {
    private static final long serialVersionUID = 1L;

    @Override
    public String getKey(RawEvent e) {
      return e.key();
    }
  }

  /** The model of a scored event: the retraining operator is keyed by it. */
  public static final class ModelName implements KeySelector<ScoredEvent, String> {
    private static final long serialVersionUID = 1L;

    @Override
    public String getKey(ScoredEvent e) {
      return e.model();
    }
  }

  /**
   * Alerts among the scored events: anomalies. Typicality alarms reach the alerts topic as episodes
   * ({@link ScoringFunction#EPISODES}), one OPENED / UPDATE / CLEARED record per key and window
   * rather than one alert per alarming event (issue 19).
   */
  public static final class AlertFilter implements FilterFunction<ScoredEvent> {
    private static final long serialVersionUID = 1L;

    @Override
    public boolean filter(ScoredEvent e) {
      return e.anomaly();
    }
  }
}
