package io.flowguard.core.nn;

/**
 * A bump allocator of scratch arrays, so the inference path allocates nothing once warmed up.
 *
 * <p>The owner (a {@code Flow} call, a {@code Scorer}) calls {@link #reset()} once per top-level call;
 * every nested module then {@link #take(int) takes} the scratch it needs in a fixed order. Since a model
 * asks for the same sequence of sizes on every call with the same batch size, the second call reuses the
 * arrays of the first. An array handed out may be longer than asked for and holds stale values.
 * Not thread-safe: one workspace per thread.
 */
public final class Workspace {

  private double[][] arrays = new double[32][];
  private int next;

  /** Makes every array available again; call once at the start of a top-level call. */
  public void reset() {
    next = 0;
  }

  /** An array of at least {@code size} doubles, valid until the next {@link #reset()}. */
  public double[] take(int size) {
    if (next == arrays.length) {
      arrays = java.util.Arrays.copyOf(arrays, arrays.length * 2);
    }
    double[] a = arrays[next];
    if (a == null || a.length < size) {
      a = new double[size];
      arrays[next] = a;
    }
    next++;
    return a;
  }
}
