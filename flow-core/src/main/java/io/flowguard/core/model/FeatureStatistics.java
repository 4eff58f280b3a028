package io.flowguard.core.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Per raw feature, what the training rows looked like: minimum, maximum, mean and standard deviation,
 * in raw units and in the model's raw feature order. Stored in the model file (format version 4,
 * optional field {@code featureStatistics}) so that an explanation can say "outside the training range"
 * and give a z-score without the training data. A model trained before version 4 has none
 * ({@link FlowModel#featureStatistics()} is empty).
 *
 * @param rows the number of training rows the statistics summarize (at least 1)
 * @param features one entry per raw feature, in {@link Preprocessor#featureNames()} order
 */
public record FeatureStatistics(long rows, List<Range> features) {

  /**
   * One feature's training values.
   *
   * @param sd the population standard deviation (0 for a constant column)
   */
  public record Range(double min, double max, double mean, double sd) {
    public Range {
      if (!Double.isFinite(min) || !Double.isFinite(max) || !Double.isFinite(mean) || !Double.isFinite(sd)
          || min > max || sd < 0 || mean < min || mean > max) {
        throw new IllegalArgumentException("a feature range needs finite min <= mean <= max and sd >= 0, got min "
            + min + ", max " + max + ", mean " + mean + ", sd " + sd);
      }
    }

    /** Whether {@code v} lies outside {@code [min, max]}; a non-finite value always does. */
    public boolean outside(double v) {
      return !(v >= min && v <= max);
    }

    /** {@code (v - mean) / sd}; NaN when the column was constant (sd 0) or {@code v} is not finite. */
    public double zScore(double v) {
      return sd > 0 && Double.isFinite(v) ? (v - mean) / sd : Double.NaN;
    }
  }

  public FeatureStatistics {
    features = List.copyOf(Objects.requireNonNull(features, "features"));
    if (rows < 1 || features.isEmpty()) {
      throw new IllegalArgumentException("feature statistics need at least one row and one feature, got " + rows
          + " rows, " + features.size() + " features");
    }
  }

  /** Number of features. */
  public int dim() {
    return features.size();
  }

  public Range feature(int i) {
    return features.get(i);
  }

  /**
   * The statistics of {@code n} row-major rows of {@code d} finite values (mean and sd in two passes, so a
   * large offset does not cancel).
   *
   * @throws IllegalArgumentException on a non-finite value or too short an array
   */
  public static FeatureStatistics of(double[] values, int n, int d) {
    if (n < 1 || d < 1 || values.length < (long) n * d) {
      throw new IllegalArgumentException("expected at least one row of " + d + " values, got " + n + " rows in "
          + values.length + " values");
    }
    List<Range> out = new ArrayList<>(d);
    for (int j = 0; j < d; j++) {
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      double sum = 0;
      for (int r = 0; r < n; r++) {
        double v = values[r * d + j];
        if (!Double.isFinite(v)) {
          throw new IllegalArgumentException("row " + r + ", column " + j + " is " + v);
        }
        min = Math.min(min, v);
        max = Math.max(max, v);
        sum += v;
      }
      double mean = Math.min(max, Math.max(min, sum / n));
      double ss = 0;
      for (int r = 0; r < n; r++) {
        double e = values[r * d + j] - mean;
        ss += e * e;
      }
      out.add(new Range(min, max, mean, Math.sqrt(ss / n)));
    }
    return new FeatureStatistics(n, out);
  }
}
