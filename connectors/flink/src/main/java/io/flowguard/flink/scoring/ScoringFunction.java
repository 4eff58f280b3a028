package io.flowguard.flink.scoring;

import io.flowguard.connectors.event.DeadLetter;
import io.flowguard.connectors.event.DeadLetterReason;
import io.flowguard.connectors.event.RawEvent;
import io.flowguard.connectors.model.ModelEvent;
import io.flowguard.connectors.model.ModelEventKind;
import io.flowguard.connectors.model.ModelRecord;
import io.flowguard.connectors.score.Attribution;
import io.flowguard.connectors.score.ScoredEvent;
import io.flowguard.connectors.score.TypicalityEpisode;
import io.flowguard.connectors.score.TypicalityResult;
import io.flowguard.core.explain.Explainer;
import io.flowguard.core.explain.Explanation;
import io.flowguard.core.explain.ExplanationBudget;
import io.flowguard.core.score.Scorer;
import io.flowguard.flink.FeatureException;
import io.flowguard.flink.FeatureExtractor;
import io.flowguard.flink.EventTime;
import io.flowguard.flink.FlowguardOptions;
import io.flowguard.flink.ModelSelector;
import io.flowguard.flink.RejectionMapper;
import io.flowguard.flink.ScoreMapper;
import io.flowguard.flink.ScoreView;
import io.flowguard.job.scoring.EpisodeState;
import io.flowguard.job.scoring.KeyWindows;
import io.flowguard.job.scoring.StoredModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scoring operator behind {@link io.flowguard.flink.FlowguardScoring} and the Kafka job: scores a
 * keyed stream of the user's events with the models of a broadcast model stream.
 *
 * <p><b>Models</b> (broadcast side). Broadcast state maps a model name to the {@link StoredModel}
 * in use: name, version and the model file's bytes. A model record is parsed and validated ({@link
 * LoadedModel#load}) on every instance; an invalid one is rejected with a log line and the {@code
 * modelsRejected} metric and the previous model stays. The active version is the highest version
 * seen: a record whose version is not above the current one is ignored with a log line. Every
 * instance sees the same records and applies the same rule, so all agree whatever the order in
 * which versions arrive. A newer version whose features differ from the active version's is refused
 * ({@link ModelSwapPolicy}) with a WARN, the {@code schemaChangesRefused} metric and one {@link
 * #MODEL_EVENTS} record. Parsed models live in a transient per-instance cache keyed by name and
 * version, rebuilt from the stored bytes after a restore. A tombstone withdraws a model.
 *
 * <p><b>Events</b> (keyed side). The {@link ModelSelector} names an event's model. If it is active,
 * the {@link FeatureExtractor} (bound once per model version) reads the features in model order, the
 * kernel scores them, the key's typicality state is updated in place, and the {@link ScoreMapper}
 * builds the output. An event whose model has not arrived is held in keyed state (at most {@code
 * pendingMaxEvents} per key) and scored, in arrival order, as soon as the model arrives; if the bound
 * is reached, or the key's oldest held event has waited {@code pendingTimeout}, it is rejected as
 * {@link DeadLetterReason#NO_MODEL}. Events of a withdrawn model are rejected at once as {@link
 * DeadLetterReason#UNKNOWN_MODEL}; events whose features cannot be extracted with the extractor's
 * reason; events whose key or model the user's selectors could not give as {@link
 * DeadLetterReason#EXTRACTOR_FAILED}. Rejections go to the side output, built by the {@link
 * RejectionMapper}; nothing is dropped and nothing fails the job.
 *
 * <p><b>Typicality</b>. Keyed state {@code typicality-ring} ({@link KeyTypicality}) holds the key's
 * most recent NLLs and a running sum per window size for the model version that produced them; it
 * restarts empty when the version changes. NLLs that are not finite (log-density -infinity, far
 * outside the data) are anomalies but are kept out of the windows. A key's state in the older layout
 * ({@code typicality}, {@link KeyWindows}, from savepoints of earlier versions) is converted on the
 * key's first event and then cleared.
 *
 * @param <T> the event type
 * @param <S> the output type (normally {@link io.flowguard.flink.Scored})
 * @param <R> the rejected-events side output's type (normally {@link io.flowguard.flink.Rejected})
 */
public final class ScoringFunction<T, S, R>
    extends KeyedBroadcastProcessFunction<String, T, ModelRecord, S>
    implements CheckpointedFunction {

  private static final long serialVersionUID = 2L;
  private static final Logger LOG = LoggerFactory.getLogger(ScoringFunction.class);

  /**
   * The key the operator sees when the user's key selector threw or gave null (see {@link
   * #safeKeys}): such events are rejected, never keyed under a real key.
   */
  public static final String NO_KEY = "\u0000flowguard:no-key";

  /** Broadcast state: model name -> model in use. */
  public static final MapStateDescriptor<String, StoredModel> MODELS =
      new MapStateDescriptor<>("models", Types.STRING, TypeInformation.of(StoredModel.class));

  /** The Kafka job's dead letters (the parse operator uses the same tag). */
  public static final OutputTag<DeadLetter> DEAD_LETTERS =
      new OutputTag<>("dead-letters", TypeInformation.of(DeadLetter.class));

  static final ValueStateDescriptor<Integer> PENDING_COUNT =
      new ValueStateDescriptor<>("pending-count", Types.INT);
  static final ValueStateDescriptor<Long> PENDING_DEADLINE =
      new ValueStateDescriptor<>("pending-deadline", Types.LONG);
  /** A time-aware model's per-key history ({@link KeyContext}). */
  static final ValueStateDescriptor<KeyContext> CONTEXT_HISTORY =
      new ValueStateDescriptor<>("context-history", TypeInformation.of(KeyContext.class));
  static final ValueStateDescriptor<KeyTypicality> TYPICALITY =
      new ValueStateDescriptor<>("typicality-ring", TypeInformation.of(KeyTypicality.class));
  /** The typicality state of Flowguard 0.1 savepoints, converted to {@link #TYPICALITY} on use. */
  static final ValueStateDescriptor<KeyWindows> LEGACY_WINDOWS =
      new ValueStateDescriptor<>("typicality", TypeInformation.of(KeyWindows.class));

  /** Typicality episode records (issue 19 item 6): OPENED, UPDATE, CLEARED per key and window. */
  public static final OutputTag<TypicalityEpisode> EPISODES =
      new OutputTag<>("typicality-episodes", TypeInformation.of(TypicalityEpisode.class));

  /**
   * Model events of the scoring operator: one {@link ModelEventKind#REFUSED} record per refused schema
   * change (issue 19 item 2), written by the first subtask only (every instance sees the same model
   * records and decides alike, so one record per refusal, not one per instance).
   */
  public static final OutputTag<ModelEvent> MODEL_EVENTS =
      new OutputTag<>("scoring-model-events", TypeInformation.of(ModelEvent.class));

  /** Keyed state of the episodes (its own descriptor, a state record of io.flowguard.job.scoring). */
  static final ValueStateDescriptor<EpisodeState> EPISODE_STATE =
      new ValueStateDescriptor<>("typicality-episodes", TypeInformation.of(EpisodeState.class));

  private final ScoringSettings settings;
  private final FeatureExtractor<T> extractor;
  private final ModelSelector<T> selector;
  private final ScoreMapper<T, S> scoreMapper;
  private final RejectionMapper<T, R> rejectionMapper;
  private final OutputTag<R> rejectedTag;
  private final ListStateDescriptor<T> pendingDescriptor;
  private EventTime<T> eventTimes;

  private transient Map<String, LoadedModel> loaded;
  private transient Map<String, Integer> unusable;
  private transient FlowguardMetrics metrics;
  private transient Map<String, Integer> restoredVersions;
  private transient Scorer.Score score;
  private transient View view;
  private transient ExplanationBudget budget;
  /** The current key's typicality state as just updated (episodes read it without a second lookup). */
  private transient KeyTypicality keyTypicality;
  private transient ListState<T> pending;
  private transient ValueState<Integer> pendingCount;
  private transient ValueState<Long> pendingDeadline;
  private transient ValueState<KeyTypicality> typicality;
  private transient ValueState<KeyWindows> legacyWindows;
  /** The context of the event or timer being processed; null while a model record is processed. */
  private transient ReadOnlyContext eventContext;
  /** The context of the model record being processed; null otherwise. */
  private transient Context modelContext;
  private transient ValueState<EpisodeState> episodes;
  private transient ValueState<KeyContext> contextHistory;

  /**
   * The operator; {@link io.flowguard.flink.FlowguardScoring} builds it, and {@link #forRawEvents} for
   * the Kafka job.
   *
   * @param eventType the event type's type information (held events are kept in state with it)
   * @param rejectedTag the side output for events that cannot be scored
   */
  public ScoringFunction(ScoringSettings settings, TypeInformation<T> eventType,
      FeatureExtractor<T> extractor, ModelSelector<T> selector, ScoreMapper<T, S> scoreMapper,
      RejectionMapper<T, R> rejectionMapper, OutputTag<R> rejectedTag) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.extractor = Objects.requireNonNull(extractor, "extractor");
    this.selector = Objects.requireNonNull(selector, "selector");
    this.scoreMapper = Objects.requireNonNull(scoreMapper, "scoreMapper");
    this.rejectionMapper = Objects.requireNonNull(rejectionMapper, "rejectionMapper");
    this.rejectedTag = Objects.requireNonNull(rejectedTag, "rejectedTag");
    this.pendingDescriptor = new ListStateDescriptor<>("pending",
        Objects.requireNonNull(eventType, "eventType"));
  }

  /** Uses {@code times} for the time of episode records (set before the job runs). */
  public ScoringFunction<T, S, R> eventTimes(EventTime<T> times) {
    this.eventTimes = Objects.requireNonNull(times, "times");
    return this;
  }

  /**
   * The Kafka job's operator: decoded {@link RawEvent}s routed by their {@code model} field, features
   * resolved by name (or position) under the decoder's rules, {@link ScoredEvent}s out, and {@link
   * DeadLetter}s carrying the original bytes to {@link #DEAD_LETTERS}.
   */
  public static ScoringFunction<RawEvent, ScoredEvent, DeadLetter> forRawEvents(
      ScoringSettings settings) {
    return new ScoringFunction<>(settings, TypeInformation.of(RawEvent.class),
        RawEventScoring.features(settings.decoder()), RawEventScoring.modelField(), RawEventScoring.scoredEvents(),
        RawEventScoring.deadLetters(settings.decoder()), DEAD_LETTERS)
        .eventTimes(RawEventScoring.eventTimes());
  }

  /**
   * Wraps a key selector so that a null key or a throwing selector gives {@link #NO_KEY} instead of
   * failing the job in Flink's partitioner; the operator rejects those events.
   */
  public static <T> org.apache.flink.api.java.functions.KeySelector<T, String> safeKeys(
      org.apache.flink.api.java.functions.KeySelector<T, String> keys) {
    Objects.requireNonNull(keys, "keys");
    return new SafeKeys<>(keys);
  }

  private static final class SafeKeys<T>
      implements org.apache.flink.api.java.functions.KeySelector<T, String> {
    private static final long serialVersionUID = 1L;
    private final org.apache.flink.api.java.functions.KeySelector<T, String> keys;

    SafeKeys(org.apache.flink.api.java.functions.KeySelector<T, String> keys) {
      this.keys = keys;
    }

    @Override
    public String getKey(T event) {
      try {
        String key = keys.getKey(event);
        return key == null ? NO_KEY : key;
      } catch (Exception e) {
        return NO_KEY;
      }
    }
  }

  @Override
  public void initializeState(FunctionInitializationContext context) throws Exception {
    loaded = new HashMap<>();
    unusable = new HashMap<>();
    restoredVersions = new HashMap<>();
    // Parse restored models now, so that metrics show them and the first event pays no parse.
    BroadcastState<String, StoredModel> models =
        context.getOperatorStateStore().getBroadcastState(MODELS);
    for (Map.Entry<String, StoredModel> e : models.entries()) {
      StoredModel m = e.getValue();
      restoredVersions.put(m.name(), m.version());
      if (!m.isWithdrawn()) {
        loadStored(m);
      }
    }
  }

  @Override
  public void snapshotState(FunctionSnapshotContext context) {
    // All state is Flink-managed (broadcast and keyed); the model cache is rebuilt from it.
  }

  /** The event being scored, for {@link #currentEventTime} (set only around the episode step). */
  private transient T currentEvent;
  /** The current event's time, for episode records: asked for only when one is emitted. */
  private transient java.util.function.LongSupplier currentEventTime;
  /** The key's recent NLLs (its ring buffer copied out), asked for only when an episode record is emitted. */
  private transient java.util.function.Supplier<double[]> recentNlls;
  private transient java.util.function.Consumer<TypicalityEpisode> emitEpisode;

  @Override
  public void open(OpenContext openContext) {
    currentEventTime = () -> eventTime(currentEvent);
    recentNlls = () -> keyTypicality.values();
    emitEpisode = this::episode;
    metrics = FlowguardMetrics.forScoring(getRuntimeContext().getMetricGroup());
    restoredVersions.forEach(metrics::activeVersion);
    score = new Scorer.Score();
    view = new View();
    view.carryContexts = settings.carriesRawContexts();
    budget = ExplanationBudget.perSecond(settings.explainPerSecond());
    pending = getRuntimeContext().getListState(pendingDescriptor);
    pendingCount = getRuntimeContext().getState(PENDING_COUNT);
    pendingDeadline = getRuntimeContext().getState(PENDING_DEADLINE);
    typicality = getRuntimeContext().getState(TYPICALITY);
    legacyWindows = getRuntimeContext().getState(LEGACY_WINDOWS);
    episodes = getRuntimeContext().getState(EPISODE_STATE);
    contextHistory = getRuntimeContext().getState(CONTEXT_HISTORY);
  }

  // ---- events ----

  @Override
  public void processElement(T event, ReadOnlyContext ctx, Collector<S> out) throws Exception {
    eventContext = ctx;
    modelContext = null;
    String key = ctx.getCurrentKey();
    if (NO_KEY.equals(key)) {
      reject(event, DeadLetterReason.EXTRACTOR_FAILED,
          "the key selector threw or gave a null key", "");
      return;
    }
    String name = modelOf(event);
    if (name == null) {
      reject(event, DeadLetterReason.EXTRACTOR_FAILED,
          "the model selector threw or gave no model name", "");
      return;
    }
    StoredModel stored = ctx.getBroadcastState(MODELS).get(name);
    if (stored != null && stored.isWithdrawn()) {
      reject(event, DeadLetterReason.UNKNOWN_MODEL, "model '" + name + "' was withdrawn", name);
      return;
    }
    LoadedModel model = stored == null ? null : loadStored(stored);
    if (model != null) {
      score(event, key, model, out);
    } else {
      hold(event, key, name, ctx);
    }
  }

  /** The event's model name, or null when the selector threw or gave nothing. */
  private String modelOf(T event) {
    try {
      String name = selector.modelOf(event);
      return name == null || name.isEmpty() ? null : name;
    } catch (Exception e) {
      return null;
    }
  }

  private void hold(T event, String key, String model, ReadOnlyContext ctx) throws Exception {
    Integer held = pendingCount.value();
    int count = held == null ? 0 : held;
    if (count >= settings.pendingMaxEvents()) {
      reject(event, DeadLetterReason.NO_MODEL, "no model '" + model + "' yet and "
          + count + " events of key '" + key + "' already wait for one ("
          + FlowguardOptions.PENDING_MAX_EVENTS.key() + ")",
          model);
      return;
    }
    pending.add(event);
    pendingCount.update(count + 1);
    if (pendingDeadline.value() == null) {
      long deadline =
          ctx.timerService().currentProcessingTime() + settings.pendingTimeoutMillis();
      ctx.timerService().registerProcessingTimeTimer(deadline);
      pendingDeadline.update(deadline);
    }
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<S> out) throws Exception {
    eventContext = ctx;
    modelContext = null;
    Long deadline = pendingDeadline.value();
    if (deadline == null || timestamp < deadline) {
      return; // the events this timer guarded were released when their model arrived
    }
    ReadOnlyBroadcastState<String, StoredModel> models = ctx.getBroadcastState(MODELS);
    String key = ctx.getCurrentKey();
    for (T event : pending.get()) {
      String name = modelOf(event);
      StoredModel stored = name == null ? null : models.get(name);
      LoadedModel model = stored == null || stored.isWithdrawn() ? null : loadStored(stored);
      if (model != null) {
        score(event, key, model, out);
      } else {
        reject(event, DeadLetterReason.NO_MODEL, "no model '" + name + "' arrived within "
            + settings.pendingTimeoutMillis() + " ms (" + FlowguardOptions.PENDING_TIMEOUT.key() + ")",
            name == null ? "" : name);
      }
    }
    clearPending();
  }

  private void clearPending() {
    pending.clear();
    pendingCount.clear();
    pendingDeadline.clear();
  }

  @SuppressWarnings("unchecked")
  private void score(T event, String key, LoadedModel m, Collector<S> out) throws Exception {
    long start = System.nanoTime();
    FeatureExtractor.Bound<T> bound = (FeatureExtractor.Bound<T>) m.binding;
    if (bound == null) {
      if (m.bindFailure != null) {
        rejectUnbound(event, m);
        return;
      }
      try {
        bound = extractor.bind(m.extractedNames);
        m.binding = bound;
      } catch (FeatureException | RuntimeException e) {
        m.bindFailure = e;
        LOG.warn("The feature extractor cannot serve model '{}' v{}: {}; its events are rejected"
            + " until a model it can serve arrives", m.name, m.version, e.getMessage());
        rejectUnbound(event, m);
        return;
      }
    }
    try {
      bound.extract(event, m.extracted);
      if (m.extracted != m.features) {
        System.arraycopy(m.extracted, 0, m.features, 0, m.features.length);
      }
    } catch (FeatureException e) {
      reject(event, e.reason(), e.getMessage(), m.name);
      return;
    } catch (RuntimeException e) {
      reject(event, DeadLetterReason.EXTRACTOR_FAILED, "the feature extractor threw " + e, m.name);
      return;
    }
    boolean scored = m.context == null ? m.kernel.score(m.features, score) : scoreInContext(event, m);
    if (!scored) {
      // Unreachable for extracted features (finite, schema-sized); kept so that a kernel's refusal
      // is a rejection, never a failure.
      reject(event, score.rejection == Scorer.Rejection.NON_FINITE
              ? DeadLetterReason.NON_FINITE_FEATURE : DeadLetterReason.WRONG_FEATURE_COUNT,
          "the scorer rejected the event: " + score.rejection + " at " + score.rejectedAt, m.name);
      return;
    }
    boolean windows = typicality(m, score.nll);
    // Alarms become episodes per key and window (AlertEpisodes): one record when a window enters the
    // alarm state, updates at most every episodeUpdateEvery events, one when it clears. In place: a key
    // whose windows stay quiet costs no allocation and no state write here.
    if (windows) {
      currentEvent = event;
      EpisodeState next = AlertEpisodes.advance(episodes.value(), key, m.name, m.version, m.windowSizes,
          m.statistics, m.thresholds, m.alarms, currentEventTime, recentNlls, settings.episodeUpdateEvery(), emitEpisode);
      currentEvent = null;
      if (next != null) {
        episodes.update(next);
      }
    }
    view.set(key, m, score, windows);
    view.explanation = explain(m);
    S result = scoreMapper.map(event, view);
    out.collect(result);
    metrics.scored(score.anomaly, view.alarm, System.nanoTime() - start);
    if (m.counters == null) {
      m.counters = metrics.model(m.name);
    }
    m.counters.scored(score.anomaly);
  }

  /**
   * Scores a time-aware model's event given its key's history (keyed state {@code context-history}) and
   * stores the history with the event appended. A history built for another model or layout (features,
   * fields, window) starts afresh; the history rules (gaps, out-of-order events) apply in the kernel, and a
   * reset they cause is counted.
   */
  private boolean scoreInContext(T event, LoadedModel m) throws Exception {
    KeyContext state = contextHistory.value();
    if (state != null && state.serves(m.name, m.contextSchema, m.featureNames.size(), m.context.window())) {
      state.copyTo(m.history);
    } else {
      m.history.clear();
      if (state == null) {
        state = new KeyContext();
      }
    }
    if (settings.carriesRawContexts()) {
      // Before the kernel appends the event (and, when full, overwrites the oldest): the score view hands the
      // first score.historyEvents of these to the mapper, the history after the rules were applied.
      m.history.copyNewestFirst(m.historyBefore, 0);
    }
    boolean scored = m.kernel.scoreInContext(m.extracted, m.features.length, m.history, eventTime(event), score);
    if (scored) {
      if (score.admission != io.flowguard.core.context.KeyHistory.Admission.IN_ORDER) {
        metrics.contextReset(score.admission);
      }
      if (score.warmingUp) {
        metrics.warmingUp();
      }
      state.copyFrom(m.name, m.contextSchema, m.history);
      contextHistory.update(state);
    }
    return scored;
  }

  /**
   * The explanation of the event just scored, when explanations are on and it is an anomaly (or all are
   * explained) and the per-second cap allows; null otherwise (an anomaly over the cap gets an absent
   * explanation saying so). A typicality alarm is a property of a window, not of this event, so it is
   * not explained per event.
   */
  private Explanation explain(LoadedModel m) {
    int top = settings.explainTop();
    if (top == 0 || !(score.anomaly || settings.explainAll())) {
      return null;
    }
    boolean statistics = m.model.featureStatistics().isPresent();
    if (!budget.tryAcquire(System.nanoTime())) {
      metrics.explanationSkipped();
      return Explanation.absent("over the cap of " + settings.explainPerSecond()
          + " explanations per second of this operator instance", score.nll, statistics);
    }
    if (m.explainer == null) {
      m.explainer = new Explainer(m.model, m.falseAlarmRate);
    }
    metrics.explained();
    try {
      return m.context == null ? m.explainer.explain(m.features, top)
          : m.explainer.explainInContext(m.features, 0, m.features.length, top, m.kernel.lastContext());
    } catch (RuntimeException e) {
      // The explainer promises an absent explanation rather than an exception; stay safe if one slips.
      return Explanation.absent("the explanation failed: " + e, score.nll, statistics);
    }
  }

  private void rejectUnbound(T event, LoadedModel m) {
    Exception e = m.bindFailure;
    DeadLetterReason reason = e instanceof FeatureException f ? f.reason()
        : DeadLetterReason.EXTRACTOR_FAILED;
    reject(event, reason, String.valueOf(e.getMessage()), m.name);
  }

  /**
   * Updates the key's windows with {@code nll} (when finite) and puts each window's statistic in
   * {@code m.statistics}; false when the model has no windows. Allocates nothing for a key that has its
   * state.
   */
  private boolean typicality(LoadedModel m, double nll) throws Exception {
    int n = m.windowSizes.length;
    if (n == 0) {
      return false;
    }
    KeyTypicality state = typicality.value();
    if (state == null) {
      state = fromLegacy(m);
    }
    if (state == null || !state.belongsTo(m.name, m.version, m.windowSizes)) {
      state = KeyTypicality.empty(m.name, m.version, m.windowSizes);
    }
    if (Double.isFinite(nll)) {
      state.add(nll);
    }
    typicality.update(state); // the heap backend keeps the reference; others serialize it
    keyTypicality = state;
    for (int i = 0; i < n; i++) {
      double statistic = state.statistic(i, m.entropy);
      m.statistics[i] = statistic;
      m.alarms[i] = statistic > m.thresholds[i];
    }
    return true;
  }

  /** The key's state from a savepoint of the older layout, converted (and the old state cleared). */
  private KeyTypicality fromLegacy(LoadedModel m) throws Exception {
    KeyWindows old = legacyWindows.value();
    if (old == null) {
      return null;
    }
    legacyWindows.clear();
    return KeyTypicality.of(old.model(), old.version(), old.nlls(), m.windowSizes);
  }

  /** The event's time for episode records: the event time function's, else the record timestamp. */
  private long eventTime(T event) {
    if (eventTimes != null) {
      try {
        return eventTimes.eventTime(event);
      } catch (Exception e) {
        // fall back to the record's timestamp
      }
    }
    Long ts = eventContext != null ? eventContext.timestamp() : null;
    return ts != null ? ts : System.currentTimeMillis();
  }

  private void episode(TypicalityEpisode e) {
    if (eventContext != null) {
      eventContext.output(EPISODES, e);
    } else {
      modelContext.output(EPISODES, e);
    }
  }

  private void reject(T event, DeadLetterReason reason, String message, String model) {
    R rejection = rejectionMapper.map(event, reason, message, model);
    // The side output of whichever context is current (an event, a timer or a model's release).
    if (eventContext != null) {
      eventContext.output(rejectedTag, rejection);
    } else {
      modelContext.output(rejectedTag, rejection);
    }
    metrics.deadLetter(reason);
  }

  // ---- models ----

  @Override
  public void processBroadcastElement(ModelRecord record, Context ctx, Collector<S> out)
      throws Exception {
    eventContext = null;
    modelContext = ctx;
    BroadcastState<String, StoredModel> models = ctx.getBroadcastState(MODELS);
    String name = record.name();
    StoredModel current = models.get(name);
    // HOOK issue 19 item 3 (signed models): with model.verification-keys, a record (model or
    // tombstone) without a valid signature is refused like a corrupt one; nothing changes.
    if (!settings.signatureAccepted(record)) {
      metrics.modelRejected();
      LOG.warn("Rejected model record '{}' ({} bytes, offset {}): {}; {}", name,
          record.bytes().length, record.offset(), record.signature().length == 0
              ? "UNSIGNED: the job verifies signatures (model.verification-keys)"
              : "BAD_SIGNATURE: not signed by a key of model.verification-keys",
          current == null || current.isWithdrawn() ? "no model of that name is active"
              : "v" + current.version() + " stays active");
      return;
    }
    if (record.isDeletion()) {
      if (current != null && !current.isWithdrawn()) {
        LOG.info("Model '{}' v{} withdrawn; its events are now rejected as UNKNOWN_MODEL",
            name, current.version());
      }
      models.put(name, StoredModel.withdrawn(name));
      loaded.remove(name);
      metrics.activeVersion(name, 0);
      // A model published later under this name may reuse the withdrawn version number: windows kept
      // for it would mix two models' NLLs. Withdrawals are rare, so visiting every key is affordable.
      ctx.applyToKeyedState(TYPICALITY, (key, state) -> {
        KeyTypicality w = state.value();
        if (w != null && w.model.equals(name)) {
          state.clear();
        }
      });
      ctx.applyToKeyedState(LEGACY_WINDOWS, (key, state) -> {
        KeyWindows w = state.value();
        if (w != null && w.model().equals(name)) {
          state.clear();
        }
      });
      return;
    }
    LoadedModel candidate;
    try {
      candidate = LoadedModel.load(name, record.bytes(), settings);
    } catch (LoadedModel.Rejected e) {
      metrics.modelRejected();
      LOG.warn("Rejected model record '{}' ({} bytes, offset {}): {}; {}", name,
          record.bytes().length, record.offset(), e.getMessage(), current == null
              || current.isWithdrawn() ? "no model of that name is active"
              : "v" + current.version() + " stays active");
      return;
    }
    if (current != null && !current.isWithdrawn() && candidate.version <= current.version()) {
      LOG.info("Ignoring model '{}' v{}: v{} is active and only a higher version replaces it",
          name, candidate.version, current.version());
      return;
    }
    // HOOK issue 19 item 2 (schema-safe swaps): a newer version with other features is refused
    // unless it declares the schema change; the rule lives in ModelSwapPolicy.
    LoadedModel active = current == null || current.isWithdrawn() ? null : loadStored(current);
    if (active != null) {
      java.util.Optional<String> refusal = ModelSwapPolicy.refusal(active.model, candidate.model);
      if (refusal.isPresent()) {
        metrics.schemaChangeRefused();
        LOG.warn("Refused model '{}': {}; v{} stays active", name, refusal.get(), active.version);
        if (getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() == 0) {
          ctx.output(MODEL_EVENTS, ModelEvent.refusedSchemaChange(name, candidate.version,
              candidate.featureNames, active.version, active.featureNames,
              "Refused model '" + name + "': " + refusal.get() + "; v" + active.version + " stays active",
              System.currentTimeMillis()));
        }
        return;
      }
    }
    models.put(name, new StoredModel(name, candidate.version, record.bytes()));
    loaded.put(name, candidate);
    metrics.activeVersion(name, candidate.version);
    LOG.info("Model '{}' v{} active{}", name, candidate.version,
        current == null || current.isWithdrawn() ? "" : " (replaces v" + current.version() + ")");
    release(name, candidate, ctx, out);
  }

  /** Scores, in arrival order, the held events of every key that waited for this model. */
  private void release(String name, LoadedModel model, Context ctx, Collector<S> out)
      throws Exception {
    ctx.applyToKeyedState(pendingDescriptor, (key, state) -> {
      List<T> keep = new ArrayList<>();
      for (T event : state.get()) {
        if (name.equals(modelOf(event))) {
          score(event, key, model, out);
        } else {
          keep.add(event);
        }
      }
      if (keep.isEmpty()) {
        clearPending();
      } else {
        state.update(keep);
        pendingCount.update(keep.size());
      }
    });
  }

  /** The loaded model for the stored one, parsing its bytes if this instance lacks it. */
  private LoadedModel loadStored(StoredModel stored) {
    LoadedModel m = loaded.get(stored.name());
    if (m != null && m.version == stored.version()) {
      return m;
    }
    if (Integer.valueOf(stored.version()).equals(unusable.get(stored.name()))) {
      return null;
    }
    try {
      m = LoadedModel.load(stored.name(), stored.bytes(), settings);
    } catch (LoadedModel.Rejected e) {
      // Only a model that passed validation is stored, so this means the job's settings or code
      // changed since it was stored (e.g. a restore with other typicality windows).
      LOG.error("Stored model '{}' v{} cannot be used any more: {}; its events wait for a new"
          + " model", stored.name(), stored.version(), e.getMessage());
      unusable.put(stored.name(), stored.version());
      return null;
    }
    loaded.put(stored.name(), m);
    return m;
  }

  /** The reused {@link ScoreView} handed to the score mapper. */
  private static final class View implements ScoreView {
    static final TypicalityResult[] NO_TYPICALITY = new TypicalityResult[0];
    static final Attribution[] NO_ATTRIBUTION = new Attribution[0];

    private String key;
    private LoadedModel model;
    private Scorer.Score score;
    /** Whether the model has typicality windows (their statistics are in the model's reused arrays). */
    private boolean windows;
    /** The windows' results for the mapper, made on its first call for this event. */
    private TypicalityResult[] results;
    boolean alarm;
    Explanation explanation;
    /** Whether the operator carries raw contexts (its settings'). */
    boolean carryContexts;

    void set(String key, LoadedModel model, Scorer.Score score, boolean windows) {
      this.key = key;
      this.model = model;
      this.score = score;
      this.windows = windows;
      this.results = null;
      boolean any = false;
      if (windows) {
        for (boolean a : model.alarms) {
          any |= a;
        }
      }
      this.alarm = any;
    }

    @Override
    public String key() {
      return key;
    }

    @Override
    public String model() {
      return model.name;
    }

    @Override
    public int modelVersion() {
      return model.version;
    }

    @Override
    public String modelVersionText() {
      return model.versionText;
    }

    @Override
    public List<String> featureNames() {
      return model.featureNames;
    }

    @Override
    public String[] featureNameArray() {
      return model.featureArray;
    }

    @Override
    public double[] features() {
      return model.features;
    }

    @Override
    public boolean timeAware() {
      return model.context != null;
    }

    @Override
    public int historyEvents() {
      return score.historyEvents;
    }

    @Override
    public boolean carriesRawContext() {
      return model.historyBefore != null && carryContexts;
    }

    @Override
    public double[] rawHistory() {
      return carriesRawContext()
          ? java.util.Arrays.copyOf(model.historyBefore, score.historyEvents * model.features.length)
          : new double[0];
    }

    @Override
    public double[] contextFields() {
      return carriesRawContext()
          ? java.util.Arrays.copyOfRange(model.extracted, model.features.length, model.extractedNames.size())
          : new double[0];
    }

    @Override
    public int contextLayout() {
      return carriesRawContext() ? model.contextSchema : 0;
    }

    @Override
    public boolean warmingUp() {
      return score.warmingUp;
    }

    @Override
    public double logDensity() {
      return score.logDensity;
    }

    @Override
    public double nll() {
      return score.nll;
    }

    @Override
    public double tailProbability() {
      return score.tailProbability;
    }

    @Override
    public boolean anomaly() {
      return score.anomaly;
    }

    @Override
    public TypicalityResult[] typicality() {
      if (results == null) {
        if (!windows) {
          results = NO_TYPICALITY;
        } else {
          int n = model.statistics.length;
          results = new TypicalityResult[n];
          for (int i = 0; i < n; i++) {
            double statistic = model.statistics[i];
            results[i] = new TypicalityResult(model.windowSizes[i], statistic, model.thresholds[i],
                model.alarms[i]);
          }
        }
      }
      return results;
    }

    @Override
    public Attribution[] explanation() {
      return explanation == null ? NO_ATTRIBUTION : Attribution.of(explanation);
    }

    @Override
    public String explanationNote() {
      return explanation == null ? "" : Attribution.note(explanation);
    }

    @Override
    public java.util.Optional<Explanation> fullExplanation() {
      return java.util.Optional.ofNullable(explanation);
    }
  }
}
