package io.flowguard.core.eval.nab;

import io.flowguard.core.eval.nab.NabScorer.Optimum;
import io.flowguard.core.eval.nab.NabScorer.Scored;
import io.flowguard.core.eval.nab.NabScorer.SeriesScore;
import java.util.ArrayList;
import java.util.List;

/**
 * The NAB score of a detector on a suite of series, for each profile: the threshold optimized over the
 * whole suite (NAB's protocol: one threshold for the corpus), the suite's raw and normalized score there
 * and each series' share of it; and, for information only, each series' score at its own best threshold.
 */
public final class NabEvaluation {

  private NabEvaluation() {}

  /**
   * One series scored at its own best threshold: not NAB's protocol (which fixes one threshold for the
   * corpus), an optimistic upper bound of what a threshold can do on that series.
   *
   * @param normalized NaN for a series without windows
   */
  public record SeriesOptimum(double threshold, double raw, double normalized) {}

  /**
   * One profile on the suite.
   *
   * @param threshold the suite's optimized threshold ({@link NabScorer#NOTHING_DETECTED} if detecting
   *     nothing scores best)
   * @param raw the suite's raw score there: the sum of {@code series[*].raw}
   * @param windows the windows that count, over the suite
   * @param nullScore the null detector's raw score
   * @param perfectScore the perfect detector's raw score
   * @param normalized {@code 100 (raw - null) / (perfect - null)} (NaN without windows)
   * @param series each series at the suite's threshold, in the suite's order
   * @param seriesOptimum each series at its own best threshold, in the suite's order
   */
  public record ProfileResult(NabProfile profile, double threshold, double raw, int windows, double nullScore,
                              double perfectScore, double normalized, List<SeriesScore> series,
                              List<SeriesOptimum> seriesOptimum) {
    public ProfileResult {
      series = List.copyOf(series);
      seriesOptimum = List.copyOf(seriesOptimum);
    }
  }

  /** Every profile of {@link NabProfile#ALL} on the suite, in that order. */
  public static List<ProfileResult> evaluate(List<Scored> suite) {
    List<ProfileResult> out = new ArrayList<>();
    for (NabProfile p : NabProfile.ALL) {
      out.add(evaluate(suite, p));
    }
    return out;
  }

  /** One profile on the suite. */
  public static ProfileResult evaluate(List<Scored> suite, NabProfile profile) {
    double threshold = NabScorer.optimize(suite, profile).threshold();
    List<SeriesScore> series = new ArrayList<>();
    List<SeriesOptimum> own = new ArrayList<>();
    double raw = 0;
    int windows = 0;
    for (Scored s : suite) {
      SeriesScore at = NabScorer.scoreAt(s, profile, threshold);
      series.add(at);
      raw += at.raw();
      windows += at.windows();
      Optimum o = NabScorer.optimize(List.of(s), profile);
      double ownRaw = NabScorer.scoreAt(s, profile, o.threshold()).raw();
      own.add(new SeriesOptimum(o.threshold(), ownRaw, NabScorer.normalized(ownRaw, at.windows(), profile)));
    }
    return new ProfileResult(profile, threshold, raw, windows, NabScorer.nullScore(windows, profile),
        NabScorer.perfectScore(windows, profile), NabScorer.normalized(raw, windows, profile), series, own);
  }
}
