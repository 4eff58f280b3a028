package io.flowguard.job.retrain;

import io.flowguard.connectors.model.ModelEvent;
import io.flowguard.connectors.model.ModelEventKind;
import io.flowguard.connectors.model.ModelHistory;
import io.flowguard.connectors.model.ModelRecord;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.connectors.score.ScoredEvent;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.Lineage;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.Retraining;
import io.flowguard.core.train.TrainingListener;
import io.flowguard.flink.scoring.KeyContext;
import io.flowguard.flink.scoring.ModelSwapPolicy;
import io.flowguard.flink.scoring.ScoringSettings;
import io.flowguard.job.scoring.StoredModel;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retrains each model in the job: one instance per model name (the stream is keyed by it), fed by
 * a sample of the scored events ({@link RetrainSampler}) and by the model stream (broadcast), which
 * tells it the champion: the model the scoring operator uses, by the same acceptance and
 * highest-version rule.
 *
 * <p><b>Admission.</b> Outside a drift, an event joins the reservoir only if it is not an anomaly
 * and raised no typicality alarm. During a drift (see {@link DriftDetector}) the champion's alarms
 * are no longer evidence against an event (the whole population moved), so an event is admitted
 * unless its tail probability under the champion is below {@code driftMinTailProbability}: gross
 * outliers stay out, the new normal gets in. A regime that the champion finds grossly impossible
 * everywhere is not learnt automatically; a person retrains it offline ({@code flowguard retrain}).
 * The reservoir ({@link Reservoir}) bounds rows per model and per key. A time-aware model's row
 * also keeps the raw context its scored event carries (the pipeline turns this on with retraining:
 * {@code ScoringSettings.withRawContexts}); rows of two context layouts never mix (a new layout
 * empties the reservoir), and the training gets each row's context ({@link Retraining} rejects a
 * time-aware champion's rows without one as {@code MISSING_CONTEXT}).
 *
 * <p><b>Schedule.</b> A processing-time timer per model fires every {@code interval}; with the
 * drift trigger, a declared drift also starts a retraining as soon as it has {@code minRows} drift
 * rows (once per declaration). A retraining starts only if none is running, the reservoir has
 * {@code minRows} rows (drift rows only, during a drift), the champion is known and has caught up
 * with the last version this operator promoted.
 *
 * <p><b>Off the task thread.</b> The rows are copied on the task thread and handed with the
 * champion to a single-thread executor owned by this instance, which runs {@link
 * Retraining#run}. The task thread never waits: a processing-time poll timer looks at the
 * training's future and handles the outcome on the task thread, which alone touches state.
 * Scoring is another operator and checkpoints do not include the training, so neither waits
 * for it. The executor is shut down on close; the training aborts at its next progress report.
 *
 * <p><b>Promotion, exactly once.</b> A promoted challenger (version = champion + 1) leaves as
 * {@link ModelTopicRecord}s (history record, the history tombstone of version - N, model-topic
 * record) for a transactional Kafka sink, and the same callback records the version in keyed
 * state. The records become visible when the checkpoint that holds that state completes; if the
 * job fails before, the transaction is aborted and the restored state does not know the
 * promotion, so it happens once, later. The retraining in flight is in state too: after a
 * restore, the poll timer finds no local training and starts it again from the restored
 * reservoir ({@code retrainsRestarted}). Rejections and failures leave as {@link ModelEvent}s on
 * {@link #MODEL_EVENTS}, with a log line and a metric ({@link RetrainMetrics}). A promoted
 * challenger whose champion changed while it trained (a person published or rolled back) is
 * discarded as {@code CHAMPION_CHANGED}; one trained on the rows of a drift that ended (or gave
 * way to another) while it trained is discarded as {@code DRIFT_ENDED}.
 */
public final class RetrainFunction
    extends KeyedBroadcastProcessFunction<String, ScoredEvent, ModelRecord, ModelTopicRecord> {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(RetrainFunction.class);

  /** Broadcast state: model name -> champion (the model scoring uses). */
  public static final MapStateDescriptor<String, StoredModel> CHAMPIONS = new MapStateDescriptor<>(
      "retrain-champions", Types.STRING, TypeInformation.of(StoredModel.class));

  /** Model lifecycle events (PROMOTED, REJECTED, FAILED). */
  public static final OutputTag<ModelEvent> MODEL_EVENTS =
      new OutputTag<>("model-events", TypeInformation.of(ModelEvent.class));

  static final MapStateDescriptor<Integer, ReservoirRow> ROWS = new MapStateDescriptor<>(
      "reservoir-rows", Types.INT, TypeInformation.of(ReservoirRow.class));
  static final MapStateDescriptor<String, Integer> KEY_COUNTS = new MapStateDescriptor<>(
      "reservoir-key-counts", Types.STRING, Types.INT);
  static final MapStateDescriptor<String, Integer> DRIFT_KEY_COUNTS = new MapStateDescriptor<>(
      "reservoir-drift-key-counts", Types.STRING, Types.INT);
  static final ValueStateDescriptor<ReservoirMeta> META =
      new ValueStateDescriptor<>("reservoir", TypeInformation.of(ReservoirMeta.class));
  static final ValueStateDescriptor<DriftStatus> DRIFT =
      new ValueStateDescriptor<>("drift", TypeInformation.of(DriftStatus.class));
  static final ValueStateDescriptor<RetrainProgress> PROGRESS =
      new ValueStateDescriptor<>("retrain-progress", TypeInformation.of(RetrainProgress.class));

  /** The reason of a drift challenger discarded because its drift ended while it trained. */
  static final String DRIFT_ENDED = "DRIFT_ENDED";

  /**
   * Retrain intervals the champion may lag behind the last promotion before it is logged as a WARN
   * (normally it catches up within a checkpoint interval), and again at most that often.
   */
  static final int LAG_WARN_INTERVALS = 5;

  /** How often events of a model without a known champion are logged, at most. */
  static final long NO_CHAMPION_WARN_EVERY_MS = TimeUnit.HOURS.toMillis(1);

  static final String SCHEDULED = Lineage.Trigger.SCHEDULED.code();
  static final String DRIFT_TRIGGER = Lineage.Trigger.DRIFT.code();

  private final RetrainSettings settings;
  private final ScoringSettings scoring;

  private transient Reservoir reservoir;
  private transient DriftDetector detector;
  private transient RetrainMetrics metrics;
  private transient ExecutorService executor;
  private transient AtomicBoolean closed;
  private transient Map<String, Running> running;
  private transient Map<String, FlowModel> champions;
  private transient MapState<Integer, ReservoirRow> rows;
  private transient MapState<String, Integer> keyCounts;
  private transient MapState<String, Integer> driftKeyCounts;
  private transient ValueState<ReservoirMeta> meta;
  private transient ValueState<DriftStatus> drift;
  private transient ValueState<RetrainProgress> progress;
  private transient Reservoir.Store store;
  /** Per model: since when the champion lags behind the last promotion, and when that was logged. */
  private transient Map<String, Long> laggingSince;
  private transient Map<String, Long> lagWarnedAt;
  /** Per model: since when events arrive without a known champion, and when that was logged. */
  private transient Map<String, Long> noChampionSince;
  private transient Map<String, Long> noChampionWarnedAt;

  /**
   * A training on the executor: which attempt, on what, and its result to come. A training on the
   * drift rows remembers which drift they were of ({@code driftDeclaredAt}, the declaration's
   * time; 0 otherwise): its challenger describes that drift's regime and no other.
   */
  private record Running(long attempt, String trigger, boolean driftRows, long driftDeclaredAt,
      int championVersion, String data, Future<Retraining.Outcome> result) {}

  public RetrainFunction(RetrainSettings settings, ScoringSettings scoring) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.scoring = Objects.requireNonNull(scoring, "scoring");
  }

  @Override
  public void open(OpenContext openContext) {
    reservoir = settings.reservoir();
    detector = settings.driftDetector();
    metrics = new RetrainMetrics(getRuntimeContext().getMetricGroup());
    closed = new AtomicBoolean();
    running = new HashMap<>();
    champions = new HashMap<>();
    int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
    executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "flowguard-retrain-" + subtask);
      t.setDaemon(true); // never keeps a TaskManager alive
      t.setPriority(Thread.MIN_PRIORITY);
      return t;
    });
    rows = getRuntimeContext().getMapState(ROWS);
    keyCounts = getRuntimeContext().getMapState(KEY_COUNTS);
    driftKeyCounts = getRuntimeContext().getMapState(DRIFT_KEY_COUNTS);
    meta = getRuntimeContext().getState(META);
    drift = getRuntimeContext().getState(DRIFT);
    progress = getRuntimeContext().getState(PROGRESS);
    store = new StateStore();
    laggingSince = new HashMap<>();
    lagWarnedAt = new HashMap<>();
    noChampionSince = new HashMap<>();
    noChampionWarnedAt = new HashMap<>();
  }

  @Override
  public void close() throws Exception {
    if (closed != null) {
      closed.set(true);
    }
    if (executor != null) {
      executor.shutdownNow();
      // A training notices at its next progress report; do not hold up the task for it.
      executor.awaitTermination(1, TimeUnit.SECONDS);
    }
    super.close();
  }

  // ---- sampled scored events ----

  @Override
  public void processElement(ScoredEvent e, ReadOnlyContext ctx, Collector<ModelTopicRecord> out)
      throws Exception {
    int version;
    try {
      version = Integer.parseInt(e.modelVersion());
    } catch (NumberFormatException ex) {
      return; // not scored by a model of ours; nothing to learn from
    }
    String model = ctx.getCurrentKey();
    long now = ctx.timerService().currentProcessingTime();
    if (ctx.getBroadcastState(CHAMPIONS).get(model) == null) {
      warnNoChampion(model, e.modelVersion(), now);
    }
    DriftStatus before = drift.value();
    if (before == null) {
      before = DriftStatus.fresh(version);
    }
    if (version < before.modelVersion()) {
      // Scored by a model older than the newest (or the one just promoted): its verdicts are
      // stale, so the event is neither counted nor admitted.
      return;
    }
    ReservoirMeta m = meta.value();
    if (m == null || !Arrays.equals(m.featureNames(), e.featureNames())
        || m.contextLayout() != e.contextLayout()) {
      if (m != null && m.size() > 0) {
        LOG.info("Model '{}' now has features {}{}; the retraining reservoir of {} rows with {}{} is"
            + " emptied", model, Arrays.toString(e.featureNames()), contextNote(e.contextLayout()),
            m.size(), Arrays.toString(m.featureNames()), contextNote(m.contextLayout()));
      }
      m = reservoir.clear(m == null ? ReservoirMeta.EMPTY : m, e.featureNames(),
          e.contextLayout(), store);
    }

    boolean alert = e.anomaly() || e.typicalityAlarm();
    DriftStatus after = detector.observe(before, version, alert, now).status();
    if (before.declared() && !after.declared()) {
      int driftRows = m.driftRows();
      m = reservoir.endDrift(m, store);
      LOG.info("Model '{}': drift ended (v{}); its {} drift rows become ordinary reservoir rows",
          model, after.modelVersion(), driftRows);
    } else if (!before.declared() && after.declared()) {
      metrics.driftsDeclared.inc();
      LOG.warn("Model '{}': drift declared: {} consecutive blocks of {} sampled events with at"
          + " least {} alerts each under v{}; admitting events above tail probability {} and"
          + " collecting drift rows", model, settings.driftBlocks(), settings.driftBlock(),
          settings.driftAlertFraction(), after.modelVersion(),
          settings.driftMinTailProbability());
    }
    drift.update(after);

    boolean admit;
    if (after.declared()) {
      admit = e.tailProbability() >= settings.driftMinTailProbability();
      if (!admit) {
        metrics.excludedAnomalies.inc();
      }
    } else if (e.anomaly()) {
      admit = false;
      metrics.excludedAnomalies.inc();
    } else if (e.typicalityAlarm()) {
      admit = false;
      metrics.excludedAlarms.inc();
    } else {
      admit = true;
    }
    if (admit) {
      Reservoir.Offer offer = reservoir.offer(m, new ReservoirRow(e.key(), e.eventTime(),
          e.features(), e.contextHistory(), e.contextFields()), after.declared(), store);
      m = offer.meta();
      if (offer.admission().kept()) {
        metrics.admitted.inc();
      } else if (offer.admission() == Reservoir.Admission.KEY_CAPPED) {
        metrics.keyCapped.inc();
      }
    }
    meta.update(m);
    RetrainMetrics.ModelGauges g = metrics.model(model);
    metrics.reservoir(model, m);
    g.driftActive = after.declared() ? 1 : 0;

    RetrainProgress p = progress();
    if (p.nextRunAt() == 0) {
      p = p.scheduledAt(now + settings.interval().toMillis());
      ctx.timerService().registerProcessingTimeTimer(p.nextRunAt());
      progress.update(p);
    }
    if (after.declared() && settings.driftTrigger() && m.driftRows() >= settings.minRows()
        && p.driftTriggeredAt() != after.declaredAt() && !p.inFlight()) {
      maybeStart(model, DRIFT_TRIGGER, ctx.getBroadcastState(CHAMPIONS), ctx.timerService(),
          false);
    }
  }

  // ---- timers: the schedule and the poll ----

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<ModelTopicRecord> out)
      throws Exception {
    String model = ctx.getCurrentKey();
    RetrainProgress p = progress();
    if (p.pollAt() != 0 && timestamp >= p.pollAt()) {
      poll(model, ctx, out);
      p = progress();
    }
    if (p.nextRunAt() != 0 && timestamp >= p.nextRunAt()) {
      p = p.scheduledAt(timestamp + settings.interval().toMillis());
      progress.update(p);
      ctx.timerService().registerProcessingTimeTimer(p.nextRunAt());
      maybeStart(model, SCHEDULED, ctx.getBroadcastState(CHAMPIONS), ctx.timerService(), true);
    }
  }

  /**
   * Starts a retraining if one may start now.
   *
   * @param due whether the schedule made it due (a skip is counted then; the drift trigger is
   *     tried on every drift event until it starts, so its skips are not)
   */
  private void maybeStart(String model, String trigger,
      ReadOnlyBroadcastState<String, StoredModel> championState, TimerService timers,
      boolean due) throws Exception {
    Skips skips = due ? this::skip : (m, why) -> { };
    RetrainProgress p = progress();
    if (p.inFlight()) {
      skips.skip(model, "a retraining (attempt " + p.inFlightAttempt() + ") is still running");
      return;
    }
    StoredModel stored = championState.get(model);
    FlowModel champion = stored == null || stored.isWithdrawn() ? null : champion(stored);
    if (champion == null) {
      skips.skip(model, "no usable champion");
      return;
    }
    if (champion.version() < p.lastPromotedVersion()) {
      warnIfLagging(model, champion.version(), p.lastPromotedVersion(),
          timers.currentProcessingTime());
      skips.skip(model, "v" + p.lastPromotedVersion() + " was promoted but the champion is still v"
          + champion.version() + " (waiting for it to come back on the model topic)");
      return;
    }
    laggingSince.remove(model);
    lagWarnedAt.remove(model);
    ReservoirMeta m = meta.value();
    DriftStatus d = drift.value();
    boolean driftRows = d != null && d.declared();
    int n = m == null ? 0 : driftRows ? m.driftRows() : m.size();
    if (n < settings.minRows()) {
      skips.skip(model, n + (driftRows ? " drift rows" : " reservoir rows") + ", fewer than the "
          + settings.minRows() + " required (retrain.min-rows)");
      return;
    }
    List<String> schema = champion.preprocessor().featureNames();
    if (!schema.equals(List.of(m.featureNames()))) {
      skips.skip(model, "the reservoir holds features " + Arrays.toString(m.featureNames())
          + " but the champion v" + champion.version() + " has " + schema);
      return;
    }
    if (champion.context().isPresent() && m.contextLayout() != 0
        && m.contextLayout() != contextLayout(champion)) {
      // Rows scored under another window or other context fields: the next scored event (of the
      // champion's layout) empties the reservoir, which then fills with rows the champion can use.
      skips.skip(model, "the reservoir's rows carry contexts of another layout than the champion v"
          + champion.version() + "'s (" + champion.context().get().describe() + ")");
      return;
    }
    long attempt = p.attempts() + 1;
    long now = timers.currentProcessingTime();
    submit(model, attempt, trigger, champion, driftRows, now);
    p = p.started(attempt, trigger, champion.version(), driftRows, now,
        d == null ? 0 : d.declaredAt());
    p = p.pollingAt(now + settings.pollInterval().toMillis());
    timers.registerProcessingTimeTimer(p.pollAt());
    progress.update(p);
    metrics.started.inc();
  }

  /** Copies the rows (task thread) and starts the training on the executor. */
  private void submit(String model, long attempt, String trigger, FlowModel champion,
      boolean driftRows, long now) throws Exception {
    ReservoirMeta m = meta.value();
    DriftStatus d = drift.value();
    long driftDeclaredAt = driftRows && d != null && d.declared() ? d.declaredAt() : 0;
    // A time-aware champion's challenger trains on each row's raw context; rows without one (from
    // before contexts were kept) make Retraining reject the request as MISSING_CONTEXT.
    java.util.Optional<io.flowguard.core.context.ContextSpec> context = champion.context()
        .filter(c -> m.contextLayout() != 0 && m.contextLayout() == contextLayout(champion));
    Reservoir.Snapshot rowsNow = Reservoir.snapshot(m, driftRows, context, store);
    String data = describe(rowsNow, driftRows, d);
    Dataset candidates = new Dataset("reservoir of model '" + model + "'",
        List.of(m.featureNames()), rowsNow.values(), rowsNow.rows());
    Retraining.Request refresh = Retraining.Request.refresh(champion, candidates,
        seed(model, attempt), Lineage.Trigger.ofCode(trigger), data,
        settings.validation(scoring.falseAlarmRate()));
    Retraining.Request request = rowsNow.contexts().map(refresh::withContexts).orElse(refresh);
    ChallengerTrainer trainer = settings.trainer();
    TrainingListener throttle = new TrainingThrottle(settings.cpuShare(), closed);
    Future<Retraining.Outcome> result = executor.submit(() -> trainer.train(request, throttle));
    running.put(model, new Running(attempt, trigger, driftRows, driftDeclaredAt,
        champion.version(), data, result));
    metrics.model(model).training = 1;
    LOG.info("Model '{}': retraining attempt {} ({}) started against v{} on {}", model, attempt,
        trigger, champion.version(), data);
  }

  private void poll(String model, OnTimerContext ctx, Collector<ModelTopicRecord> out)
      throws Exception {
    RetrainProgress p = progress();
    if (!p.inFlight()) {
      progress.update(p.pollingAt(0));
      return;
    }
    Running r = running.get(model);
    long now = ctx.timerService().currentProcessingTime();
    if (r == null || r.attempt() != p.inFlightAttempt()) {
      // Restored from a checkpoint taken while this attempt trained: the training was lost with
      // the previous instance. Start it again, same attempt and seed, on the restored reservoir.
      StoredModel stored = ctx.getBroadcastState(CHAMPIONS).get(model);
      FlowModel champion = stored == null || stored.isWithdrawn() ? null : champion(stored);
      ReservoirMeta m = meta.value();
      int n = m == null ? 0 : p.inFlightDriftRows() ? m.driftRows() : m.size();
      if (champion == null || n < settings.minRows()) {
        LOG.info("Model '{}': retraining attempt {} was lost in a restart and cannot start"
            + " again ({}); waiting for the schedule", model, p.inFlightAttempt(),
            champion == null ? "no champion" : n + " rows");
        progress.update(p.finished(0));
        metrics.model(model).training = 0;
        return;
      }
      LOG.info("Model '{}': retraining attempt {} was lost in a restart; starting it again on"
          + " the restored reservoir", model, p.inFlightAttempt());
      submit(model, p.inFlightAttempt(), p.inFlightTrigger(), champion, p.inFlightDriftRows(),
          now);
      metrics.restarted.inc();
      p = p.started(p.inFlightAttempt(), p.inFlightTrigger(), champion.version(),
          p.inFlightDriftRows(), now, p.driftTriggeredAt());
      repoll(p, now, ctx.timerService());
      return;
    }
    if (!r.result().isDone()) {
      repoll(p, now, ctx.timerService());
      return;
    }
    running.remove(model);
    metrics.model(model).training = 0;
    Retraining.Outcome outcome;
    try {
      outcome = r.result().get();
    } catch (ExecutionException | CancellationException ex) {
      Throwable cause = ex instanceof ExecutionException ? ex.getCause() : ex;
      failed(model, r, "TRAINING_ERROR", "retraining attempt " + r.attempt() + " failed: "
          + cause, now, ctx);
      LOG.warn("Model '{}': retraining attempt {} failed", model, r.attempt(), cause);
      progress.update(p.finished(0));
      return;
    }
    metrics.model(model).lastTrainSeconds = outcome.metrics().trainSeconds();
    if (!outcome.promoted()) {
      metrics.rejected.inc();
      ctx.output(MODEL_EVENTS, ModelEvent.of(model, outcome, r.data(), now));
      LOG.info("Model '{}': challenger v{} rejected ({}): {}", model,
          outcome.metrics().challengerVersion(), outcome.reason(), outcome.message());
      progress.update(p.finished(0));
      return;
    }
    FlowModel challenger = outcome.challenger().orElseThrow();
    StoredModel current = ctx.getBroadcastState(CHAMPIONS).get(model);
    int championNow = current == null ? 0 : current.version();
    if (championNow != r.championVersion()) {
      metrics.rejected.inc();
      Retraining.Metrics om = outcome.metrics();
      ctx.output(MODEL_EVENTS, new ModelEvent(model, ModelEventKind.REJECTED, challenger.version(),
          championNow, "CHAMPION_CHANGED", "challenger v" + challenger.version() + " was trained"
              + " against v" + r.championVersion() + ", but v" + championNow + " became the"
              + " champion meanwhile; discarded (the next retraining starts from v" + championNow
              + ")", om.challengerNll(), om.championNll(), om.candidateRows(), om.trainRows(),
          om.heldOutRows(), om.trainSeconds(), r.data(), now));
      LOG.info("Model '{}': challenger v{} discarded: the champion changed from v{} to v{}"
          + " while it trained", model, challenger.version(), r.championVersion(), championNow);
      progress.update(p.finished(0));
      return;
    }
    DriftStatus driftNow = drift.value();
    if (r.driftRows() && (driftNow == null || !driftNow.declared()
        || driftNow.declaredAt() != r.driftDeclaredAt())) {
      // Validated on the drift's own rows, it describes a regime that is gone; promoting it would
      // also drop the reservoir's rows from before a drift that no longer exists.
      metrics.rejected.inc();
      Retraining.Metrics om = outcome.metrics();
      String declared = Instant.ofEpochMilli(r.driftDeclaredAt()).toString();
      String since = driftNow != null && driftNow.declared()
          ? "; a new drift was declared at " + Instant.ofEpochMilli(driftNow.declaredAt()) : "";
      ctx.output(MODEL_EVENTS, new ModelEvent(model, ModelEventKind.REJECTED, challenger.version(),
          championNow, DRIFT_ENDED, "challenger v" + challenger.version() + " was trained on the"
              + " rows of the drift declared at " + declared + ", which ended while it trained"
              + since + "; discarded (v" + championNow + " stays, and the reservoir is kept)",
          om.challengerNll(), om.championNll(), om.candidateRows(), om.trainRows(),
          om.heldOutRows(), om.trainSeconds(), r.data(), now));
      LOG.info("Model '{}': challenger v{} discarded: the drift declared at {} that it was trained"
          + " on ended while it trained{}", model, challenger.version(), declared, since);
      progress.update(p.finished(0));
      return;
    }
    byte[] bytes = ModelFormat.toBytes(challenger);
    if (bytes.length > ModelTopic.MAX_MODEL_BYTES) {
      failed(model, r, "MODEL_TOO_LARGE", "challenger v" + challenger.version() + " has "
          + bytes.length + " bytes, above the model topic's limit of " + ModelTopic.MAX_MODEL_BYTES,
          now, ctx);
      progress.update(p.finished(0));
      return;
    }
    try {
      scoring.acceptedModel(model, bytes);
    } catch (IllegalArgumentException ex) {
      failed(model, r, "NOT_SCORABLE", "challenger v" + challenger.version() + " would be"
          + " rejected by the scoring operator: " + ex.getMessage(), now, ctx);
      progress.update(p.finished(0));
      return;
    }
    // HOOK issue 19 item 2: in-job retraining never changes the feature schema (the challenger is
    // trained on the champion's features); checked so that a promotion can never be refused.
    FlowModel championModel = current == null || current.isWithdrawn() ? null : champion(current);
    java.util.Optional<String> schema = championModel == null ? java.util.Optional.empty()
        : ModelSwapPolicy.refusal(championModel, challenger);
    if (schema.isPresent()) {
      failed(model, r, "SCHEMA_CHANGED", schema.get(), now, ctx);
      progress.update(p.finished(0));
      return;
    }
    int v = challenger.version();
    out.collect(new ModelTopicRecord(settings.historyTopic(), ModelHistory.key(model, v), bytes));
    int retired = v - settings.historyVersions();
    if (retired >= 1) {
      out.collect(new ModelTopicRecord(settings.historyTopic(), ModelHistory.key(model, retired),
          new byte[0]));
    }
    out.collect(new ModelTopicRecord(settings.modelTopic(), model, bytes));
    ctx.output(MODEL_EVENTS, ModelEvent.of(model, outcome, r.data(), now));
    metrics.promoted.inc();
    metrics.model(model).lastPromotedVersion = v;
    progress.update(p.finished(v));
    ReservoirMeta m = meta.value();
    if (r.driftRows()) {
      // The new champion describes the post-drift regime; rows from before it do not.
      m = reservoir.dropPreDrift(m, store);
    } else if (m.driftRows() > 0) {
      m = reservoir.endDrift(m, store);
    }
    meta.update(m);
    // Events still scored by the replaced champion no longer count (see processElement).
    drift.update(DriftStatus.fresh(v));
    metrics.reservoir(model, m);
    metrics.model(model).driftActive = 0;
    LOG.info("Model '{}': {}", model, outcome.message());
  }

  /**
   * Scored events of a model arrive, but the model stream never told this operator its champion:
   * typically retraining was enabled on a job restored from a savepoint taken without it, and the
   * model source resumed after the models already published. Without a champion nothing is ever
   * retrained, so count it and say so: once it has lasted a retrain interval (at start-up the
   * first events may overtake the model on the other input), then at most once an hour per model.
   */
  private void warnNoChampion(String model, String scoredBy, long now) {
    metrics.eventsWithoutChampion.inc();
    long since = noChampionSince.computeIfAbsent(model, k -> now);
    Long warned = noChampionWarnedAt.get(model);
    if (now - since >= settings.interval().toMillis()
        && (warned == null || now - warned >= NO_CHAMPION_WARN_EVERY_MS)) {
      noChampionWarnedAt.put(model, now);
      LOG.warn("Model '{}': events scored by v{} arrive, but the retraining operator has not seen"
          + " the model on the model stream (e.g. retraining was enabled on a job restored from a"
          + " savepoint taken without it), so it will never retrain it. Publish the model again,"
          + " e.g. flowguard models rollback --model {} --to {}, so the retraining operator learns"
          + " it", model, scoredBy, model, scoredBy);
    }
  }

  /**
   * A promotion normally reaches the model stream within a checkpoint interval. One that has not
   * for {@link #LAG_WARN_INTERVALS} retrain intervals will probably never come (the model topic was
   * reset, or the transaction was lost), and retraining waits for it: say so rather than silently.
   */
  private void warnIfLagging(String model, int champion, int promoted, long now) {
    long since = laggingSince.computeIfAbsent(model, k -> now);
    long limit = LAG_WARN_INTERVALS * settings.interval().toMillis();
    Long warned = lagWarnedAt.get(model);
    if (now - since >= limit && (warned == null || now - warned >= limit)) {
      lagWarnedAt.put(model, now);
      LOG.warn("Model '{}': this job promoted v{} {} s ago, but the champion on the model stream is"
          + " still v{}; no retraining starts until v{} arrives. If it never will (e.g. the model"
          + " topic was reset), publish a model with a version above v{}, or withdraw the model"
          + " and publish it again", model, promoted, (now - since) / 1000, champion, promoted,
          promoted);
    }
  }

  private void repoll(RetrainProgress p, long now, TimerService timers) throws Exception {
    RetrainProgress next = p.pollingAt(now + settings.pollInterval().toMillis());
    timers.registerProcessingTimeTimer(next.pollAt());
    progress.update(next);
  }

  private void failed(String model, Running r, String reason, String message, long now,
      OnTimerContext ctx) {
    metrics.failed.inc();
    ctx.output(MODEL_EVENTS, ModelEvent.failed(model, r.championVersion() + 1,
        r.championVersion(), reason, message, r.data(), now));
  }

  private interface Skips {
    void skip(String model, String why);
  }

  private void skip(String model, String why) {
    metrics.skipped.inc();
    LOG.debug("Model '{}': no retraining now: {}", model, why);
  }

  private RetrainProgress progress() throws Exception {
    RetrainProgress p = progress.value();
    return p == null ? RetrainProgress.NONE : p;
  }

  // ---- champions (broadcast) ----

  @Override
  public void processBroadcastElement(ModelRecord record, Context ctx,
      Collector<ModelTopicRecord> out) throws Exception {
    BroadcastState<String, StoredModel> state = ctx.getBroadcastState(CHAMPIONS);
    String name = record.name();
    StoredModel current = state.get(name);
    if (!scoring.signatureAccepted(record)) {
      return; // HOOK issue 19 item 3: the scoring operator logs and counts the refusal
    }
    if (record.isDeletion()) {
      state.put(name, StoredModel.withdrawn(name));
      champions.remove(name);
      // The next model of this name may start again at any version (a fresh model at v1): forget
      // the versions of this one, or its events would be ignored and retraining would wait for
      // the last promoted version forever.
      ctx.applyToKeyedState(PROGRESS, (key, p) -> {
        if (key.equals(name)) {
          forgetVersions(key, p);
        }
      });
      return;
    }
    FlowModel model;
    try {
      model = scoring.acceptedModel(name, record.bytes());
    } catch (IllegalArgumentException e) {
      return; // the scoring operator logs and counts the rejection
    }
    if (current != null && !current.isWithdrawn() && model.version() <= current.version()) {
      return;
    }
    // HOOK issue 19 item 2: the scoring operator refuses an undeclared schema change, so the
    // champion stays what scoring uses.
    FlowModel champion = current == null || current.isWithdrawn() ? null : champion(current);
    if (champion != null && ModelSwapPolicy.refusal(champion, model).isPresent()) {
      return; // the scoring operator logs and counts the refusal
    }
    state.put(name, new StoredModel(name, model.version(), record.bytes()));
    champions.put(name, model);
    noChampionSince.remove(name);
    noChampionWarnedAt.remove(name);
  }

  /** The model was withdrawn: its last promotion and drift statistics no longer apply. */
  private void forgetVersions(String model, ValueState<RetrainProgress> progressOfKey)
      throws Exception {
    RetrainProgress p = progressOfKey.value();
    DriftStatus d = drift.value();
    if (p != null && p.lastPromotedVersion() != 0) {
      progressOfKey.update(p.championWithdrawn());
    }
    ReservoirMeta m = meta.value();
    if (m != null && m.driftRows() > 0) {
      m = reservoir.endDrift(m, store);
      meta.update(m);
      metrics.reservoir(model, m);
    }
    drift.clear();
    metrics.model(model).driftActive = 0;
    metrics.model(model).lastPromotedVersion = 0;
    laggingSince.remove(model);
    lagWarnedAt.remove(model);
    LOG.info("Model '{}' was withdrawn: retraining forgets its versions (last promoted v{}, drift"
        + " statistics of v{}); the next model published under this name is the new baseline",
        model, p == null ? 0 : p.lastPromotedVersion(), d == null ? 0 : d.modelVersion());
  }

  /** The parsed champion, from the transient cache or its stored bytes. */
  private FlowModel champion(StoredModel stored) {
    FlowModel m = champions.get(stored.name());
    if (m != null && m.version() == stored.version()) {
      return m;
    }
    try {
      m = scoring.acceptedModel(stored.name(), stored.bytes());
    } catch (IllegalArgumentException e) {
      LOG.warn("Stored champion '{}' v{} is not usable any more: {}", stored.name(),
          stored.version(), e.getMessage());
      return null;
    }
    champions.put(stored.name(), m);
    return m;
  }

  // ---- helpers ----

  /** This instance's metrics (for tests). */
  RetrainMetrics metrics() {
    return metrics;
  }

  private static String describe(Reservoir.Snapshot s, boolean driftRows, DriftStatus d) {
    String span = s.rows() == 0 ? "" : ", event time " + Instant.ofEpochMilli(s.firstEventTime())
        + ".." + Instant.ofEpochMilli(s.lastEventTime());
    String which = driftRows && d != null
        ? " admitted since the drift declared at " + Instant.ofEpochMilli(d.declaredAt()) : "";
    return "retraining reservoir: " + s.rows() + " normal events of " + s.keys() + " keys" + which
        + span;
  }

  /** The layout fingerprint of a time-aware model's raw contexts, as its scored events carry it. */
  static int contextLayout(FlowModel model) {
    io.flowguard.core.context.ContextSpec c = model.context().orElseThrow();
    return KeyContext.schemaOf(model.preprocessor().featureNames(), c.fields(), c.window());
  }

  private static String contextNote(int layout) {
    return layout == 0 ? "" : " (raw contexts of layout " + layout + ")";
  }

  /** A seed that differs per model and attempt and is the same for a restarted attempt. */
  static long seed(String model, long attempt) {
    long z = model.hashCode() * 0x9E3779B97F4A7C15L + attempt;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** The reservoir in the current key's state. */
  private final class StateStore implements Reservoir.Store {
    @Override
    public ReservoirRow row(int slot) throws Exception {
      ReservoirRow r = rows.get(slot);
      if (r == null) {
        throw new IllegalStateException("reservoir slot " + slot + " is empty; the state is"
            + " inconsistent");
      }
      return r;
    }

    @Override
    public void putRow(int slot, ReservoirRow row) throws Exception {
      rows.put(slot, row);
    }

    @Override
    public void removeRow(int slot) throws Exception {
      rows.remove(slot);
    }

    @Override
    public int count(String key, boolean driftRows) throws Exception {
      Integer c = (driftRows ? driftKeyCounts : keyCounts).get(key);
      return c == null ? 0 : c;
    }

    @Override
    public void setCount(String key, boolean driftRows, int count) throws Exception {
      MapState<String, Integer> s = driftRows ? driftKeyCounts : keyCounts;
      if (count == 0) {
        s.remove(key);
      } else {
        s.put(key, count);
      }
    }

    @Override
    public void clearCounts(boolean driftRows) throws Exception {
      (driftRows ? driftKeyCounts : keyCounts).clear();
    }
  }
}
