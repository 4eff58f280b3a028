package io.flowguard.core.eval.nab;

import io.flowguard.core.data.DataFormatException;
import java.time.LocalDateTime;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;

/**
 * One series as NAB scores it: its length, its probationary period and its anomaly windows as ranges of
 * point indices, with the weight NAB gives a detection at each point.
 *
 * <p>A window covers the points from its start timestamp to its end timestamp, both inclusive. NAB
 * requires the two limits to be timestamps of the series; limits between points are accepted here and
 * take the points inside ({@link #of}).
 *
 * <p>Per-point weights (before the profile's {@code A_TP}, {@code A_FP}), with
 * {@code sigma(x) = 2 / (1 + e^(5x)) - 1} for {@code x <= 3} and {@code -1} above (NAB's scaled sigmoid):
 * <ul>
 *   <li>point {@code i} of a window of width {@code W} ending at point {@code b}:
 *       {@code sigma(-(b - i + 1) / W) / sigma(-1)}: 1 at the window's first point, falling towards its end
 *       ({@code sigma(-1/W) / sigma(-1)} at the last point);</li>
 *   <li>point {@code i} outside the windows, after a window of width {@code W'} ending at {@code b'}:
 *       {@code sigma((i - b') / (W' - 1))}: near 0 just after the window, -1 from three window widths
 *       on (a one-point window gives -1 at once);</li>
 *   <li>a point before the first window: -1.</li>
 * </ul>
 */
public final class NabSeries {

  /** NAB's probationary share of a series. */
  public static final double PROBATIONARY_PERCENT = 0.15;
  /** NAB caps the probationary period at {@code 0.15 * 5000 = 750} points. */
  public static final int PROBATION_CAP_ROWS = 5000;
  /** {@code sigma(-1)}: the weight of a detection at a window's first point, by which NAB divides. */
  static final double MAX_TP = scaledSigmoid(-1.0);

  private final String name;
  private final int length;
  private final int probation;
  private final int[] windowFirst;
  private final int[] windowLast;
  /** The window of each point, or -1 outside every window. */
  private final int[] windowOf;
  /** The unweighted sigmoid of each point: {@code sigma(position)} (inside a window, before dividing by sigma(-1)). */
  private final double[] sigmoid;

  /**
   * @param name the series' key (for messages and reports)
   * @param length its number of points
   * @param windowFirst the first point of each window, increasing
   * @param windowLast the last point of each window, at or after its first and before the next window's first
   */
  public NabSeries(String name, int length, int[] windowFirst, int[] windowLast) {
    if (windowFirst.length != windowLast.length) {
      throw new IllegalArgumentException(windowFirst.length + " window starts but " + windowLast.length + " ends");
    }
    for (int k = 0; k < windowFirst.length; k++) {
      if (windowFirst[k] < 0 || windowLast[k] < windowFirst[k] || windowLast[k] >= length
          || (k > 0 && windowFirst[k] <= windowLast[k - 1])) {
        throw new IllegalArgumentException(name + ": window " + (k + 1) + " [" + windowFirst[k] + ", " + windowLast[k]
            + "] is empty, outside the " + length + " points or overlaps the previous one");
      }
    }
    this.name = name;
    this.length = length;
    this.probation = probationaryPeriod(length);
    this.windowFirst = windowFirst.clone();
    this.windowLast = windowLast.clone();
    this.windowOf = new int[length];
    this.sigmoid = new double[length];
    Arrays.fill(windowOf, -1);
    int previous = -1;
    int k = 0;
    for (int i = 0; i < length; i++) {
      if (k < windowFirst.length && i == windowFirst[k]) {
        // Entering window k; it stays current until its last point.
        double width = windowLast[k] - windowFirst[k] + 1;
        for (int j = i; j <= windowLast[k]; j++) {
          windowOf[j] = k;
          sigmoid[j] = scaledSigmoid(-(windowLast[k] - j + 1) / width);
        }
        i = windowLast[k];
        previous = k;
        k++;
      } else if (previous < 0) {
        sigmoid[i] = -1.0;
      } else {
        double width = windowLast[previous] - windowFirst[previous] + 1;
        // A one-point window divides by zero: +infinity, beyond 3, so -1 (NAB's sweeper would raise an error).
        sigmoid[i] = scaledSigmoid((i - windowLast[previous]) / (width - 1));
      }
    }
  }

  /**
   * A series from its timestamps and its labelled windows, placed as NAB's sweeper places them: walking
   * the points in file order, a window starts at the first point at or after its start (NAB: equal to it)
   * and ends at the first later point equal to its end, or just before the first point beyond it. NAB's
   * files are not strictly in time order (machine_temperature_system_failure repeats an hour, exchange-2
   * a timestamp), so the order is the file's and timestamps may repeat or step back.
   *
   * @param source the file, for messages
   * @throws DataFormatException naming the file and data row for a timestamp that cannot be parsed, and
   *     naming the window for one that holds no point of the series
   */
  public static NabSeries of(String name, String source, List<String> timestamps, List<NabWindows.Window> windows) {
    int n = timestamps.size();
    LocalDateTime[] t = new LocalDateTime[n];
    for (int i = 0; i < n; i++) {
      try {
        t[i] = NabTimestamps.parse(timestamps.get(i));
      } catch (DateTimeParseException e) {
        throw new DataFormatException(source + ", data row " + (i + 1) + ": timestamp '" + timestamps.get(i)
            + "' is not a date-time like " + NabTimestamps.EXAMPLE + "; the NAB score places its windows by"
            + " timestamp (fix the file, or leave the NAB score out with --no-nab)");
      }
    }
    int[] first = new int[windows.size()];
    int[] last = new int[windows.size()];
    int i = 0;
    for (int k = 0; k < windows.size(); k++) {
      NabWindows.Window w = windows.get(k);
      while (i < n && t[i].isBefore(w.start())) {
        i++;
      }
      first[k] = i;
      while (i < n && t[i].isBefore(w.end())) {
        i++;
      }
      if (i < n && t[i].isEqual(w.end())) {
        i++;
      }
      last[k] = i - 1;
      if (first[k] > last[k]) {
        throw new DataFormatException(source + ": NAB window " + (k + 1) + " of '" + name + "' [" + w.start() + ", "
            + w.end() + "] holds no point of the series (it runs from " + timestamps.get(0) + " to "
            + timestamps.get(n - 1) + "); check that the windows file belongs to this series");
      }
    }
    return new NabSeries(name, n, first, last);
  }

  /**
   * NAB's probationary period of a series of {@code n} points: {@code min(floor(0.15 n), 0.15 * 5000)},
   * computed in double arithmetic as NAB does. Detections at points before it are ignored.
   */
  public static int probationaryPeriod(int n) {
    return (int) Math.min(Math.floor(PROBATIONARY_PERCENT * n), PROBATIONARY_PERCENT * PROBATION_CAP_ROWS);
  }

  /**
   * NAB's scaled sigmoid of a relative position: {@code 2 / (1 + e^(5x)) - 1}, and -1 beyond 3. Position -1
   * (a window's first point) gives 0.98661, 0 (its end) gives 0, 1 (one window width after it) -0.98661.
   */
  public static double scaledSigmoid(double position) {
    if (position > 3.0) {
      return -1.0;
    }
    return 2 * (1 / (1 + Math.exp(5 * position))) - 1.0;
  }

  public String name() {
    return name;
  }

  public int length() {
    return length;
  }

  /** Points {@code i < probation()} are never scored. */
  public int probation() {
    return probation;
  }

  /** The number of labelled windows. */
  public int windowCount() {
    return windowFirst.length;
  }

  /** The first point of window {@code k}. */
  public int windowFirst(int k) {
    return windowFirst[k];
  }

  /** The last point of window {@code k}. */
  public int windowLast(int k) {
    return windowLast[k];
  }

  /**
   * Whether window {@code k} counts: NAB scores a window only if it has a point after the probationary
   * period (NAB's own windows all do: its labeller deletes a window that starts inside it).
   */
  public boolean scored(int k) {
    return windowLast[k] >= probation;
  }

  /** The number of windows that count ({@link #scored}). */
  public int scoredWindows() {
    int c = 0;
    for (int k = 0; k < windowLast.length; k++) {
      c += scored(k) ? 1 : 0;
    }
    return c;
  }

  /** The window point {@code i} lies in, or -1. */
  public int windowOf(int i) {
    return windowOf[i];
  }

  /**
   * What a detection at point {@code i} adds under a profile: inside a window, the value of detecting the
   * window there ({@code A_TP sigma(-(b - i + 1) / W) / sigma(-1)}, positive); outside, the false positive's
   * (negative) weight {@code A_FP sigma(...)}.
   */
  public double detectionValue(int i, NabProfile profile) {
    return windowOf[i] >= 0 ? sigmoid[i] * profile.tpWeight() / MAX_TP : sigmoid[i] * profile.fpWeight();
  }
}
