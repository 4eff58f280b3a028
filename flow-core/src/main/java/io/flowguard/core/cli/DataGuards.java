package io.flowguard.core.cli;

import io.flowguard.core.data.Dataset;
import io.flowguard.core.model.FlowModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Warnings about training data that trains without error but not as the user meant (issue 16): a row id
 * or a label modelled as a feature, too few rows for the model's size, too few rows to calibrate the
 * threshold. Each line says what was seen and what to do; none stops training.
 */
final class DataGuards {

  /** Column names that usually hold a label rather than a feature (compared case-insensitively). */
  static final Set<String> LABEL_NAMES = Set.of("label", "labels", "class", "target", "y", "anomaly", "is_anomaly",
      "outlier", "is_outlier", "fraud", "is_fraud");

  /**
   * Fewer calibration rows than this make the threshold rest on a handful of tail rows: the rate it
   * delivers may be far from the rate asked for.
   */
  static final int MIN_CALIBRATION_ROWS = 200;

  private DataGuards() {}

  /** Id-like and label-like columns of the training table. */
  static List<String> columnWarnings(Dataset ds) {
    List<String> out = new ArrayList<>();
    int n = ds.rows();
    int d = ds.dim();
    for (int c = 0; c < d; c++) {
      String name = ds.columns().get(c);
      if (n >= 3 && idLike(ds.values(), n, d, c)) {
        out.add(String.format(Locale.ROOT, "column '%s' looks like a row id (%d distinct integers in order): the flow"
            + " models it as a feature, so new events score by how far their id is from the training ids. If it is"
            + " not a feature, leave it out with --ignore %s", name, n, name));
      } else if (LABEL_NAMES.contains(name.toLowerCase(Locale.ROOT)) && binary(ds.values(), n, d, c)) {
        out.add(String.format(Locale.ROOT, "column '%s' looks like a label (0/1 values, named like one): the flow"
            + " models it as a feature. Train on normal rows only and leave it out with --ignore %s", name, name));
      }
    }
    return out;
  }

  /** All values distinct integers, strictly increasing or strictly decreasing in file order. */
  static boolean idLike(double[] v, int n, int d, int c) {
    boolean up = true;
    boolean down = true;
    for (int r = 0; r < n; r++) {
      double x = v[r * d + c];
      if (x != Math.rint(x)) {
        return false;
      }
      if (r > 0) {
        double prev = v[(r - 1) * d + c];
        up &= x > prev;
        down &= x < prev;
      }
    }
    return up || down;
  }

  private static boolean binary(double[] v, int n, int d, int c) {
    for (int r = 0; r < n; r++) {
      double x = v[r * d + c];
      if (x != 0.0 && x != 1.0) {
        return false;
      }
    }
    return true;
  }

  /**
   * Too few rows for the flow's parameter count (fewer values in the fitted rows than parameters: the
   * flow can memorize them), and too few calibration rows for the rate (the threshold's uncertainty).
   *
   * @param fittedRows rows the flow was fitted on
   * @param rate the false-alarm rate the model will typically be used at
   */
  static List<String> sizeWarnings(FlowModel model, int fittedRows, double rate) {
    List<String> out = new ArrayList<>();
    long parameters = model.flow().parameters().length;
    long values = (long) fittedRows * model.preprocessor().dim();
    if (values < parameters) {
      out.add(String.format(Locale.ROOT, "%d rows are few for this model: the flow has %d parameters for %d rows x %d"
          + " modelled columns = %d values, so it can memorize the training rows rather than learn their density."
          + " Give more normal rows, or a smaller flow (--spec)", fittedRows, parameters, fittedRows,
          model.preprocessor().dim(), values));
    }
    long m = model.calibration().count();
    if (m < MIN_CALIBRATION_ROWS) {
      double expected = m * rate;
      double halfWidth = 2 * Math.sqrt(0.01 * 0.99 / m);
      out.add(String.format(Locale.ROOT, "only %d rows calibrate the threshold (fewer than %d): at a false-alarm rate"
          + " of %s they hold %.2f expected exceedances, so that threshold is an extrapolation of the fitted tail and"
          + " the rate it delivers may be several times off; even a rate of 0.01 is measured to about +-%.3f (two"
          + " standard errors). Give more normal rows", m, MIN_CALIBRATION_ROWS, Rates.format(rate), expected,
          halfWidth));
    }
    return out;
  }
}
