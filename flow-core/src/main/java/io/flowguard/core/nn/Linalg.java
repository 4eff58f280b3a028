package io.flowguard.core.nn;

import java.nio.DoubleBuffer;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Dense matrix products on row-major {@code double[]} matrices.
 *
 * <p>Small products (a single event, a tiny layer) run as plain Java loops: an ND4J call costs about
 * 15 us of JNI, more than the whole product. Large products (training minibatches, big scoring batches)
 * go to ND4J's BLAS, which measured 12x faster than the Java loop for a 256x64 by 64x64 product on this
 * machine (72 us against 900 us, copies included). The switch is {@link #ND4J_MIN_WORK} multiply-adds.
 *
 * <p>Both paths compute the same mathematical product; they may differ in the last bits because BLAS
 * sums in a different order. Results are deterministic for a given shape and thread count.
 */
public final class Linalg {

  /** Products with at least this many multiply-adds go to ND4J. */
  public static final long ND4J_MIN_WORK = 32_768;

  private static volatile boolean nd4jDisabled = Boolean.getBoolean("flowguard.nd4j.disabled");

  private static final ThreadLocal<Map<Long, INDArray>> BUFFERS = ThreadLocal.withInitial(HashMap::new);

  private static volatile boolean threadsConfigured;

  private Linalg() {}

  /** Forces every product to the Java path (used by tests that compare the two paths). */
  public static void setNd4jDisabled(boolean disabled) {
    nd4jDisabled = disabled;
  }

  /**
   * C = A * B (+ C when {@code accumulate}), with A n x k, B k x m, C n x m, all row-major and dense,
   * B starting at {@code bOff} (a weight block inside a flat parameter vector).
   */
  public static void matmul(double[] a, double[] b, int bOff, double[] c, int n, int k, int m,
                            boolean accumulate) {
    if (useNd4j(n, k, m)) {
      nd4jGemm(a, 0, n, k, false, b, bOff, k, m, false, c, n, m, accumulate);
      return;
    }
    matmulJava(a, b, bOff, c, n, k, m, accumulate);
  }

  /**
   * {@link #matmul} always on the plain Java path: allocation-free for every shape. ND4J's gemm
   * allocates on the Java heap for some shapes (measured: ~20 KB per call for the 512 x 36 by 36 x 16
   * products of a small convolutional conditioner at batch 64), which the scoring path must not.
   */
  public static void matmulJava(double[] a, double[] b, int bOff, double[] c, int n, int k, int m,
                                boolean accumulate) {
    if (!accumulate) {
      java.util.Arrays.fill(c, 0, n * m, 0.0);
    }
    for (int i = 0; i < n; i++) {
      int co = i * m;
      int ao = i * k;
      for (int p = 0; p < k; p++) {
        double av = a[ao + p];
        if (av == 0.0) {
          continue;
        }
        int bo = bOff + p * m;
        for (int j = 0; j < m; j++) {
          c[co + j] += av * b[bo + j];
        }
      }
    }
  }

  /**
   * C = G * W^T (+ C), with G n x m, W k x m starting at {@code wOff}, C n x k: the input gradient of a
   * dense layer.
   */
  public static void matmulTransB(double[] g, double[] w, int wOff, double[] c, int n, int m, int k,
                                  boolean accumulate) {
    if (useNd4j(n, k, m)) {
      nd4jGemm(g, 0, n, m, false, w, wOff, k, m, true, c, n, k, accumulate);
      return;
    }
    for (int i = 0; i < n; i++) {
      int go = i * m;
      int co = i * k;
      for (int p = 0; p < k; p++) {
        int wo = wOff + p * m;
        double s = 0.0;
        for (int j = 0; j < m; j++) {
          s += g[go + j] * w[wo + j];
        }
        c[co + p] = accumulate ? c[co + p] + s : s;
      }
    }
  }

  /** C = X^T * G (+ C), with X n x k, G n x m, C k x m: the weight gradient of a dense layer. */
  public static void matmulTransA(double[] x, double[] g, double[] c, int n, int k, int m, boolean accumulate) {
    if (useNd4j(n, k, m)) {
      nd4jGemm(x, 0, n, k, true, g, 0, n, m, false, c, k, m, accumulate);
      return;
    }
    if (!accumulate) {
      java.util.Arrays.fill(c, 0, k * m, 0.0);
    }
    for (int i = 0; i < n; i++) {
      int xo = i * k;
      int go = i * m;
      for (int p = 0; p < k; p++) {
        double xv = x[xo + p];
        if (xv == 0.0) {
          continue;
        }
        int co = p * m;
        for (int j = 0; j < m; j++) {
          c[co + j] += xv * g[go + j];
        }
      }
    }
  }

  private static boolean useNd4j(long n, long k, long m) {
    return !nd4jDisabled && n * k * m >= ND4J_MIN_WORK;
  }

  /**
   * ND4J threads: one by default ({@code -Dflowguard.threads=N} or {@code FLOWGUARD_THREADS=N} to change).
   * On small products OpenMP/BLAS threads cost more than they gain: with the default thread count ND4J
   * ran 5-10x slower on 2 shared cores. Flink parallelism, not BLAS threads, is how Flowguard scales.
   */
  private static void configureThreads() {
    synchronized (Linalg.class) {
      if (threadsConfigured) {
        return;
      }
      String env = System.getenv("FLOWGUARD_THREADS");
      int threads = Integer.getInteger("flowguard.threads", env != null ? Integer.parseInt(env.trim()) : 1);
      Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
      Nd4j.getEnvironment().setMaxThreads(threads);
      Nd4j.getEnvironment().setMaxMasterThreads(threads);
      Nd4j.factory().blas().setMaxThreads(threads);
      threadsConfigured = true;
    }
  }

  private static void nd4jGemm(double[] a, int aOff, int ar, int ac, boolean transA,
                               double[] b, int bOff, int br, int bc, boolean transB,
                               double[] c, int cr, int cc, boolean accumulate) {
    if (!threadsConfigured) {
      configureThreads();
    }
    Map<Long, INDArray> buffers = BUFFERS.get();
    INDArray am = buffer(buffers, 0, ar, ac);
    INDArray bm = buffer(buffers, 1, br, bc);
    INDArray cm = buffer(buffers, 2, cr, cc);
    am.data().asNioDouble().put(0, a, aOff, ar * ac);
    bm.data().asNioDouble().put(0, b, bOff, br * bc);
    DoubleBuffer cb = cm.data().asNioDouble();
    if (accumulate) {
      cb.put(0, c, 0, cr * cc);
    }
    Nd4j.gemm(am, bm, cm, transA, transB, 1.0, accumulate ? 1.0 : 0.0);
    cb.get(0, c, 0, cr * cc);
  }

  private static INDArray buffer(Map<Long, INDArray> buffers, int slot, int rows, int cols) {
    long key = ((long) slot << 60) | ((long) rows << 30) | cols;
    return buffers.computeIfAbsent(key, k -> Nd4j.create(DataType.DOUBLE, rows, cols).detach());
  }
}
