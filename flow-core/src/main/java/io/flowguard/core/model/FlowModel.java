package io.flowguard.core.model;

import io.flowguard.core.context.ContextSpec;
import io.flowguard.core.flow.Flow;
import io.flowguard.core.flow.FlowSpec;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * Everything scoring needs, as one unit: the preprocessor that maps raw events into the flow's space,
 * the flow, the calibration of its NLL on normal data, and where it all came from. Saved and loaded by
 * {@link ModelFormat}.
 *
 * <p>The model holds its {@link Flow}, whose parameter vector is mutable; treat a loaded model as
 * read-only. Scoring through {@link #logDensity} is thread-safe as long as nobody changes the parameters.
 */
public final class FlowModel {

  /** Longest model name accepted: names end up in file names, metrics labels and logs. */
  public static final int MAX_NAME_LENGTH = 256;

  private final String name;
  private final int version;
  private final Preprocessor preprocessor;
  private final Flow flow;
  private final FlowSpec spec;
  private final Calibration calibration;
  private final Provenance provenance;
  private final OptionalDouble recommendedFalseAlarmRate;
  private final java.util.Optional<FeatureStatistics> featureStatistics;
  private final java.util.Optional<ContextSpec> context;

  /**
   * @param name a non-blank name without control characters, at most {@link #MAX_NAME_LENGTH} chars
   * @param version the model version, at least 1 (a retrained model of the same name gets a higher one)
   * @param flow a flow built from a {@link FlowSpec} (so it can be rebuilt on load)
   * @throws IllegalArgumentException if the parts do not fit together
   */
  public FlowModel(String name, int version, Preprocessor preprocessor, Flow flow, Calibration calibration,
                   Provenance provenance) {
    this(name, version, preprocessor, flow, calibration, provenance, OptionalDouble.empty(),
        java.util.Optional.empty());
  }

  /**
   * As {@link #FlowModel(String, int, Preprocessor, Flow, Calibration, Provenance)} with a recommended
   * false-alarm rate ({@link #recommendedFalseAlarmRate()}).
   *
   * @throws IllegalArgumentException also if a present rate is not in (0, 1)
   */
  public FlowModel(String name, int version, Preprocessor preprocessor, Flow flow, Calibration calibration,
                   Provenance provenance, OptionalDouble recommendedFalseAlarmRate) {
    this(name, version, preprocessor, flow, calibration, provenance, recommendedFalseAlarmRate,
        java.util.Optional.empty());
  }

  /**
   * A model that also carries its training rows' per-feature statistics ({@link FeatureStatistics}, one
   * entry per raw feature), which explanations use for z-scores and range flags.
   */
  public FlowModel(String name, int version, Preprocessor preprocessor, Flow flow, Calibration calibration,
                   Provenance provenance, java.util.Optional<FeatureStatistics> featureStatistics) {
    this(name, version, preprocessor, flow, calibration, provenance, OptionalDouble.empty(),
        featureStatistics);
  }

  /** Every part, the optional version 4 ones included (see the constructors above). */
  public FlowModel(String name, int version, Preprocessor preprocessor, Flow flow, Calibration calibration,
                   Provenance provenance, OptionalDouble recommendedFalseAlarmRate,
                   java.util.Optional<FeatureStatistics> featureStatistics) {
    this(name, version, preprocessor, flow, calibration, provenance, recommendedFalseAlarmRate, featureStatistics,
        java.util.Optional.empty());
  }

  /**
   * Every part, a time-aware model's {@link ContextSpec} included (version 5): the flow is then conditional,
   * with {@code context.dim(preprocessor.dim())} context inputs, and scores {@code log p(x | the key's recent
   * past)}. An empty context needs an unconditional flow.
   */
  public FlowModel(String name, int version, Preprocessor preprocessor, Flow flow, Calibration calibration,
                   Provenance provenance, OptionalDouble recommendedFalseAlarmRate,
                   java.util.Optional<FeatureStatistics> featureStatistics, java.util.Optional<ContextSpec> context) {
    this.context = Objects.requireNonNull(context, "context");
    this.recommendedFalseAlarmRate = Objects.requireNonNull(recommendedFalseAlarmRate, "recommendedFalseAlarmRate");
    if (recommendedFalseAlarmRate.isPresent() && !(recommendedFalseAlarmRate.getAsDouble() > 0
        && recommendedFalseAlarmRate.getAsDouble() < 1)) {
      throw new IllegalArgumentException("a recommended false-alarm rate must be in (0, 1), got "
          + recommendedFalseAlarmRate.getAsDouble());
    }
    this.featureStatistics = Objects.requireNonNull(featureStatistics, "featureStatistics");
    this.name = Objects.requireNonNull(name, "name");
    this.preprocessor = Objects.requireNonNull(preprocessor, "preprocessor");
    this.flow = Objects.requireNonNull(flow, "flow");
    this.calibration = Objects.requireNonNull(calibration, "calibration");
    this.provenance = Objects.requireNonNull(provenance, "provenance");
    this.version = version;
    if (name.isBlank() || name.length() > MAX_NAME_LENGTH || name.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException("model name must be non-blank, at most " + MAX_NAME_LENGTH
          + " characters and free of control characters, got '" + name + "'");
    }
    if (version < 1) {
      throw new IllegalArgumentException("model version must be at least 1, got " + version);
    }
    this.spec = flow.spec().orElseThrow(() -> new IllegalArgumentException(
        "the flow has no spec: build it with FlowFactory so that a model file can rebuild it"));
    if (preprocessor.dim() != flow.dim()) {
      throw new IllegalArgumentException("the preprocessor keeps " + preprocessor.dim() + " of "
          + preprocessor.rawDim() + " features but the flow has dimension " + flow.dim());
    }
    int contextDim = context.map(c -> c.dim(preprocessor.dim())).orElse(0);
    if (flow.contextDim() != contextDim) {
      throw new IllegalArgumentException(context.isPresent()
          ? "the context (" + context.get().describe() + ") has " + contextDim + " values per event but the flow"
              + " reads " + flow.contextDim()
          : "the flow reads a context of " + flow.contextDim() + " values but the model declares none");
    }
    if (featureStatistics.isPresent() && featureStatistics.get().dim() != preprocessor.rawDim()) {
      throw new IllegalArgumentException("the feature statistics describe " + featureStatistics.get().dim()
          + " features but the model has " + preprocessor.rawDim());
    }
  }

  public String name() {
    return name;
  }

  public int version() {
    return version;
  }

  public Preprocessor preprocessor() {
    return preprocessor;
  }

  public Flow flow() {
    return flow;
  }

  public FlowSpec spec() {
    return spec;
  }

  public Calibration calibration() {
    return calibration;
  }

  public Provenance provenance() {
    return provenance;
  }

  /**
   * The false-alarm rate the model's author recommends for scoring with it (chosen, e.g., from
   * {@code flowguard evaluate}'s threshold report and stored by {@code flowguard train --recommend-rate}),
   * or empty: then the scorer's configured rate applies (the Flink job's and the CLI's
   * {@code --false-alarm-rate}). Stored in the model file from format version 4.
   */
  public OptionalDouble recommendedFalseAlarmRate() {
    return recommendedFalseAlarmRate;
  }

  /** This model (sharing its flow, so equally read-only) with another recommended false-alarm rate, or none. */
  public FlowModel withRecommendedFalseAlarmRate(OptionalDouble rate) {
    return new FlowModel(name, version, preprocessor, flow, calibration, provenance, rate,
        featureStatistics, context);
  }

  /**
   * How a time-aware model conditions an event on its key's recent past; empty for a model that scores
   * every event alone. Stored in the model file from format version 5.
   */
  public java.util.Optional<ContextSpec> context() {
    return context;
  }

  /**
   * Min, max, mean and sd of each raw feature over the training rows; empty for models written before
   * format version 4 (their explanations have contributions but no z-scores or range flags).
   */
  public java.util.Optional<FeatureStatistics> featureStatistics() {
    return featureStatistics;
  }

  /** Number of raw features an event has. */
  public int rawDim() {
    return preprocessor.rawDim();
  }

  /**
   * {@code log p(x)} of each of {@code n} raw row-major rows, in raw-feature space:
   * {@code flow.logProb(preprocessor.apply(x)) + preprocessor.logJacobian(x)}.
   *
   * @throws IllegalArgumentException naming the row and column of a non-finite value or a short array
   */
  public double[] logDensity(double[] raw, int n) {
    requireNoContext();
    double[] lp = flow.logProb(preprocessor.apply(raw, n), n);
    int d = preprocessor.rawDim();
    for (int r = 0; r < n; r++) {
      lp[r] += preprocessor.logJacobian(raw, r * d);
    }
    return lp;
  }

  /**
   * {@code log p(x | c)} of each of {@code n} raw rows given their context rows ({@code n x flow.contextDim()},
   * built by {@link io.flowguard.core.context.ContextEncoder} from the preprocessed history), in raw-feature
   * space.
   */
  public double[] logDensity(double[] raw, double[] context, int n) {
    double[] lp = flow.logProb(preprocessor.apply(raw, n), context, n);
    int d = preprocessor.rawDim();
    for (int r = 0; r < n; r++) {
      lp[r] += preprocessor.logJacobian(raw, r * d);
    }
    return lp;
  }

  private void requireNoContext() {
    if (context.isPresent()) {
      throw new IllegalStateException("model '" + name + "' is time-aware (" + context.get().describe()
          + "): score each event with its key's history (Scorer.scoreInContext), not alone");
    }
  }

  /** The negative log-likelihood (nats) of each raw row: the quantity {@link Calibration} is fitted on. */
  public double[] nll(double[] raw, int n) {
    double[] lp = logDensity(raw, n);
    for (int r = 0; r < n; r++) {
      lp[r] = -lp[r];
    }
    return lp;
  }

  @Override
  public String toString() {
    return "FlowModel[" + name + " v" + version + ", " + spec.family() + ", " + preprocessor.rawDim()
        + " features (" + preprocessor.dim() + " kept), " + flow.parameters().length + " parameters"
        + context.map(c -> ", context: " + c.describe()).orElse("") + "]";
  }
}
