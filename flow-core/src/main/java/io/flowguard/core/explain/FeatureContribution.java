package io.flowguard.core.explain;

import java.util.Objects;

/**
 * One feature's part in an explanation (see docs/explanations.md for the mathematics).
 *
 * @param feature the raw feature's name
 * @param value the event's value, raw units (may be NaN or infinite: such a value is always out of range)
 * @param typical the repair value: the value of this feature, all others kept, at which the model's
 *     density of the event is highest (raw units, found by a one-dimensional search)
 * @param contribution {@code log p(x with this feature = typical) - log p(x)} in nats, at least 0: how much
 *     of the event's surprise changing this feature alone removes. {@code +Infinity} when the event itself
 *     has no finite density (a non-finite value, or a density that underflowed) but the repaired one does
 * @param zScore {@code (value - training mean) / training sd}; NaN when the model stores no training
 *     statistics (files before format version 4), the column was constant, or the value is not finite
 * @param outOfRange whether the value lies outside the training rows' [min, max] (always true for a
 *     non-finite value; for a model without statistics, only non-finite values and values of dropped
 *     constant columns that differ from the constant are known to be out of range)
 */
public record FeatureContribution(String feature, double value, double typical, double contribution, double zScore,
                                  boolean outOfRange) {
  public FeatureContribution {
    Objects.requireNonNull(feature, "feature");
  }
}
