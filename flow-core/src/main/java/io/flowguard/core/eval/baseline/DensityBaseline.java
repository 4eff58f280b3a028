package io.flowguard.core.eval.baseline;

import java.util.Map;

/**
 * A fitted classical density model, the yardstick a flow is compared with in {@code flowguard evaluate}:
 * it gives the log-density of rows in the space it was fitted in (the protocol's standardized space).
 *
 * <p>Instances are immutable; {@link #logDensity(double[], int)} may be called from one thread at a time
 * per instance (implementations keep no per-call state in fields, but they are not tuned for sharing).
 */
public interface DensityBaseline {

  /** Number of columns of a row. */
  int dim();

  /**
   * Natural log-density of {@code n} row-major rows of {@link #dim()} values.
   *
   * @throws IllegalArgumentException if {@code rows.length != n * dim()}
   */
  double[] logDensity(double[] rows, int n);

  /** What was fitted (bandwidth, number of components, ...) for {@code evaluation.json}. */
  Map<String, Object> describe();
}
