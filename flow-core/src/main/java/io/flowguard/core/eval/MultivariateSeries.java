package io.flowguard.core.eval;

import io.flowguard.core.context.EventTimes;
import io.flowguard.core.data.DataFormatException;
import io.flowguard.core.data.DataReader;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.data.Table;
import io.flowguard.core.eval.baseline.BaselineFitter;
import io.flowguard.core.model.ModelTrainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The streaming protocol carried over to multivariate series (SKAB: a time column, 8 sensors, a label):
 * TRAIN is the first {@code floor(0.15 n)} rows in time order, TEST the rest, scored in order; AUROC and AP
 * of each method's per-row score over TEST. The context-free flow and the baselines see each row alone
 * (its sensors as a feature vector, standardized by the TRAIN rows' statistics inside the model); the
 * time-aware flow ({@link TimeAwareDetector}) sees each row given the previous k rows.
 *
 * <p>A file qualifies when its first column holds event times ({@link EventTimes}: epoch milliseconds,
 * ISO-8601 or {@code yyyy-MM-dd HH:mm:ss}), its last the 0/1 label and every other column numbers.
 *
 * @param source the file, for messages
 * @param features the sensor columns, one row per point, in time order
 * @param times epoch milliseconds per row
 * @param labels 0/1 per row
 */
public record MultivariateSeries(String source, Dataset features, long[] times, int[] labels) {

  /** Reads a multivariate series whose first column is the time and whose label column is {@code labelColumn}. */
  public static MultivariateSeries read(Path file, String timeColumn, String labelColumn) throws IOException {
    Table t = DataReader.read(file, c -> !c.equals(timeColumn));
    Dataset all = t.features();
    int timeAt = t.carriedColumns().indexOf(timeColumn);
    long[] times = new long[t.rows()];
    for (int r = 0; r < times.length; r++) {
      String text = t.carried(r, timeAt).text();
      int row = r;
      times[r] = EventTimes.parse(text).orElseThrow(() -> new DataFormatException(file + " row " + (row + 1)
          + ", column '" + timeColumn + "': '" + text + "' is not an event time"));
    }
    double[] values = all.column(labelColumn);
    int[] labels = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      if (values[i] != 0.0 && values[i] != 1.0) {
        throw new DataFormatException(file + " data row " + (i + 1) + ": label column '" + labelColumn + "' is "
            + values[i] + "; labels must be 0 (normal) or 1 (anomaly)");
      }
      labels[i] = (int) values[i];
    }
    return new MultivariateSeries(file.toString(), all.without(labelColumn), times, labels);
  }

  /** Whether a header names a time column first and the label last (the values are checked on reading). */
  public static boolean isCandidate(List<String> columns, String firstValue, String labelColumn) {
    return columns.size() >= 3 && columns.get(columns.size() - 1).trim().equals(labelColumn)
        && EventTimes.parse(firstValue).isPresent();
  }

  public int rows() {
    return features.rows();
  }

  /** {@code floor(0.15 n)}, as the univariate protocol. */
  public int trainRows() {
    return StreamingProtocol.trainPoints(rows());
  }

  private Dataset part(int from, int to, String what) {
    int d = features.dim();
    return new Dataset(source + " (" + what + ")", features.columns(),
        Arrays.copyOfRange(features.values(), from * d, to * d), to - from);
  }

  /** TRAIN rows (may hold anomalies: the protocol does not look at the labels to choose them). */
  public Dataset train() {
    return part(0, trainRows(), "train");
  }

  public Dataset test() {
    return part(trainRows(), rows(), "test");
  }

  public int[] testLabels() {
    return Arrays.copyOfRange(labels, trainRows(), rows());
  }

  /** The context-free flow: trained on TRAIN, each TEST row scored alone. */
  public Evaluation.SeedOutcome runFlow(long seed, Function<Dataset, ModelTrainer.Options> options) {
    TabularProtocol.FlowRun r = TabularProtocol.FlowRun.of(train(), test(), options.apply(train()));
    int[] labels = testLabels();
    boolean ranked = Metrics.bothClasses(labels);
    double normal = 0;
    int normals = 0;
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] == 0 && Double.isFinite(r.nll()[i])) {
        normal += r.nll()[i];
        normals++;
      }
    }
    TabularProtocol.SeedResult result = new TabularProtocol.SeedResult(seed,
        ranked ? Metrics.auroc(r.nll(), labels) : Double.NaN, ranked ? Metrics.averagePrecision(r.nll(), labels)
        : Double.NaN, normal / Math.max(1, normals), r.fitSeconds(), labels.length / Math.max(r.scoreSeconds(), 1e-9),
        trainRows(), labels.length, Arrays.stream(labels).sum());
    return new Evaluation.SeedOutcome(result, Map.of(), Optional.empty());
  }

  /** A baseline fitted on TRAIN, each TEST row scored alone. */
  public Evaluation.SeedOutcome runBaseline(long seed, BaselineFitter fitter) {
    return Evaluation.SeedOutcome.of(TabularProtocol.BaselineRun.of(seed, fitter, train().values(), trainRows(),
        test().values(), testLabels(), features.dim()));
  }
}
