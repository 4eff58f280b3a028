package io.flowguard.job.scoring;

import java.util.Arrays;
import java.util.Objects;

/**
 * One key's typicality state: the NLLs of its most recent events (oldest first, at most the largest
 * configured window size) and the model version that produced them. Every window size M reads the
 * last M of them, so one buffer serves all sizes. NLLs of different model versions are not
 * comparable, so the buffer starts afresh when the version changes.
 *
 * <p>The array is not copied; callers must not modify it.
 *
 * @param model the model name
 * @param version the model version that scored these NLLs
 * @param nlls the most recent NLLs, oldest first
 */
public record KeyWindows(String model, int version, double[] nlls) {

  public KeyWindows {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(nlls, "nlls");
  }

  /** Whether these NLLs came from the given model version. */
  public boolean belongsTo(String modelName, int modelVersion) {
    return version == modelVersion && model.equals(modelName);
  }

  /** A new state with {@code nll} appended, keeping the last {@code capacity} values. */
  public static double[] append(double[] nlls, double nll, int capacity) {
    int keep = Math.min(nlls.length, capacity - 1);
    double[] next = new double[keep + 1];
    System.arraycopy(nlls, nlls.length - keep, next, 0, keep);
    next[keep] = nll;
    return next;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KeyWindows w && model.equals(w.model) && version == w.version
        && Arrays.equals(nlls, w.nlls);
  }

  @Override
  public int hashCode() {
    return Objects.hash(model, version, Arrays.hashCode(nlls));
  }

  @Override
  public String toString() {
    return "KeyWindows[" + model + " v" + version + ", " + nlls.length + " NLLs]";
  }
}
