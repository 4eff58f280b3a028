package io.flowguard.core.eval.nab;

import java.util.List;

/**
 * A NAB application profile: how much a detected window, a false positive and a missed window weigh
 * (NAB's {@code config/profiles.json}, cost matrix {@code tpWeight}, {@code fpWeight}, {@code fnWeight};
 * its {@code tnWeight} is never used by the scorer).
 *
 * @param name NAB's name of the profile
 * @param tpWeight {@code A_TP}: a window detected at its very first point earns this much
 * @param fpWeight {@code A_FP}: a false positive far from any window costs this much
 * @param fnWeight {@code A_FN}: a missed window costs this much
 */
public record NabProfile(String name, double tpWeight, double fpWeight, double fnWeight) {

  /** NAB's standard profile. */
  public static final NabProfile STANDARD = new NabProfile("standard", 1.0, 0.11, 1.0);
  /** False positives cost twice as much as in the standard profile. */
  public static final NabProfile REWARD_LOW_FP_RATE = new NabProfile("reward_low_FP_rate", 1.0, 0.22, 1.0);
  /** Missed windows cost twice as much as in the standard profile. */
  public static final NabProfile REWARD_LOW_FN_RATE = new NabProfile("reward_low_FN_rate", 1.0, 0.11, 2.0);
  /** The three profiles NAB reports, in its order. */
  public static final List<NabProfile> ALL = List.of(STANDARD, REWARD_LOW_FP_RATE, REWARD_LOW_FN_RATE);

  public NabProfile {
    if (!(tpWeight > 0) || !(fpWeight >= 0) || !(fnWeight >= 0) || !Double.isFinite(tpWeight + fpWeight + fnWeight)) {
      throw new IllegalArgumentException("profile " + name + ": weights must be finite, tpWeight positive and the"
          + " others non-negative; got " + tpWeight + ", " + fpWeight + ", " + fnWeight);
    }
  }
}
