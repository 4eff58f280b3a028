package io.flowguard.core.eval;

/**
 * The protocol's standardization: each column minus its TRAIN mean, divided by its TRAIN (population)
 * standard deviation floored at {@link #MIN_STD}. The baselines are fitted and scored in this space,
 * which is also the space of every reported test NLL.
 *
 * @param mean per-column TRAIN means
 * @param std per-column TRAIN standard deviations, at least {@link #MIN_STD}
 */
public record Standardization(double[] mean, double[] std) {

  /** {@code PROTOCOL.md}: "std floored at 1e-6". */
  public static final double MIN_STD = 1e-6;

  public Standardization {
    mean = mean.clone();
    std = std.clone();
  }

  /** Learns the statistics from {@code n} row-major rows of {@code d} columns (two passes, for accuracy). */
  public static Standardization fit(double[] rows, int n, int d) {
    if (n < 1 || rows.length != (long) n * d) {
      throw new IllegalArgumentException("expected at least one row of " + d + " values, got " + rows.length + " values");
    }
    double[] mean = new double[d];
    double[] std = new double[d];
    for (int r = 0; r < n; r++) {
      for (int j = 0; j < d; j++) {
        mean[j] += rows[r * d + j];
      }
    }
    for (int j = 0; j < d; j++) {
      mean[j] /= n;
    }
    for (int r = 0; r < n; r++) {
      for (int j = 0; j < d; j++) {
        double t = rows[r * d + j] - mean[j];
        std[j] += t * t;
      }
    }
    for (int j = 0; j < d; j++) {
      std[j] = Math.max(Math.sqrt(std[j] / n), MIN_STD);
    }
    return new Standardization(mean, std);
  }

  public int dim() {
    return mean.length;
  }

  /** The standardized copy of row-major {@code rows}. */
  public double[] apply(double[] rows) {
    int d = dim();
    if (rows.length % d != 0) {
      throw new IllegalArgumentException(rows.length + " values are not whole rows of " + d);
    }
    double[] out = new double[rows.length];
    for (int i = 0; i < rows.length; i++) {
      int j = i % d;
      out[i] = (rows[i] - mean[j]) / std[j];
    }
    return out;
  }
}
