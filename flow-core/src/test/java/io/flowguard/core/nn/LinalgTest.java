package io.flowguard.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The pure-Java backend against the definition of each product, on shapes that are not multiples of its
 * 4 x 4 blocks (so every edge loop runs), and the backend selection rules. Tolerance 1e-12 absolute on
 * unit-scale sums of up to 53 terms: the kernel and the definition differ only in summation order.
 */
class LinalgTest {

  private static final int N = 301;
  private static final int K = 53;
  private static final int M = 42;
  private static final int OFF = 7;

  private final JavaMatrixBackend java = new JavaMatrixBackend();

  @AfterEach
  void defaultBackend() {
    Linalg.useDefaultBackend();
  }

  private static double[] random(int size, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] a = new double[size];
    for (int i = 0; i < size; i++) {
      a[i] = r.nextDouble() * 2 - 1;
    }
    return a;
  }

  @Test
  void matmulWithOffsetAndAccumulationIsTheProduct() {
    double[] a = random(N * K, 1);
    double[] b = random(OFF + K * M, 2);
    double[] c = random(N * M, 3);
    double[] expected = c.clone();
    for (int i = 0; i < N; i++) {
      for (int j = 0; j < M; j++) {
        for (int p = 0; p < K; p++) {
          expected[i * M + j] += a[i * K + p] * b[OFF + p * M + j];
        }
      }
    }
    java.matmul(a, b, OFF, c, N, K, M, true);
    assertArrayEquals(expected, c, 1e-12);
  }

  @Test
  void matmulTransBIsTheProductWithTheTranspose() {
    double[] g = random(N * M, 4);
    double[] w = random(OFF + K * M, 5);
    double[] c = random(N * K, 6);
    double[] expected = new double[N * K];
    for (int i = 0; i < N; i++) {
      for (int p = 0; p < K; p++) {
        for (int j = 0; j < M; j++) {
          expected[i * K + p] += g[i * M + j] * w[OFF + p * M + j];
        }
      }
    }
    java.matmulTransB(g, w, OFF, c, N, M, K, false);
    assertArrayEquals(expected, c, 1e-12);
  }

  @Test
  void matmulTransAIsTheTransposeTimesTheProduct() {
    double[] x = random(N * K, 7);
    double[] g = random(N * M, 8);
    double[] c = random(K * M, 9);
    double[] expected = c.clone();
    for (int p = 0; p < K; p++) {
      for (int j = 0; j < M; j++) {
        for (int i = 0; i < N; i++) {
          expected[p * M + j] += x[i * K + p] * g[i * M + j];
        }
      }
    }
    java.matmulTransA(x, g, c, N, K, M, true);
    // N = 301 terms per sum here: 1e-11.
    assertArrayEquals(expected, c, 1e-11);
  }

  @Test
  void theSameProductTwiceGivesTheSameBits() {
    double[] a = random(N * K, 10);
    double[] b = random(K * M, 11);
    double[] c1 = new double[N * M];
    double[] c2 = new double[N * M];
    java.matmul(a, b, 0, c1, N, K, M, false);
    java.matmul(a, b, 0, c2, N, K, M, false);
    assertArrayEquals(c1, c2, 0.0);
  }

  @Test
  void withoutAnotherBackendOnTheClasspathLargeProductsRunInPureJava() {
    assertInstanceOf(JavaMatrixBackend.class, Linalg.backend());
  }

  @Test
  void forcingJavaIgnoresAHigherPriorityBackend() {
    MatrixBackend other = new Named("other", 10);
    assertEquals("java", Linalg.select(Optional.of(" Java "), List.of(other)).name());
  }

  @Test
  void theHighestPriorityUsableBackendWinsWhenNoneIsForced() {
    MatrixBackend low = new Named("low", 5);
    MatrixBackend high = new Named("high", 10);
    assertSame(high, Linalg.select(Optional.empty(), List.of(low, high)));
  }

  @Test
  void aBackendThatFailsItsCheckIsSkippedUnlessForced() {
    MatrixBackend broken = new Broken();
    assertEquals("java", Linalg.select(Optional.empty(), List.of(broken)).name());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Linalg.select(Optional.of("broken"), List.of(broken)));
    assertTrue(e.getMessage().contains("flowguard.backend=java"), e.getMessage());
  }

  @Test
  void forcingAnAbsentBackendSaysWhatIsThereAndWhatToAdd() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Linalg.select(Optional.of("nd4j"), List.of()));
    assertTrue(e.getMessage().contains("found: java") && e.getMessage().contains("flowguard-nd4j"), e.getMessage());
  }

  @Test
  void aSingleRowNeverReachesTheBackend() {
    Counting counting = new Counting();
    Linalg.useBackend(counting);
    double[] a = random(1024, 12);
    double[] b = random(1024 * 64, 13);
    double[] c = new double[64];
    Linalg.matmul(a, b, 0, c, 1, 1024, 64, false); // 65 536 multiply-adds, one row: a scored event
    assertEquals(0, counting.calls);
    double[] a8 = random(8 * 1024, 14);
    Linalg.matmul(a8, b, 0, new double[8 * 64], 8, 1024, 64, false);
    assertEquals(1, counting.calls);
  }

  /** A stand-in backend that computes with the Java kernel under another name and priority. */
  private static class Named implements MatrixBackend {
    private final String name;
    private final int priority;
    private final JavaMatrixBackend inner = new JavaMatrixBackend();

    Named(String name, int priority) {
      this.name = name;
      this.priority = priority;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public int priority() {
      return priority;
    }

    @Override
    public void matmul(double[] a, double[] b, int bOff, double[] c, int n, int k, int m, boolean accumulate) {
      inner.matmul(a, b, bOff, c, n, k, m, accumulate);
    }

    @Override
    public void matmulTransB(double[] g, double[] w, int wOff, double[] c, int n, int m, int k, boolean accumulate) {
      inner.matmulTransB(g, w, wOff, c, n, m, k, accumulate);
    }

    @Override
    public void matmulTransA(double[] x, double[] g, double[] c, int n, int k, int m, boolean accumulate) {
      inner.matmulTransA(x, g, c, n, k, m, accumulate);
    }
  }

  /** A backend whose native code is missing: every product throws, as an absent JNI library would. */
  private static final class Broken extends Named {
    Broken() {
      super("broken", 10);
    }

    @Override
    public void matmul(double[] a, double[] b, int bOff, double[] c, int n, int k, int m, boolean accumulate) {
      throw new UnsatisfiedLinkError("no libbroken in java.library.path");
    }
  }

  private static final class Counting extends Named {
    int calls;

    Counting() {
      super("counting", 1);
    }

    @Override
    public void matmul(double[] a, double[] b, int bOff, double[] c, int n, int k, int m, boolean accumulate) {
      calls++;
      super.matmul(a, b, bOff, c, n, k, m, accumulate);
    }
  }
}
