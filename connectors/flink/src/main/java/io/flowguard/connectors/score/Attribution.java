package io.flowguard.connectors.score;

import io.flowguard.core.explain.Explanation;
import io.flowguard.core.explain.FeatureContribution;
import java.util.List;

/**
 * One feature of an anomaly's explanation, in a form Flink serializes as a POJO (see {@code
 * docs/explanations.md} for what each number means).
 *
 * @param feature the feature's name
 * @param value the event's value, raw units
 * @param typical the repair value: the value of this feature alone that makes the event most likely
 * @param contribution log p(event with the typical value) - log p(event), nats: how much of the surprise
 *     changing this one feature removes
 * @param zScore (value - training mean) / training sd; NaN when the model stores no training statistics
 * @param outOfRange whether the value lies outside the training rows' range
 */
public record Attribution(String feature, double value, double typical, double contribution,
    double zScore, boolean outOfRange) {

  private static final Attribution[] NONE = new Attribution[0];

  /** The explanation's features as attributions (none when it is absent). */
  public static Attribution[] of(Explanation e) {
    List<FeatureContribution> fs = e.features();
    if (fs.isEmpty()) {
      return NONE;
    }
    Attribution[] out = new Attribution[fs.size()];
    for (int i = 0; i < out.length; i++) {
      FeatureContribution f = fs.get(i);
      out[i] = new Attribution(f.feature(), f.value(), f.typical(), f.contribution(), f.zScore(),
          f.outOfRange());
    }
    return out;
  }

  /**
   * What the attributions alone do not say: empty normally; for a joint anomaly that no single feature
   * explains, the pair that does; for an explanation that was not computed, why.
   */
  public static String note(Explanation e) {
    if (e.absentReason().isPresent()) {
      return "not explained: " + e.absentReason().get();
    }
    if (e.jointAnomaly()) {
      return e.pair().map(p -> "joint anomaly: no single feature explains it; changing " + p.first()
          + " and " + p.second() + " together does").orElse(
              "joint anomaly: no single feature explains it");
    }
    return "";
  }
}
