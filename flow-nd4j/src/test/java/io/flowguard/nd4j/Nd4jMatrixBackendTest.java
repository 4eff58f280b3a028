package io.flowguard.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.flowguard.core.flow.Flow;
import io.flowguard.core.flow.FlowFactory;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.nn.JavaMatrixBackend;
import io.flowguard.core.nn.Linalg;
import io.flowguard.core.nn.MatrixBackend;
import io.flowguard.core.train.Trainer;
import io.flowguard.core.train.TrainingConfig;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The ND4J (BLAS) and pure-Java backends agree on every product, ND4J is what flowguard-core finds once
 * this module is on the classpath, and training on it is reproducible. Tolerance 1e-12 absolute on
 * unit-scale sums of up to 300 terms: the backends differ only in summation order, ~1e-16 relative per
 * term.
 */
class Nd4jMatrixBackendTest {

  private static final int N = 300;
  private static final int K = 48;
  private static final int M = 40;
  private static final int OFF = 7;

  private final MatrixBackend nd4j = new Nd4jMatrixBackend();
  private final MatrixBackend java = new JavaMatrixBackend();

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
  void onTheClasspathNd4jIsTheSelectedBackend() {
    assertInstanceOf(Nd4jMatrixBackend.class, Linalg.backend());
  }

  @Test
  void matmulWithOffsetAndAccumulationAgrees() {
    double[] a = random(N * K, 1);
    double[] b = random(OFF + K * M, 2);
    double[] c0 = random(N * M, 3);
    double[] viaJava = c0.clone();
    double[] viaNd4j = c0.clone();
    java.matmul(a, b, OFF, viaJava, N, K, M, true);
    nd4j.matmul(a, b, OFF, viaNd4j, N, K, M, true);
    assertArrayEquals(viaJava, viaNd4j, 1e-12);
  }

  @Test
  void matmulTransBAgrees() {
    double[] g = random(N * M, 4);
    double[] w = random(OFF + K * M, 5);
    double[] viaJava = new double[N * K];
    double[] viaNd4j = new double[N * K];
    java.matmulTransB(g, w, OFF, viaJava, N, M, K, false);
    nd4j.matmulTransB(g, w, OFF, viaNd4j, N, M, K, false);
    assertArrayEquals(viaJava, viaNd4j, 1e-12);
  }

  @Test
  void matmulTransAAgrees() {
    double[] x = random(N * K, 6);
    double[] g = random(N * M, 7);
    double[] viaJava = new double[K * M];
    double[] viaNd4j = new double[K * M];
    java.matmulTransA(x, g, viaJava, N, K, M, false);
    nd4j.matmulTransA(x, g, viaNd4j, N, K, M, false);
    assertArrayEquals(viaJava, viaNd4j, 1e-12);
  }

  @Test
  void trainingOnNd4jIsReproducibleAndCloseToPureJava() {
    double[] first = train(() -> nd4j);
    double[] second = train(() -> nd4j);
    assertArrayEquals(first, second, 0.0, "the same seed and data give the same bits on one backend");
    double[] pure = train(() -> java);
    // 40 Adam steps from the same start: the backends' last-bit differences grow through the optimizer
    // but stay far below the parameters' scale (~0.1).
    assertEquals(first.length, pure.length);
    assertArrayEquals(pure, first, 1e-6);
  }

  private double[] train(Supplier<MatrixBackend> backend) {
    Linalg.useBackend(backend.get());
    SplittableRandom rng = new SplittableRandom(3);
    int n = 512;
    double[] x = new double[n * 4];
    for (int i = 0; i < x.length; i++) {
      x[i] = rng.nextGaussian();
    }
    Flow flow = FlowFactory.create(FlowSpec.of(FlowSpec.MAF, 4).withLayers(2).withHidden(64, 64), 5);
    TrainingConfig c = TrainingConfig.defaults().withSteps(40).withBatchSize(256).withEvalEvery(20)
        .withPatience(100).withSeed(5);
    new Trainer(c).fit(flow, x, n, true);
    return flow.parameters().clone();
  }
}
