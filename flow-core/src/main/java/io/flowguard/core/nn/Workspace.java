package io.flowguard.core.nn;

/**
 * A bump allocator of scratch arrays, so the inference path allocates nothing once warmed up.
 *
 * <p>The owner (a {@code Flow} call, a {@code Scorer}) calls {@link #reset()} once per top-level call;
 * every nested module then {@link #take(int) takes} the scratch it needs in a fixed order. Since a model
 * asks for the same sequence of sizes on every call with the same batch size, the second call reuses the
 * arrays of the first. An array handed out may be longer than asked for and holds stale values.
 * {@code double[]}, {@code int[]} and {@code long[]} scratch are independent sequences.
 * Not thread-safe: one workspace per thread.
 */
public final class Workspace {

  private double[][] arrays = new double[32][];
  private int next;
  private int[][] intArrays = new int[8][];
  private int nextInt;
  private long[][] longArrays = new long[8][];
  private int nextLong;

  /** Makes every array available again; call once at the start of a top-level call. */
  public void reset() {
    next = 0;
    nextInt = 0;
    nextLong = 0;
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

  /** An array of at least {@code size} ints, valid until the next {@link #reset()}. */
  public int[] takeInt(int size) {
    if (nextInt == intArrays.length) {
      intArrays = java.util.Arrays.copyOf(intArrays, intArrays.length * 2);
    }
    int[] a = intArrays[nextInt];
    if (a == null || a.length < size) {
      a = new int[size];
      intArrays[nextInt] = a;
    }
    nextInt++;
    return a;
  }

  /** An array of at least {@code size} longs, valid until the next {@link #reset()}. */
  public long[] takeLong(int size) {
    if (nextLong == longArrays.length) {
      longArrays = java.util.Arrays.copyOf(longArrays, longArrays.length * 2);
    }
    long[] a = longArrays[nextLong];
    if (a == null || a.length < size) {
      a = new long[size];
      longArrays[nextLong] = a;
    }
    nextLong++;
    return a;
  }
}
