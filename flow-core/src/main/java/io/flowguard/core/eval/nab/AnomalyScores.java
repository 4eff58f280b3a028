package io.flowguard.core.eval.nab;

/**
 * What a detector hands to the NAB score for one series: an anomaly score in [0, 1] for every point from
 * {@code firstScored} to the end (higher = more anomalous), like the {@code anomaly_score} column of NAB's
 * result files. Points before {@code firstScored} have no score and are never detections; the NAB score
 * still counts them (a window there is missed, as NAB would count it). The scores of different series
 * must be on one scale: NAB thresholds the whole corpus with a single value.
 *
 * <p>A detector whose per-point output is a calibrated tail probability (Flowguard's flow) maps it with
 * {@link #ofTailProbabilities}.
 *
 * @param firstScored index of the first scored point
 * @param values the scores of points {@code firstScored, firstScored + 1, ...} up to the series' last point
 */
public record AnomalyScores(int firstScored, double[] values) {

  /**
   * Decades of tail probability that span the score range: {@code 1e-300} (Flowguard's floor of a tail
   * probability) maps to 1.
   */
  public static final double DECADES = 300;

  /**
   * @throws IllegalArgumentException for a negative start, or a score that is NaN or outside [0, 1]
   */
  public AnomalyScores {
    if (firstScored < 0) {
      throw new IllegalArgumentException("firstScored is " + firstScored + "; it must be 0 or more");
    }
    values = values.clone();
    for (int i = 0; i < values.length; i++) {
      double v = values[i];
      if (!(v >= 0 && v <= 1)) {
        throw new IllegalArgumentException("anomaly score of point " + (firstScored + i) + " is " + v
            + "; NAB scores must lie in [0, 1]");
      }
      values[i] = v + 0.0; // -0.0 becomes 0.0: one threshold value, as NAB's equality sees it
    }
  }

  /** The number of points the series must have: {@code firstScored + values.length}. */
  public int seriesLength() {
    return firstScored + values.length;
  }

  /** The score of point {@code i} ({@code i >= firstScored}). */
  public double at(int i) {
    return values[i - firstScored];
  }

  /**
   * The NAB score of a calibrated tail probability {@code p} (the estimated probability that a normal
   * point scores at least as anomalous): {@code min(1, -log10(p) / 300)}, so {@code p = 1} gives 0 and
   * {@code p = 1e-300} gives 1. It is strictly decreasing in {@code p}, so it orders points as {@code p}
   * does and keeps exactly the ties {@code p} has; {@code 1 - p} would not: it rounds to exactly 1 for
   * every {@code p} below 1.1e-16 and ties the most anomalous points, where a threshold matters most.
   */
  public static double fromTailProbability(double p) {
    if (!(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException("tail probability " + p + " is not in [0, 1]");
    }
    return p == 0 ? 1.0 : Math.min(1.0, -Math.log10(p) / DECADES) + 0.0;
  }

  /** The tail probability at which {@link #fromTailProbability} gives {@code score}: {@code 10^(-300 score)}. */
  public static double tailProbabilityOf(double score) {
    return Math.pow(10, -DECADES * score);
  }

  /** Scores from calibrated tail probabilities of points {@code firstScored, ...} ({@link #fromTailProbability}). */
  public static AnomalyScores ofTailProbabilities(int firstScored, double[] tailProbabilities) {
    double[] s = new double[tailProbabilities.length];
    for (int i = 0; i < s.length; i++) {
      s[i] = fromTailProbability(tailProbabilities[i]);
    }
    return new AnomalyScores(firstScored, s);
  }
}
