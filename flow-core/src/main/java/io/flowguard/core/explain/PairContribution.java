package io.flowguard.core.explain;

import java.util.Objects;

/**
 * The pair of features whose joint repair best explains a joint anomaly (one no single feature explains).
 *
 * @param first the feature repaired first (the one with the larger single contribution)
 * @param second the feature then repaired with {@code first} held at its typical value
 * @param firstTypical {@code first}'s repair value, raw units
 * @param secondTypical {@code second}'s repair value given {@code first} repaired, raw units
 * @param contribution {@code log p(x with both repaired) - log p(x)} in nats
 */
public record PairContribution(String first, String second, double firstTypical, double secondTypical,
                               double contribution) {
  public PairContribution {
    Objects.requireNonNull(first, "first");
    Objects.requireNonNull(second, "second");
  }
}
