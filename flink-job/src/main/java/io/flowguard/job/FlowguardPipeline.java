package io.flowguard.job;

import io.flowguard.connectors.event.DeadLetter;
import io.flowguard.connectors.event.RawEvent;
import io.flowguard.connectors.kafka.ConsumedRecord;
import io.flowguard.connectors.kafka.ConsumedRecordDeserializer;
import io.flowguard.connectors.kafka.DeadLetterSerializer;
import io.flowguard.connectors.kafka.KafkaIo;
import io.flowguard.connectors.kafka.ScoredEventSerializer;
import io.flowguard.connectors.model.ModelDirectorySource;
import io.flowguard.connectors.model.ModelRecord;
import io.flowguard.connectors.model.ModelTopicSource;
import io.flowguard.connectors.score.ScoredEvent;
import io.flowguard.job.scoring.ParseFunction;
import io.flowguard.job.scoring.ScoringFunction;
import io.flowguard.job.scoring.ScoringKernel;
import io.flowguard.job.scoring.ScoringSettings;
import java.util.Objects;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The Flowguard pipeline, shared by {@link FlowguardJob}, the demo, the benchmark and the tests:
 *
 * <pre>
 * events-source --> parse --(keyBy key)--> scoring ----------> scores-sink
 *                     |                      ^   |
 *                     |       models-source -+   +--> alert-filter --> alerts-sink
 *                     |        (broadcast)       |
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

  /** The streams the pipeline produces, before sinks. */
  public record Outputs(
      SingleOutputStreamOperator<ScoredEvent> scores,
      DataStream<ScoredEvent> alerts,
      DataStream<DeadLetter> deadLetters) {}

  private final JobConfig config;
  private final ScoringSettings settings;

  public FlowguardPipeline(JobConfig config) {
    this(config, ScoringSettings.of(config));
  }

  /** A pipeline with explicit scoring settings (e.g. another {@link ScoringKernel}). */
  public FlowguardPipeline(JobConfig config, ScoringSettings settings) {
    this.config = Objects.requireNonNull(config, "config");
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  public JobConfig config() {
    return config;
  }

  /** Applies parallelism and checkpointing (exactly-once mode) from the configuration. */
  public StreamExecutionEnvironment configure(StreamExecutionEnvironment env) {
    config.parallelism().ifPresent(env::setParallelism);
    env.enableCheckpointing(config.checkpointInterval().toMillis(), CheckpointingMode.EXACTLY_ONCE);
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

  /** Parse, scoring and alert filter, from the given events and models; no sinks. */
  public Outputs wire(DataStream<ConsumedRecord> events, DataStream<ModelRecord> models) {
    SingleOutputStreamOperator<RawEvent> raw = events
        .process(new ParseFunction(settings.decoder()))
        .name(UID_PARSE).uid(UID_PARSE);
    BroadcastStream<ModelRecord> broadcastModels = models.broadcast(ScoringFunction.MODELS);
    SingleOutputStreamOperator<ScoredEvent> scores = raw
        .keyBy(new EventKey(), Types.STRING)
        .connect(broadcastModels)
        .process(new ScoringFunction(settings))
        .name(UID_SCORING).uid(UID_SCORING);
    DataStream<ScoredEvent> alerts = scores
        .filter(new AlertFilter())
        .name(UID_ALERT_FILTER).uid(UID_ALERT_FILTER);
    DataStream<DeadLetter> dead = raw.getSideOutput(ParseFunction.DEAD_LETTERS)
        .union(scores.getSideOutput(ScoringFunction.DEAD_LETTERS));
    return new Outputs(scores, alerts, dead);
  }

  /** The scores, alerts and dead-letter Kafka sinks, with the configured delivery guarantee. */
  public void addSinks(Outputs outputs) {
    String bootstrap = config.bootstrapServers();
    outputs.scores().sinkTo(KafkaIo.sink(bootstrap,
            new ScoredEventSerializer(config.scoresTopic()), config.sinkOptions("scores"),
            config.kafkaProperties()))
        .name(UID_SCORES_SINK).uid(UID_SCORES_SINK);
    outputs.alerts().sinkTo(KafkaIo.sink(bootstrap,
            new ScoredEventSerializer(config.alertsTopic()), config.sinkOptions("alerts"),
            config.kafkaProperties()))
        .name(UID_ALERTS_SINK).uid(UID_ALERTS_SINK);
    outputs.deadLetters().sinkTo(KafkaIo.sink(bootstrap,
            new DeadLetterSerializer(config.deadLettersTopic()),
            config.sinkOptions("dead-letters"), config.kafkaProperties()))
        .name(UID_DEAD_LETTERS_SINK).uid(UID_DEAD_LETTERS_SINK);
  }

  /** The entity key of an event: typicality windows and held events are per key. */
  public static final class EventKey implements KeySelector<RawEvent, String> {
    private static final long serialVersionUID = 1L;

    @Override
    public String getKey(RawEvent e) {
      return e.key();
    }
  }

  /** Alerts: anomalies and typicality alarms. */
  public static final class AlertFilter implements FilterFunction<ScoredEvent> {
    private static final long serialVersionUID = 1L;

    @Override
    public boolean filter(ScoredEvent e) {
      return e.anomaly() || e.typicalityAlarm();
    }
  }
}
