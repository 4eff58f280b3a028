package io.flowguard.core.eval;

import io.flowguard.core.context.ContextSpec;
import io.flowguard.core.context.EventTimes;
import io.flowguard.core.data.DataFormatException;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.eval.nab.AnomalyScores;
import io.flowguard.core.model.ModelTrainer;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The time-aware flow as {@code evaluate}'s series detectors ({@link TimeAwareSeries}): each point's density
 * given the series' previous k points (and, with time features, the time of day and week), trained on the
 * protocol's TRAIN points and then run over the series in order, frozen or refreshed as the stream goes.
 *
 * <p>Two scores of one run, as two methods:
 * <ul>
 *   <li>{@code flow-context}: the point's NLL given its past (AUROC, AP) and its calibrated tail probability
 *       (the NAB score), exactly what the Flink job computes for each event;</li>
 *   <li>{@code flow-context-likelihood}: the same NLLs turned into NAB's <em>anomaly likelihood</em>
 *       (Ahmad et al., Neurocomputing 2017, section 4.2): the mean NLL of the last
 *       {@link #SHORT_WINDOW} points against a Gaussian of the NLLs of the last {@link #LONG_WINDOW}, so a
 *       point is judged against the series' own recent surprise. A level shift after TRAIN (which leaves
 *       every later point improbable under the frozen calibration) then alarms while it is new and stops
 *       once it is the recent normal: the scores of different series become comparable, which NAB's single
 *       corpus threshold needs.</li>
 * </ul>
 */
public final class TimeAwareDetector {

  /** Method name: the time-aware flow's own scores. */
  public static final String FLOW_CONTEXT = "flow-context";
  /** Method name: the time-aware flow's NLLs as NAB's anomaly likelihood. */
  public static final String FLOW_CONTEXT_LIKELIHOOD = "flow-context-likelihood";
  /** Points averaged for the anomaly likelihood's short-term surprise (NAB's HTM detector: 10). */
  public static final int SHORT_WINDOW = 10;
  /** Points of the anomaly likelihood's reference distribution (NAB's HTM detector: 8640, a month of 5-min points). */
  public static final int LONG_WINDOW = 8640;

  /**
   * @param window k, the previous points in each point's context
   * @param timeFeatures whether the context has the time of day and week
   * @param refresh whether the model is retrained as the stream goes (every TRAIN-length points, on the points
   *     it did not flag)
   */
  public record Settings(int window, boolean timeFeatures, boolean refresh) {
    public static final Settings DEFAULT = new Settings(16, false, false);

    ContextSpec context() {
      return ContextSpec.ofWindow(window).withTimeFeatures(timeFeatures);
    }
  }

  /** One run's two outcomes, keyed by method name. */
  public record Outcomes(Evaluation.SeedOutcome scores, Evaluation.SeedOutcome likelihood) {
    public Evaluation.SeedOutcome of(String method) {
      return method.equals(FLOW_CONTEXT_LIKELIHOOD) ? likelihood : scores;
    }
  }

  private TimeAwareDetector() {}

  /** Trains and runs the time-aware flow on a series (the protocol's TRAIN = the first 15 %). */
  public static Outcomes run(StreamingProtocol.Series series, long seed, Settings settings,
                             Function<Dataset, ModelTrainer.Options> options) {
    return run(series.source(), java.util.List.of("value"), series.values(), times(series), series.labels(), seed,
        settings, options);
  }

  /** The same on a multivariate series (each point's sensors given the previous k points' sensors). */
  public static Outcomes run(MultivariateSeries series, long seed, Settings settings,
                             Function<Dataset, ModelTrainer.Options> options) {
    return run(series.source(), series.features().columns(), series.features().values(), series.times(),
        series.labels(), seed, settings, options);
  }

  private static Outcomes run(String source, java.util.List<String> columns, double[] values, long[] times,
                              int[] allLabels, long seed, Settings settings,
                              Function<Dataset, ModelTrainer.Options> options) {
    int n = allLabels.length;
    int train = StreamingProtocol.trainPoints(n);
    if (train < 2 * settings.window() || train >= n) {
      throw new DataFormatException(source + ": " + n + " points leave " + train + " for training; the"
          + " time-aware flow needs at least " + 2 * settings.window() + " (twice its window of " + settings.window()
          + ") and some points after them");
    }
    TimeAwareSeries.Run run = TimeAwareSeries.run(columns, values, times, train, new TimeAwareSeries.Settings(
        settings.context(), settings.refresh() ? train : 0, TabularProtocol.FlowRun.FALSE_ALARM_RATE), options);
    int[] labels = java.util.Arrays.copyOfRange(allLabels, train, n);
    double[] nll = java.util.Arrays.copyOfRange(run.nll(), train, n);
    double[] tail = java.util.Arrays.copyOfRange(run.tailProbability(), train, n);
    double[] z = likelihoodZ(run.nll(), train);
    double[] zTest = java.util.Arrays.copyOfRange(z, train, n);
    double[] pLikelihood = new double[n - train];
    for (int i = 0; i < pLikelihood.length; i++) {
      pLikelihood[i] = Math.max(1e-300, gaussianTail(zTest[i]));
    }
    double scoreRate = (n - train) / Math.max(run.scoreSeconds(), 1e-9);
    Evaluation.SeedOutcome scores = new Evaluation.SeedOutcome(result(seed, nll, labels, nll, run, scoreRate),
        Map.of("context", settings.context().describe(), "refreshes", run.refreshes()),
        Optional.of(AnomalyScores.ofTailProbabilities(train, tail)));
    Evaluation.SeedOutcome likelihood = new Evaluation.SeedOutcome(result(seed, zTest, labels, nll, run, scoreRate),
        Map.of("context", settings.context().describe(), "refreshes", run.refreshes(),
            "likelihood", "short " + SHORT_WINDOW + ", long " + LONG_WINDOW),
        Optional.of(AnomalyScores.ofTailProbabilities(train, pLikelihood)));
    return new Outcomes(scores, likelihood);
  }

  private static TabularProtocol.SeedResult result(long seed, double[] score, int[] labels, double[] nll,
                                                   TimeAwareSeries.Run run, double scoreRate) {
    boolean ranked = Metrics.bothClasses(labels);
    double normalNll = 0;
    int normals = 0;
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] == 0 && Double.isFinite(nll[i])) {
        normalNll += nll[i];
        normals++;
      }
    }
    return new TabularProtocol.SeedResult(seed, ranked ? Metrics.auroc(score, labels) : Double.NaN,
        ranked ? Metrics.averagePrecision(score, labels) : Double.NaN, normalNll / Math.max(1, normals),
        run.fitSeconds(), scoreRate, run.trainRows(), labels.length, (int) java.util.Arrays.stream(labels).sum());
  }

  /**
   * NAB's anomaly likelihood as a z-score per point t: (mean of the last {@link #SHORT_WINDOW} NLLs up to t -
   * mean of the last {@link #LONG_WINDOW} up to t) / the standard deviation of the latter (the reference
   * includes the current points, as in NAB's detector). Points before {@code from} get 0; a non-finite NLL
   * counts as the largest finite one.
   */
  static double[] likelihoodZ(double[] nll, int from) {
    int n = nll.length;
    double[] x = new double[n];
    double max = 0;
    for (double v : nll) {
      if (Double.isFinite(v)) {
        max = Math.max(max, v);
      }
    }
    for (int i = 0; i < n; i++) {
      x[i] = Double.isFinite(nll[i]) ? nll[i] : max;
    }
    double[] prefix = new double[n + 1];
    double[] prefix2 = new double[n + 1];
    for (int i = 0; i < n; i++) {
      prefix[i + 1] = prefix[i] + x[i];
      prefix2[i + 1] = prefix2[i] + x[i] * x[i];
    }
    double[] z = new double[n];
    for (int t = from; t < n; t++) {
      int lo = Math.max(0, t + 1 - LONG_WINDOW);
      int m = t + 1 - lo;
      double mean = (prefix[t + 1] - prefix[lo]) / m;
      double var = Math.max((prefix2[t + 1] - prefix2[lo]) / m - mean * mean, 0.0);
      double sd = Math.max(Math.sqrt(var), 1e-6);
      int s0 = Math.max(0, t + 1 - SHORT_WINDOW);
      double shortMean = (prefix[t + 1] - prefix[s0]) / (t + 1 - s0);
      z[t] = (shortMean - mean) / sd;
    }
    return z;
  }

  /** P(Z > z) for a standard normal Z. */
  static double gaussianTail(double z) {
    return 0.5 * erfc(z / Math.sqrt(2));
  }

  /** erfc with relative error below 1.2e-7 (Numerical Recipes' Chebyshev fit), accurate far into the tail. */
  private static double erfc(double x) {
    double t = 1.0 / (1.0 + 0.5 * Math.abs(x));
    double y = t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
        + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
        + t * (-0.82215223 + t * 0.17087277)))))))));
    return x >= 0 ? y : 2 - y;
  }

  /** The series' timestamps as epoch milliseconds (an unparseable one is an error naming the point). */
  static long[] times(StreamingProtocol.Series series) {
    long[] t = new long[series.length()];
    for (int i = 0; i < t.length; i++) {
      String text = series.timestamps().get(i);
      int at = i;
      t[i] = EventTimes.parse(text).orElseThrow(() -> new DataFormatException(series.source() + " point " + (at + 1)
          + ": timestamp '" + text + "' is not an event time; the time-aware flow needs epoch milliseconds, ISO-8601"
          + " or 'yyyy-MM-dd HH:mm:ss'"));
    }
    return t;
  }
}
