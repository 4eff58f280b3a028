package io.flowguard.core.eval;

import io.flowguard.core.data.Dataset;
import io.flowguard.core.data.Shuffle;
import io.flowguard.core.data.DataFormatException;
import io.flowguard.core.eval.baseline.BaselineFitter;
import io.flowguard.core.eval.baseline.DensityBaseline;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelTrainer;
import io.flowguard.core.score.Scorer;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingListener;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * The tabular novelty-detection protocol of {@code PROTOCOL.md}: per seed, shuffle the normal rows with
 * that seed, train on the first 60 %, test on the remaining 40 % plus every anomaly; the score is the
 * NLL; report AUROC, average precision, the mean NLL of the normal test rows in the standardized space,
 * the fit time and the scoring rate.
 */
public final class TabularProtocol {

  /** Share of the normal rows used for training. */
  public static final double TRAIN_FRACTION = 0.6;

  /** One seed's figures. */
  public record SeedResult(long seed, double auroc, double ap, double testNll, double fitSeconds,
                           double scoreEventsPerSecond, int trainRows, int testRows, int testAnomalies,
                           java.util.Optional<ThresholdReport> thresholds) {
    /** Without a threshold report (baselines have no calibrated tail probabilities). */
    public SeedResult(long seed, double auroc, double ap, double testNll, double fitSeconds,
                      double scoreEventsPerSecond, int trainRows, int testRows, int testAnomalies) {
      this(seed, auroc, ap, testNll, fitSeconds, scoreEventsPerSecond, trainRows, testRows, testAnomalies,
          java.util.Optional.empty());
    }

    public Map<String, Object> toJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      if (seed >= 0) {
        m.put("seed", seed);
      }
      // Undefined on a series with one class in TEST (scored for NAB only): null rather than "NaN".
      m.put("auroc", Suite.finiteOrNull(auroc));
      m.put("ap", Suite.finiteOrNull(ap));
      m.put("test_nll", testNll);
      m.put("fit_seconds", fitSeconds);
      m.put("score_events_per_second", scoreEventsPerSecond);
      m.put("train_rows", trainRows);
      m.put("test_rows", testRows);
      m.put("test_anomalies", testAnomalies);
      thresholds.ifPresent(t -> m.put("thresholds", t.toJson()));
      return m;
    }
  }

  private TabularProtocol() {}

  /** 0/1 labels from a label column, rejecting anything else with the row named. */
  public static int[] labels(double[] values, String source, String column) {
    int[] labels = new int[values.length];
    int anomalies = 0;
    for (int i = 0; i < values.length; i++) {
      if (values[i] != 0.0 && values[i] != 1.0) {
        throw new DataFormatException(source + " data row " + (i + 1) + ": label column '" + column + "' is "
            + values[i] + "; labels must be 0 (normal) or 1 (anomaly)");
      }
      labels[i] = (int) values[i];
      anomalies += labels[i];
    }
    if (anomalies == 0 || anomalies == values.length) {
      throw new DataFormatException(source + ": evaluation needs both normal rows and anomalies in '" + column + "'");
    }
    return labels;
  }

  /**
   * One seed's split of the rows.
   *
   * @param train TRAIN row indices (the first 60 % of the shuffled normal rows)
   * @param test TEST row indices: the remaining normal rows first, then every anomaly
   * @param testLabels the labels of {@code test}, in the same order
   * @param normalTest how many of {@code test} are normal (they come first)
   */
  public record Split(int[] train, int[] test, int[] testLabels, int normalTest) {}

  /** The protocol's split for {@code seed}: shuffle the normal rows with that seed, 60 % TRAIN, the rest TEST. */
  public static Split split(int[] labels, long seed) {
    int n = labels.length;
    int normals = 0;
    for (int l : labels) {
      normals += l == 0 ? 1 : 0;
    }
    int[] normal = new int[normals];
    int[] anomalies = new int[n - normals];
    for (int i = 0, a = 0, b = 0; i < n; i++) {
      if (labels[i] == 0) {
        normal[a++] = i;
      } else {
        anomalies[b++] = i;
      }
    }
    Shuffle.shuffle(normal, new SplittableRandom(seed));
    int nTrain = (int) Math.round(normals * TRAIN_FRACTION);
    int[] train = java.util.Arrays.copyOfRange(normal, 0, nTrain);
    int[] test = new int[normals - nTrain + anomalies.length];
    int[] testLabels = new int[test.length];
    for (int i = nTrain, k = 0; i < normals; i++, k++) {
      test[k] = normal[i];
    }
    for (int i = 0; i < anomalies.length; i++) {
      test[normals - nTrain + i] = anomalies[i];
      testLabels[normals - nTrain + i] = 1;
    }
    return new Split(train, test, testLabels, normals - nTrain);
  }

  /** As {@link #run(Dataset, int[], long, Function)} with a fixed spec and a training config per fit-row count. */
  public static SeedResult run(Dataset features, int[] labels, long seed, FlowSpec spec,
                               IntFunction<TrainingConfig> config, double calibrationFraction) {
    return run(features, labels, seed, train -> new ModelTrainer.Options("evaluate", 1, spec,
        config.apply(ModelTrainer.fitRows(train.rows(), calibrationFraction)), calibrationFraction));
  }

  /**
   * Runs one seed: split, train through the product path ({@link ModelTrainer}) with the options
   * {@code options} gives for the training rows (e.g. {@link ModelTrainer.Options#automatic}), score with
   * a {@link Scorer}.
   */
  public static SeedResult run(Dataset features, int[] labels, long seed, Function<Dataset, ModelTrainer.Options> options) {
    Split split = split(labels, seed);
    int[] train = split.train();
    int[] test = split.test();
    int[] testLabels = split.testLabels();
    int nTrain = train.length;
    int anomalyCount = test.length - split.normalTest();

    Dataset trainSet = features.rows(train);
    FlowRun f = FlowRun.of(trainSet, features.rows(test), options.apply(trainSet));
    double normalNll = 0;
    int nNormalTest = split.normalTest();
    for (int i = 0; i < nNormalTest; i++) {
      normalNll += f.nll()[i];
    }
    // The protocol's unit: NLL in the space standardized with the TRAIN mean and std (floored at 1e-6) of
    // each modelled column, i.e. raw NLL + sum(log std), whatever transform the model applies inside.
    double testNll = normalNll / nNormalTest + standardizationLogScale(trainSet, f.model());
    return new SeedResult(seed, Metrics.auroc(f.nll(), testLabels), Metrics.averagePrecision(f.nll(), testLabels),
        testNll, f.fitSeconds(), test.length / Math.max(f.scoreSeconds(), 1e-9), nTrain, test.length, anomalyCount,
        java.util.Optional.of(ThresholdReport.of(f.tailProbability(), testLabels, FlowRun.FALSE_ALARM_RATE)));
  }

  /**
   * {@code sum(log std)} over the model's kept columns, with the protocol's {@link Standardization} of the
   * TRAIN rows: what turns a raw-space NLL into the standardized-space NLL the protocol reports.
   */
  static double standardizationLogScale(Dataset train, FlowModel model) {
    return standardizationLogScale(train, model.preprocessor().keptFeatures());
  }

  /**
   * The same for the columns {@code kept} (a preprocessor's kept features), for callers that score with a
   * flow of their own (the quality experiments under bench/experiments).
   */
  public static double standardizationLogScale(Dataset train, List<String> kept) {
    int[] columns = train.indicesOf(kept, "the protocol's test NLL");
    Standardization z = Standardization.fit(train.project(columns), train.rows(), columns.length);
    double sum = 0.0;
    for (double sd : z.std()) {
      sum += Math.log(sd);
    }
    return sum;
  }

  /** A flow trained through the product path on TRAIN rows and the NLL of TEST rows, in order. */
  record FlowRun(FlowModel model, double[] nll, double[] tailProbability, double fitSeconds, double scoreSeconds) {

    /** The rate the scorer flags at, and the threshold report's configured rate ({@code flowguard score}'s default). */
    static final double FALSE_ALARM_RATE = 1e-3;

    /** Trains with {@link ModelTrainer} (as {@code flowguard train} does) and scores with a {@link Scorer}. */
    static FlowRun of(Dataset trainSet, Dataset testSet, ModelTrainer.Options options) {
      long t0 = System.nanoTime();
      FlowModel model = ModelTrainer.train(trainSet, options, TrainingListener.NONE).model();
      double fitSeconds = (System.nanoTime() - t0) / 1e9;

      Scorer scorer = new Scorer(model, FALSE_ALARM_RATE);
      int m = testSet.rows();
      double[] nll = new double[m];
      double[] tail = new double[m];
      int batch = 256;
      Scorer.Score[] scores = new Scorer.Score[batch];
      for (int i = 0; i < batch; i++) {
        scores[i] = new Scorer.Score();
      }
      int d = testSet.dim();
      long s0 = System.nanoTime();
      for (int start = 0; start < m; start += batch) {
        int b = Math.min(batch, m - start);
        double[] rows = java.util.Arrays.copyOfRange(testSet.values(), start * d, (start + b) * d);
        scorer.scoreBatch(rows, b, scores);
        for (int i = 0; i < b; i++) {
          nll[start + i] = scores[i].nll;
          tail[start + i] = scores[i].tailProbability;
        }
      }
      return new FlowRun(model, nll, tail, fitSeconds, (System.nanoTime() - s0) / 1e9);
    }
  }

  /**
   * Runs one seed of a classical baseline on the same split as {@link #run}: standardize with the TRAIN
   * statistics ({@link Standardization}), fit on TRAIN, score TEST by {@code -log p} in that space.
   */
  public static BaselineRun runBaseline(Dataset features, int[] labels, long seed, BaselineFitter fitter) {
    Split split = split(labels, seed);
    int d = features.dim();
    double[] trainRaw = features.rows(split.train()).values();
    Standardization z = Standardization.fit(trainRaw, split.train().length, d);
    return BaselineRun.of(seed, fitter, z.apply(trainRaw), split.train().length,
        z.apply(features.rows(split.test()).values()), split.testLabels(), d);
  }

  /** One seed of a baseline: the protocol's figures and what was fitted. */
  public record BaselineRun(SeedResult result, java.util.Map<String, Object> fitted) {

    /**
     * Fits on TRAIN rows and scores TEST rows (in any order), both already in the protocol's space;
     * shared by the tabular and the streaming protocol.
     */
    static BaselineRun of(long seed, BaselineFitter fitter, double[] train, int nTrain, double[] test, int[] testLabels,
                          int d) {
      long t0 = System.nanoTime();
      DensityBaseline model = fitter.fit(train, nTrain, d, seed);
      double fitSeconds = (System.nanoTime() - t0) / 1e9;
      long s0 = System.nanoTime();
      double[] logp = model.logDensity(test, testLabels.length);
      double scoreSeconds = (System.nanoTime() - s0) / 1e9;
      double[] nll = new double[logp.length];
      int anomalies = 0;
      for (int i = 0; i < nll.length; i++) {
        nll[i] = -logp[i];
        anomalies += testLabels[i];
      }
      double normalNll = 0;
      int normalTest = 0;
      for (int i = 0; i < nll.length; i++) {
        if (testLabels[i] == 0) {
          normalNll += nll[i];
          normalTest++;
        }
      }
      // Underflow to log p = -inf is a ranking, not an error: keep it for AUROC and AP, report the NLL as is.
      // A series without anomalies in TEST (scored for NAB only) has no AUROC nor AP: NaN.
      boolean ranked = Metrics.bothClasses(testLabels);
      SeedResult r = new SeedResult(seed, ranked ? Metrics.auroc(nll, testLabels) : Double.NaN,
          ranked ? Metrics.averagePrecision(nll, testLabels) : Double.NaN,
          normalNll / Math.max(1, normalTest), fitSeconds, testLabels.length / Math.max(scoreSeconds, 1e-9), nTrain,
          testLabels.length, anomalies);
      return new BaselineRun(r, model.describe());
    }
  }

  /** The mean of each figure over seeds (seed -1). */
  public static SeedResult mean(List<SeedResult> results) {
    int k = results.size();
    double auroc = 0;
    double ap = 0;
    double nll = 0;
    double fit = 0;
    double eps = 0;
    for (SeedResult r : results) {
      auroc += r.auroc() / k;
      ap += r.ap() / k;
      nll += r.testNll() / k;
      fit += r.fitSeconds() / k;
      eps += r.scoreEventsPerSecond() / k;
    }
    SeedResult first = results.get(0);
    boolean reported = results.stream().allMatch(r -> r.thresholds().isPresent());
    return new SeedResult(-1, auroc, ap, nll, fit, eps, first.trainRows(), first.testRows(), first.testAnomalies(),
        reported ? java.util.Optional.of(ThresholdReport.mean(results.stream().map(r -> r.thresholds().orElseThrow())
            .toList())) : java.util.Optional.empty());
  }
}
