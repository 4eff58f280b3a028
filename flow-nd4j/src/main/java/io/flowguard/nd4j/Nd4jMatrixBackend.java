package io.flowguard.nd4j;

import io.flowguard.core.nn.MatrixBackend;
import java.nio.DoubleBuffer;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The ND4J matrix backend: training's large products on ND4J's BLAS (OpenBLAS through JavaCPP).
 *
 * <p>Registered as a {@link MatrixBackend} service, so flowguard-core uses it as soon as this module is
 * on the classpath (priority 10 over pure Java's 0), unless {@code -Dflowguard.backend=java}. Its
 * native libraries (about 400 MB for linux-x86_64) are unpacked into {@code ~/.javacpp/cache} on the
 * first large product, never when the class is merely found: constructing it touches no ND4J class.
 *
 * <p>Threads: one by default ({@code -Dflowguard.threads=N} or {@code FLOWGUARD_THREADS=N} to change).
 * On small products OpenMP/BLAS threads cost more than they gain (with the default thread count ND4J
 * ran 5-10x slower on 2 shared cores); Flink parallelism, not BLAS threads, is how Flowguard scales.
 * Results are deterministic for a given shape and thread count.
 */
public final class Nd4jMatrixBackend implements MatrixBackend {

  /** The name that {@code -Dflowguard.backend=nd4j} selects. */
  public static final String NAME = "nd4j";

  private static final ThreadLocal<Map<Long, INDArray>> BUFFERS = ThreadLocal.withInitial(HashMap::new);

  private static volatile boolean threadsConfigured;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int priority() {
    return 10;
  }

  @Override
  public void matmul(double[] a, double[] b, int bOff, double[] c, int n, int k, int m, boolean accumulate) {
    gemm(a, 0, n, k, false, b, bOff, k, m, false, c, n, m, accumulate);
  }

  @Override
  public void matmulTransB(double[] g, double[] w, int wOff, double[] c, int n, int m, int k, boolean accumulate) {
    gemm(g, 0, n, m, false, w, wOff, k, m, true, c, n, k, accumulate);
  }

  @Override
  public void matmulTransA(double[] x, double[] g, double[] c, int n, int k, int m, boolean accumulate) {
    gemm(x, 0, n, k, true, g, 0, n, m, false, c, k, m, accumulate);
  }

  private static void configureThreads() {
    synchronized (Nd4jMatrixBackend.class) {
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

  private static void gemm(double[] a, int aOff, int ar, int ac, boolean transA,
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
