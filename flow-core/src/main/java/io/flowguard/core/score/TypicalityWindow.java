package io.flowguard.core.score;

/**
 * The windowed typicality test of Nalisnick et al. (2019) for one stream key: keeps the last M NLLs and
 * compares their mean with the model's entropy estimate H. Under normal data the mean NLL of M events
 * concentrates around H; a window whose mean lies further than {@code eps(M, alpha)} from H (the
 * calibration bootstrap's alpha-quantile of |mean - H|) is atypical, whether its events are individually
 * unlikely (mean above H) or suspiciously likely (mean below H: e.g. a stuck sensor repeating the mode).
 *
 * <p>Allocation-free; O(1) per event (the running sum is recomputed exactly once per M events so that
 * rounding never drifts). Not thread-safe: one window per key. {@link #values()} and
 * {@link #restore} expose the state for checkpointing.
 */
public final class TypicalityWindow {

  private final int size;
  private final double entropy;
  private final double threshold;
  private final double[] values;
  private int count;
  private int next;
  private double sum;

  /**
   * @param size window size M
   * @param entropy the model's entropy estimate H (mean validation NLL)
   * @param threshold eps(M, alpha) from the model's calibration
   */
  public TypicalityWindow(int size, double entropy, double threshold) {
    if (size < 1) {
      throw new IllegalArgumentException("window size must be at least 1, got " + size);
    }
    if (!Double.isFinite(entropy) || !(threshold >= 0)) {
      throw new IllegalArgumentException("entropy must be finite and threshold non-negative");
    }
    this.size = size;
    this.entropy = entropy;
    this.threshold = threshold;
    this.values = new double[size];
  }

  /** Adds one event's NLL (must be finite: invalid events never reach a window). */
  public void add(double nll) {
    if (!Double.isFinite(nll)) {
      throw new IllegalArgumentException("NLL must be finite, got " + nll);
    }
    if (count == size) {
      sum -= values[next];
    } else {
      count++;
    }
    values[next] = nll;
    sum += nll;
    next++;
    if (next == size) {
      next = 0;
      resum();
    }
  }

  private void resum() {
    double s = 0.0;
    for (int i = 0; i < count; i++) {
      s += values[i];
    }
    sum = s;
  }

  public int size() {
    return size;
  }

  /** Events currently in the window (at most M). */
  public int count() {
    return count;
  }

  public boolean full() {
    return count == size;
  }

  /** Mean NLL of the window; NaN while empty. */
  public double mean() {
    return count == 0 ? Double.NaN : sum / count;
  }

  /** |mean NLL - H|; NaN while the window is not yet full. */
  public double statistic() {
    return full() ? Math.abs(sum / size - entropy) : Double.NaN;
  }

  public double threshold() {
    return threshold;
  }

  /** Whether a full window is atypical at the configured level. Never alarms on a partial window. */
  public boolean alarm() {
    return full() && Math.abs(sum / size - entropy) > threshold;
  }

  /** The NLLs in arrival order, oldest first (a copy: for checkpoints and inspection). */
  public double[] values() {
    double[] out = new double[count];
    int start = count == size ? next : 0;
    for (int i = 0; i < count; i++) {
      out[i] = values[(start + i) % size];
    }
    return out;
  }

  /** Replaces the contents by {@code nlls} (oldest first); the last M are kept. */
  public void restore(double[] nlls) {
    count = 0;
    next = 0;
    sum = 0.0;
    java.util.Arrays.fill(values, 0.0);
    for (double v : nlls) {
      add(v);
    }
  }
}
