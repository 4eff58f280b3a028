package io.flowguard.core.transform;

/**
 * What the conditional layers share about the context batch: the check that a conditional layer got a
 * context, and the copy of context rows into the columns of a conditioner's input.
 */
final class ContextRows {

  private ContextRows() {}

  /**
   * Fails when a layer that reads {@code m > 0} context values per row is called without a context: a
   * conditional density evaluated at some default context would be a silent wrong answer.
   */
  static void require(double[] c, int m, String layer) {
    if (m > 0 && c == null) {
      throw new IllegalStateException(layer + " is conditional on " + m + " context value" + (m == 1 ? "" : "s")
          + " per row; call the overload that takes the context c (n rows of " + m + ")");
    }
  }

  /**
   * Copies the n context rows of width m into columns {@code [offset, offset + m)} of the rows of
   * {@code dst}, which are {@code width} wide.
   */
  static void copyInto(double[] c, int m, double[] dst, int width, int offset, int n) {
    for (int r = 0; r < n; r++) {
      System.arraycopy(c, r * m, dst, r * width + offset, m);
    }
  }

  /** Copies columns {@code [0, k)} of the n rows of {@code wide} (rows {@code width} wide) into {@code dst}. */
  static void copyHead(double[] wide, int width, double[] dst, int k, int n) {
    for (int r = 0; r < n; r++) {
      System.arraycopy(wide, r * width, dst, r * k, k);
    }
  }
}
