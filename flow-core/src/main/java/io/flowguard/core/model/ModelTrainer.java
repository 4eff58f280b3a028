package io.flowguard.core.model;

import io.flowguard.core.data.Dataset;
import io.flowguard.core.data.Shuffle;
import io.flowguard.core.flow.Flow;
import io.flowguard.core.flow.FlowFactory;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.train.Trainer;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingListener;
import io.flowguard.core.train.TrainingResult;
import java.util.SplittableRandom;

/**
 * The whole path from a table of normal events to a {@link FlowModel}: hold out a calibration split,
 * fit the preprocessor on the rest, train the flow (with its own validation split for early stopping),
 * then calibrate on the held-out rows, which training never saw. The same seed and data give the same
 * model, bit for bit (only the provenance timestamp differs).
 */
public final class ModelTrainer {

  /**
   * @param spec the architecture; its {@code dim} is replaced by the preprocessed dimension, so a spec may
   *     be written without one
   * @param calibrationFraction fraction of rows held out for calibration (at least {@link Calibration#MIN_VALIDATION})
   */
  public record Options(String name, int version, FlowSpec spec, TrainingConfig training, double calibrationFraction) {
    public Options {
      if (!(calibrationFraction > 0 && calibrationFraction < 1)) {
        throw new IllegalArgumentException("calibration fraction must be in (0, 1), got " + calibrationFraction);
      }
    }
  }

  /** A trained model and how its training went. */
  public record Trained(FlowModel model, TrainingResult training) {}

  private ModelTrainer() {}

  public static Trained train(Dataset data, Options options, TrainingListener listener) {
    int n = data.rows();
    int d = data.dim();
    int nCal = Math.max(Calibration.MIN_VALIDATION, (int) Math.round(n * options.calibrationFraction()));
    if (n - nCal < 2 * Calibration.MIN_VALIDATION) {
      throw new IllegalArgumentException(data.source() + ": " + n + " rows are too few to train and calibrate a model;"
          + " provide at least " + (nCal + 2 * Calibration.MIN_VALIDATION) + " rows of normal events");
    }
    int[] order = Shuffle.permutation(n, new SplittableRandom(options.training().seed() ^ 0x9E3779B97F4A7C15L));
    int[] calRows = java.util.Arrays.copyOfRange(order, 0, nCal);
    int[] fitRows = java.util.Arrays.copyOfRange(order, nCal, n);
    java.util.Arrays.sort(calRows);
    java.util.Arrays.sort(fitRows);
    Dataset fit = data.rows(fitRows);
    Dataset cal = data.rows(calRows);

    Preprocessor pre = Preprocessor.fit(data.columns(), fit.values(), fit.rows());
    if (pre.dim() == 0) {
      throw new IllegalArgumentException(data.source() + ": every column is constant; there is nothing to model");
    }
    FlowSpec spec = withDim(options.spec(), pre.dim());
    Flow flow = FlowFactory.create(spec, options.training().seed());
    double[] x = pre.apply(fit.values(), fit.rows());
    TrainingResult result = new Trainer(options.training(), listener).fit(flow, x, fit.rows(), true);

    double[] calNll = new double[cal.rows()];
    double[] lp = flow.logProb(pre.apply(cal.values(), cal.rows()), cal.rows());
    double logJac = pre.logJacobian();
    for (int i = 0; i < calNll.length; i++) {
      calNll[i] = -(lp[i] + logJac);
    }
    Calibration calibration = Calibration.fit(calNll, options.training().seed());
    Provenance provenance = Provenance.create(spec, options.training(),
        Provenance.fingerprint(data.columns(), data.values(), n), n, Provenance.TrainingMetrics.of(result));
    FlowModel model = new FlowModel(options.name(), options.version(), pre, flow, calibration, provenance);
    return new Trained(model, result);
  }

  /** The spec with its dimension set to {@code dim}. */
  public static FlowSpec withDim(FlowSpec spec, int dim) {
    return new FlowSpec(spec.family(), dim, spec.layers(), spec.hidden(), spec.activation(), spec.scaleBound(),
        spec.bins(), spec.splineBound(), spec.actNorm(), spec.mixing(), spec.base(), spec.structureSeed());
  }

  /**
   * The default architecture when none is given: a MAF (density in one pass, works from d = 1) of 5
   * layers with reversed orderings, hidden width scaled with the dimension, ReLU, standard-normal base.
   */
  public static FlowSpec defaultSpec(int dim) {
    int width = Math.max(64, Math.min(256, 8 * dim));
    return FlowSpec.of(FlowSpec.MAF, dim).withLayers(5).withHidden(width, width);
  }
}
