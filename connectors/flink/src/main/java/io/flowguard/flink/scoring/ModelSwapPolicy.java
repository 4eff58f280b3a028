package io.flowguard.flink.scoring;

import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.Lineage;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Whether a new version of a model may replace the active one, as far as its feature schema goes
 * (issue 19): a version whose feature names differ from the active version's (names, order or
 * count) would turn every event into a dead letter ({@code EXTRA_FEATURE}, {@code
 * MISSING_FEATURE}, {@code WRONG_FEATURE_COUNT}) until the producers change, so it is refused unless
 * it was published as a declared schema change ({@code flowguard publish --schema-change}, recorded
 * as {@code schemaChange} in the file's lineage).
 *
 * <p>Pure and stateless: the scoring operator and the retraining operator (which must agree on the
 * champion) both ask it, and in-job retraining, which keeps its champion's schema by construction,
 * is checked with it before a promotion.
 */
public final class ModelSwapPolicy {

  private ModelSwapPolicy() {}

  /**
   * Why {@code candidate} may not replace {@code active}; empty if it may (same schema, or a
   * declared schema change).
   */
  public static Optional<String> refusal(FlowModel active, FlowModel candidate) {
    List<String> was = active.preprocessor().featureNames();
    List<String> now = candidate.preprocessor().featureNames();
    if (was.equals(now) || declaresSchemaChange(candidate)) {
      return Optional.empty();
    }
    return Optional.of("v" + candidate.version() + " has features " + now + " but the active v"
        + active.version() + " has " + was + "; a model that changes the feature schema must be"
        + " published as a declared schema change (flowguard publish --schema-change)");
  }

  /**
   * The model with a declared schema change recorded in its lineage (a lineage is made if it has
   * none): what {@code flowguard publish --schema-change} publishes.
   */
  public static FlowModel declaringSchemaChange(FlowModel m) {
    Lineage lineage = m.provenance().lineage().orElseGet(() -> new Lineage(OptionalInt.empty(),
        Lineage.Trigger.INITIAL, "", m.provenance().trainingRows(), OptionalInt.empty(), Double.NaN,
        Double.NaN));
    // Every other part as it was: the recommended rate, the feature statistics and a time-aware
    // model's context (without it, its conditional flow would not even make a model).
    return new FlowModel(m.name(), m.version(), m.preprocessor(), m.flow(), m.calibration(),
        m.provenance().withLineage(lineage.withSchemaChange(true)), m.recommendedFalseAlarmRate(),
        m.featureStatistics(), m.context());
  }

  /** Whether the model's lineage declares that it changes its model's feature schema. */
  public static boolean declaresSchemaChange(FlowModel model) {
    return model.provenance().lineage().map(Lineage::schemaChange).orElse(false);
  }
}
