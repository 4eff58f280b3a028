package io.flowguard.core.eval.baseline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.eval.Metrics;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The isolation forest of Liu, Ting and Zhou (2008) against the figures and properties the paper states:
 * the normalization c(n), scores near 1 for isolated points and at most about 0.5 for the bulk, and the
 * detection of a clear outlier cluster.
 */
class IsolationForestTest {

  @Test
  void averagePathLengthMatchesThePapersFormula() {
    // c(256) = 2 (ln 255 + 0.5772156649) - 2 * 255 / 256 = 10.2448 (the paper's normalization for psi = 256).
    assertEquals(10.2448, IsolationForest.averagePathLength(256), 5e-5);
    assertEquals(0.0, IsolationForest.averagePathLength(1), 0.0);
    assertEquals(1.0, IsolationForest.averagePathLength(2), 0.0);
  }

  @Test
  void theMeanPathLengthOfUniformDataIsCloseToTheNormalization() {
    // For data without anomalies, E[h(x)] averaged over the points is about c(psi): the score is about 0.5
    // (the paper's "the entire sample does not really have any distinct anomaly"). Tolerance 10 %: the
    // height limit ceil(log2 256) = 8 replaces deep subtrees by c(size), an approximation.
    int n = 2000;
    double[] x = new double[n];
    SplittableRandom rng = new SplittableRandom(1);
    for (int i = 0; i < n; i++) {
      x[i] = rng.nextDouble();
    }
    IsolationForest f = IsolationForest.fit(x, n, 1, 3);
    double mean = 0;
    for (double h : f.meanPathLengths(x, n)) {
      mean += h / n;
    }
    assertEquals(IsolationForest.averagePathLength(256), mean, 0.1 * IsolationForest.averagePathLength(256));
  }

  @Test
  void anIsolatedPointScoresNearOneAndTheBulkBelowIt() {
    int n = 1000;
    int d = 2;
    double[] x = new double[n * d];
    SplittableRandom rng = new SplittableRandom(2);
    for (int i = 0; i < n * d; i++) {
      x[i] = rng.nextGaussian();
    }
    IsolationForest f = IsolationForest.fit(x, n, d, 5);
    double outlier = f.scores(new double[] {12, -12}, 1)[0];
    double center = f.scores(new double[] {0, 0}, 1)[0];
    assertTrue(outlier > 0.75, "a point far outside the data is isolated in a few splits: s = " + outlier);
    assertTrue(center < 0.5, "the center of the data needs long paths: s = " + center);
  }

  @Test
  void anOutlierClusterIsRankedAboveTheNormalRows() {
    int n = 500;
    int d = 3;
    double[] train = new double[n * d];
    SplittableRandom rng = new SplittableRandom(3);
    for (int i = 0; i < n * d; i++) {
      train[i] = rng.nextGaussian();
    }
    int m = 100;
    double[] test = new double[m * d];
    int[] labels = new int[m];
    for (int i = 0; i < m; i++) {
      labels[i] = i < 20 ? 1 : 0;
      for (int j = 0; j < d; j++) {
        test[i * d + j] = labels[i] == 1 ? 5 + 0.3 * rng.nextGaussian() : rng.nextGaussian();
      }
    }
    double[] nll = IsolationForest.fit(train, n, d, 7).logDensity(test, m);
    for (int i = 0; i < m; i++) {
      nll[i] = -nll[i];
    }
    assertTrue(Metrics.auroc(nll, labels) > 0.99, "AUROC " + Metrics.auroc(nll, labels));
  }

  @Test
  void theSameSeedGivesTheSameForest() {
    double[] x = new double[300];
    SplittableRandom rng = new SplittableRandom(4);
    for (int i = 0; i < x.length; i++) {
      x[i] = rng.nextGaussian();
    }
    assertArrayEquals(IsolationForest.fit(x, 100, 3, 9).scores(x, 100), IsolationForest.fit(x, 100, 3, 9).scores(x, 100), 0.0);
  }
}
