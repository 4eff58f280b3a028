package io.flowguard.core.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dense matrix products on row-major {@code double[]} matrices.
 *
 * <p>Small products (a single event, a tiny layer) run as plain Java loops, always: they are cheaper
 * than any call into a library (an ND4J call costs about 15 us of JNI, more than the whole product), and
 * so scoring an event never touches native code. Large products (training minibatches, big scoring
 * batches: at least {@link #BACKEND_MIN_WORK} multiply-adds and {@link #BACKEND_MIN_ROWS} rows) go to a
 * {@link MatrixBackend}: the pure-Java {@link JavaMatrixBackend} unless another is on the classpath
 * ({@code flowguard-nd4j} brings ND4J's BLAS), or the one that {@code -Dflowguard.backend=java|nd4j}
 * (environment: {@code FLOWGUARD_BACKEND}) forces. The choice is made once, on the first large product,
 * and logged once at INFO.
 *
 * <p>All paths compute the same mathematical product; they may differ in the last bits because they sum
 * in different orders. Results are deterministic for a given backend, shape and thread count.
 */
public final class Linalg {

  /** Products with at least this many multiply-adds (and {@link #BACKEND_MIN_ROWS} rows) go to the backend. */
  public static final long BACKEND_MIN_WORK = 32_768;

  /** Products with fewer rows than this stay in the plain loops, whatever their size: a scored event. */
  public static final int BACKEND_MIN_ROWS = 8;

  /** The system property that forces a backend by name. */
  public static final String BACKEND_PROPERTY = "flowguard.backend";

  /** The environment variable that forces a backend by name (the system property wins). */
  public static final String BACKEND_ENV = "FLOWGUARD_BACKEND";

  private static final Logger LOG = LoggerFactory.getLogger(Linalg.class);

  private static volatile Optional<MatrixBackend> override = Optional.empty();

  private Linalg() {}

  /** The backend that large products use now (selecting it on the first call). */
  public static MatrixBackend backend() {
    Optional<MatrixBackend> forced = override;
    return forced.isPresent() ? forced.get() : Selected.BACKEND;
  }

  /**
   * Sends large products to {@code backend} until {@link #useDefaultBackend()}: for tests and benchmarks
   * that compare backends in one JVM. Not for use while other threads compute products.
   */
  public static void useBackend(MatrixBackend backend) {
    override = Optional.of(backend);
  }

  /** Undoes {@link #useBackend}: large products go to the backend selected at start-up again. */
  public static void useDefaultBackend() {
    override = Optional.empty();
  }

  /**
   * Forces every large product to the pure-Java backend ({@code true}) or back to the selected one.
   *
   * @deprecated use {@link #useBackend(MatrixBackend)} with a {@link JavaMatrixBackend}
   */
  @Deprecated
  public static void setNd4jDisabled(boolean disabled) {
    if (disabled) {
      useBackend(new JavaMatrixBackend());
    } else {
      useDefaultBackend();
    }
  }

  /**
   * C = A * B (+ C when {@code accumulate}), with A n x k, B k x m, C n x m, all row-major and dense,
   * B starting at {@code bOff} (a weight block inside a flat parameter vector).
   */
  public static void matmul(double[] a, double[] b, int bOff, double[] c, int n, int k, int m,
                            boolean accumulate) {
    if (large(n, k, m)) {
      backend().matmul(a, b, bOff, c, n, k, m, accumulate);
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
    if (large(n, k, m)) {
      backend().matmulTransB(g, w, wOff, c, n, m, k, accumulate);
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
    if (large(n, k, m)) {
      backend().matmulTransA(x, g, c, n, k, m, accumulate);
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

  private static boolean large(long n, long k, long m) {
    return n >= BACKEND_MIN_ROWS && n * k * m >= BACKEND_MIN_WORK;
  }

  /** Holder idiom: the service lookup runs on the first large product, never for small ones. */
  private static final class Selected {
    static final MatrixBackend BACKEND = selectAndLog();
  }

  private static MatrixBackend selectAndLog() {
    String property = System.getProperty(BACKEND_PROPERTY);
    String forced = property != null ? property : System.getenv(BACKEND_ENV);
    List<MatrixBackend> found = new ArrayList<>();
    ServiceLoader<MatrixBackend> loader = ServiceLoader.load(MatrixBackend.class, Linalg.class.getClassLoader());
    var it = loader.iterator();
    while (true) {
      try {
        if (!it.hasNext()) {
          break;
        }
        found.add(it.next());
      } catch (ServiceConfigurationError | LinkageError e) {
        LOG.warn("A matrix backend on the classpath could not be loaded and is skipped: {}", e.toString());
      }
    }
    MatrixBackend chosen = select(Optional.ofNullable(forced), found);
    LOG.info("Matrix backend for training products: {} ({}; -D{}=java|nd4j or {} to force one)", chosen.name(),
        forced != null ? "forced" : found.isEmpty() ? "no other on the classpath" : "found on the classpath",
        BACKEND_PROPERTY, BACKEND_ENV);
    return chosen;
  }

  /**
   * The backend to use: the one named by {@code forced} (java is always there), else the usable one of
   * {@code found} with the highest priority, else Java. A found backend that fails a 2 x 2 check product
   * (natives missing for this platform, say) is skipped with a WARN unless it was forced.
   *
   * @throws IllegalArgumentException if {@code forced} names no backend found, or one that fails its check
   */
  static MatrixBackend select(Optional<String> forced, List<MatrixBackend> found) {
    JavaMatrixBackend pureJava = new JavaMatrixBackend();
    if (forced.isPresent() && !forced.get().isBlank()) {
      String name = forced.get().trim().toLowerCase(Locale.ROOT);
      if (name.equals(JavaMatrixBackend.NAME)) {
        return pureJava;
      }
      for (MatrixBackend b : found) {
        if (b.name().equals(name)) {
          Optional<String> failure = check(b);
          if (failure.isPresent()) {
            throw new IllegalArgumentException(BACKEND_PROPERTY + "=" + name + " fails on this machine: "
                + failure.get() + "; use " + BACKEND_PROPERTY + "=java");
          }
          return b;
        }
      }
      List<String> names = new ArrayList<>(List.of(JavaMatrixBackend.NAME));
      found.forEach(b -> names.add(b.name()));
      throw new IllegalArgumentException(BACKEND_PROPERTY + "=" + forced.get() + " names no backend on the classpath"
          + " (found: " + String.join(", ", names) + "); for nd4j add the flowguard-nd4j module and its"
          + " dependencies to the classpath");
    }
    List<MatrixBackend> ranked = new ArrayList<>(found);
    ranked.sort((x, y) -> Integer.compare(y.priority(), x.priority()));
    for (MatrixBackend b : ranked) {
      if (b.priority() <= pureJava.priority()) {
        break;
      }
      Optional<String> failure = check(b);
      if (failure.isEmpty()) {
        return b;
      }
      LOG.warn("Matrix backend {} is on the classpath but fails on this machine ({}); using pure Java",
          b.name(), failure.get());
    }
    return pureJava;
  }

  /** A 2 x 2 product against its known result: loads the backend's native code, if any, once. */
  private static Optional<String> check(MatrixBackend b) {
    try {
      double[] c = new double[4];
      b.matmul(new double[] {1, 2, 3, 4}, new double[] {5, 6, 7, 8}, 0, c, 2, 2, 2, false);
      if (c[0] == 19 && c[1] == 22 && c[2] == 43 && c[3] == 50) {
        return Optional.empty();
      }
      return Optional.of("a 2 x 2 check product came out wrong");
    } catch (RuntimeException | LinkageError e) {
      return Optional.of(e.toString());
    }
  }
}
