package io.flowguard.flink.scoring;

import io.flowguard.connectors.event.DeadLetter;
import io.flowguard.connectors.event.DeadLetterReason;
import io.flowguard.connectors.event.Event;
import io.flowguard.connectors.event.Parsed;
import io.flowguard.connectors.event.RawEvent;
import io.flowguard.connectors.model.ModelRecord;
import io.flowguard.connectors.score.ScoredEvent;
import io.flowguard.connectors.score.TypicalityEpisode;
import io.flowguard.connectors.score.TypicalityResult;
import io.flowguard.core.score.Scorer;
import io.flowguard.core.score.TypicalityWindow;
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
 * Scores events by key with the models of the broadcast model stream.
 *
 * <p><b>Models</b> (broadcast side). Broadcast state maps a model name to the {@link StoredModel}
 * in use: name, version and the model file's bytes. A model record is parsed and validated ({@link
 * LoadedModel#load}) on every instance; an invalid one is rejected with a log line and the {@code
 * modelsRejected} metric and the previous model stays. The active version is the highest version
 * seen: a record whose version is not above the current one is ignored with a log line. Every
 * instance sees the same records and applies the same rule, so all agree whatever the order in
 * which versions arrive. Parsed models live in a transient per-instance cache keyed by name and
 * version, rebuilt from the stored bytes after a restore. A tombstone withdraws a model.
 *
 * <p><b>Events</b> (keyed side). An event whose model is active is resolved against the model's
 * schema, scored, added to its key's typicality windows and emitted as a {@link ScoredEvent}. An
 * event whose model has not arrived is held in keyed state (at most {@code pendingMaxEvents} per key)
 * and scored, in arrival order, as soon as the model arrives; if the bound is reached, or the key's
 * oldest held event has waited {@code pendingTimeout}, it is dead-lettered as {@link
 * DeadLetterReason#NO_MODEL}. Events of a withdrawn model are dead-lettered at once as {@link
 * DeadLetterReason#UNKNOWN_MODEL}; events whose features do not fit the schema with the resolver's
 * reason. Dead letters go to {@link #DEAD_LETTERS}.
 *
 * <p><b>Typicality</b>. Keyed state holds the key's most recent NLLs and the model version that
 * produced them ({@link KeyWindows}); it restarts empty when the version changes. NLLs that are not
 * finite (log-density -infinity, far outside the data) are anomalies but are kept out of the windows.
 */
public final class ScoringFunction
    extends KeyedBroadcastProcessFunction<String, RawEvent, ModelRecord, ScoredEvent>
    implements CheckpointedFunction {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(ScoringFunction.class);

  /** Broadcast state: model name -> model in use. */
  public static final MapStateDescriptor<String, StoredModel> MODELS =
      new MapStateDescriptor<>("models", Types.STRING, TypeInformation.of(StoredModel.class));

  /** Dead letters of this operator (the parse operator uses a tag of the same id). */
  public static final OutputTag<DeadLetter> DEAD_LETTERS =
      new OutputTag<>("dead-letters", TypeInformation.of(DeadLetter.class));

  static final ListStateDescriptor<RawEvent> PENDING =
      new ListStateDescriptor<>("pending", TypeInformation.of(RawEvent.class));
  static final ValueStateDescriptor<Integer> PENDING_COUNT =
      new ValueStateDescriptor<>("pending-count", Types.INT);
  static final ValueStateDescriptor<Long> PENDING_DEADLINE =
      new ValueStateDescriptor<>("pending-deadline", Types.LONG);
  static final ValueStateDescriptor<KeyWindows> WINDOWS =
      new ValueStateDescriptor<>("typicality", TypeInformation.of(KeyWindows.class));

  /** Typicality episode records (issue 19 item 6): OPENED, UPDATE, CLEARED per key and window. */
  public static final OutputTag<TypicalityEpisode> EPISODES =
      new OutputTag<>("typicality-episodes", TypeInformation.of(TypicalityEpisode.class));

  /** Keyed state of the episodes (its own descriptor, a state record of io.flowguard.job.scoring). */
  static final ValueStateDescriptor<EpisodeState> EPISODE_STATE =
      new ValueStateDescriptor<>("typicality-episodes", TypeInformation.of(EpisodeState.class));

  /** Where side outputs go: {@code ctx::output} of any of the operator's contexts. */
  @FunctionalInterface
  interface SideOutput {
    <X> void output(OutputTag<X> tag, X value);
  }

  private final ScoringSettings settings;

  private transient Map<String, LoadedModel> loaded;
  private transient Map<String, Integer> unusable;
  private transient FlowguardMetrics metrics;
  private transient Map<String, Integer> restoredVersions;
  private transient Scorer.Score score;
  private transient int maxWindow;
  private transient ListState<RawEvent> pending;
  private transient ValueState<Integer> pendingCount;
  private transient ValueState<Long> pendingDeadline;
  private transient ValueState<KeyWindows> windows;
  private transient ValueState<EpisodeState> episodes;

  public ScoringFunction(ScoringSettings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
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

  @Override
  public void open(OpenContext openContext) {
    metrics = FlowguardMetrics.forScoring(getRuntimeContext().getMetricGroup());
    restoredVersions.forEach(metrics::activeVersion);
    score = new Scorer.Score();
    maxWindow = settings.maxWindow();
    pending = getRuntimeContext().getListState(PENDING);
    pendingCount = getRuntimeContext().getState(PENDING_COUNT);
    pendingDeadline = getRuntimeContext().getState(PENDING_DEADLINE);
    windows = getRuntimeContext().getState(WINDOWS);
    episodes = getRuntimeContext().getState(EPISODE_STATE);
  }

  // ---- events ----

  @Override
  public void processElement(RawEvent raw, ReadOnlyContext ctx, Collector<ScoredEvent> out)
      throws Exception {
    StoredModel stored = ctx.getBroadcastState(MODELS).get(raw.model());
    if (stored != null && stored.isWithdrawn()) {
      deadLetter(raw, DeadLetterReason.UNKNOWN_MODEL,
          "model '" + raw.model() + "' was withdrawn", ctx::output);
      return;
    }
    LoadedModel model = stored == null ? null : loadStored(stored);
    if (model != null) {
      score(raw, model, out, ctx::output);
    } else {
      hold(raw, ctx);
    }
  }

  private void hold(RawEvent raw, ReadOnlyContext ctx) throws Exception {
    Integer held = pendingCount.value();
    int count = held == null ? 0 : held;
    if (count >= settings.pendingMaxEvents()) {
      deadLetter(raw, DeadLetterReason.NO_MODEL, "no model '" + raw.model() + "' yet and "
          + count + " events of key '" + raw.key() + "' already wait for one (pending.max-events)",
          ctx::output);
      return;
    }
    pending.add(raw);
    pendingCount.update(count + 1);
    if (pendingDeadline.value() == null) {
      long deadline =
          ctx.timerService().currentProcessingTime() + settings.pendingTimeoutMillis();
      ctx.timerService().registerProcessingTimeTimer(deadline);
      pendingDeadline.update(deadline);
    }
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<ScoredEvent> out)
      throws Exception {
    Long deadline = pendingDeadline.value();
    if (deadline == null || timestamp < deadline) {
      return; // the events this timer guarded were released when their model arrived
    }
    ReadOnlyBroadcastState<String, StoredModel> models = ctx.getBroadcastState(MODELS);
    for (RawEvent raw : pending.get()) {
      StoredModel stored = models.get(raw.model());
      LoadedModel model = stored == null || stored.isWithdrawn() ? null : loadStored(stored);
      if (model != null) {
        score(raw, model, out, ctx::output);
      } else {
        deadLetter(raw, DeadLetterReason.NO_MODEL, "no model '" + raw.model() + "' arrived within "
            + settings.pendingTimeoutMillis() + " ms (pending.timeout)", ctx::output);
      }
    }
    clearPending();
  }

  private void clearPending() {
    pending.clear();
    pendingCount.clear();
    pendingDeadline.clear();
  }

  private void score(RawEvent raw, LoadedModel m, Collector<ScoredEvent> out,
      SideOutput side) throws Exception {
    long start = System.nanoTime();
    Parsed<Event> resolved = settings.decoder().resolve(raw, m.featureNames);
    if (resolved instanceof Parsed.Rejected<Event> r) {
      rejected(r.letter(), side);
      return;
    }
    Event event = ((Parsed.Ok<Event>) resolved).value();
    if (!m.kernel.score(event.features(), score)) {
      // Unreachable for resolved events (finite, schema-sized); kept so that a kernel's refusal
      // is a dead letter, never a failure.
      deadLetter(raw, score.rejection == Scorer.Rejection.NON_FINITE
              ? DeadLetterReason.NON_FINITE_FEATURE : DeadLetterReason.WRONG_FEATURE_COUNT,
          "the scorer rejected the event: " + score.rejection + " at " + score.rejectedAt, side);
      return;
    }
    TypicalityResult[] typicality = typicality(m, score.nll);
    // HOOK issue 19 item 6: alarms become episodes per key and window (AlertEpisodes).
    if (typicality.length > 0) {
      KeyWindows recent = windows.value();
      episodes.update(AlertEpisodes.step(episodes.value(), raw.key(), m.name, m.version,
          raw.eventTime(), typicality, recent == null ? new double[0] : recent.nlls(),
          settings.episodeUpdateEvery(), e -> side.output(EPISODES, e)));
    }
    ScoredEvent scored = new ScoredEvent(raw.key(), m.name, m.versionText, raw.eventTime(),
        score.logDensity, score.nll, score.tailProbability, score.anomaly, typicality,
        m.featureArray, event.features());
    out.collect(scored);
    metrics.scored(scored.anomaly(), scored.typicalityAlarm(), System.nanoTime() - start);
  }

  private TypicalityResult[] typicality(LoadedModel m, double nll) throws Exception {
    TypicalityWindow[] ws = m.windows;
    if (ws.length == 0) {
      return new TypicalityResult[0];
    }
    KeyWindows state = windows.value();
    double[] recent = state != null && state.belongsTo(m.name, m.version)
        ? state.nlls() : new double[0];
    if (Double.isFinite(nll)) {
      recent = KeyWindows.append(recent, nll, maxWindow);
      windows.update(new KeyWindows(m.name, m.version, recent));
    } else if (state == null || !state.belongsTo(m.name, m.version)) {
      windows.update(new KeyWindows(m.name, m.version, recent));
    }
    TypicalityResult[] results = new TypicalityResult[ws.length];
    for (int i = 0; i < ws.length; i++) {
      TypicalityWindow w = ws[i];
      w.restore(recent); // keeps the last M
      results[i] = new TypicalityResult(w.size(), w.statistic(), w.threshold(), w.alarm());
    }
    return results;
  }

  private void deadLetter(RawEvent raw, DeadLetterReason reason, String message,
      SideOutput side) {
    rejected(settings.decoder().deadLetter(raw, reason, message), side);
  }

  private void rejected(DeadLetter letter, SideOutput side) {
    side.output(DEAD_LETTERS, letter);
    metrics.deadLetter(letter.reason());
  }

  // ---- models ----

  @Override
  public void processBroadcastElement(ModelRecord record, Context ctx, Collector<ScoredEvent> out)
      throws Exception {
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
        LOG.info("Model '{}' v{} withdrawn; its events are now dead-lettered as UNKNOWN_MODEL",
            name, current.version());
      }
      models.put(name, StoredModel.withdrawn(name));
      loaded.remove(name);
      metrics.activeVersion(name, 0);
      // A model published later under this name may reuse the withdrawn version number: windows kept
      // for it would mix two models' NLLs. Withdrawals are rare, so visiting every key is affordable.
      ctx.applyToKeyedState(WINDOWS, (key, state) -> {
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
  private void release(String name, LoadedModel model, Context ctx, Collector<ScoredEvent> out)
      throws Exception {
    ctx.applyToKeyedState(PENDING, (key, state) -> {
      List<RawEvent> keep = new ArrayList<>();
      for (RawEvent raw : state.get()) {
        if (raw.model().equals(name)) {
          score(raw, model, out, ctx::output);
        } else {
          keep.add(raw);
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
}
