package io.flowguard.core.model;

import io.flowguard.core.context.ContextEncoder;
import io.flowguard.core.context.ContextRows;
import io.flowguard.core.context.ContextSpec;
import io.flowguard.core.context.EventSequence;
import io.flowguard.core.context.RawContexts;
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
   *     be written without one ({@link #automatic} gives the default one)
   * @param calibrationFraction fraction of rows held out for calibration (at least {@link Calibration#MIN_VALIDATION})
   * @param preprocessing which robust preprocessing steps to take (default {@link Preprocessor.Options#robust()})
   */
  public record Options(String name, int version, FlowSpec spec, TrainingConfig training, double calibrationFraction,
                        Preprocessor.Options preprocessing) {
    public Options {
      if (!(calibrationFraction > 0 && calibrationFraction < 1)) {
        throw new IllegalArgumentException("calibration fraction must be in (0, 1), got " + calibrationFraction);
      }
      java.util.Objects.requireNonNull(spec, "spec");
      java.util.Objects.requireNonNull(training, "training");
      java.util.Objects.requireNonNull(preprocessing, "preprocessing");
    }

    /** With the robust preprocessing. */
    public Options(String name, int version, FlowSpec spec, TrainingConfig training, double calibrationFraction) {
      this(name, version, spec, training, calibrationFraction, Preprocessor.Options.robust());
    }

    /** The default model ({@link AutoConfig}) for {@code data}, exactly as {@link #train} will split it. */
    public static Options automatic(String name, int version, Dataset data, long seed, double calibrationFraction) {
      AutoConfig.Choice c = ModelTrainer.automatic(data, calibrationFraction, seed, Preprocessor.Options.robust());
      return new Options(name, version, c.spec(), c.training(), calibrationFraction);
    }
  }

  /** A trained model and how its training went. */
  public record Trained(FlowModel model, TrainingResult training) {}

  private ModelTrainer() {}

  /** The calibration hold-out and the rows the flow is fitted on, both in data order. */
  private record Split(Dataset fit, Dataset calibration) {}

  /** How many of {@code rows} rows the flow is fitted on (the rest calibrate it). */
  public static int fitRows(int rows, double calibrationFraction) {
    return rows - calibrationRows(rows, calibrationFraction);
  }

  /**
   * The rows of {@code data} that {@link #train} fits the flow on with this calibration fraction and
   * seed (the training seed), in data order; the others are its calibration hold-out. For experiments
   * and tools that must fit exactly what {@code train} fits.
   *
   * @throws IllegalArgumentException if {@code data} has too few rows to train and calibrate
   */
  public static Dataset fitted(Dataset data, double calibrationFraction, long seed) {
    return split(data, calibrationFraction, seed).fit();
  }

  private static int calibrationRows(int rows, double calibrationFraction) {
    return Math.max(Calibration.MIN_VALIDATION, (int) Math.round(rows * calibrationFraction));
  }

  private static Split split(Dataset data, double calibrationFraction, long seed) {
    int[][] rows = splitRows(data, calibrationFraction, seed);
    return new Split(data.rows(rows[0]), data.rows(rows[1]));
  }

  /**
   * The default configuration ({@link AutoConfig}) for training on {@code data}: chosen for the rows and
   * modelled columns that {@link #train} will fit with the same calibration fraction and seed.
   */
  public static AutoConfig.Choice automatic(Dataset data, double calibrationFraction, long seed,
                                            Preprocessor.Options preprocessing) {
    Split s = split(data, calibrationFraction, seed);
    Preprocessor pre = Preprocessor.fit(data.columns(), s.fit().values(), s.fit().rows(), preprocessing);
    return AutoConfig.choose(s.fit().rows(), pre.dim(), seed);
  }

  /**
   * Trains and calibrates a model. The provenance records the resolved spec (with its dimension) and the
   * training configuration, so that {@code new Options(name, v, spec, training, ...)} built from them
   * reproduces the run.
   */
  public static Trained train(Dataset data, Options options, TrainingListener listener) {
    int n = data.rows();
    Split s = split(data, options.calibrationFraction(), options.training().seed());
    Dataset fit = s.fit();
    Dataset cal = s.calibration();

    Preprocessor pre = Preprocessor.fit(data.columns(), fit.values(), fit.rows(), options.preprocessing());
    FlowSpec spec = withDim(options.spec(), pre.dim());
    Flow flow = FlowFactory.create(spec, options.training().seed());
    double[] x = pre.apply(fit.values(), fit.rows());
    TrainingResult result = new Trainer(options.training(), listener)
        .fit(flow, x, fit.rows(), true, pre.dequantization());

    double[] calNll = new double[cal.rows()];
    double[] lp = flow.logProb(pre.apply(cal.values(), cal.rows()), cal.rows());
    for (int i = 0; i < calNll.length; i++) {
      calNll[i] = -(lp[i] + pre.logJacobian(cal.values(), i * cal.dim()));
    }
    Calibration calibration = Calibration.fit(calNll, options.training().seed());
    Provenance provenance = Provenance.create(spec, options.training(), options.preprocessing(),
        Provenance.fingerprint(data.columns(), data.values(), n), n, Provenance.TrainingMetrics.of(result));
    FlowModel model = new FlowModel(options.name(), options.version(), pre, flow, calibration, provenance,
        java.util.Optional.of(FeatureStatistics.of(data.values(), n, data.dim())));
    return new Trained(model, result);
  }

  /**
   * Trains and calibrates a time-aware model: the flow is conditional and learns {@code log p(x_t | the key's
   * previous events, time, fields)} as {@code context} defines it. Rows are split into fit and calibration
   * rows exactly as {@link #train} splits them, but every row's context is built from the whole sequence in
   * time order (a calibration row's history may hold fit rows: that is what scoring will see). The preprocessor
   * is fitted on the fit rows, the context of each row is built from its key's raw history through it
   * ({@link ContextRows}, with the warm-up share of shortened histories for training only), and the calibration
   * NLLs are those of full histories, as the job scores.
   *
   * @param sequence the events, per key in strictly increasing time
   * @param options as for {@link #train}; the spec's family must accept the preprocessed dimension (a
   *     univariate series needs an autoregressive family, e.g. maf)
   */
  public static Trained trainInContext(EventSequence sequence, ContextSpec context, Options options,
                                       TrainingListener listener) {
    return trainInContext(sequence, context, options, listener, row -> true);
  }

  /**
   * As {@link #trainInContext(EventSequence, ContextSpec, Options, TrainingListener)}, fitting and calibrating
   * on the {@code admitted} rows only, while every row stays in its key's history: what retraining on a
   * stream does when it leaves out the events it flagged (their successors still saw them as their past).
   */
  public static Trained trainInContext(EventSequence sequence, ContextSpec context, Options options,
                                       TrainingListener listener, java.util.function.IntPredicate admitted) {
    Dataset data = sequence.features();
    int n = data.rows();
    int[] kept = java.util.stream.IntStream.range(0, n).filter(admitted).toArray();
    int[][] split = splitRows(data.rows(kept), options.calibrationFraction(), options.training().seed());
    for (int[] part : split) {
      for (int i = 0; i < part.length; i++) {
        part[i] = kept[part[i]];
      }
    }
    int rawDim = data.dim();
    long seed = options.training().seed();
    return fitInContext(data, split, context, options, listener, (pre, truncate) ->
        ContextRows.build(context, data.values(), rawDim, pre.dim(), pre::apply, sequence, truncate, seed));
  }

  /**
   * Trains and calibrates a time-aware model on rows whose contexts are given raw ({@link RawContexts}, e.g.
   * the rows retraining kept, each with the history it was scored against): the rows are split into fit and
   * calibration rows as {@link #train} splits them, the preprocessor is fitted on the fit rows, and every row's
   * raw history is read through it. Training shows the warm-up share of shortened histories
   * ({@link ContextRows#WARM_UP_SHARE}); calibration uses the full ones. The model conditions on
   * {@code contexts.spec()}. Given the raw contexts of a whole sequence ({@link RawContexts#replay}), this is
   * {@link #trainInContext(EventSequence, ContextSpec, Options, TrainingListener)} bit for bit.
   *
   * @param data the rows' raw features, in the order of {@code contexts.features()}
   * @param contexts one raw context per row
   */
  public static Trained trainInContext(Dataset data, RawContexts contexts, Options options,
                                       TrainingListener listener) {
    if (contexts.rows() != data.rows() || !contexts.features().equals(data.columns())) {
      throw new IllegalArgumentException("the raw contexts (" + contexts.rows() + " rows of histories of "
          + contexts.features() + ") do not describe the " + data.rows() + " rows of " + data.columns());
    }
    int[][] split = splitRows(data, options.calibrationFraction(), options.training().seed());
    long seed = options.training().seed();
    return fitInContext(data, split, contexts.spec(), options, listener, (pre, truncate) ->
        contexts.encode(new ContextEncoder(contexts.spec(), data.dim(), pre.dim(), pre::apply), truncate, seed));
  }

  /** The context vectors of every row of the data through a fitted preprocessor, shortened or not. */
  @FunctionalInterface
  private interface ContextsOf {
    double[] build(Preprocessor pre, boolean truncate);
  }

  /**
   * The common part of time-aware training: fit the preprocessor on the fit rows of {@code split}, train the
   * conditional flow on them with shortened-history contexts, calibrate on the calibration rows with full ones.
   */
  private static Trained fitInContext(Dataset data, int[][] split, ContextSpec context, Options options,
                                      TrainingListener listener, ContextsOf contexts) {
    int n = data.rows();
    Dataset fit = data.rows(split[0]);
    Dataset cal = data.rows(split[1]);
    Preprocessor pre = Preprocessor.fit(data.columns(), fit.values(), fit.rows(), options.preprocessing());
    int d = pre.dim();
    long seed = options.training().seed();
    double[] trainingContext = contexts.build(pre, true);
    double[] scoringContext = contexts.build(pre, false);
    int m = context.dim(d);
    FlowSpec spec = withDim(options.spec(), d).withContext(m);
    Flow flow = FlowFactory.create(spec, seed);
    double[] x = pre.apply(fit.values(), fit.rows());
    double[] c = rowsOf(trainingContext, m, split[0]);
    TrainingResult result = new Trainer(options.training(), listener)
        .fit(flow, x, c, fit.rows(), true, pre.dequantization());

    double[] calContext = rowsOf(scoringContext, m, split[1]);
    double[] lp = flow.logProb(pre.apply(cal.values(), cal.rows()), calContext, cal.rows());
    double[] calNll = new double[cal.rows()];
    for (int i = 0; i < calNll.length; i++) {
      calNll[i] = -(lp[i] + pre.logJacobian(cal.values(), i * cal.dim()));
    }
    Calibration calibration = Calibration.fit(calNll, seed);
    Provenance provenance = Provenance.create(spec, options.training(), options.preprocessing(),
        Provenance.fingerprint(data.columns(), data.values(), n), n, Provenance.TrainingMetrics.of(result));
    FlowModel model = new FlowModel(options.name(), options.version(), pre, flow, calibration, provenance,
        java.util.OptionalDouble.empty(), java.util.Optional.of(FeatureStatistics.of(data.values(), n, data.dim())),
        java.util.Optional.of(context));
    return new Trained(model, result);
  }

  /** The fit and calibration row indices of {@link #split}, in data order. */
  private static int[][] splitRows(Dataset data, double calibrationFraction, long seed) {
    int n = data.rows();
    int nCal = calibrationRows(n, calibrationFraction);
    if (n - nCal < 2 * Calibration.MIN_VALIDATION) {
      throw new IllegalArgumentException(data.source() + ": " + n + " rows are too few to train and calibrate a model;"
          + " provide at least " + (nCal + 2 * Calibration.MIN_VALIDATION) + " rows of normal events");
    }
    int[] order = Shuffle.permutation(n, new SplittableRandom(seed ^ 0x9E3779B97F4A7C15L));
    int[] calRows = java.util.Arrays.copyOfRange(order, 0, nCal);
    int[] fitRows = java.util.Arrays.copyOfRange(order, nCal, n);
    java.util.Arrays.sort(calRows);
    java.util.Arrays.sort(fitRows);
    return new int[][] {fitRows, calRows};
  }

  private static double[] rowsOf(double[] values, int width, int[] rows) {
    double[] out = new double[rows.length * width];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(values, rows[i] * width, out, i * width, width);
    }
    return out;
  }

  /**
   * The spec with its dimension set to {@code dim}. A tensor-shaped spec (glow) keeps its shape, so
   * {@code dim} must be the shape's size: the preprocessor must have kept every feature.
   */
  public static FlowSpec withDim(FlowSpec spec, int dim) {
    if (spec.shape() != null) {
      int size = spec.tensorShape().orElseThrow().size();
      if (dim != size) {
        throw new IllegalArgumentException("the " + spec.family() + " spec models events of shape "
            + spec.tensorShape().orElseThrow() + " (" + size + " features) but " + dim + " features remain after"
            + " preprocessing (constant columns are dropped); give every feature some variation, e.g. dequantize"
            + " integer pixels, or use a flat family");
      }
    }
    return new FlowSpec(spec.family(), dim, spec.layers(), spec.hidden(), spec.activation(), spec.scaleBound(),
        spec.bins(), spec.splineBound(), spec.actNorm(), spec.mixing(), spec.base(), spec.structureSeed(),
        spec.conditionerBound(), spec.shape(), spec.levels(), spec.context());
  }

  /**
   * The default architecture for {@code dim} columns when the row count is not known: {@link AutoConfig}'s
   * choice for a data set of 1000 rows or more. Prefer {@link Options#automatic} or {@link #automatic},
   * which also choose the training configuration.
   */
  public static FlowSpec defaultSpec(int dim) {
    return AutoConfig.choose(10_000, dim, 0L).spec();
  }
}
