package io.flowguard.core.eval;

/**
 * Ranking metrics of anomaly scores against 0/1 labels (1 = anomaly; higher score = more anomalous).
 */
public final class Metrics {

  private Metrics() {}

  /**
   * Area under the ROC curve: the probability that a random anomaly scores above a random normal row,
   * ties counting one half (Mann-Whitney U with mid-ranks).
   */
  public static double auroc(double[] scores, int[] labels) {
    int n = check(scores, labels);
    Integer[] idx = sortedIndices(scores);
    double[] ranks = new double[n];
    for (int i = 0; i < n; ) {
      int j = i;
      while (j + 1 < n && scores[idx[j + 1]] == scores[idx[i]]) {
        j++;
      }
      double mid = (i + j) / 2.0 + 1.0;
      for (int k = i; k <= j; k++) {
        ranks[idx[k]] = mid;
      }
      i = j + 1;
    }
    long pos = 0;
    double rankSum = 0;
    for (int i = 0; i < n; i++) {
      if (labels[i] == 1) {
        pos++;
        rankSum += ranks[i];
      }
    }
    long neg = n - pos;
    if (pos == 0 || neg == 0) {
      throw new IllegalArgumentException("AUROC needs both anomalies and normal rows; got " + pos + " and " + neg);
    }
    return (rankSum - pos * (pos + 1) / 2.0) / ((double) pos * neg);
  }

  /**
   * Average precision: the mean of the precision at each distinct score threshold weighted by the
   * recall gained there (the step-wise area under the precision-recall curve, as scikit-learn computes
   * it).
   */
  public static double averagePrecision(double[] scores, int[] labels) {
    int n = check(scores, labels);
    Integer[] idx = sortedIndices(scores);
    long pos = 0;
    for (int l : labels) {
      pos += l;
    }
    if (pos == 0) {
      throw new IllegalArgumentException("average precision needs at least one anomaly");
    }
    double ap = 0;
    long tp = 0;
    long seen = 0;
    double prevRecall = 0;
    for (int i = n - 1; i >= 0; ) {
      int j = i;
      while (j - 1 >= 0 && scores[idx[j - 1]] == scores[idx[i]]) {
        j--;
      }
      for (int k = j; k <= i; k++) {
        tp += labels[idx[k]];
        seen++;
      }
      double recall = (double) tp / pos;
      double precision = (double) tp / seen;
      ap += (recall - prevRecall) * precision;
      prevRecall = recall;
      i = j - 1;
    }
    return ap;
  }

  /**
   * Whether the labels hold both anomalies and normal rows, so that {@link #auroc} and
   * {@link #averagePrecision} are defined (a series without anomalies after its training part has none).
   */
  public static boolean bothClasses(int[] labels) {
    long pos = 0;
    for (int l : labels) {
      pos += l;
    }
    return pos > 0 && pos < labels.length;
  }

  private static int check(double[] scores, int[] labels) {
    if (scores.length != labels.length) {
      throw new IllegalArgumentException(scores.length + " scores but " + labels.length + " labels");
    }
    for (int i = 0; i < scores.length; i++) {
      if (Double.isNaN(scores[i])) {
        throw new IllegalArgumentException("score " + i + " is NaN");
      }
      if (labels[i] != 0 && labels[i] != 1) {
        throw new IllegalArgumentException("label " + i + " is " + labels[i] + "; labels must be 0 or 1");
      }
    }
    return scores.length;
  }

  private static Integer[] sortedIndices(double[] scores) {
    Integer[] idx = new Integer[scores.length];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = i;
    }
    java.util.Arrays.sort(idx, (a, b) -> Double.compare(scores[a], scores[b]));
    return idx;
  }
}
