package io.flowguard.core.explain;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Why one event scored as it did: its top features by contribution (features outside the training range
 * first), whether it is a joint anomaly and, if so, the pair that explains it. Immutable. Produced by
 * {@link Explainer#explain}; an explanation that could not be computed is {@linkplain #absent absent}
 * with a reason, never an exception.
 *
 * @param features the top features, out-of-range ones first, then by decreasing contribution; empty when absent
 * @param nll the event's negative log-likelihood in nats (as {@code Scorer} computes it); NaN when the
 *     event has a non-finite value, {@code +Infinity} when its density underflowed
 * @param jointAnomaly the event is above the alert threshold and no single feature's repair brings it below
 * @param pair for a joint anomaly, the best pair found among the top features (empty otherwise, or when
 *     the pair search is off)
 * @param statisticsKnown whether the model stores training statistics, so z-scores and range flags mean
 *     something (false for model files before format version 4)
 * @param absentReason why there is no explanation; empty when there is one
 */
public record Explanation(List<FeatureContribution> features, double nll, boolean jointAnomaly,
                          Optional<PairContribution> pair, boolean statisticsKnown, Optional<String> absentReason) {

  public Explanation {
    features = List.copyOf(Objects.requireNonNull(features, "features"));
    Objects.requireNonNull(pair, "pair");
    Objects.requireNonNull(absentReason, "absentReason");
  }

  /** An explanation that could not be computed, and why. */
  public static Explanation absent(String reason, double nll, boolean statisticsKnown) {
    return new Explanation(List.of(), nll, false, Optional.empty(), statisticsKnown, Optional.of(reason));
  }

  /** Whether there is an explanation (else see {@link #absentReason()}). */
  public boolean present() {
    return absentReason.isEmpty();
  }

  /** The feature that explains most, if any. */
  public Optional<FeatureContribution> top() {
    return features.isEmpty() ? Optional.empty() : Optional.of(features.get(0));
  }
}
