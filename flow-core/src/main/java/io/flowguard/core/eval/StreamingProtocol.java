package io.flowguard.core.eval;

import io.flowguard.core.data.DataFormatException;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.eval.baseline.BaselineFitter;
import io.flowguard.core.eval.nab.AnomalyScores;
import io.flowguard.core.model.ModelTrainer;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The streaming-series protocol of {@code PROTOCOL.md} for NAB-style series ({@code timestamp,value,label}).
 *
 * <p>TRAIN is the first {@code floor(0.15 n)} points (NAB's probationary period); the rest is TEST, scored
 * in order. Values are standardized with the TRAIN mean and (population) standard deviation, floored at
 * {@link Standardization#MIN_STD}. The feature vector at point {@code t} is the last {@link #WINDOW} = 8
 * standardized values {@code z[t-7..t]} followed by their 7 first differences
 * {@code z[t-6]-z[t-7], ..., z[t]-z[t-1]}, so {@code d = 15}.
 *
 * <p>The first {@code w - 1} points have no full window. They lie inside TRAIN (TRAIN must hold at least
 * {@link #MIN_TRAIN_WINDOWS} full windows), so they are not scored and contribute no training vector; they
 * only serve as history for the windows that follow. Every TEST point has a full window, reaching back
 * into TRAIN values where needed, exactly as a running stream would see it. The score is the NLL of the
 * feature vector; AUROC and AP are of the per-point score against the per-point label over TEST.
 *
 * <p>The differences are linear in the values, so the 15 features span only an 8-dimensional subspace:
 * any full-covariance density on them is degenerate (the KDE adds a ridge, the mixture its
 * {@code reg_covar}, a flow sees 7 exactly dependent inputs). Test NLLs on series are therefore not
 * comparable with tabular ones; rankings are.
 */
public final class StreamingProtocol {

  /** Window length {@code w}. */
  public static final int WINDOW = 8;
  /** Share of the series used for training (NAB's probationary period). */
  public static final double TRAIN_FRACTION = 0.15;
  /** Feature dimension: {@code w} values and {@code w - 1} differences. */
  public static final int DIM = 2 * WINDOW - 1;
  /**
   * Fewest full TRAIN windows accepted: the least any density estimate needs. Each method may need more
   * and says so (the flow's trainer asks for a few dozen rows).
   */
  public static final int MIN_TRAIN_WINDOWS = 2;
  /** The header of a series file. */
  public static final List<String> HEADER = List.of("timestamp", "value", "label");

  /**
   * A labelled series.
   *
   * @param source where it came from, for messages
   * @param values the values in time order
   * @param labels 0/1 per point (1 = inside a labelled anomaly window)
   * @param timestamps each point's timestamp as the file writes it (the protocol itself only uses the order;
   *     the NAB score and time-aware detectors read them)
   */
  public record Series(String source, double[] values, int[] labels, List<String> timestamps) {
    public Series {
      if (values.length != labels.length || values.length != timestamps.size()) {
        throw new IllegalArgumentException(values.length + " values but " + labels.length + " labels and "
            + timestamps.size() + " timestamps");
      }
      timestamps = List.copyOf(timestamps);
    }

    /** A series without timestamps: each point's timestamp is its index ("0", "1", ...). */
    public Series(String source, double[] values, int[] labels) {
      this(source, values, labels, java.util.stream.IntStream.range(0, values.length).mapToObj(Integer::toString)
          .toList());
    }

    public int length() {
      return values.length;
    }
  }

  /**
   * The protocol's feature vectors of one series.
   *
   * @param train one row per full TRAIN window (points {@code w-1 .. trainPoints-1})
   * @param test one row per TEST point, in time order
   * @param testLabels the labels of the TEST points
   * @param trainPoints the length of TRAIN, {@code floor(0.15 n)}
   * @param standardization the TRAIN mean and std of the values (one column)
   */
  public record Features(Dataset train, Dataset test, int[] testLabels, int trainPoints,
                         Standardization standardization) {}

  private StreamingProtocol() {}

  /** The feature column names: {@code z[t-7] .. z[t]}, then {@code dz[t-6] .. dz[t]}. */
  public static List<String> featureNames() {
    List<String> names = new ArrayList<>();
    for (int lag = WINDOW - 1; lag >= 0; lag--) {
      names.add(lag == 0 ? "z[t]" : "z[t-" + lag + "]");
    }
    for (int lag = WINDOW - 2; lag >= 0; lag--) {
      names.add(lag == 0 ? "dz[t]" : "dz[t-" + lag + "]");
    }
    return names;
  }

  /**
   * Builds TRAIN and TEST features.
   *
   * @throws DataFormatException if TRAIN holds fewer than {@link #MIN_TRAIN_WINDOWS} full windows or TEST is empty
   */
  public static Features features(Series s) {
    int n = s.length();
    int nTrain = trainPoints(n);
    int trainWindows = nTrain - WINDOW + 1;
    if (trainWindows < MIN_TRAIN_WINDOWS || nTrain >= n) {
      throw new DataFormatException(s.source() + ": " + n + " points give " + Math.max(0, trainWindows)
          + " full training windows of " + WINDOW + " in the first 15 %; the streaming protocol needs at least "
          + MIN_TRAIN_WINDOWS + " (a series of at least " + (int) Math.ceil((MIN_TRAIN_WINDOWS + WINDOW - 1) / TRAIN_FRACTION)
          + " points)");
    }
    Standardization z = Standardization.fit(java.util.Arrays.copyOf(s.values(), nTrain), nTrain, 1);
    double[] std = z.apply(s.values());
    List<String> names = featureNames();
    double[] train = new double[trainWindows * DIM];
    for (int t = WINDOW - 1, r = 0; t < nTrain; t++, r++) {
      window(std, t, train, r * DIM);
    }
    int nTest = n - nTrain;
    double[] test = new double[nTest * DIM];
    int[] labels = new int[nTest];
    for (int t = nTrain, r = 0; t < n; t++, r++) {
      window(std, t, test, r * DIM);
      labels[r] = s.labels()[t];
    }
    return new Features(new Dataset(s.source() + " (train windows)", names, train, trainWindows),
        new Dataset(s.source() + " (test windows)", names, test, nTest), labels, nTrain, z);
  }

  /** The feature vector of point {@code t} (needs {@code t >= w - 1}). */
  static void window(double[] z, int t, double[] out, int off) {
    for (int i = 0; i < WINDOW; i++) {
      out[off + i] = z[t - WINDOW + 1 + i];
    }
    for (int i = 0; i < WINDOW - 1; i++) {
      out[off + WINDOW + i] = out[off + i + 1] - out[off + i];
    }
  }

  /** {@code floor(0.15 n)}, in integer arithmetic so that no rounding of 0.15 moves the boundary. */
  public static int trainPoints(int n) {
    return (int) (n * 15L / 100);
  }

  /** Anomalies among the TEST points. */
  public static int testAnomalies(Features f) {
    int a = 0;
    for (int l : f.testLabels()) {
      a += l;
    }
    return a;
  }

  /**
   * The flow through the product path: {@code ModelTrainer} on TRAIN windows, {@code Scorer} on TEST in
   * order. Besides the protocol's figures it returns the NAB anomaly scores of the TEST points: the
   * calibrated tail probabilities, mapped by {@link AnomalyScores#ofTailProbabilities} (comparable across
   * series, as NAB's single corpus threshold needs). AUROC and AP are NaN when TEST holds one class only.
   */
  public static Evaluation.SeedOutcome run(Features f, long seed, Function<Dataset, ModelTrainer.Options> options) {
    TabularProtocol.FlowRun r = TabularProtocol.FlowRun.of(f.train(), f.test(), options.apply(f.train()));
    int[] labels = f.testLabels();
    double normalNll = 0;
    int normals = 0;
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] == 0) {
        normalNll += r.nll()[i];
        normals++;
      }
    }
    boolean ranked = Metrics.bothClasses(labels);
    // The Scorer's NLL is of the model's raw input, which here is already the protocol's feature space.
    TabularProtocol.SeedResult result = new TabularProtocol.SeedResult(seed,
        ranked ? Metrics.auroc(r.nll(), labels) : Double.NaN,
        ranked ? Metrics.averagePrecision(r.nll(), labels) : Double.NaN,
        normalNll / Math.max(1, normals), r.fitSeconds(), labels.length / Math.max(r.scoreSeconds(), 1e-9),
        f.train().rows(), labels.length, testAnomalies(f));
    return new Evaluation.SeedOutcome(result, Map.of(),
        Optional.of(AnomalyScores.ofTailProbabilities(f.trainPoints(), r.tailProbability())));
  }

  /** A classical baseline fitted on the TRAIN windows and scored on the TEST points (features as they are). */
  public static TabularProtocol.BaselineRun runBaseline(Features f, long seed, BaselineFitter fitter) {
    return TabularProtocol.BaselineRun.of(seed, fitter, f.train().values(), f.train().rows(), f.test().values(),
        f.testLabels(), DIM);
  }

  /** Whether a CSV header is a series header ({@code timestamp,value,label}, case-insensitive). */
  public static boolean isSeriesHeader(List<String> columns) {
    if (columns.size() != HEADER.size()) {
      return false;
    }
    for (int i = 0; i < HEADER.size(); i++) {
      if (!columns.get(i).trim().equalsIgnoreCase(HEADER.get(i))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Reads a {@code timestamp,value,label} CSV. Timestamps are kept as text, unparsed; the protocol's order
   * is the file's order.
   *
   * @throws DataFormatException naming the line for a bad header, a wrong field count, a non-finite value
   *     or a label other than 0/1
   */
  public static Series read(Path file) throws IOException {
    String src = file.toString();
    BufferedReader in;
    try {
      in = Files.newBufferedReader(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(src, null, "no such file; check the path");
    }
    try (in) {
      String header = in.readLine();
      if (header == null) {
        throw new DataFormatException(src + ": the file is empty; expected the header timestamp,value,label");
      }
      List<String> cols = List.of(header.replace("\uFEFF", "").split(",", -1));
      if (!isSeriesHeader(cols)) {
        throw new DataFormatException(src + " line 1: header '" + header + "' is not timestamp,value,label");
      }
      List<double[]> rows = new ArrayList<>();
      List<String> timestamps = new ArrayList<>();
      String line;
      int lineNo = 1;
      while ((line = in.readLine()) != null) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        String[] f = line.split(",", -1);
        if (f.length != 3) {
          throw new DataFormatException(src + " line " + lineNo + ": " + f.length + " fields, expected 3 (timestamp,value,label)");
        }
        double v = number(f[1], src, lineNo, "value");
        double l = number(f[2], src, lineNo, "label");
        if (l != 0 && l != 1) {
          throw new DataFormatException(src + " line " + lineNo + ": label " + f[2].trim()
              + "; labels must be 0 (normal) or 1 (anomaly)");
        }
        rows.add(new double[] {v, l});
        timestamps.add(f[0].trim());
      }
      if (rows.isEmpty()) {
        throw new DataFormatException(src + ": no data rows after the header");
      }
      double[] values = new double[rows.size()];
      int[] labels = new int[rows.size()];
      for (int i = 0; i < values.length; i++) {
        values[i] = rows.get(i)[0];
        labels[i] = (int) rows.get(i)[1];
      }
      return new Series(src, values, labels, timestamps);
    } catch (CharacterCodingException e) {
      throw DataFormatException.notUtf8(src);
    }
  }

  private static double number(String field, String src, int lineNo, String column) {
    String s = field.trim();
    double v;
    try {
      v = Double.parseDouble(s);
    } catch (NumberFormatException e) {
      throw new DataFormatException(src + " line " + lineNo + ", column '" + column + "': '" + s + "' is not a number");
    }
    if (!Double.isFinite(v)) {
      throw new DataFormatException(src + " line " + lineNo + ", column '" + column + "': " + s + " is not finite");
    }
    return v;
  }
}
