package io.flowguard.core.eval.nab;

import java.util.Arrays;
import java.util.List;

/**
 * NAB's score (Lavin and Ahmad 2015; the rules of NAB's {@code sweeper.py} and {@code runner.py}).
 *
 * <p>A point is a detection when its anomaly score is at or above the threshold and it lies after the
 * series' probationary period (and was scored at all). Per series, under a profile
 * ({@code A_TP, A_FP, A_FN}):
 * <ul>
 *   <li>each window with a detection earns the value of its <em>earliest</em> detection,
 *       {@code A_TP sigma(-(b - i + 1) / W) / sigma(-1)} (see {@link NabSeries}); later detections in the
 *       same window add nothing;</li>
 *   <li>each window without one costs {@code A_FN};</li>
 *   <li>each detection outside the windows adds {@code A_FP sigma((i - b') / (W' - 1))}, negative, after a
 *       window ending at {@code b'}, and {@code -A_FP} with no window before it.</li>
 * </ul>
 * The raw score of a suite is the sum over its series at one threshold. It is normalized as
 * {@code 100 (raw - null) / (perfect - null)}, with the null detector (no detection: {@code -A_FN} per
 * window) and the perfect one (every window detected at its first point: {@code A_TP} per window), so the
 * null detector scores 0 and the perfect one 100.
 */
public final class NabScorer {

  /** The threshold that detects nothing: above every score, as NAB starts its sweep. */
  public static final double NOTHING_DETECTED = 1.1;

  private NabScorer() {}

  /**
   * A series with a detector's scores.
   *
   * @throws IllegalArgumentException if the scores do not end at the series' last point
   */
  public record Scored(NabSeries series, AnomalyScores scores) {
    public Scored {
      if (scores.seriesLength() != series.length()) {
        throw new IllegalArgumentException(series.name() + ": " + series.length() + " points but scores for points "
            + scores.firstScored() + ".." + (scores.seriesLength() - 1));
      }
    }

    /** The first point that can be a detection: after the probationary period, and scored. */
    int firstCandidate() {
      return Math.max(series.probation(), scores.firstScored());
    }
  }

  /**
   * One series at one threshold.
   *
   * @param raw its raw NAB score
   * @param windows the windows that count ({@link NabSeries#scored})
   * @param detectedWindows those with at least one detection
   * @param detections detections (points flagged, inside windows or not)
   * @param falsePositives detections outside every window
   */
  public record SeriesScore(double raw, int windows, int detectedWindows, int detections, int falsePositives) {
    public int missedWindows() {
      return windows - detectedWindows;
    }
  }

  /**
   * A threshold and the summed raw score it gives.
   *
   * @param threshold detections are scores at or above it ({@link #NOTHING_DETECTED}: none)
   */
  public record Optimum(double threshold, double raw) {}

  /** The raw score of one series at {@code threshold}, with its counts; O(n). */
  public static SeriesScore scoreAt(Scored s, NabProfile profile, double threshold) {
    NabSeries series = s.series();
    double[] best = new double[series.windowCount()];
    boolean[] detected = new boolean[best.length];
    Arrays.fill(best, -profile.fnWeight());
    double falsePositiveSum = 0;
    int detections = 0;
    int falsePositives = 0;
    for (int i = s.firstCandidate(); i < series.length(); i++) {
      if (s.scores().at(i) >= threshold) {
        detections++;
        int k = series.windowOf(i);
        if (k >= 0) {
          best[k] = Math.max(best[k], series.detectionValue(i, profile));
          detected[k] = true;
        } else {
          falsePositiveSum += series.detectionValue(i, profile);
          falsePositives++;
        }
      }
    }
    double raw = falsePositiveSum;
    int windows = 0;
    int hit = 0;
    for (int k = 0; k < best.length; k++) {
      if (series.scored(k)) {
        raw += best[k];
        windows++;
        hit += detected[k] ? 1 : 0;
      }
    }
    return new SeriesScore(raw, windows, hit, detections, falsePositives);
  }

  /**
   * The threshold that maximizes the raw score summed over the suite, as NAB's optimizer does (every
   * distinct score is tried, from the highest down, and {@link #NOTHING_DETECTED} before them; the first
   * of equal maxima wins, i.e. the highest threshold). One sort and one pass: O(N log N) for N scorable
   * points in all.
   *
   * <p>The returned raw score is accumulated along the sweep; {@link #scoreAt} recomputes it per series
   * (they agree to rounding, about 1e-12 on NAB's corpus).
   */
  public static Optimum optimize(List<Scored> suite, NabProfile profile) {
    int candidates = 0;
    int windows = 0;
    for (Scored s : suite) {
      candidates += Math.max(0, s.series().length() - s.firstCandidate());
      windows += s.series().windowCount();
    }
    double[] score = new double[candidates];
    double[] value = new double[candidates];
    int[] window = new int[candidates];
    double[] best = new double[windows];
    Arrays.fill(best, -profile.fnWeight());
    double total = 0;
    int c = 0;
    int windowOffset = 0;
    for (Scored s : suite) {
      NabSeries series = s.series();
      for (int k = 0; k < series.windowCount(); k++) {
        total -= series.scored(k) ? profile.fnWeight() : 0;
      }
      for (int i = s.firstCandidate(); i < series.length(); i++, c++) {
        score[c] = s.scores().at(i);
        value[c] = series.detectionValue(i, profile);
        int k = series.windowOf(i);
        window[c] = k < 0 ? -1 : windowOffset + k;
      }
      windowOffset += series.windowCount();
    }

    // Sort by score, highest first, on primitives: rank the distinct scores, pack (reversed rank, index).
    double[] distinct = score.clone();
    Arrays.sort(distinct);
    int m = 0;
    for (int i = 0; i < distinct.length; i++) {
      if (m == 0 || distinct[i] != distinct[m - 1]) {
        distinct[m++] = distinct[i];
      }
    }
    long[] order = new long[candidates];
    for (int i = 0; i < candidates; i++) {
      long reversedRank = m - 1 - Arrays.binarySearch(distinct, 0, m, score[i]);
      order[i] = reversedRank << 32 | i;
    }
    Arrays.sort(order);

    double bestRaw = total;
    double bestThreshold = NOTHING_DETECTED;
    for (int start = 0; start < candidates; ) {
      long group = order[start] >>> 32;
      int end = start;
      for (; end < candidates && order[end] >>> 32 == group; end++) {
        int i = (int) order[end];
        int k = window[i];
        if (k < 0) {
          total += value[i];
        } else if (value[i] > best[k]) {
          // Only the earliest detection of a window counts: its value is the largest of the window's.
          total += value[i] - best[k];
          best[k] = value[i];
        }
      }
      if (total > bestRaw) {
        bestRaw = total;
        bestThreshold = distinct[m - 1 - (int) group];
      }
      start = end;
    }
    return new Optimum(bestThreshold, bestRaw);
  }

  /** The null detector's raw score (no detection at all): {@code -A_FN} per window. */
  public static double nullScore(int windows, NabProfile profile) {
    return -profile.fnWeight() * windows;
  }

  /** The perfect detector's raw score (each window detected at its first point): {@code A_TP} per window. */
  public static double perfectScore(int windows, NabProfile profile) {
    return profile.tpWeight() * windows;
  }

  /**
   * {@code 100 (raw - null) / (perfect - null)} for a set with {@code windows} windows: 0 for the null
   * detector, 100 for the perfect one; NaN without windows (both references are then 0).
   */
  public static double normalized(double raw, int windows, NabProfile profile) {
    if (windows == 0) {
      return Double.NaN;
    }
    double nul = nullScore(windows, profile);
    return 100 * (raw - nul) / (perfectScore(windows, profile) - nul);
  }
}
