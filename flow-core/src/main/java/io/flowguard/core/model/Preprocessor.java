package io.flowguard.core.model;

import io.flowguard.core.flow.FlowInputs;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Maps raw feature vectors to the standardized space the flow models: constant columns are dropped and
 * every kept column becomes {@code (x - mean) / std}. Learned once, on the training data only, so that
 * validation and scoring see exactly the transformation the flow was trained behind.
 *
 * <p><b>Density bookkeeping.</b> Standardization is an affine map with Jacobian
 * {@code diag(1 / std_kept)}, so {@code log p_raw(x) = log p_flow(apply(x)) + logJacobian()} with
 * {@code logJacobian() = -sum(log std_kept)}. Dropped (constant) columns carry no density: a point mass
 * has none, so the density is over the kept columns only and a dropped column's value does not affect
 * the score. Their training value is kept in {@link #features()} so a caller can check them separately.
 *
 * <p>Immutable and thread-safe.
 */
public final class Preprocessor {

  /** Standard deviations of kept columns are floored here so near-constant columns cannot blow up. */
  public static final double MIN_STD = 1e-6;

  /** A column whose standard deviation is below this fraction of its largest magnitude is constant. */
  public static final double CONSTANT_RELATIVE_STD = 1e-12;

  /**
   * One raw column.
   *
   * @param name the feature name, unique and non-empty
   * @param kept whether the column is modelled (false: it was constant in the training data)
   * @param mean the training mean (for a dropped column: its constant value)
   * @param std the standard deviation used to scale a kept column (at least {@link #MIN_STD}); for a
   *     dropped column the raw training standard deviation, for information only
   */
  public record Feature(String name, boolean kept, double mean, double std) {
    public Feature {
      Objects.requireNonNull(name, "feature name");
      if (name.isEmpty()) {
        throw new IllegalArgumentException("feature names must not be empty");
      }
      if (!Double.isFinite(mean) || !Double.isFinite(std) || std < 0) {
        throw new IllegalArgumentException("feature '" + name + "': mean " + mean + " and std " + std
            + " must be finite and std non-negative");
      }
      if (kept && std < MIN_STD) {
        throw new IllegalArgumentException("feature '" + name + "' is kept, so its std " + std
            + " must be at least " + MIN_STD);
      }
    }
  }

  private final List<Feature> features;
  private final int[] keptIndex;
  private final double[] mean;
  private final double[] std;
  private final double logJacobian;

  /**
   * Restores a preprocessor from its columns (e.g. from a model file). Use {@link #fit} to learn one.
   *
   * @throws IllegalArgumentException if names repeat or no column is kept
   */
  public Preprocessor(List<Feature> features) {
    this.features = List.copyOf(features);
    Set<String> seen = new HashSet<>();
    int kept = 0;
    for (Feature f : this.features) {
      if (!seen.add(f.name())) {
        throw new IllegalArgumentException("duplicate feature name '" + f.name() + "'");
      }
      kept += f.kept() ? 1 : 0;
    }
    if (kept == 0) {
      throw new IllegalArgumentException("every one of the " + this.features.size()
          + " features is constant: there is nothing to model");
    }
    keptIndex = new int[kept];
    mean = new double[kept];
    std = new double[kept];
    double lj = 0.0;
    for (int i = 0, k = 0; i < this.features.size(); i++) {
      Feature f = this.features.get(i);
      if (f.kept()) {
        keptIndex[k] = i;
        mean[k] = f.mean();
        std[k] = f.std();
        lj -= Math.log(f.std());
        k++;
      }
    }
    logJacobian = lj;
  }

  /**
   * Learns the preprocessor from {@code n} raw training rows.
   *
   * <p>A column is dropped when it is exactly constant or its (population) standard deviation is below
   * {@link #CONSTANT_RELATIVE_STD} times its largest magnitude: such a column is constant up to
   * round-off, and standardizing it would only amplify round-off into a fake dimension with a huge
   * density. Kept columns are standardized with their mean and standard deviation, floored at
   * {@link #MIN_STD}.
   *
   * @param names the feature names in raw column order
   * @param x {@code n} row-major rows of {@code names.size()} finite values
   * @throws IllegalArgumentException on a bad shape, non-finite values, fewer than 2 rows, or if every
   *     column is constant
   */
  public static Preprocessor fit(List<String> names, double[] x, int n) {
    Objects.requireNonNull(names, "names");
    Objects.requireNonNull(x, "x");
    int d = names.size();
    if (d == 0) {
      throw new IllegalArgumentException("no features: give at least one feature name");
    }
    if (n < 2) {
      throw new IllegalArgumentException("need at least 2 training rows to standardize features, got " + n);
    }
    if (x.length != (long) n * d) {
      throw new IllegalArgumentException("expected " + n + " rows of " + d + " features (" + ((long) n * d)
          + " values), got " + x.length + " values");
    }
    FlowInputs.validate(x, n, d);
    List<Feature> out = new ArrayList<>(d);
    for (int c = 0; c < d; c++) {
      // Two passes (mean, then squared deviations): the one-pass formula cancels catastrophically for
      // columns with a large offset, exactly the ones where constant detection matters.
      double sum = 0.0;
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      for (int r = 0; r < n; r++) {
        double v = x[r * d + c];
        sum += v;
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      double mu = sum / n;
      double ss = 0.0;
      for (int r = 0; r < n; r++) {
        double dev = x[r * d + c] - mu;
        ss += dev * dev;
      }
      double sd = Math.sqrt(ss / n);
      double scale = Math.max(Math.abs(min), Math.abs(max));
      boolean constant = min == max || sd < CONSTANT_RELATIVE_STD * scale;
      if (constant) {
        out.add(new Feature(names.get(c), false, min == max ? min : mu, sd));
      } else {
        out.add(new Feature(names.get(c), true, mu, Math.max(sd, MIN_STD)));
      }
    }
    return new Preprocessor(out);
  }

  /** Number of raw input columns. */
  public int rawDim() {
    return features.size();
  }

  /** Number of kept columns: the dimension of the flow. */
  public int dim() {
    return keptIndex.length;
  }

  /** All raw columns in input order, kept or not. */
  public List<Feature> features() {
    return features;
  }

  /** Names of all raw columns, in input order. */
  public List<String> featureNames() {
    return features.stream().map(Feature::name).toList();
  }

  /** Names of the kept columns, in the order of the flow's dimensions. */
  public List<String> keptFeatures() {
    return features.stream().filter(Feature::kept).map(Feature::name).toList();
  }

  /** Names of the columns dropped as constant, in input order. */
  public List<String> droppedFeatures() {
    return features.stream().filter(f -> !f.kept()).map(Feature::name).toList();
  }

  /** {@code -sum(log std_kept)}: add it to the flow's log-density to get the raw-space log-density. */
  public double logJacobian() {
    return logJacobian;
  }

  /**
   * Standardizes one raw row, {@code raw[rawOff .. rawOff + rawDim())}, into
   * {@code out[outOff .. outOff + dim())}. Allocates nothing, for the per-event scoring path; it checks
   * bounds but not finiteness (the batch {@link #apply(double[], int)} validates values).
   */
  public void apply(double[] raw, int rawOff, double[] out, int outOff) {
    if (rawOff < 0 || outOff < 0 || rawOff > raw.length - rawDim() || outOff > out.length - dim()) {
      throw new IndexOutOfBoundsException("a raw row of " + rawDim() + " at " + rawOff + " (array of "
          + raw.length + ") into " + dim() + " values at " + outOff + " (array of " + out.length + ")");
    }
    for (int k = 0; k < keptIndex.length; k++) {
      out[outOff + k] = (raw[rawOff + keptIndex[k]] - mean[k]) / std[k];
    }
  }

  /**
   * Standardizes {@code n} row-major raw rows into a new array of {@code n * dim()} values.
   *
   * @throws IllegalArgumentException naming the row and column of a non-finite value or a short array
   */
  public double[] apply(double[] raw, int n) {
    FlowInputs.validate(raw, n, rawDim());
    double[] out = new double[n * dim()];
    for (int r = 0; r < n; r++) {
      apply(raw, r * rawDim(), out, r * dim());
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Preprocessor p && features.equals(p.features);
  }

  @Override
  public int hashCode() {
    return features.hashCode();
  }

  @Override
  public String toString() {
    return "Preprocessor[" + rawDim() + " features, " + dim() + " kept, dropped " + droppedFeatures() + "]";
  }
}
