package io.flowguard.core.eval;

import com.amazon.randomcutforest.RandomCutForest;
import com.amazon.randomcutforest.returntypes.DiVector;

/**
 * The Random Cut Forest baseline of the explanation benchmark: a forest fitted to the normal rows (50
 * trees, sample size 256, no shingling) and its per-dimension anomaly attribution, ranked by
 * {@code high[i] + low[i]}. Amazon's {@code randomcutforest-core} is a {@code provided} dependency of
 * flow-core: check {@link #available()} before touching this class, since the CLI's runtime does not ship it.
 */
final class RcfAttribution {

  static final int TREES = 50;
  static final int SAMPLE_SIZE = 256;

  private final RandomCutForest forest;

  /** Whether randomcutforest-core is on the class path. */
  static boolean available() {
    try {
      Class.forName("com.amazon.randomcutforest.RandomCutForest", false, RcfAttribution.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /** A forest fitted to {@code n} row-major rows of {@code d} values, in row order. */
  RcfAttribution(double[] rows, int n, int d, long seed) {
    forest = RandomCutForest.builder().dimensions(d).numberOfTrees(TREES).sampleSize(SAMPLE_SIZE).shingleSize(1)
        .randomSeed(seed).parallelExecutionEnabled(false).outputAfter(1).build();
    double[] row = new double[d];
    for (int r = 0; r < n; r++) {
      System.arraycopy(rows, r * d, row, 0, d);
      forest.update(row.clone());
    }
  }

  /** The attribution's per-dimension sum (high + low) for {@code point}. */
  double[] attribution(double[] point) {
    DiVector v = forest.getAnomalyAttribution(point);
    double[] out = new double[point.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = v.getHighLowSum(i);
    }
    return out;
  }
}
