package io.flowguard.core.nn;

/**
 * Where the large dense products of training run: a service-provider interface found at run time.
 *
 * <p>flow-core brings one implementation, {@link JavaMatrixBackend} (pure Java, no native code), and
 * uses it unless another is on the classpath: a module such as {@code flowguard-nd4j} registers its
 * implementation in {@code META-INF/services/io.flowguard.core.nn.MatrixBackend}, and {@link Linalg}
 * picks the available one with the highest {@link #priority()}. {@code -Dflowguard.backend=NAME} (or
 * the environment variable {@code FLOWGUARD_BACKEND}) forces one by {@link #name()}.
 *
 * <p>All matrices are dense, row-major {@code double[]}; an implementation must be thread-safe, must
 * not keep references to the arrays, and must be deterministic: the same inputs give the same bits
 * (training is reproducible per backend, not across backends, which may sum in different orders).
 * {@link Linalg} sends only products of at least {@link Linalg#BACKEND_MIN_WORK} multiply-adds and
 * {@link Linalg#BACKEND_MIN_ROWS} rows here; smaller ones (a scored event) stay in plain Java loops.
 */
public interface MatrixBackend {

  /** The name that {@code -Dflowguard.backend} selects, lower case (for example {@code java}, {@code nd4j}). */
  String name();

  /** Preference when several backends are found and none is forced: the highest wins (Java's is 0). */
  int priority();

  /**
   * C = A * B (+ C when {@code accumulate}), with A n x k, B k x m starting at {@code bOff}, C n x m.
   */
  void matmul(double[] a, double[] b, int bOff, double[] c, int n, int k, int m, boolean accumulate);

  /** C = G * W^T (+ C), with G n x m, W k x m starting at {@code wOff}, C n x k. */
  void matmulTransB(double[] g, double[] w, int wOff, double[] c, int n, int m, int k, boolean accumulate);

  /** C = X^T * G (+ C), with X n x k, G n x m, C k x m. */
  void matmulTransA(double[] x, double[] g, double[] c, int n, int k, int m, boolean accumulate);
}
