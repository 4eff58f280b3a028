package io.flowguard.core.eval.baseline;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Isolation forest (Liu, Ting and Zhou, "Isolation Forest", ICDM 2008), the detector users compare
 * against first: {@value #DEFAULT_TREES} trees, each grown on {@value #DEFAULT_SUBSAMPLE} rows drawn
 * without replacement, splitting on a random column at a value uniform between the node's minimum and
 * maximum, down to the height limit {@code ceil(log2 psi)}. The anomaly score of a row is
 * {@code s = 2^(-E[h(x)] / c(psi))}, where {@code h} is the path length to the row's leaf plus
 * {@code c(size)} for the rows left unseparated there, and {@code c(n) = 2 H(n - 1) - 2 (n - 1) / n}
 * is the average path length of an unsuccessful search in a binary search tree of n keys.
 *
 * <p><b>Not a density.</b> To share {@link DensityBaseline}'s interface with the KDE and the GMM,
 * {@link #logDensity} returns {@code -s}, so that {@code evaluate}'s NLL column ranks rows by the anomaly
 * score {@code s} (in (0, 1]; 0.5 means "no distinct anomaly"); it is no log-density and its "test NLL"
 * is the mean score of the normal test rows.
 *
 * <p>A column constant within a node is never chosen to split it (another column is drawn); a node
 * whose columns are all constant is a leaf. Immutable after fitting.
 */
public final class IsolationForest implements DensityBaseline {

  /** Trees in the forest (the paper's default). */
  public static final int DEFAULT_TREES = 100;
  /** Rows per tree (the paper's default psi). */
  public static final int DEFAULT_SUBSAMPLE = 256;

  private static final double EULER_GAMMA = 0.5772156649015329;

  private final int dim;
  private final int subsample;
  private final Node[] trees;

  /** A tree node: a leaf holds its row count, an inner node its split. */
  private record Node(int column, double split, Node left, Node right, int size) {
    boolean leaf() {
      return left == null;
    }
  }

  private IsolationForest(int dim, int subsample, Node[] trees) {
    this.dim = dim;
    this.subsample = subsample;
    this.trees = trees;
  }

  /** The paper's defaults: 100 trees of 256 rows (all rows when there are fewer). */
  public static IsolationForest fit(double[] rows, int n, int d, long seed) {
    return fit(rows, n, d, seed, DEFAULT_TREES, DEFAULT_SUBSAMPLE);
  }

  /**
   * @param rows {@code n} row-major rows of {@code d} finite values
   * @param trees how many trees
   * @param subsample rows per tree (capped at {@code n})
   */
  public static IsolationForest fit(double[] rows, int n, int d, long seed, int trees, int subsample) {
    if (n < 1 || d < 1 || rows.length != (long) n * d || trees < 1 || subsample < 1) {
      throw new IllegalArgumentException("isolation forest: need n >= 1 rows of d >= 1 values (got " + n + " x " + d
          + ", " + rows.length + " values), trees and subsample >= 1");
    }
    int psi = Math.min(subsample, n);
    int heightLimit = (int) Math.ceil(Math.log(psi) / Math.log(2));
    SplittableRandom rng = new SplittableRandom(seed);
    Node[] forest = new Node[trees];
    int[] pool = new int[n];
    for (int t = 0; t < trees; t++) {
      for (int i = 0; i < n; i++) {
        pool[i] = i;
      }
      // Partial Fisher-Yates: the first psi entries are a sample without replacement.
      for (int i = 0; i < psi; i++) {
        int j = i + rng.nextInt(n - i);
        int tmp = pool[i];
        pool[i] = pool[j];
        pool[j] = tmp;
      }
      int[] sample = java.util.Arrays.copyOf(pool, psi);
      forest[t] = grow(rows, d, sample, 0, psi, 0, heightLimit, rng);
    }
    return new IsolationForest(d, psi, forest);
  }

  private static Node grow(double[] rows, int d, int[] idx, int from, int to, int depth, int limit,
                           SplittableRandom rng) {
    int size = to - from;
    if (depth >= limit || size <= 1) {
      return new Node(-1, 0, null, null, size);
    }
    // Draw columns until one varies within the node (a random order over all columns at worst).
    int[] order = new int[d];
    for (int j = 0; j < d; j++) {
      order[j] = j;
    }
    for (int k = 0; k < d; k++) {
      int pick = k + rng.nextInt(d - k);
      int column = order[pick];
      order[pick] = order[k];
      order[k] = column;
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      for (int i = from; i < to; i++) {
        double v = rows[idx[i] * d + column];
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      if (!(max > min)) {
        continue;
      }
      double split = min + rng.nextDouble() * (max - min);
      int mid = from;
      for (int i = from; i < to; i++) {
        if (rows[idx[i] * d + column] < split) {
          int tmp = idx[mid];
          idx[mid] = idx[i];
          idx[i] = tmp;
          mid++;
        }
      }
      if (mid == from) {
        mid = from + 1; // split == min exactly (u = 0): keep the minimum on the left
      }
      return new Node(column, split, grow(rows, d, idx, from, mid, depth + 1, limit, rng),
          grow(rows, d, idx, mid, to, depth + 1, limit, rng), size);
    }
    return new Node(-1, 0, null, null, size);
  }

  /**
   * {@code c(n)}: the average path length of an unsuccessful search in a binary search tree of n keys,
   * {@code 2 H(n - 1) - 2 (n - 1) / n} with the harmonic number {@code H(i) ~ ln(i) + 0.5772}; 0 for
   * {@code n <= 1} (and 1 for n = 2, where the formula's approximation of H(1) is off).
   */
  public static double averagePathLength(long n) {
    if (n <= 1) {
      return 0.0;
    }
    if (n == 2) {
      return 1.0;
    }
    double harmonic = Math.log(n - 1.0) + EULER_GAMMA;
    return 2.0 * harmonic - 2.0 * (n - 1.0) / n;
  }

  /** The anomaly score {@code s(x) = 2^(-E[h(x)] / c(psi))} of each of {@code n} rows. */
  public double[] scores(double[] rows, int n) {
    if (rows.length != (long) n * dim) {
      throw new IllegalArgumentException("expected " + n + " rows of " + dim + " values, got " + rows.length);
    }
    double norm = averagePathLength(subsample);
    double[] out = new double[n];
    for (int r = 0; r < n; r++) {
      double total = 0.0;
      for (Node tree : trees) {
        total += pathLength(tree, rows, r * dim);
      }
      out[r] = Math.pow(2.0, -(total / trees.length) / norm);
    }
    return out;
  }

  /** The path length of one row: edges to its leaf plus {@code c(size)} of the leaf's rows. */
  static double pathLength(Node node, double[] rows, int offset) {
    int edges = 0;
    while (!node.leaf()) {
      node = rows[offset + node.column()] < node.split() ? node.left() : node.right();
      edges++;
    }
    return edges + averagePathLength(node.size());
  }

  /** The mean path length {@code E[h(x)]} of each row (for tests and diagnostics). */
  double[] meanPathLengths(double[] rows, int n) {
    double[] out = new double[n];
    for (int r = 0; r < n; r++) {
      for (Node tree : trees) {
        out[r] += pathLength(tree, rows, r * dim) / trees.length;
      }
    }
    return out;
  }

  @Override
  public int dim() {
    return dim;
  }

  /** Minus the anomaly score (not a log-density: see the class comment). */
  @Override
  public double[] logDensity(double[] rows, int n) {
    double[] s = scores(rows, n);
    for (int i = 0; i < n; i++) {
      s[i] = -s[i];
    }
    return s;
  }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", "isolation forest (Liu et al. 2008)");
    m.put("trees", trees.length);
    m.put("subsample", subsample);
    m.put("score", "anomaly score 2^(-E[h]/c(psi)), reported negated in place of a log-density; not a density");
    return m;
  }
}
