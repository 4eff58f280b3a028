package io.flowguard.sql;

import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.explain.Explainer;
import io.flowguard.core.explain.Explanation;
import io.flowguard.core.explain.ExplanationJson;
import io.flowguard.core.score.Scorer;
import io.flowguard.sql.ModelLocator.Located;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.PredictFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scores the rows of one {@code ML_PREDICT} subtask with one {@link Scorer} (thread-confined, no
 * allocation of its own per row). A row whose features cannot be scored (a SQL NULL, NaN or an
 * infinity) gives a row of NULL scores with a {@code reason} and counts in the
 * {@code flowguard.rowsUnscored} metric; it never fails the job.
 *
 * <p>With a refresh interval, a daemon thread re-reads the model path and hands a newer compatible
 * model (with its own scorer, built off the task thread) to the task thread, which switches between
 * two rows.
 *
 * <p>Public only because the planner's generated code refers to it by name; create it through
 * {@link FlowguardModelProviderFactory} ({@code CREATE MODEL ... WITH ('provider' = 'flowguard')}).
 */
public final class FlowguardPredictFunction extends PredictFunction {

  private static final long serialVersionUID = 1L;
  /** Features in an anomaly's explanation column. */
  static final int EXPLANATION_TOP = 3;
  private static final Logger LOG = LoggerFactory.getLogger(FlowguardPredictFunction.class);

  /** The reason prefix of a row with a SQL NULL feature: {@code NULL_FEATURE: temp}. */
  static final String NULL_FEATURE = "NULL_FEATURE";
  /** The reason prefix of a row with a NaN or infinite feature: {@code NON_FINITE_FEATURE: temp=NaN}. */
  static final String NON_FINITE_FEATURE = "NON_FINITE_FEATURE";

  /**
   * Everything planning decided, shipped with the query.
   *
   * @param modelBytes the exact model file validated at planning time
   * @param modelName the required model name for refreshes, or null for any
   * @param refreshMillis how often to re-read {@code path}; 0 for never
   */
  record Plan(ModelBinding binding, byte[] modelBytes, String source, double falseAlarmRate,
      String path, String modelName, long refreshMillis) implements Serializable {}

  /** A refreshed model, ready to use. */
  private record Swap(Scorer scorer, ModelBinding binding, String source) {}

  private final Plan plan;

  private transient Scorer scorer;
  private transient ModelBinding binding;
  private transient double[] features;
  private transient Scorer.Score score;
  private transient Explainer explainer;
  private transient AtomicReference<Swap> pending;
  private transient ScheduledExecutorService refresher;
  private transient byte[] lastSeenBytes;
  private transient Counter rowsScored;
  private transient Counter rowsUnscored;
  private transient Counter anomalies;
  private transient Counter modelRefreshes;
  private transient Counter modelRefreshesRefused;
  private transient volatile int activeVersion;

  FlowguardPredictFunction(Plan plan) {
    this.plan = plan;
  }

  @Override
  public void open(FunctionContext context) throws Exception {
    FlowModel model = ModelFormat.read(plan.modelBytes());
    install(new Scorer(model, plan.falseAlarmRate()), plan.binding());
    score = new Scorer.Score();
    pending = new AtomicReference<>();
    MetricGroup group = context.getMetricGroup().addGroup("flowguard");
    rowsScored = group.counter("rowsScored");
    rowsUnscored = group.counter("rowsUnscored");
    anomalies = group.counter("anomalies");
    modelRefreshes = group.counter("modelRefreshes");
    modelRefreshesRefused = group.counter("modelRefreshesRefused");
    group.gauge("modelVersion", () -> activeVersion);
    if (plan.refreshMillis() > 0) {
      lastSeenBytes = plan.modelBytes();
      refresher = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "flowguard-sql-model-refresh " + plan.binding().sqlModel());
        t.setDaemon(true);
        return t;
      });
      refresher.scheduleWithFixedDelay(
          this::refresh, plan.refreshMillis(), plan.refreshMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private void install(Scorer next, ModelBinding nextBinding) {
    scorer = next;
    explainer = null; // made on the first anomaly of this model, if the explanation column is asked for
    binding = nextBinding;
    features = new double[next.rawDim()];
    activeVersion = next.model().version();
  }

  @Override
  public Collection<RowData> predict(RowData input) {
    if (refresher != null) {
      Swap swap = pending.getAndSet(null);
      if (swap != null) {
        install(swap.scorer(), swap.binding());
        LOG.info("ML_PREDICT model {} now scores with '{}' v{} from {}", binding.sqlModel(),
            scorer.model().name(), scorer.model().version(), swap.source());
      }
    }
    ModelBinding b = binding;
    FeatureReader[] readers = b.readers();
    int[] featureOfInput = b.featureOfInput();
    for (int i = 0; i < readers.length; i++) {
      if (input.isNullAt(i)) {
        return unscored(NULL_FEATURE + ": " + b.inputNames().get(i));
      }
      features[featureOfInput[i]] = readers[i].read(input, i);
    }
    if (!scorer.score(features, score)) {
      return unscored(rejection(b));
    }
    rowsScored.inc();
    if (score.anomaly) {
      anomalies.inc();
    }
    return List.of(row(score, null));
  }

  private String rejection(ModelBinding b) {
    if (score.rejection == Scorer.Rejection.NON_FINITE) {
      int feature = score.rejectedAt;
      for (int i = 0; i < b.featureOfInput().length; i++) {
        if (b.featureOfInput()[i] == feature) {
          return NON_FINITE_FEATURE + ": " + b.inputNames().get(i) + "=" + features[feature];
        }
      }
    }
    // Cannot happen with a bound model (the dimension is checked at planning); say so if it does.
    return score.rejection + ": " + score.rejectedAt;
  }

  private Collection<RowData> unscored(String reason) {
    rowsUnscored.inc();
    return List.of(row(null, reason));
  }

  private RowData row(Scorer.Score s, String reason) {
    OutputColumn[] outputs = binding.outputs();
    GenericRowData row = new GenericRowData(outputs.length);
    for (int o = 0; o < outputs.length; o++) {
      row.setField(o, value(outputs[o], s, reason));
    }
    return row;
  }

  private Object value(OutputColumn column, Scorer.Score s, String reason) {
    switch (column) {
      case LOG_DENSITY:
        return s == null ? null : s.logDensity;
      case NLL:
        return s == null ? null : s.nll;
      case TAIL_PROBABILITY:
        return s == null ? null : s.tailProbability;
      case ANOMALY:
        return s == null ? null : s.anomaly;
      case REASON:
        return reason == null ? null : StringData.fromString(reason);
      case MODEL_NAME:
        return StringData.fromString(scorer.model().name());
      case MODEL_VERSION:
        return scorer.model().version();
      case EXPLANATION:
        return s == null || !s.anomaly ? null : StringData.fromString(explanation());
      default:
        throw new IllegalStateException("unhandled output column " + column);
    }
  }

  /** The top three features of the anomaly just scored, as the job's JSON explanation array. */
  private String explanation() {
    if (explainer == null) {
      explainer = new Explainer(scorer.model(), scorer.falseAlarmRate());
    }
    Explanation e = explainer.explain(features, EXPLANATION_TOP);
    return ExplanationJson.toJson(e).toString();
  }

  /** Runs on the refresh thread: offers a changed, compatible model to the task thread. */
  private void refresh() {
    try {
      Located found = ModelLocator.locate(plan.path(), Optional.ofNullable(plan.modelName()));
      if (Arrays.equals(found.bytes(), lastSeenBytes)) {
        return;
      }
      lastSeenBytes = found.bytes();
      ModelBinding next = plan.binding().rebind(found.model(), found.source());
      pending.set(new Swap(new Scorer(found.model(), plan.falseAlarmRate()), next, found.source()));
      modelRefreshes.inc();
    } catch (Exception e) {
      // Storage hiccups and incompatible models keep the current model; the next interval retries.
      modelRefreshesRefused.inc();
      LOG.warn("ML_PREDICT model {}: keeping v{}; the model at '{}' was not taken: {}",
          plan.binding().sqlModel(), activeVersion, plan.path(), e.getMessage());
    }
  }

  @Override
  public void close() throws Exception {
    if (refresher != null) {
      refresher.shutdownNow();
      refresher.awaitTermination(10, TimeUnit.SECONDS);
      refresher = null;
    }
  }
}
