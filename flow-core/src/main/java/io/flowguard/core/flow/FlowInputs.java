package io.flowguard.core.flow;

/** Input validation with messages that name the offending row and column. */
public final class FlowInputs {

  private FlowInputs() {}

  /** Checks shape and finiteness of a row-major batch; rows and columns are reported 0-based. */
  public static void validate(double[] x, int n, int d) {
    if (n < 0) {
      throw new IllegalArgumentException("negative row count " + n);
    }
    if (x.length < (long) n * d) {
      throw new IllegalArgumentException("expected " + n + " rows of " + d + " values (" + ((long) n * d)
          + " in all), got " + x.length + " values");
    }
    for (int r = 0; r < n; r++) {
      for (int c = 0; c < d; c++) {
        double v = x[r * d + c];
        if (!Double.isFinite(v)) {
          throw new IllegalArgumentException("row " + r + ", column " + c + ": value " + v
              + " is not finite; remove or impute non-finite values before scoring or training");
        }
      }
    }
  }

  /**
   * Checks the context batch of a flow with {@code m} context values per row against {@code n} data rows:
   * for {@code m > 0} exactly {@code n * m} finite values (a wrong width is reported as such); for
   * {@code m = 0} none (null or empty). Rows and columns are reported 0-based.
   *
   * @return the context to pass on: {@code c} itself, or null for an unconditional flow
   */
  public static double[] validateContext(double[] c, int n, int m) {
    if (m == 0) {
      if (c != null && c.length > 0) {
        throw new IllegalArgumentException("the flow is unconditional but a context of " + c.length + " values was"
            + " given; build the flow from a spec with \"context\": m to condition it, or pass no context");
      }
      return null;
    }
    if (c == null) {
      throw new IllegalArgumentException("the flow is conditional on " + m + " context value" + (m == 1 ? "" : "s")
          + " per row; pass the context c, " + n + " rows of " + m + " values");
    }
    if (c.length != (long) n * m) {
      String width = n > 0 && c.length % n == 0
          ? " (" + (c.length / n) + " per row, but the flow was built for a context of " + m + ")" : "";
      throw new IllegalArgumentException("context: expected " + n + " rows of " + m + " values (" + ((long) n * m)
          + " in all), got " + c.length + " values" + width);
    }
    for (int r = 0; r < n; r++) {
      for (int j = 0; j < m; j++) {
        double v = c[r * m + j];
        if (!Double.isFinite(v)) {
          throw new IllegalArgumentException("context row " + r + ", column " + j + ": value " + v
              + " is not finite; remove or impute non-finite context values before scoring or training");
        }
      }
    }
    return c;
  }

  /**
   * Flattens the context rows of {@code n} data rows after checking there is one per data row with
   * {@code m} columns and finite values ({@link #validateContext}).
   */
  public static double[] flattenContext(double[][] rows, int n, int m) {
    if (rows == null) {
      return validateContext(null, n, m);
    }
    if (rows.length != n) {
      throw new IllegalArgumentException("expected one context row per data row (" + n + "), got " + rows.length);
    }
    double[] c = new double[n * m];
    for (int r = 0; r < n; r++) {
      if (rows[r] == null || rows[r].length != m) {
        throw new IllegalArgumentException("context row " + r + " has " + (rows[r] == null ? 0 : rows[r].length)
            + " columns, the flow expects " + m);
      }
      System.arraycopy(rows[r], 0, c, r * m, m);
    }
    return validateContext(m == 0 ? null : c, n, m);
  }

  /** Flattens rows after checking each has {@code d} columns and finite values. */
  public static double[] flatten(double[][] rows, int d) {
    double[] x = new double[rows.length * d];
    for (int r = 0; r < rows.length; r++) {
      if (rows[r] == null || rows[r].length != d) {
        throw new IllegalArgumentException("row " + r + " has " + (rows[r] == null ? 0 : rows[r].length)
            + " columns, the flow expects " + d);
      }
      System.arraycopy(rows[r], 0, x, r * d, d);
    }
    validate(x, rows.length, d);
    return x;
  }
}
