package io.flowguard.flink.scoring;

import io.flowguard.core.explain.Explainer;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.ModelFormatException;
import io.flowguard.core.score.Scorer;
import io.flowguard.core.score.TypicalityWindow;
import java.util.List;

/**
 * A model ready to score on one operator instance: the parsed {@link FlowModel}, its kernel, the
 * typicality thresholds per configured window size, and the feature extractor bound to its schema.
 * Never in Flink state; rebuilt from {@link io.flowguard.job.scoring.StoredModel} bytes whenever an
 * instance lacks it.
 */
final class LoadedModel {

  final String name;
  final int version;
  final String versionText;
  final FlowModel model;
  final ScoringKernel kernel;
  final List<String> featureNames;
  final String[] featureArray;
  final TypicalityWindow[] windows;
  /** The model's entropy estimate H, the centre of every typicality window. */
  final double entropy;
  /** eps(M) per configured window size, in configuration order. */
  final double[] thresholds;
  /** The configured window sizes. */
  final int[] windowSizes;
  /** The statistic of each typicality window for the event being scored (reused event after event). */
  final double[] statistics;
  /** Whether each window alarms for the event being scored (its statistic above its threshold). */
  final boolean[] alarms;
  /** The features of the event being scored, in model order (reused). */
  final double[] features;
  /**
   * What the extractor fills: the features, then a time-aware model's context fields; the same array as
   * {@link #features} when the model declares no fields (reused).
   */
  final double[] extracted;
  /** A time-aware model's context rules; null for a model that scores events alone. */
  final io.flowguard.core.context.ContextSpec context;
  /** The names the extractor is bound to: the features, then a time-aware model's context fields. */
  final List<String> extractedNames;
  /** {@link KeyContext#schemaOf} of this model (0 without context). */
  final int contextSchema;
  /** The history of the key being scored, loaded from and stored to keyed state (reused; null without context). */
  final io.flowguard.core.context.KeyHistory history;
  /**
   * The key's history before the event being scored, newest first, when raw contexts are carried
   * (ScoringSettings.withRawContexts; reused, window x features; null without context).
   */
  final double[] historyBefore;
  /** The operator's feature extractor bound to this schema; set on first use. */
  Object binding;
  /** Why the extractor cannot serve this schema, if it cannot; then every event is rejected. */
  Exception bindFailure;

  /** The false-alarm rate this model is scored at. */
  final double falseAlarmRate;
  /** Explains this model's flagged events; created on first use (per instance, like the kernel). */
  Explainer explainer;
  /** This model's counters in the operator's metric group; set on first use. */
  FlowguardMetrics.ModelCounters counters;

  private LoadedModel(FlowModel model, ScoringKernel kernel, TypicalityWindow[] windows,
      double falseAlarmRate) {
    this.falseAlarmRate = falseAlarmRate;
    this.name = model.name();
    this.version = model.version();
    this.versionText = Integer.toString(version);
    this.model = model;
    this.kernel = kernel;
    this.featureNames = model.preprocessor().featureNames();
    this.featureArray = featureNames.toArray(new String[0]);
    this.windows = windows;
    this.windowSizes = new int[windows.length];
    this.thresholds = new double[windows.length];
    this.statistics = new double[windows.length];
    this.alarms = new boolean[windows.length];
    for (int i = 0; i < windows.length; i++) {
      windowSizes[i] = windows[i].size();
      thresholds[i] = windows[i].threshold();
    }
    this.entropy = model.calibration().entropy();
    this.context = model.context().orElse(null);
    List<String> fields = context == null ? List.of() : context.fields();
    this.extractedNames = fields.isEmpty() ? featureNames
        : java.util.stream.Stream.concat(featureNames.stream(), fields.stream()).toList();
    this.features = new double[featureNames.size()];
    this.extracted = fields.isEmpty() ? features : new double[extractedNames.size()];
    this.contextSchema = context == null ? 0 : KeyContext.schemaOf(featureNames, fields, context.window());
    this.history = context == null ? null
        : new io.flowguard.core.context.KeyHistory(context.window(), featureNames.size());
    this.historyBefore = context == null ? null : new double[context.window() * featureNames.size()];
  }

  /** Why a model file was not accepted. */
  static final class Rejected extends Exception {
    private static final long serialVersionUID = 1L;
    final String kind;

    Rejected(String kind, String message, Throwable cause) {
      super(message.startsWith(kind) ? message : kind + ": " + message, cause);
      this.kind = kind;
    }
  }

  /**
   * Parses and validates a model file received under {@code recordName}: it must be a readable model
   * file ({@link ModelFormat#read}), carry that name, and be calibrated for every configured
   * typicality window at the configured level.
   */
  static LoadedModel load(String recordName, byte[] bytes, ScoringSettings settings)
      throws Rejected {
    FlowModel model;
    try {
      model = ModelFormat.read(bytes);
    } catch (ModelFormatException e) {
      throw new Rejected(e.kind().name(), e.getMessage(), e);
    } catch (RuntimeException e) {
      // ModelFormat promises ModelFormatException for every bad file; stay safe if it slips.
      throw new Rejected("UNREADABLE", String.valueOf(e.getMessage()), e);
    }
    if (!model.name().equals(recordName)) {
      throw new Rejected("NAME_MISMATCH", "the file holds model '" + model.name()
          + "' but was published as '" + recordName + "'", null);
    }
    int[] sizes = settings.windows();
    TypicalityWindow[] windows = new TypicalityWindow[sizes.length];
    ScoringKernel kernel;
    try {
      double rate = settings.falseAlarmRate(model);
      Scorer thresholds = new Scorer(model, rate);
      for (int i = 0; i < sizes.length; i++) {
        windows[i] = thresholds.newWindow(sizes[i], settings.alpha());
      }
      kernel = settings.kernels().create(model, rate);
    } catch (IllegalArgumentException e) {
      throw new Rejected("NOT_CALIBRATED", e.getMessage(), e);
    }
    return new LoadedModel(model, kernel, windows, settings.falseAlarmRate(model));
  }

  @Override
  public String toString() {
    return name + " v" + version;
  }
}
