package io.flowguard.flink.scoring;

import java.util.Arrays;

/**
 * One key's typicality state, updated in place for every event: a ring buffer of the key's most recent
 * NLLs (capacity = the largest configured window) with a running sum per configured window size, so an
 * event costs O(number of windows), not O(window size). NLLs of different model versions are not
 * comparable, so the state starts afresh when the version changes.
 *
 * <p>A Flink POJO (public fields, no-argument constructor): its class name is part of every checkpoint,
 * so it must not be renamed or moved. It replaced {@link io.flowguard.job.scoring.KeyWindows}, which
 * copied the whole NLL array on every event; {@link #of(String, int, double[], int[])} converts one.
 */
public final class KeyTypicality {

  /** The model name. */
  public String model;
  /** The model version that scored these NLLs. */
  public int version;
  /** The configured window sizes the sums belong to, in configuration order. */
  public int[] windows;
  /** The ring buffer of NLLs; its length is the largest window. */
  public double[] ring;
  /** How many NLLs the ring holds (at most its length). */
  public int count;
  /** Where the next NLL goes. */
  public int next;
  /** Per window: the sum of the key's last min(count, M) NLLs. */
  public double[] sums;

  public KeyTypicality() {}

  /** A fresh state for a model version and window sizes (at least one, all positive). */
  public static KeyTypicality empty(String model, int version, int[] windows) {
    KeyTypicality s = new KeyTypicality();
    s.model = model;
    s.version = version;
    s.windows = windows.clone();
    s.ring = new double[Arrays.stream(windows).max().orElseThrow()];
    s.sums = new double[windows.length];
    return s;
  }

  /** A state holding {@code nlls} (oldest first; the last ones kept), e.g. from the older layout. */
  public static KeyTypicality of(String model, int version, double[] nlls, int[] windows) {
    KeyTypicality s = empty(model, version, windows);
    for (double v : nlls) {
      s.add(v);
    }
    return s;
  }

  /** Whether this state serves the given model version and window sizes. */
  public boolean belongsTo(String modelName, int modelVersion, int[] windowSizes) {
    return version == modelVersion && model.equals(modelName) && Arrays.equals(windows, windowSizes);
  }

  /** Appends one finite NLL, updating every window's sum. */
  public void add(double nll) {
    int capacity = ring.length;
    for (int i = 0; i < windows.length; i++) {
      int m = windows[i];
      if (count >= m) {
        sums[i] -= ring[Math.floorMod(next - m, capacity)];
      }
      sums[i] += nll;
    }
    ring[next] = nll;
    next++;
    if (count < capacity) {
      count++;
    }
    if (next == capacity) {
      next = 0;
      resum(); // once per lap, so rounding never accumulates
    }
  }

  /** Recomputes every window's sum exactly from the ring. */
  private void resum() {
    int capacity = ring.length;
    for (int i = 0; i < windows.length; i++) {
      int n = Math.min(count, windows[i]);
      double s = 0.0;
      for (int j = n; j >= 1; j--) {
        s += ring[Math.floorMod(next - j, capacity)];
      }
      sums[i] = s;
    }
  }

  /** Whether window {@code i} is full. */
  public boolean full(int i) {
    return count >= windows[i];
  }

  /** |mean of window i - entropy|; NaN while the window is not full. */
  public double statistic(int i, double entropy) {
    return full(i) ? Math.abs(sums[i] / windows[i] - entropy) : Double.NaN;
  }

  /** The NLLs in arrival order, oldest first (a copy). */
  public double[] values() {
    double[] out = new double[count];
    int start = Math.floorMod(next - count, ring.length);
    for (int i = 0; i < count; i++) {
      out[i] = ring[(start + i) % ring.length];
    }
    return out;
  }

  @Override
  public String toString() {
    return "KeyTypicality[" + model + " v" + version + ", windows " + Arrays.toString(windows) + ", "
        + count + " NLLs]";
  }
}
