package io.flowguard.core.model;

import io.flowguard.core.flow.FlowInputs;
import io.flowguard.core.train.InputNoise;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Maps raw feature vectors to the space the flow models, column by column, with every step learned on
 * the training data only and stored in the model:
 *
 * <ol>
 *   <li><b>Constant and nearly constant columns are modelled apart.</b> A point mass has no density, so the
 *       flow models the other columns; such a column gets an independent categorical distribution over
 *       its training values plus "any other value", with add-one smoothing (the rule of succession: a
 *       value unseen in {@code n} rows of a constant column has probability {@code 1 / (n + 2)}), whose
 *       log-probability is part of the score ({@link Categories}). Files written before this rule
 *       (no categories stored) keep such columns out of the score, as they did.
 *   <li><b>Heavy-tailed columns</b> go through the monotone marginal transform
 *       {@code u = asinh((x - center) / scale)} (center = median, scale = robust spread), which is linear
 *       near the center and logarithmic in the tails, so a Gaussian-based flow need not stretch one
 *       layer's scale over decades.
 *   <li><b>Every kept column is standardized</b>: {@code y = (u - mean) / std}.
 *   <li><b>Discrete columns</b> (values on a grid with many ties) are marked with their grid cell width;
 *       {@link #dequantization()} adds uniform noise over the cell during training only.
 * </ol>
 *
 * <p><b>Density bookkeeping.</b> {@code log p_raw(x) = log p_flow(apply(x)) + logJacobian(x)}, where the
 * log-Jacobian of the row is {@code -sum(log std_k)} plus, for each transformed column,
 * {@code -log scale_k - log(1 + t_k^2) / 2} with {@code t_k = (x_k - center_k) / scale_k}, plus the
 * log-probability of the row's values in the columns modelled apart ({@link Categories#logProbability}):
 * the model is the product of the flow's density of the kept columns and those columns' categorical
 * distributions, a density with respect to Lebesgue measure on the kept columns times counting measure
 * on the categories of the others. It depends on
 * the row when a column is transformed; {@link #apply(double[], int, double[], int)} returns it.
 *
 * <p><b>Discrete columns at scoring time.</b> Training fits the density of {@code x + U} with {@code U}
 * uniform on {@code [-cell/2, cell/2]} (dequantization). Scoring evaluates that density at the observed
 * grid value, the center of its cell, and reports it as a density like any other column (nats per unit
 * of the raw column); {@code log P(cell) ~ logDensity + log(cell)} if a probability mass is wanted.
 *
 * <p>Immutable and thread-safe.
 */
public final class Preprocessor {

  /** Standard deviations of kept columns are floored here so near-constant columns cannot blow up. */
  public static final double MIN_STD = 1e-6;

  /** A column whose standard deviation is below this fraction of its largest magnitude is constant. */
  public static final double CONSTANT_RELATIVE_STD = 1e-12;

  /**
   * A column whose most frequent training value holds all but at most this many rows is modelled apart
   * by its categorical distribution ({@link Categories}) instead of by the flow. With fewer than 5 rows
   * off the mode, the relative error of their count is above {@code 1 / sqrt(5) = 45 %}: far too few to
   * estimate how the column depends on the others, which is all the flow could add over the column's
   * own frequencies, while the rule of succession estimates those frequencies with a stated error; and a
   * flow fitted on a handful of off-mode rows memorizes them (a spike, or a box of dequantization
   * noise many standard deviations wide, whose density at a new rare value is arbitrary).
   */
  public static final int APART_MAX_OFF_MODE_ROWS = 4;

  /**
   * ... and those rows are at most this share of all rows (the mode holds at least 99 % of them). Where a
   * few rows are a sizable share (4 of 32 rows, 12 %), the column is a genuine feature of normal data whose
   * values are not rare, and the flow keeps it: "nearly constant" means rare in count and in share.
   */
  public static final double APART_MAX_OFF_MODE_SHARE = 0.01;

  /**
   * A column is discrete when at most this share of its training rows hold distinct values (so most
   * rows repeat a value: a density would spike at each one) ...
   */
  public static final double DISCRETE_MAX_DISTINCT_SHARE = 0.5;

  /** ... and its grid cell (smallest gap between distinct values) is at least this many standard deviations. */
  public static final double DISCRETE_MIN_CELL_STD = 1e-3;

  /**
   * A column is heavy-tailed when its central 98 % range, {@code q(0.99) - q(0.01)}, exceeds this many
   * robust standard deviations (IQR / 1.349). A Gaussian gives 4.65, an exponential 5.6, a log-normal
   * with sigma 1 about 9.4, a Student t with 2 degrees of freedom 10.3.
   */
  public static final double HEAVY_TAIL_SPREAD = 7.0;

  /**
   * Distinct values are on a regular grid when every gap between neighbours is a whole multiple of the
   * smallest gap up to this fraction of it (a CSV's 15 significant digits keep the round-off far below).
   */
  public static final double GRID_TOLERANCE = 1e-3;

  /**
   * The most distinct values an atom column ({@link Options#atoms()}) may have: its atoms are stored in
   * the model, so this bounds a column's entry to 8 KiB of doubles. The development sets' tied columns
   * off a regular grid (or on a too-fine one) have at most about 650 distinct values; a column
   * with more keeps the grid rule.
   */
  public static final int MAX_ATOMS = 1024;

  /**
   * Which robust steps {@link #fit} may take; constant columns are always dropped.
   *
   * @param dequantize detect discrete columns and mark them for dequantization
   * @param tailTransform detect heavy-tailed columns and give them the asinh marginal transform
   * @param atoms (with {@code dequantize}) dequantize a tied column that is not on a regular grid, or whose
   *     grid is finer than {@link #DISCRETE_MIN_CELL_STD}, over the Voronoi cells of its distinct values
   *     instead of one cell width (off by default; see docs/defaults.md)
   */
  public record Options(boolean dequantize, boolean tailTransform, boolean atoms) {
    /** Grid dequantization and the tail transform, no atom cells. */
    public Options(boolean dequantize, boolean tailTransform) {
      this(dequantize, tailTransform, false);
    }

    /** Both robust steps: the default. */
    public static Options robust() {
      return new Options(true, true);
    }

    /** This with the atom rule on or off. */
    public Options withAtoms(boolean on) {
      return new Options(dequantize, tailTransform, on);
    }

    /** Plain standardization (the behaviour of model format version 1). */
    public static Options standardizeOnly() {
      return new Options(false, false);
    }
  }

  /**
   * The categorical distribution of a column modelled apart from the flow: its distinct training values
   * and how many training rows hold each. With {@code m} values and {@code N} rows, add-one smoothing over
   * the {@code m} values and one more category, "any other value", gives
   * {@code P(v_i) = (c_i + 1) / (N + m + 1)} and {@code P(other) = 1 / (N + m + 1)}: probabilities that sum
   * to one, and for a constant column ({@code m = 1}) Laplace's rule of succession, {@code 1 / (N + 2)}
   * for a value never seen. A value matches a level only if it is exactly equal (as a double).
   *
   * @param values distinct finite training values, strictly increasing (1 to {@link #MAX_LEVELS})
   * @param counts training rows holding each value, each at least 1
   */
  public record Categories(List<Double> values, List<Long> counts) {
    /** The most values a column modelled apart can have ({@link #APART_MAX_OFF_MODE_ROWS} + 1 at fit time). */
    public static final int MAX_LEVELS = 1024;

    /** None: a kept column, or a dropped column of a file written before columns were modelled apart. */
    public static final Categories NONE = new Categories(List.of(), List.of());

    public Categories {
      values = List.copyOf(Objects.requireNonNull(values, "values"));
      counts = List.copyOf(Objects.requireNonNull(counts, "counts"));
      if (values.size() != counts.size() || values.size() > MAX_LEVELS) {
        throw new IllegalArgumentException("categories: " + values.size() + " values and " + counts.size()
            + " counts; they must pair up, at most " + MAX_LEVELS);
      }
      for (int i = 0; i < values.size(); i++) {
        double v = values.get(i);
        if (!Double.isFinite(v) || (i > 0 && !(v > values.get(i - 1))) || counts.get(i) < 1) {
          throw new IllegalArgumentException("categories: values must be finite and strictly increasing, counts"
              + " at least 1; entry " + i + " is " + v + " x " + counts.get(i));
        }
      }
    }

    /** Whether there is a distribution (false: {@link #NONE}). */
    public boolean present() {
      return !values.isEmpty();
    }

    /** Training rows counted. */
    public long total() {
      long t = 0;
      for (long c : counts) {
        t += c;
      }
      return t;
    }

    /** The value most training rows hold (the first of equals). */
    public double mode() {
      int best = 0;
      for (int i = 1; i < counts.size(); i++) {
        if (counts.get(i) > counts.get(best)) {
          best = i;
        }
      }
      return values.get(best);
    }

    /** {@code log P(v)} under the smoothed distribution; {@code 0} for {@link #NONE}. */
    public double logProbability(double v) {
      if (values.isEmpty()) {
        return 0.0;
      }
      double denominator = total() + values.size() + 1.0;
      int i = indexOf(v);
      return Math.log((i >= 0 ? counts.get(i) + 1.0 : 1.0) / denominator);
    }

    /** {@code log P(other)}: the log-probability of any value not among the training values. */
    public double logProbabilityOfOther() {
      return values.isEmpty() ? 0.0 : -Math.log(total() + values.size() + 1.0);
    }

    private int indexOf(double v) {
      for (int i = 0; i < values.size(); i++) {
        if (values.get(i) == v) {
          return i;
        }
      }
      return -1;
    }
  }

  /**
   * One raw column.
   *
   * @param name the feature name, unique and non-empty
   * @param kept whether the column is modelled (false: it was constant in the training data)
   * @param mean the training mean of the (transformed) column (for a dropped column: its constant value)
   * @param std the standard deviation used to scale a kept column (at least {@link #MIN_STD}); for a
   *     dropped column the raw training standard deviation, for information only
   * @param cell the grid cell width of a discrete column, in raw units; 0 for a continuous column
   * @param tailCenter the center of the asinh marginal transform (raw units; 0 when there is none)
   * @param tailScale the scale of the asinh marginal transform (raw units); 0: no transform
   * @param atoms the distinct training values of an atom column (raw units, strictly increasing, 2 to
   *     {@link #MAX_ATOMS} of them), dequantized over their Voronoi cells ({@link #atomCell}); empty for
   *     any other column. An atom column has no {@code cell}.
   * @param categories for a dropped column, its categorical distribution, scored apart from the flow;
   *     {@link Categories#NONE} for a kept column and for a dropped column of an older file (not scored)
   */
  public record Feature(String name, boolean kept, double mean, double std, double cell, double tailCenter,
                        double tailScale, List<Double> atoms, Categories categories) {
    public Feature {
      Objects.requireNonNull(name, "name");
      atoms = List.copyOf(Objects.requireNonNull(atoms, "atoms"));
      Objects.requireNonNull(categories, "categories");
      if (kept && categories.present()) {
        throw new IllegalArgumentException("feature '" + name + "' is kept (modelled by the flow), so it can"
            + " have no categories");
      }
      if (!atoms.isEmpty()) {
        if (!kept || cell > 0 || atoms.size() < 2 || atoms.size() > MAX_ATOMS) {
          throw new IllegalArgumentException("feature '" + name + "': an atom column must be kept, have no grid"
              + " cell and 2 to " + MAX_ATOMS + " atoms, got " + atoms.size() + " atoms, cell " + cell);
        }
        for (int i = 0; i < atoms.size(); i++) {
          double a = atoms.get(i);
          if (!Double.isFinite(a) || (i > 0 && !(a > atoms.get(i - 1)))) {
            throw new IllegalArgumentException("feature '" + name + "': atoms must be finite and strictly"
                + " increasing, atom " + i + " is " + a);
          }
        }
      }
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
      if (!(cell >= 0) || Double.isInfinite(cell) || !Double.isFinite(tailCenter) || !(tailScale >= 0)
          || Double.isInfinite(tailScale)) {
        throw new IllegalArgumentException("feature '" + name + "': cell " + cell + ", tail center " + tailCenter
            + " and tail scale " + tailScale + " must be finite, cell and scale non-negative");
      }
      if (!kept && (cell > 0 || tailScale > 0)) {
        throw new IllegalArgumentException("feature '" + name + "' is dropped, so it can have no grid cell"
            + " or marginal transform");
      }
    }

    /** A plainly standardized (or dropped) column: the only kind in model format version 1. */
    public Feature(String name, boolean kept, double mean, double std) {
      this(name, kept, mean, std, 0.0, 0.0, 0.0);
    }

    /** A column without atoms (model files without the atom field). */
    public Feature(String name, boolean kept, double mean, double std, double cell, double tailCenter,
                   double tailScale) {
      this(name, kept, mean, std, cell, tailCenter, tailScale, List.of());
    }

    /** A column without categories (kept, or dropped in a file written before columns were modelled apart). */
    public Feature(String name, boolean kept, double mean, double std, double cell, double tailCenter,
                   double tailScale, List<Double> atoms) {
      this(name, kept, mean, std, cell, tailCenter, tailScale, atoms, Categories.NONE);
    }

    /** A column modelled apart by its categorical distribution. */
    public static Feature apart(String name, double rawStd, Categories categories) {
      return new Feature(name, false, categories.mode(), rawStd, 0.0, 0.0, 0.0, List.of(), categories);
    }

    /** Whether the column is modelled apart by a categorical distribution that the score includes. */
    public boolean apart() {
      return categories.present();
    }

    /** Whether the column is dequantized during training, over a grid cell or over its atoms' cells. */
    public boolean discrete() {
      return cell > 0 || !atoms.isEmpty();
    }

    /** Whether the column is dequantized over the Voronoi cells of its atoms. */
    public boolean atomic() {
      return !atoms.isEmpty();
    }

    /** Whether the column goes through the asinh marginal transform. */
    public boolean tailTransformed() {
      return tailScale > 0;
    }
  }

  private final List<Feature> features;
  private final int[] keptIndex;
  private final double[] mean;
  private final double[] std;
  private final double[] tailCenter;
  private final double[] tailScale;
  /** Kept positions of discrete columns, and their cell widths (0 for an atom column). */
  private final int[] discreteAt;
  private final double[] cell;
  /** Per discrete column: its atoms (empty for a grid column), and their cells' lower and upper ends. */
  private final double[][] atomAt;
  private final double[][] atomLo;
  private final double[][] atomHi;
  private final int[] transformedAt;
  private final double constantLogJacobian;
  /** Raw positions of the columns modelled apart, their values, and the log-probability of each value and of any other. */
  private final int[] apartAt;
  private final double[][] apartValues;
  private final double[][] apartLogP;
  private final double[] apartLogOther;

  /**
   * Restores a preprocessor from its columns (e.g. from a model file). Use {@link #fit} to learn one.
   *
   * @throws IllegalArgumentException if names repeat or no column is kept
   */
  public Preprocessor(List<Feature> features) {
    this.features = List.copyOf(features);
    Set<String> seen = new HashSet<>();
    int kept = 0;
    int discrete = 0;
    int transformed = 0;
    for (Feature f : this.features) {
      if (!seen.add(f.name())) {
        throw new IllegalArgumentException("duplicate feature name '" + f.name() + "'");
      }
      kept += f.kept() ? 1 : 0;
      discrete += f.discrete() ? 1 : 0;
      transformed += f.tailTransformed() ? 1 : 0;
    }
    if (kept == 0) {
      throw new IllegalArgumentException("every one of the " + this.features.size()
          + " features is constant: there is nothing to model");
    }
    keptIndex = new int[kept];
    mean = new double[kept];
    std = new double[kept];
    tailCenter = new double[kept];
    tailScale = new double[kept];
    discreteAt = new int[discrete];
    cell = new double[discrete];
    atomAt = new double[discrete][];
    atomLo = new double[discrete][];
    atomHi = new double[discrete][];
    transformedAt = new int[transformed];
    double lj = 0.0;
    for (int i = 0, k = 0, q = 0, t = 0; i < this.features.size(); i++) {
      Feature f = this.features.get(i);
      if (f.kept()) {
        keptIndex[k] = i;
        mean[k] = f.mean();
        std[k] = f.std();
        tailCenter[k] = f.tailCenter();
        tailScale[k] = f.tailScale();
        lj -= Math.log(f.std());
        if (f.tailTransformed()) {
          lj -= Math.log(f.tailScale());
          transformedAt[t++] = k;
        }
        if (f.discrete()) {
          discreteAt[q] = k;
          cell[q] = f.cell();
          int m = f.atoms().size();
          atomAt[q] = new double[m];
          atomLo[q] = new double[m];
          atomHi[q] = new double[m];
          for (int j = 0; j < m; j++) {
            atomAt[q][j] = f.atoms().get(j);
            double[] c = atomCell(f.atoms(), j);
            atomLo[q][j] = c[0];
            atomHi[q][j] = c[1];
          }
          q++;
        }
        k++;
      }
    }
    constantLogJacobian = lj;
    int apart = (int) this.features.stream().filter(Feature::apart).count();
    apartAt = new int[apart];
    apartValues = new double[apart][];
    apartLogP = new double[apart][];
    apartLogOther = new double[apart];
    for (int i = 0, a = 0; i < this.features.size(); i++) {
      Categories cat = this.features.get(i).categories();
      if (!cat.present()) {
        continue;
      }
      int m = cat.values().size();
      apartAt[a] = i;
      apartValues[a] = new double[m];
      apartLogP[a] = new double[m];
      for (int j = 0; j < m; j++) {
        apartValues[a][j] = cat.values().get(j);
        apartLogP[a][j] = cat.logProbability(cat.values().get(j));
      }
      apartLogOther[a] = cat.logProbabilityOfOther();
      a++;
    }
  }

  /** Binary search by {@code <} and {@code >} (so -0.0 matches 0.0 and NaN matches nothing). */
  private static double logProbabilityOf(double[] values, double[] logP, double logOther, double v) {
    int lo = 0;
    int hi = values.length - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (values[mid] < v) {
        lo = mid + 1;
      } else if (values[mid] > v) {
        hi = mid - 1;
      } else {
        return logP[mid];
      }
    }
    return logOther;
  }

  /**
   * The log-probability of a raw row's values in the columns modelled apart (0 when there are none):
   * allocation-free, for the scoring path. A value matches a training value only if it is equal.
   */
  public double apartLogProbability(double[] raw, int rawOff) {
    double lp = 0.0;
    for (int a = 0; a < apartAt.length; a++) {
      lp += logProbabilityOf(apartValues[a], apartLogP[a], apartLogOther[a], raw[rawOff + apartAt[a]]);
    }
    return lp;
  }

  /**
   * The Voronoi cell {@code [lo, hi]} of atom {@code j}: from the midpoint to its lower neighbour to the
   * midpoint to its upper neighbour; the end cells are mirrored (as wide on the outer side as on the
   * inner). The cells partition {@code [lo_0, hi_last]}.
   */
  public static double[] atomCell(List<Double> atoms, int j) {
    int m = atoms.size();
    double a = atoms.get(j);
    double lo = j > 0 ? 0.5 * (atoms.get(j - 1) + a) : a - 0.5 * (atoms.get(1) - a);
    double hi = j < m - 1 ? 0.5 * (a + atoms.get(j + 1)) : a + 0.5 * (a - atoms.get(m - 2));
    return new double[] {lo, hi};
  }

  /** As {@link #fit(List, double[], int, Options)} with {@link Options#robust()}. */
  public static Preprocessor fit(List<String> names, double[] x, int n) {
    return fit(names, x, n, Options.robust());
  }

  /**
   * Learns the preprocessor from {@code n} raw training rows.
   *
   * <p>A column is dropped when it is exactly constant or its (population) standard deviation is below
   * {@link #CONSTANT_RELATIVE_STD} times its largest magnitude: such a column is constant up to
   * round-off, and standardizing it would only amplify round-off into a fake dimension with a huge
   * density. A kept column is discrete when at most {@link #DISCRETE_MAX_DISTINCT_SHARE} of its rows
   * hold distinct values and the smallest gap between them (the cell) is at least
   * {@link #DISCRETE_MIN_CELL_STD} standard deviations; heavy-tailed when its central 98 % range exceeds
   * {@link #HEAVY_TAIL_SPREAD} robust standard deviations. Kept columns are standardized (after the
   * marginal transform, if any) with their mean and standard deviation, floored at {@link #MIN_STD}.
   *
   * @param names the feature names in raw column order
   * @param x {@code n} row-major rows of {@code names.size()} finite values
   * @throws IllegalArgumentException on a bad shape, non-finite values, fewer than 2 rows, or if every
   *     column is constant
   */
  public static Preprocessor fit(List<String> names, double[] x, int n, Options options) {
    return fit(names, x, n, options, APART_MAX_OFF_MODE_ROWS);
  }

  /**
   * As {@link #fit(List, double[], int, Options)} with another bound on the off-mode rows of a column
   * modelled apart: for experiments that compare the rule with others. {@code -1} restores the rule of
   * files written before it: constant columns are dropped without categories (not scored), every other
   * column is kept.
   */
  public static Preprocessor fit(List<String> names, double[] x, int n, Options options, int apartMaxOffModeRows) {
    Objects.requireNonNull(names, "names");
    Objects.requireNonNull(x, "x");
    Objects.requireNonNull(options, "options");
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
    double[] column = new double[n];
    for (int c = 0; c < d; c++) {
      for (int r = 0; r < n; r++) {
        column[r] = x[r * d + c];
      }
      double[] moments = moments(column, n);
      double mu = moments[0];
      double sd = moments[1];
      double[] sorted = Arrays.copyOf(column, n);
      Arrays.sort(sorted);
      double min = sorted[0];
      double max = sorted[n - 1];
      double scale = Math.max(Math.abs(min), Math.abs(max));
      boolean constant = min == max || sd < CONSTANT_RELATIVE_STD * scale;
      if (apartMaxOffModeRows < 0) {
        if (constant) {
          out.add(new Feature(names.get(c), false, min == max ? min : mu, sd));
          continue;
        }
      } else {
        Categories categories = nearlyConstant(sorted, apartMaxOffModeRows);
        if (categories.present()) {
          out.add(Feature.apart(names.get(c), sd, categories));
          continue;
        }
        if (constant) {
          // Constant up to round-off but not in value: too spread to count, too narrow to model.
          out.add(new Feature(names.get(c), false, mu, sd));
          continue;
        }
      }
      double cellWidth = options.dequantize() ? gridCell(sorted, sd) : 0.0;
      List<Double> atoms = options.dequantize() && options.atoms() ? atoms(sorted, sd) : List.of();
      if (!atoms.isEmpty()) {
        cellWidth = 0.0;
      }
      double tailScale = 0.0;
      double tailCenter = 0.0;
      if (options.tailTransform()) {
        double spread = robustStd(sorted);
        if (spread > 0 && (quantile(sorted, 0.99) - quantile(sorted, 0.01)) > HEAVY_TAIL_SPREAD * spread) {
          tailCenter = quantile(sorted, 0.5);
          tailScale = spread;
        }
      }
      if (tailScale > 0) {
        for (int r = 0; r < n; r++) {
          column[r] = asinh((column[r] - tailCenter) / tailScale);
        }
        moments = moments(column, n);
        mu = moments[0];
        sd = moments[1];
      }
      if (cellWidth > 0 || !atoms.isEmpty()) {
        // Standardize what the flow is fitted on, the dequantized variable, rather than the grid values:
        // a rare binary column has a cell of many standard deviations of its values.
        moments = dequantizedMoments(sorted, cellWidth, atoms, tailCenter, tailScale);
        mu = moments[0];
        sd = moments[1];
      }
      out.add(new Feature(names.get(c), true, mu, Math.max(sd, MIN_STD), cellWidth, tailCenter, tailScale,
          atoms));
    }
    return new Preprocessor(out);
  }

  /**
   * The categories of a column whose most frequent value holds all but at most {@code maxOffMode} of the
   * sorted values, and those at most {@link #APART_MAX_OFF_MODE_SHARE} of them (a constant column always),
   * or {@link Categories#NONE}.
   */
  static Categories nearlyConstant(double[] sorted, int maxOffMode) {
    int n = sorted.length;
    int best = 0;
    int distinct = 0;
    for (int r = 0; r < n; ) {
      int e = r;
      while (e < n && sorted[e] == sorted[r]) {
        e++;
      }
      best = Math.max(best, e - r);
      distinct++;
      r = e;
    }
    int offMode = n - best;
    if (offMode > 0 && (offMode > maxOffMode || offMode > APART_MAX_OFF_MODE_SHARE * n)
        || distinct > Categories.MAX_LEVELS) {
      return Categories.NONE;
    }
    List<Double> values = new ArrayList<>(distinct);
    List<Long> counts = new ArrayList<>(distinct);
    for (int r = 0; r < n; ) {
      int e = r;
      while (e < n && sorted[e] == sorted[r]) {
        e++;
      }
      values.add(sorted[r]);
      counts.add((long) (e - r));
      r = e;
    }
    return new Categories(values, counts);
  }

  /** Points per training value at which {@link #dequantizedMoments} integrates a transformed cell (midpoint rule). */
  static final int DEQUANTIZED_MOMENT_POINTS = 16;

  /**
   * Mean and standard deviation of the dequantized variable in the flow's units before standardization
   * (after the asinh transform when {@code tailScale > 0}): each sorted raw training value spread
   * uniformly over its grid cell or its atom's Voronoi cell. Without a transform the moments are exact
   * (the cells' centers' variance plus the mean of {@code width^2 / 12}); through the asinh each cell is
   * integrated by the midpoint rule with {@value #DEQUANTIZED_MOMENT_POINTS} points. Deterministic,
   * unlike a sample of the training noise.
   */
  static double[] dequantizedMoments(double[] sorted, double cellWidth, List<Double> atoms, double tailCenter,
                                     double tailScale) {
    int n = sorted.length;
    int m = tailScale > 0 ? DEQUANTIZED_MOMENT_POINTS : 1;
    double[] v = new double[n * m];
    double withinCell = 0.0;
    int atom = 0;
    for (int r = 0; r < n; r++) {
      double lo;
      double width;
      if (atoms.isEmpty()) {
        lo = sorted[r] - 0.5 * cellWidth;
        width = cellWidth;
      } else {
        while (atom < atoms.size() - 1 && atoms.get(atom) < sorted[r]) {
          atom++;
        }
        double[] cell = atomCell(atoms, atom);
        lo = cell[0];
        width = cell[1] - cell[0];
      }
      if (tailScale > 0) {
        for (int j = 0; j < m; j++) {
          v[r * m + j] = asinh((lo + (j + 0.5) / m * width - tailCenter) / tailScale);
        }
      } else {
        v[r] = lo + 0.5 * width;
        withinCell += width * width / 12.0;
      }
    }
    double[] moments = moments(v, v.length);
    moments[1] = Math.sqrt(moments[1] * moments[1] + withinCell / n);
    return moments;
  }

  /** Population mean and standard deviation, in two passes (one pass cancels for large offsets). */
  private static double[] moments(double[] v, int n) {
    double sum = 0.0;
    for (int r = 0; r < n; r++) {
      sum += v[r];
    }
    double mu = sum / n;
    double ss = 0.0;
    for (int r = 0; r < n; r++) {
      double dev = v[r] - mu;
      ss += dev * dev;
    }
    return new double[] {mu, Math.sqrt(ss / n)};
  }

  /** The grid cell of a discrete column (smallest gap between distinct values), or 0 if it is continuous. */
  static double gridCell(double[] sorted, double sd) {
    int n = sorted.length;
    int distinct = 1;
    double gap = Double.POSITIVE_INFINITY;
    for (int r = 1; r < n; r++) {
      if (sorted[r] != sorted[r - 1]) {
        distinct++;
        gap = Math.min(gap, sorted[r] - sorted[r - 1]);
      }
    }
    boolean tied = distinct <= DISCRETE_MAX_DISTINCT_SHARE * n;
    return tied && distinct > 1 && gap >= DISCRETE_MIN_CELL_STD * sd ? gap : 0.0;
  }

  /**
   * The atoms of a tied column (at most {@link #DISCRETE_MAX_DISTINCT_SHARE} of the rows distinct, 2 to
   * {@link #MAX_ATOMS} distinct values) that the grid rule does not serve: its distinct values are not on
   * a regular grid ({@link #GRID_TOLERANCE}) or the grid is finer than {@link #DISCRETE_MIN_CELL_STD}
   * standard deviations. Empty for any other column (a regular grid keeps its grid cell).
   */
  static List<Double> atoms(double[] sorted, double sd) {
    int n = sorted.length;
    List<Double> distinct = new ArrayList<>();
    distinct.add(sorted[0]);
    double gap = Double.POSITIVE_INFINITY;
    for (int r = 1; r < n; r++) {
      if (sorted[r] != sorted[r - 1]) {
        distinct.add(sorted[r]);
        gap = Math.min(gap, sorted[r] - sorted[r - 1]);
        if (distinct.size() > MAX_ATOMS) {
          return List.of();
        }
      }
    }
    int m = distinct.size();
    if (m < 2 || m > DISCRETE_MAX_DISTINCT_SHARE * n) {
      return List.of();
    }
    boolean regular = true;
    for (int j = 1; j < m && regular; j++) {
      double ratio = (distinct.get(j) - distinct.get(j - 1)) / gap;
      regular = Math.abs(ratio - Math.rint(ratio)) <= GRID_TOLERANCE;
    }
    return regular && gap >= DISCRETE_MIN_CELL_STD * sd ? List.of() : List.copyOf(distinct);
  }

  /** IQR / 1.349 (the standard deviation for a Gaussian); the mean absolute deviation from the median if the IQR is 0. */
  static double robustStd(double[] sorted) {
    double iqr = quantile(sorted, 0.75) - quantile(sorted, 0.25);
    if (iqr > 0) {
      return iqr / 1.349;
    }
    double median = quantile(sorted, 0.5);
    double mad = 0.0;
    for (double v : sorted) {
      mad += Math.abs(v - median);
    }
    return mad / sorted.length;
  }

  /** The p-quantile of sorted values, linear between order statistics. */
  static double quantile(double[] sorted, double p) {
    double pos = p * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
  }

  /** asinh without cancellation for small |t| and without overflow for large |t|. */
  static double asinh(double t) {
    double a = Math.abs(t);
    double r = a > 1e8 ? Math.log(a) + Math.log(2.0) : Math.log1p(a + a * a / (1.0 + Math.sqrt(1.0 + a * a)));
    return Math.copySign(r, t);
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

  /** Names of the discrete (dequantized) columns, in input order. */
  public List<String> discreteFeatures() {
    return features.stream().filter(Feature::discrete).map(Feature::name).toList();
  }

  /** Names of the columns with the asinh marginal transform, in input order. */
  public List<String> tailTransformedFeatures() {
    return features.stream().filter(Feature::tailTransformed).map(Feature::name).toList();
  }

  /**
   * The log-Jacobian of the map from a raw row {@code raw[rawOff ..]} to the flow's space: add it to the
   * flow's log-density to get the raw-space log-density. Constant when no column is transformed.
   */
  public double logJacobian(double[] raw, int rawOff) {
    double lj = constantLogJacobian + apartLogProbability(raw, rawOff);
    for (int t : transformedAt) {
      double z = (raw[rawOff + keptIndex[t]] - tailCenter[t]) / tailScale[t];
      lj -= 0.5 * Math.log1p(z * z);
    }
    return lj;
  }

  /**
   * Maps one raw row, {@code raw[rawOff .. rawOff + rawDim())}, into {@code out[outOff .. outOff + dim())}
   * and returns the row's log-Jacobian ({@link #logJacobian(double[], int)}). Allocates nothing, for the
   * per-event scoring path; it checks bounds but not finiteness (the batch {@link #apply(double[], int)}
   * validates values).
   */
  public double apply(double[] raw, int rawOff, double[] out, int outOff) {
    if (rawOff < 0 || outOff < 0 || rawOff > raw.length - rawDim() || outOff > out.length - dim()) {
      throw new IndexOutOfBoundsException("a raw row of " + rawDim() + " at " + rawOff + " (array of "
          + raw.length + ") into " + dim() + " values at " + outOff + " (array of " + out.length + ")");
    }
    double lj = constantLogJacobian + apartLogProbability(raw, rawOff);
    for (int k = 0; k < keptIndex.length; k++) {
      double v = raw[rawOff + keptIndex[k]];
      if (tailScale[k] > 0) {
        double z = (v - tailCenter[k]) / tailScale[k];
        lj -= 0.5 * Math.log1p(z * z);
        v = asinh(z);
      }
      out[outOff + k] = (v - mean[k]) / std[k];
    }
    return lj;
  }

  /**
   * Maps {@code n} row-major raw rows into a new array of {@code n * dim()} values.
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

  /**
   * The inverse map: {@code n} rows of the flow's space back to raw rows (dropped columns get their
   * constant training value). {@code apply(toRaw(y))} equals {@code y} up to round-off.
   */
  public double[] toRaw(double[] y, int n) {
    int d = dim();
    if (y.length < (long) n * d) {
      throw new IllegalArgumentException("expected " + n + " rows of " + d + " values, got " + y.length);
    }
    double[] raw = new double[n * rawDim()];
    for (int r = 0; r < n; r++) {
      int k = 0;
      for (int i = 0; i < features.size(); i++) {
        Feature f = features.get(i);
        double v = f.mean();
        if (f.kept()) {
          v = y[r * d + k] * std[k] + mean[k];
          if (tailScale[k] > 0) {
            v = tailCenter[k] + tailScale[k] * Math.sinh(v);
          }
          k++;
        }
        raw[r * rawDim() + i] = v;
      }
    }
    return raw;
  }

  /** The log-Jacobian of each of {@code n} row-major raw rows. */
  public double[] logJacobians(double[] raw, int n) {
    FlowInputs.validate(raw, n, rawDim());
    double[] out = new double[n];
    for (int r = 0; r < n; r++) {
      out[r] = logJacobian(raw, r * rawDim());
    }
    return out;
  }

  /**
   * The training-time dequantization of the discrete columns, acting on rows already in the flow's space:
   * each discrete value goes back to raw units, gets uniform noise over its grid cell
   * ({@code [-cell/2, cell/2)}) and comes forward again. {@link InputNoise#NONE} when no column is discrete.
   */
  public InputNoise dequantization() {
    if (discreteAt.length == 0) {
      return InputNoise.NONE;
    }
    int d = dim();
    return (rows, n, rng) -> {
      for (int r = 0; r < n; r++) {
        for (int q = 0; q < discreteAt.length; q++) {
          int k = discreteAt[q];
          int i = r * d + k;
          if (atomAt[q].length > 0) {
            rows[i] = forward(k, atomNoise(q, backward(k, rows[i]), rng.nextDouble()));
            continue;
          }
          double jitter = cell[q] * (rng.nextDouble() - 0.5);
          if (tailScale[k] > 0) {
            double xRaw = tailCenter[k] + tailScale[k] * Math.sinh(rows[i] * std[k] + mean[k]) + jitter;
            rows[i] = (asinh((xRaw - tailCenter[k]) / tailScale[k]) - mean[k]) / std[k];
          } else {
            rows[i] += jitter / std[k];
          }
        }
      }
    };
  }

  /** Kept column {@code k}: flow space to raw units. */
  private double backward(int k, double y) {
    double v = y * std[k] + mean[k];
    return tailScale[k] > 0 ? tailCenter[k] + tailScale[k] * Math.sinh(v) : v;
  }

  /** Kept column {@code k}: raw units to flow space. */
  private double forward(int k, double x) {
    double v = tailScale[k] > 0 ? asinh((x - tailCenter[k]) / tailScale[k]) : x;
    return (v - mean[k]) / std[k];
  }

  /**
   * The dequantized value of raw {@code x} in atom column {@code q}: a point of the cell of the atom
   * nearest to {@code x} (training rows sit on their atom up to the round-off of the standardization),
   * {@code u} of the way from its lower end to its upper end.
   */
  double atomNoise(int q, double x, double u) {
    double[] a = atomAt[q];
    int j = Arrays.binarySearch(a, x);
    if (j < 0) {
      int above = -j - 1;
      j = above == 0 ? 0 : above == a.length ? a.length - 1 : (x - a[above - 1] <= a[above] - x ? above - 1 : above);
    }
    return atomLo[q][j] + u * (atomHi[q][j] - atomLo[q][j]);
  }

  /**
   * What a user should know about the columns, one line each: dropped constant columns, nearly constant
   * ones, discrete and transformed ones. Derived from the stored columns, so {@code train} and
   * {@code inspect} print the same lines.
   */
  public List<String> notes() {
    List<String> notes = new ArrayList<>();
    for (Feature f : features) {
      notes.addAll(notes(f));
    }
    return notes;
  }

  /** The {@link #notes()} lines of one column (none for a plain continuous column). */
  public static List<String> notes(Feature f) {
    List<String> notes = new ArrayList<>();
    if (f.apart()) {
      Categories c = f.categories();
      String held = c.values().size() == 1 ? "constant (" + c.values().get(0) + ")"
          : String.format(Locale.ROOT, "nearly constant (%s in all but %d of %d rows)", c.mode(),
              c.total() - c.counts().stream().mapToLong(Long::longValue).max().orElse(0), c.total());
      notes.add(String.format(Locale.ROOT, "column '%s' is %s in the training data: modelled apart from the flow"
          + " by its frequencies with add-one smoothing; a value not seen in training scores %.2f nats (probability"
          + " 1/%d)", f.name(), held, -c.logProbabilityOfOther(), c.total() + c.values().size() + 1));
      return notes;
    }
    if (!f.kept()) {
      notes.add("column '" + f.name() + "' is constant (" + f.mean() + ") in the training data: dropped, it"
          + " does not affect the score; check it separately if a change in it matters");
      return notes;
    }
    if (f.atomic()) {
      notes.add(String.format(Locale.ROOT, "column '%s' has %d atoms off a regular grid: dequantized over"
          + " their Voronoi cells during training; its score is the density at the observed value", f.name(),
          f.atoms().size()));
    } else if (f.discrete()) {
      notes.add(String.format(Locale.ROOT, "column '%s' is discrete (grid cell %.6g): dequantized during"
          + " training; its score is the density at the grid value", f.name(), f.cell()));
    }
    if (f.tailTransformed()) {
      notes.add(String.format(Locale.ROOT, "column '%s' is heavy-tailed: modelled through asinh((x - %.6g) / %.6g)"
          + " (log-Jacobian included in the density)", f.name(), f.tailCenter(), f.tailScale()));
    }
    return notes;
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
