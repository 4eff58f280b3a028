package io.flowguard.core.eval;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a false-alarm rate does on labelled test rows: an event is flagged when its calibrated tail
 * probability is below the rate (as {@code Scorer} flags it), so every rate gives a precision, a recall and
 * an F1. AUROC says how well the score ranks; this says where to cut: on thyroid the default rate 0.001
 * flags 1 of 93 anomalies although the AUROC is 0.987.
 *
 * @param rate the configured rate
 * @param precision flagged anomalies / flagged rows at {@code rate} (NaN when nothing is flagged)
 * @param recall flagged anomalies / anomalies at {@code rate}
 * @param f1 their harmonic mean (0 when nothing is flagged or nothing right)
 * @param bestRate the smallest rate that reaches the highest F1 over all rates (a rate just above the
 *     tail probability of the last row it flags)
 * @param bestF1 that F1, with {@code bestPrecision} and {@code bestRecall}
 * @param recallAt the recall at each of {@link #STANDARD_RATES}, in order
 */
public record ThresholdReport(double rate, double precision, double recall, double f1, double bestRate,
                              double bestPrecision, double bestRecall, double bestF1, double[] recallAt) {

  /** The rates at which the recall is reported. */
  public static final List<Double> STANDARD_RATES = List.of(0.001, 0.01, 0.05, 0.1);

  public ThresholdReport {
    recallAt = recallAt.clone();
  }

  /**
   * @param tailProbabilities calibrated tail probabilities of the test rows
   * @param labels 1 for an anomaly, 0 for a normal row (at least one of each)
   * @param rate the configured false-alarm rate
   */
  public static ThresholdReport of(double[] tailProbabilities, int[] labels, double rate) {
    int n = tailProbabilities.length;
    if (labels.length != n) {
      throw new IllegalArgumentException(n + " tail probabilities but " + labels.length + " labels");
    }
    int anomalies = 0;
    for (int l : labels) {
      anomalies += l;
    }
    if (anomalies == 0 || anomalies == n) {
      throw new IllegalArgumentException("a threshold report needs both normal rows and anomalies");
    }
    double[] at = new double[STANDARD_RATES.size()];
    for (int i = 0; i < at.length; i++) {
      at[i] = counts(tailProbabilities, labels, STANDARD_RATES.get(i))[1] / (double) anomalies;
    }
    int[] c = counts(tailProbabilities, labels, rate);
    double precision = c[0] == 0 ? Double.NaN : c[1] / (double) c[0];
    double recall = c[1] / (double) anomalies;

    // Flag the k rows of lowest tail probability, k = 1..n; ties move together (a rate cannot split them).
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(tailProbabilities[a], tailProbabilities[b]));
    double bestF1 = -1;
    double bestRate = Double.NaN;
    double bestP = Double.NaN;
    double bestR = Double.NaN;
    int tp = 0;
    for (int k = 0; k < n; k++) {
      tp += labels[order[k]];
      double p = tailProbabilities[order[k]];
      if (k + 1 < n && tailProbabilities[order[k + 1]] == p) {
        continue;
      }
      double f = f1(tp / (k + 1.0), tp / (double) anomalies);
      if (f > bestF1) {
        bestF1 = f;
        bestP = tp / (k + 1.0);
        bestR = tp / (double) anomalies;
        // The smallest double above p flags exactly these rows (flagged: tail probability < rate).
        bestRate = Math.nextUp(p);
      }
    }
    return new ThresholdReport(rate, precision, recall, f1(precision, recall), bestRate, bestP, bestR, bestF1, at);
  }

  /** {flagged, flagged anomalies} at a rate. */
  private static int[] counts(double[] tail, int[] labels, double rate) {
    int flagged = 0;
    int hits = 0;
    for (int i = 0; i < tail.length; i++) {
      if (tail[i] < rate) {
        flagged++;
        hits += labels[i];
      }
    }
    return new int[] {flagged, hits};
  }

  private static double f1(double precision, double recall) {
    return Double.isNaN(precision) || precision + recall == 0 ? 0.0 : 2 * precision * recall / (precision + recall);
  }

  /** The mean over seeds of each figure; the best rate as a geometric mean (rates span decades). */
  public static ThresholdReport mean(List<ThresholdReport> reports) {
    int k = reports.size();
    double p = 0;
    int pCount = 0;
    double r = 0;
    double f = 0;
    double logRate = 0;
    double bp = 0;
    double br = 0;
    double bf = 0;
    double[] at = new double[STANDARD_RATES.size()];
    for (ThresholdReport t : reports) {
      if (!Double.isNaN(t.precision())) {
        p += t.precision();
        pCount++;
      }
      r += t.recall() / k;
      f += t.f1() / k;
      logRate += Math.log(t.bestRate()) / k;
      bp += t.bestPrecision() / k;
      br += t.bestRecall() / k;
      bf += t.bestF1() / k;
      for (int i = 0; i < at.length; i++) {
        at[i] += t.recallAt()[i] / k;
      }
    }
    return new ThresholdReport(reports.get(0).rate(), pCount == 0 ? Double.NaN : p / pCount, r, f, Math.exp(logRate),
        bp, br, bf, at);
  }

  /** For {@code evaluation.json} (NaN precision as null). */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("false_alarm_rate", rate);
    m.put("precision", Double.isNaN(precision) ? null : precision);
    m.put("recall", recall);
    m.put("f1", f1);
    m.put("best_f1_rate", bestRate);
    m.put("best_f1_precision", bestPrecision);
    m.put("best_f1_recall", bestRecall);
    m.put("best_f1", bestF1);
    Map<String, Object> at = new LinkedHashMap<>();
    for (int i = 0; i < recallAt.length; i++) {
      at.put(String.valueOf(STANDARD_RATES.get(i)), recallAt[i]);
    }
    m.put("recall_at_rate", at);
    return m;
  }
}
