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
