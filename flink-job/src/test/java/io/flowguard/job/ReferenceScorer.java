package io.flowguard.job;

import io.flowguard.core.context.KeyHistory;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.score.Scorer;
import io.flowguard.core.score.TypicalityWindow;
import java.util.HashMap;
import java.util.Map;

/**
 * What the job should output, computed without Flink: the model's {@link Scorer} for each event and
 * one {@link TypicalityWindow} per key and window size, fed in each key's event order. A time-aware
 * model scores each event with {@link Scorer#scoreInContext} over its key's {@link KeyHistory}.
 */
public final class ReferenceScorer {

  /**
   * The expected scores of one event.
   *
   * @param historyEvents a time-aware model's count of previous events of the key the score is conditioned
   *     on; -1 for a model that scores events alone (the job's JSON then has no {@code context} block)
   */
  public record Expected(double logDensity, double nll, double tailProbability, boolean anomaly,
      double[] statistics, boolean[] alarms, int historyEvents, boolean warmingUp) {}

  private final Scorer scorer;
  private final int[] windows;
  private final double alpha;
  private final Map<String, TypicalityWindow[]> byKey = new HashMap<>();
  private final Map<String, KeyHistory> histories;

  public ReferenceScorer(FlowModel model, double falseAlarmRate, int[] windows, double alpha) {
    this(model, falseAlarmRate, windows, alpha, new HashMap<>());
  }

  /**
   * A reference whose time-aware keys continue {@code histories} (another reference's {@link #histories()}:
   * what a hot swap to a version with the same features and window keeps); typicality windows start empty.
   */
  public ReferenceScorer(FlowModel model, double falseAlarmRate, int[] windows, double alpha,
      Map<String, KeyHistory> histories) {
    this.scorer = new Scorer(model, falseAlarmRate);
    this.windows = windows.clone();
    this.alpha = alpha;
    this.histories = histories;
  }

  /** The key histories of a time-aware model (live: later events change them). */
  public Map<String, KeyHistory> histories() {
    return histories;
  }

  /** Scores the key's next event (a model without context: its time plays no part). */
  public Expected next(String key, double[] features) {
    return next(key, KeyHistory.NO_TIME, features);
  }

  /** Scores the key's next event, at event time {@code ts}. */
  public Expected next(String key, long ts, double[] features) {
    Scorer.Score s = new Scorer.Score();
    boolean timeAware = scorer.context().isPresent();
    boolean scored = timeAware
        ? scorer.scoreInContext(features, 0, features.length,
            histories.computeIfAbsent(key, k -> scorer.newHistory()), ts, null, 0, s)
        : scorer.score(features, s);
    if (!scored) {
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
    return new Expected(s.logDensity, s.nll, s.tailProbability, s.anomaly, stats, alarms,
        timeAware ? s.historyEvents : -1, timeAware && s.warmingUp);
  }
}
