package io.flowguard.flink;

import io.flowguard.connectors.event.EventCodec;
import io.flowguard.connectors.model.ModelRecord;
import io.flowguard.connectors.score.Attribution;
import io.flowguard.connectors.score.TypicalityResult;
import io.flowguard.flink.scoring.ScoringFunction;
import io.flowguard.flink.scoring.ScoringKernel;
import io.flowguard.flink.scoring.ScoringSettings;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.api.common.typeinfo.BasicTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.util.OutputTag;

/**
 * Flowguard in a Flink user's own pipeline: scores every event of a {@code DataStream<T>} of the user's
 * own type with a normalizing-flow model, with hot-swapped models, per-key typicality windows, held
 * events for models that have not arrived, metrics and a side output for events that cannot be scored.
 *
 * <pre>{@code
 * DataStream<Reading> readings = ...;
 * ScoredStreams<Scored<Reading>, Rejected<Reading>> out = FlowguardScoring.of(readings)
 *     .keyBy(r -> r.machineId)                                // typicality windows are per key
 *     .features(FeatureExtractor.pojo(Reading.class))          // features by name from the POJO
 *     .model("pump")                                            // or .modelSelector(r -> r.model)
 *     .modelSource(ModelSource.directory("s3://models/", Duration.ofMinutes(1)))
 *     .falseAlarmRate(1e-3)
 *     .build();
 * out.scores().filter(Scored::anomaly).print();
 * out.rejected().print();
 * }</pre>
 *
 * <p>The operator and the model source get stable uids ({@code <uidPrefix>-scoring},
 * {@code <uidPrefix>-models}), so savepoints restore into later versions of the job; keep the prefix
 * once a job runs.
 *
 * @param <T> the event type
 */
public final class FlowguardScoring<T> {

  /** The default false-alarm rate: about one alarm per thousand normal events. */
  public static final double DEFAULT_FALSE_ALARM_RATE = 1e-3;
  /** The default typicality window sizes. */
  public static final int[] DEFAULT_WINDOWS = {32, 128};
  /** The default confidence level of the typicality test. */
  public static final double DEFAULT_ALPHA = 0.999;
  /** At most this many events per key wait for a model that has not arrived, by default. */
  public static final int DEFAULT_PENDING_MAX_EVENTS = 1000;
  /** Events wait at most this long for their model, by default. */
  public static final Duration DEFAULT_PENDING_TIMEOUT = Duration.ofSeconds(60);

  private final DataStream<T> events;
  private KeySelector<T, String> keys;
  private FeatureExtractor<T> features;
  private ModelSelector<T> selector;
  private ModelSource modelSource;
  private DataStream<ModelRecord> modelStream;
  private double falseAlarmRate = DEFAULT_FALSE_ALARM_RATE;
  private int[] windows = DEFAULT_WINDOWS.clone();
  private double alpha = DEFAULT_ALPHA;
  private int pendingMaxEvents = DEFAULT_PENDING_MAX_EVENTS;
  private Duration pendingTimeout = DEFAULT_PENDING_TIMEOUT;
  private ScoringSettings settings;
  private EventTime<T> eventTimes;
  private int explainTop;
  private boolean explainAll;
  private double explainPerSecond = ScoringSettings.DEFAULT_EXPLAIN_PER_SECOND;
  private final Map<String, Double> modelRates = new java.util.HashMap<>();
  private boolean recommendedRates;
  private String uidPrefix = "flowguard";
  private String scoringUid;
  private String modelsUid;

  private FlowguardScoring(DataStream<T> events) {
    this.events = Objects.requireNonNull(events, "events");
  }

  /** Starts a scoring pipeline over the user's events. */
  public static <T> FlowguardScoring<T> of(DataStream<T> events) {
    return new FlowguardScoring<>(events);
  }

  /**
   * The entity key of an event (a machine, an account): typicality windows and held events are per key.
   * A selector that throws or gives null rejects that event instead of failing the job. Default: one
   * key for every event.
   */
  public FlowguardScoring<T> keyBy(KeySelector<T, String> keySelector) {
    this.keys = Objects.requireNonNull(keySelector, "keySelector");
    return this;
  }

  /** How to read the model's features from an event (required). See {@link FeatureExtractor}. */
  public FlowguardScoring<T> features(FeatureExtractor<T> extractor) {
    this.features = Objects.requireNonNull(extractor, "extractor");
    return this;
  }

  /**
   * The event's time: what a time-aware model's history rules and time features read, and the time of
   * typicality episode records (default: the record's Flink timestamp, else the wall clock).
   */
  public FlowguardScoring<T> eventTime(EventTime<T> times) {
    this.eventTimes = Objects.requireNonNull(times, "times");
    return this;
  }

  /** Every event is scored by the model with this name. */
  public FlowguardScoring<T> model(String name) {
    this.selector = ModelSelector.fixed(name);
    return this;
  }

  /** The model of each event, e.g. {@code e -> e.model} to route by a field (as the Kafka job does). */
  public FlowguardScoring<T> modelSelector(ModelSelector<T> modelSelector) {
    this.selector = Objects.requireNonNull(modelSelector, "modelSelector");
    return this;
  }

  /** Where models come from (required, or {@link #models(DataStream)}). */
  public FlowguardScoring<T> modelSource(ModelSource source) {
    this.modelSource = Objects.requireNonNull(source, "source");
    this.modelStream = null;
    return this;
  }

  /** An existing stream of model records, e.g. one shared with other operators. */
  public FlowguardScoring<T> models(DataStream<ModelRecord> models) {
    this.modelStream = Objects.requireNonNull(models, "models");
    this.modelSource = null;
    return this;
  }

  /** An event is an anomaly when its tail probability is below this rate. Default 1e-3. */
  public FlowguardScoring<T> falseAlarmRate(double rate) {
    if (!(rate > 0 && rate < 1)) {
      throw new IllegalArgumentException("the false-alarm rate must be in (0, 1), got " + rate);
    }
    this.falseAlarmRate = rate;
    return this;
  }

  /**
   * Explain anomalies (events below the false-alarm rate; a typicality alarm is about a window, not one
   * event, so it is not explained per event): their top {@code top} features, with the
   * value that would have been typical and how much of the surprise each accounts for
   * ({@link Scored#explanation()}; docs/explanations.md). At most {@code perSecond} explanations per
   * operator instance; the rest say so in {@link Scored#explanationNote()} and count in the
   * {@code explanationsSkipped} metric. Off by default.
   */
  public FlowguardScoring<T> explain(int top, double perSecond) {
    this.explainTop = top;
    this.explainPerSecond = perSecond;
    return this;
  }

  /** Explain every event, not only anomalies (costly: about 0.7 ms per event at d = 10, 4 ms at d = 50). */
  public FlowguardScoring<T> explainEveryEvent() {
    this.explainAll = true;
    return this;
  }

  /** The false-alarm rate of one model, overriding {@link #falseAlarmRate(double)} for it. */
  public FlowguardScoring<T> falseAlarmRate(String model, double rate) {
    this.modelRates.put(Objects.requireNonNull(model, "model"), rate);
    return this;
  }

  /**
   * Score each model at the false-alarm rate its file recommends ({@code flowguard train --recommend-rate}),
   * where no rate for that model is set here.
   */
  public FlowguardScoring<T> useRecommendedRates() {
    this.recommendedRates = true;
    return this;
  }

  /** The typicality window sizes (events per key); none to turn the test off. Default 32 and 128. */
  public FlowguardScoring<T> typicalityWindows(int... sizes) {
    this.windows = sizes.clone();
    return this;
  }

  /** The typicality test's confidence level. Default 0.999. */
  public FlowguardScoring<T> typicalityAlpha(double level) {
    this.alpha = level;
    return this;
  }

  /** At most {@code maxEvents} per key wait at most {@code timeout} for a model that has not arrived. */
  public FlowguardScoring<T> pending(int maxEvents, Duration timeout) {
    this.pendingMaxEvents = maxEvents;
    this.pendingTimeout = Objects.requireNonNull(timeout, "timeout");
    return this;
  }

  /**
   * The scoring settings of a Flink configuration ({@link FlowguardOptions}: {@code
   * flowguard.scoring.false-alarm-rate}, {@code flowguard.scoring.typicality.windows}, ...), e.g. the
   * job's {@code env.getConfiguration()}; keys not set keep their defaults.
   */
  public FlowguardScoring<T> configure(ReadableConfig config) {
    return settings(FlowguardOptions.scoringSettings(config));
  }

  /**
   * Every scoring setting at once (the Kafka job's); replaces the rate, windows, level and pending
   * bounds set above (explanations and per-model rates set here still apply on top).
   */
  public FlowguardScoring<T> settings(ScoringSettings scoringSettings) {
    this.settings = Objects.requireNonNull(scoringSettings, "scoringSettings");
    return this;
  }

  /** The prefix of the operators' uids ({@code <prefix>-scoring}, {@code <prefix>-models}). */
  public FlowguardScoring<T> uidPrefix(String prefix) {
    this.uidPrefix = Objects.requireNonNull(prefix, "prefix");
    return this;
  }

  /** Exact uids for the scoring operator and the model source (the Kafka job keeps its own). */
  public FlowguardScoring<T> uids(String scoring, String models) {
    this.scoringUid = Objects.requireNonNull(scoring, "scoring");
    this.modelsUid = Objects.requireNonNull(models, "models");
    return this;
  }

  /** Adds the scoring operator; scores are {@link Scored} records, rejections {@link Rejected}. */
  public ScoredStreams<Scored<T>, Rejected<T>> build() {
    TypeInformation<T> eventType = events.getType();
    return build(Scored::of, scoredType(eventType),
        Rejected::new, new OutputTag<>("flowguard-rejected", rejectedType(eventType)));
  }

  /**
   * Adds the scoring operator with output records of the pipeline's own types (one object per event
   * instead of a {@link Scored} plus a map).
   */
  public <S, R> ScoredStreams<S, R> build(ScoreMapper<T, S> scoreMapper, TypeInformation<S> scoreType,
      RejectionMapper<T, R> rejectionMapper, OutputTag<R> rejectedTag) {
    if (features == null) {
      throw new IllegalStateException("features(...) is required: how to read a model's features from "
          + events.getType() + " (e.g. FeatureExtractor.pojo(MyEvent.class))");
    }
    if (selector == null) {
      throw new IllegalStateException("model(name) or modelSelector(...) is required");
    }
    if (modelSource == null && modelStream == null) {
      throw new IllegalStateException("modelSource(...) or models(stream) is required: where the models"
          + " come from (e.g. ModelSource.file(\"/models/pump.fgm\"))");
    }
    ScoringSettings s = settings != null ? settings : new ScoringSettings(falseAlarmRate, windows,
        alpha, pendingMaxEvents, pendingTimeout, new EventCodec(), ScoringKernel.FLOW);
    if (explainTop > 0 || explainAll) {
      s = s.withExplanations(explainTop > 0 ? explainTop : 3, explainAll, explainPerSecond);
    }
    if (!modelRates.isEmpty() || recommendedRates) {
      s = s.withModelRates(modelRates, recommendedRates);
    }
    String sUid = scoringUid != null ? scoringUid : uidPrefix + "-scoring";
    String mUid = modelsUid != null ? modelsUid : uidPrefix + "-models";
    DataStream<ModelRecord> models = modelStream != null ? modelStream
        : modelSource.create(events.getExecutionEnvironment(), mUid);
    KeySelector<T, String> keySelector = ScoringFunction.safeKeys(
        keys != null ? keys : new SingleKey<>());
    ScoringFunction<T, S, R> function = new ScoringFunction<>(s, events.getType(), features,
        selector, scoreMapper, rejectionMapper, rejectedTag);
    if (eventTimes != null) {
      function.eventTimes(eventTimes);
    }
    SingleOutputStreamOperator<S> scores = events
        .keyBy(keySelector, Types.STRING)
        .connect(models.broadcast(ScoringFunction.MODELS))
        .process(function, scoreType)
        .name(sUid).uid(sUid);
    return new ScoredStreams<>(scores, scores.getSideOutput(rejectedTag), models,
        scores.getSideOutput(ScoringFunction.EPISODES), scores.getSideOutput(ScoringFunction.MODEL_EVENTS));
  }

  /** {@link Scored} as a Flink POJO whose event field uses the event's own serializer. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static <T> TypeInformation<Scored<T>> scoredType(TypeInformation<T> eventType) {
    Map<String, TypeInformation<?>> fields = new LinkedHashMap<>();
    fields.put("event", eventType);
    fields.put("key", BasicTypeInfo.STRING_TYPE_INFO);
    fields.put("model", BasicTypeInfo.STRING_TYPE_INFO);
    fields.put("modelVersion", BasicTypeInfo.INT_TYPE_INFO);
    fields.put("logDensity", BasicTypeInfo.DOUBLE_TYPE_INFO);
    fields.put("nll", BasicTypeInfo.DOUBLE_TYPE_INFO);
    fields.put("tailProbability", BasicTypeInfo.DOUBLE_TYPE_INFO);
    fields.put("anomaly", BasicTypeInfo.BOOLEAN_TYPE_INFO);
    fields.put("typicality", Types.OBJECT_ARRAY(TypeInformation.of(TypicalityResult.class)));
    fields.put("explanation", Types.OBJECT_ARRAY(TypeInformation.of(Attribution.class)));
    fields.put("explanationNote", BasicTypeInfo.STRING_TYPE_INFO);
    fields.put("historyEvents", BasicTypeInfo.INT_TYPE_INFO);
    fields.put("warmingUp", BasicTypeInfo.BOOLEAN_TYPE_INFO);
    return (TypeInformation) Types.POJO(Scored.class, fields);
  }

  /** {@link Rejected} as a Flink POJO whose event field uses the event's own serializer. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static <T> TypeInformation<Rejected<T>> rejectedType(TypeInformation<T> eventType) {
    Map<String, TypeInformation<?>> fields = new LinkedHashMap<>();
    fields.put("event", eventType);
    fields.put("reason", TypeInformation.of(io.flowguard.connectors.event.DeadLetterReason.class));
    fields.put("message", BasicTypeInfo.STRING_TYPE_INFO);
    fields.put("model", BasicTypeInfo.STRING_TYPE_INFO);
    return (TypeInformation) Types.POJO(Rejected.class, fields);
  }

  /** Every event under one key (one typicality history for the whole stream). */
  private static final class SingleKey<T> implements KeySelector<T, String> {
    private static final long serialVersionUID = 1L;

    @Override
    public String getKey(T event) {
      return "all";
    }
  }

}
