package io.flowguard.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The ND4J (BLAS) and Java paths of every product agree. Tolerance 1e-12 absolute on unit-scale sums of
 * 64 terms: the paths differ only in summation order, ~1e-15 relative per term.
 */
class LinalgTest {

  private static final int N = 300;
  private static final int K = 48;
  private static final int M = 40;
  private static final int OFF = 7;

  @AfterEach
  void enableNd4j() {
    Linalg.setNd4jDisabled(false);
  }

  private static double[] random(int size, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] a = new double[size];
    for (int i = 0; i < size; i++) {
      a[i] = r.nextDouble() * 2 - 1;
    }
    return a;
  }

  private static double[][] both(java.util.function.Function<Boolean, double[]> product) {
    Linalg.setNd4jDisabled(true);
    double[] java = product.apply(true);
    Linalg.setNd4jDisabled(false);
    double[] blas = product.apply(false);
    return new double[][] {java, blas};
  }

  @Test
  void matmulWithOffsetAndAccumulationAgrees() {
    double[] a = random(N * K, 1);
    double[] b = random(OFF + K * M, 2);
    double[] c0 = random(N * M, 3);
    double[][] r = both(j -> {
      double[] c = c0.clone();
      Linalg.matmul(a, b, OFF, c, N, K, M, true);
      return c;
    });
    assertArrayEquals(r[0], r[1], 1e-12);
  }

  @Test
  void matmulTransBAgrees() {
    double[] g = random(N * M, 4);
    double[] w = random(OFF + K * M, 5);
    double[][] r = both(j -> {
      double[] c = new double[N * K];
      Linalg.matmulTransB(g, w, OFF, c, N, M, K, false);
      return c;
    });
    assertArrayEquals(r[0], r[1], 1e-12);
  }

  @Test
  void matmulTransAAgrees() {
    double[] x = random(N * K, 6);
    double[] g = random(N * M, 7);
    double[][] r = both(j -> {
      double[] c = new double[K * M];
      Linalg.matmulTransA(x, g, c, N, K, M, false);
      return c;
    });
    assertArrayEquals(r[0], r[1], 1e-12);
  }
}
