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
  /** The features of the event being scored, in model order (reused). */
  final double[] features;
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
    for (int i = 0; i < windows.length; i++) {
      windowSizes[i] = windows[i].size();
      thresholds[i] = windows[i].threshold();
    }
    this.entropy = model.calibration().entropy();
    this.features = new double[featureNames.size()];
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
