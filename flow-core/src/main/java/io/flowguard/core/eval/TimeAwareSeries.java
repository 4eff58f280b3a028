package io.flowguard.core.eval;

import io.flowguard.core.context.ContextSpec;
import io.flowguard.core.context.EventSequence;
import io.flowguard.core.context.KeyHistory;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelTrainer;
import io.flowguard.core.score.Scorer;
import io.flowguard.core.train.TrainingListener;
import java.util.List;
import java.util.function.Function;

/**
 * The time-aware flow on one series, as the Flink job would run it: a conditional flow of each value given
 * the previous k values (and, optionally, the time of day and week) trained on TRAIN, then every point scored
 * in order with the series' history, {@code log p(x_t | x_{t-k..t-1}, time)}.
 *
 * <p><b>Learning as the stream goes</b> ({@link Settings#refreshEvery} &gt; 0): every R points after TRAIN
 * the model is retrained, as the job's periodic refresh would, on every point seen so far that it admits: the
 * points whose calibrated tail probability was at least {@link Settings#admissionRate} when they were scored
 * (what the job's retraining admits: events it did not flag). Flagged points stay in the history their
 * successors are conditioned on, but are never fitted. The refreshed model continues with the same history
 * (it holds raw values), and its scores are those of the newest model at each point. Frozen ({@code R = 0}),
 * the TRAIN model scores everything.
 */
public final class TimeAwareSeries {

  /**
   * @param context how each value is conditioned on the series' past
   * @param refreshEvery retrain every this many points after TRAIN; 0: the TRAIN model scores everything
   * @param admissionRate points scored with a tail probability below this are left out of retraining
   */
  public record Settings(ContextSpec context, int refreshEvery, double admissionRate) {
    public Settings {
      if (refreshEvery < 0) {
        throw new IllegalArgumentException("refreshEvery must be 0 (frozen) or positive, got " + refreshEvery);
      }
      if (!(admissionRate > 0 && admissionRate < 1)) {
        throw new IllegalArgumentException("the admission rate must be in (0, 1), got " + admissionRate);
      }
    }
  }

  /**
   * Per-point scores of one run.
   *
   * @param nll the NLL of every point given its past (TRAIN points included: in-sample)
   * @param tailProbability the calibrated tail probability of every point
   * @param fitSeconds wall time of all training
   * @param scoreSeconds wall time of scoring
   * @param refreshes how many times the model was retrained after TRAIN
   * @param trainRows rows the TRAIN model was fitted and calibrated on
   */
  public record Run(double[] nll, double[] tailProbability, double fitSeconds, double scoreSeconds, int refreshes,
                    int trainRows) {}

  private TimeAwareSeries() {}

  /**
   * Trains on the first {@code trainPoints} values and scores the whole series in order.
   *
   * @param times epoch milliseconds per point, strictly increasing
   * @param options the trainer's options for a table of training values (the product's default: {@code
   *     ModelTrainer.Options.automatic})
   */
  public static Run run(double[] values, long[] times, int trainPoints, Settings settings,
                        Function<Dataset, ModelTrainer.Options> options) {
    return run(List.of("value"), values, times, trainPoints, settings, options);
  }

  /**
   * A multivariate series: {@code values} row-major {@code n x columns.size()}, one row per point, the same
   * protocol.
   */
  public static Run run(List<String> columns, double[] values, long[] times, int trainPoints, Settings settings,
                        Function<Dataset, ModelTrainer.Options> options) {
    int d = columns.size();
    int n = values.length / d;
    long t0 = System.nanoTime();
    FlowModel model = train(columns, values, times, trainPoints, settings, options, i -> true);
    double fit = (System.nanoTime() - t0) / 1e9;
    double[] nll = new double[n];
    double[] tail = new double[n];
    Scorer scorer = new Scorer(model, settings.admissionRate());
    KeyHistory history = scorer.newHistory();
    Scorer.Score s = new Scorer.Score();
    int refreshes = 0;
    double scoring = 0;
    long start = System.nanoTime();
    for (int t = 0; t < n; t++) {
      if (settings.refreshEvery() > 0 && t > trainPoints && (t - trainPoints) % settings.refreshEvery() == 0) {
        scoring += (System.nanoTime() - start) / 1e9;
        long r0 = System.nanoTime();
        int seen = t;
        double[] tailSoFar = tail;
        model = train(columns, values, times, seen, settings, options,
            i -> i < trainPoints || tailSoFar[i] >= settings.admissionRate());
        fit += (System.nanoTime() - r0) / 1e9;
        scorer = new Scorer(model, settings.admissionRate());
        refreshes++;
        start = System.nanoTime();
      }
      scorer.scoreInContext(values, t * d, d, history, times[t], null, 0, s);
      nll[t] = s.nll;
      tail[t] = s.tailProbability;
    }
    scoring += (System.nanoTime() - start) / 1e9;
    return new Run(nll, tail, fit, scoring, refreshes, trainPoints);
  }

  private static FlowModel train(List<String> columns, double[] values, long[] times, int points, Settings settings,
                                 Function<Dataset, ModelTrainer.Options> options,
                                 java.util.function.IntPredicate admitted) {
    Dataset data = new Dataset("series", columns, java.util.Arrays.copyOf(values, points * columns.size()), points);
    EventSequence seq = EventSequence.series(data, java.util.Arrays.copyOf(times, points));
    return ModelTrainer.trainInContext(seq, settings.context(), options.apply(data), TrainingListener.NONE, admitted)
        .model();
  }
}
