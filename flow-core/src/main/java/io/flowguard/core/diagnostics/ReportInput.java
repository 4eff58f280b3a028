package io.flowguard.core.diagnostics;

import io.flowguard.core.flow.Flow;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything {@link Report#write} needs, independent of how the model is stored.
 *
 * @param title shown at the top of the page and of every figure (model name and version)
 * @param flow the flow; it works in the standardized feature space
 * @param featureNames the names of the flow's dimensions, in order ({@code flow.dim()} of them)
 * @param data row-major {@code n x flow.dim()} rows in the flow's (standardized) space: the training
 *     sample or user data; not copied
 * @param n the number of rows
 * @param nll the negative log-likelihood of each row in raw-feature nats, as scored (not recomputed); not
 *     copied
 * @param threshold the anomaly NLL threshold (raw-feature nats); NaN if there is none
 * @param thresholdLabel what the threshold stands for, e.g. "false-alarm rate 0.001"
 * @param trainingCurve one entry per evaluation: {step, train NLL, validation NLL (NaN without a
 *     validation split)}; may be empty
 * @param entropy the model's entropy H (raw-feature nats: the expected NLL of a row drawn from the model);
 *     NaN if unknown
 * @param facts key facts listed in the report, in iteration order (spec, rows, fingerprint, calibration)
 */
public record ReportInput(String title, Flow flow, List<String> featureNames, double[] data, int n, double[] nll,
                          double threshold, String thresholdLabel, List<double[]> trainingCurve, double entropy,
                          Map<String, String> facts) {

  public ReportInput {
    Objects.requireNonNull(flow, "flow");
    Objects.requireNonNull(data, "data");
    Objects.requireNonNull(nll, "nll");
    title = title == null ? "Flowguard model" : title;
    thresholdLabel = thresholdLabel == null ? "" : thresholdLabel;
    int d = flow.dim();
    if (featureNames == null) {
      throw new IllegalArgumentException("featureNames is required (" + d + " names)");
    }
    if (featureNames.size() != d) {
      throw new IllegalArgumentException("expected " + d + " feature names (the flow's dimension), got "
          + featureNames.size());
    }
    featureNames = List.copyOf(featureNames);
    if (n < 1) {
      throw new IllegalArgumentException("the report needs at least one row, got n = " + n);
    }
    if (data.length != (long) n * d) {
      throw new IllegalArgumentException("data holds " + data.length + " values, expected n x dim = " + n + " x "
          + d);
    }
    if (nll.length != n) {
      throw new IllegalArgumentException("nll holds " + nll.length + " values, expected one per row (" + n + ")");
    }
    for (int i = 0; i < data.length; i++) {
      if (!Double.isFinite(data[i])) {
        throw new IllegalArgumentException("data row " + (i / d) + " column " + (i % d) + " ("
            + featureNames.get(i % d) + ") is not finite: " + data[i]);
      }
    }
    trainingCurve = trainingCurve == null ? List.of() : List.copyOf(trainingCurve);
    for (int i = 0; i < trainingCurve.size(); i++) {
      if (trainingCurve.get(i).length < 2) {
        throw new IllegalArgumentException("training curve point " + i + " needs {step, train NLL[, validation NLL]}");
      }
    }
    facts = facts == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(facts));
  }

  public int dim() {
    return flow.dim();
  }
}
