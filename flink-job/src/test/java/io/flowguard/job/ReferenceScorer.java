package io.flowguard.job;

import io.flowguard.core.model.FlowModel;
import io.flowguard.core.score.Scorer;
import io.flowguard.core.score.TypicalityWindow;
import java.util.HashMap;
import java.util.Map;

/**
 * What the job should output, computed without Flink: the model's {@link Scorer} for each event and
 * one {@link TypicalityWindow} per key and window size, fed in each key's event order.
 */
public final class ReferenceScorer {

  /** The expected scores of one event. */
  public record Expected(double logDensity, double nll, double tailProbability, boolean anomaly,
      double[] statistics, boolean[] alarms) {}

  private final Scorer scorer;
  private final int[] windows;
  private final double alpha;
  private final Map<String, TypicalityWindow[]> byKey = new HashMap<>();

  public ReferenceScorer(FlowModel model, double falseAlarmRate, int[] windows, double alpha) {
    this.scorer = new Scorer(model, falseAlarmRate);
    this.windows = windows.clone();
    this.alpha = alpha;
  }

  /** Scores the key's next event. */
  public Expected next(String key, double[] features) {
    Scorer.Score s = new Scorer.Score();
    if (!scorer.score(features, s)) {
      throw new IllegalArgumentException("rejected: " + s.rejection);
    }
    TypicalityWindow[] ws = byKey.computeIfAbsent(key, k -> {
      TypicalityWindow[] w = new TypicalityWindow[windows.length];
      for (int i = 0; i < windows.length; i++) {
        w[i] = scorer.newWindow(windows[i], alpha);
      }
      return w;
    });
    double[] stats = new double[ws.length];
    boolean[] alarms = new boolean[ws.length];
    for (int i = 0; i < ws.length; i++) {
      if (Double.isFinite(s.nll)) {
        ws[i].add(s.nll);
      }
      stats[i] = ws[i].statistic();
      alarms[i] = ws[i].alarm();
    }
    return new Expected(s.logDensity, s.nll, s.tailProbability, s.anomaly, stats, alarms);
  }
}
