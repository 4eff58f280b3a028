package io.flowguard.core.model;

import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.train.TrainingConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The default model: the architecture and training configuration Flowguard uses when the user gives no
 * spec, chosen from the number of training rows {@code n} and modelled columns {@code d} only. The rule
 * and the measurements behind it are in {@code docs/defaults.md}; in short:
 *
 * <ul>
 *   <li><b>Family:</b> MAF (density in one pass, works from d = 1) with ReLU MADE conditioners, layers
 *       alternating natural and reversed orderings, on a base of {@value #MIXTURE_COMPONENTS} Gaussians
 *       (initialized by k-means++ on the latent codes), so separate modes of normal behaviour need not
 *       be joined by a bridge of density. Each MADE sees {@value #CONDITIONER_BOUND}
 *       {@code tanh(x / }{@value #CONDITIONER_BOUND}{@code )} of its inputs, so far outliers cannot
 *       extrapolate shifts and scales.
 *   <li><b>Capacity from n:</b> fewer layers and narrower conditioners for small data sets, where a flow
 *       otherwise memorizes the training rows.
 *   <li><b>Smoothing noise:</b> every minibatch gets Gaussian noise of standard deviation
 *       {@code NOISE_FACTOR * n^(-1/(d+4))} in the standardized space (Scott's rule of thumb for a
 *       Gaussian KDE bandwidth, scaled): the flow then fits the density a kernel estimate of that
 *       bandwidth targets, with a parametric model that needs no training rows at scoring time. The
 *       bandwidth shrinks as n grows, so large data sets are smoothed little.
 *   <li><b>Training length:</b> minibatches of {@code clamp(n / 8, 32, 256)} rows; validation on 10 % of
 *       the rows (at most {@value #MAX_VALIDATION_ROWS}) every epoch, but at least {@value #MIN_EVAL_EVERY}
 *       steps apart and at least {@value #MIN_EVALUATIONS} times in the budget, with early stopping after
 *       {@value #PATIENCE} evaluations without improvement; a step budget from a cost model of one
 *       step ({@link #stepSeconds}) that bounds training at about {@value #TIME_BUDGET_SECONDS} s of
 *       one core.
 * </ul>
 */
public final class AutoConfig {

  /** Smoothing noise in units of Scott's bandwidth {@code n^(-1/(d+4))}. */
  public static final double NOISE_FACTOR = 0.5;
  /**
   * Each MADE sees {@code b tanh(x / b)} of its inputs with this b, in standardized units: nearly x within
   * the bulk of the data, constant far outside it, so a far outlier gets a large NLL from the base
   * rather than an absurd one from shifts and scales extrapolated linearly (see docs/defaults.md).
   */
  public static final double CONDITIONER_BOUND = 6.0;
  /** Components of the Gaussian-mixture base (room for separate modes without bridging them). */
  public static final int MIXTURE_COMPONENTS = 16;
  /** Decay of the moving average of the parameters that validation judges and training keeps. */
  public static final double AVERAGING = 0.99;

  /** How the smoothing noise changes over training ({@link TrainingConfig#noiseSchedule()}). */
  public static final String NOISE_SCHEDULE = "constant";
  /** Most optimizer steps. */
  public static final int MAX_STEPS = 6000;
  /** Validation at least every this many steps (small data sets have epochs of one or two steps). */
  public static final int MIN_EVAL_EVERY = 25;
  /** Evaluations without validation improvement before stopping. */
  public static final int PATIENCE = 12;
  /**
   * Fewest validations the step budget holds, as many as the step floor validated every
   * {@value #MIN_EVAL_EVERY} steps (more than {@value #PATIENCE}): on large data an epoch can be longer than
   * the whole budget, and validating once an epoch would then leave early stopping nothing to act on.
   */
  public static final int MIN_EVALUATIONS = 20;
  /** Share of the fitted rows held out for validation... */
  public static final double VALIDATION_FRACTION = 0.1;
  /** ... but at most this many rows: enough to judge a likelihood, and validation stays cheap on large data. */
  public static final int MAX_VALIDATION_ROWS = 10_000;
  /**
   * Training-time bound in seconds of one core, through the step-cost model below. A model of the cost
   * rather than a clock keeps training deterministic: the same data and seed give the same model on
   * any machine.
   */
  public static final double TIME_BUDGET_SECONDS = 6.0;
  /** Step-cost model, fitted to training steps measured on the development machine: fixed cost per step... */
  public static final double STEP_OVERHEAD_SECONDS = 1.0e-3;
  /** ... plus this much per row of the batch and parameter of the flow. */
  public static final double SECONDS_PER_ROW_PARAMETER = 0.75e-9;
  /** Fewest steps the budget may leave (below this, a flow is barely trained). */
  public static final int MIN_STEPS = 500;

  /**
   * The chosen configuration.
   *
   * @param spec the flow architecture (its {@code dim} is the modelled dimension)
   * @param training the training configuration for the rows the flow is fitted on
   * @param rationale one line per choice, for {@code --help}, {@code train}'s output and the docs
   */
  public record Choice(FlowSpec spec, TrainingConfig training, List<String> rationale) {
    public Choice {
      rationale = List.copyOf(rationale);
    }
  }

  private AutoConfig() {}

  /**
   * The default for {@code rows} training rows (those the flow is fitted on, before its validation
   * split) of {@code dim} modelled columns.
   */
  public static Choice choose(int rows, int dim, long seed) {
    if (rows < 2 || dim < 1) {
      throw new IllegalArgumentException("need at least 2 rows and 1 column, got " + rows + " x " + dim);
    }
    List<String> why = new ArrayList<>();
    int layers = rows < 1000 ? 3 : 5;
    int width = Math.max(32, Math.min(128, 8 * dim));
    if (rows < 1000) {
      width = Math.min(width, 64);
    }
    FlowSpec spec = FlowSpec.of(FlowSpec.MAF, dim).withLayers(layers).withHidden(width, width)
        .withBase(FlowSpec.BaseSpec.mixture(MIXTURE_COMPONENTS)).withConditionerBound(CONDITIONER_BOUND);
    why.add(String.format(Locale.ROOT, "flow: MAF, %d layers (%s), 2 hidden layers of %d ReLU units (8 x %d"
        + " columns, within 32..%d), a base of " + MIXTURE_COMPONENTS + " Gaussians", layers, rows < 1000 ? "fewer than 1000 rows" : "1000 rows or more", width, dim,
        rows < 1000 ? 64 : 128));
    why.add(String.format(Locale.ROOT, "conditioners: inputs bounded by %.0f tanh(x / %.0f), so far outliers"
        + " cannot extrapolate shifts and scales", CONDITIONER_BOUND, CONDITIONER_BOUND));

    double validation = Math.min(VALIDATION_FRACTION, (double) MAX_VALIDATION_ROWS / rows);
    int trainRows = Math.max(1, rows - (int) Math.round(rows * validation));
    int batch = Math.max(32, Math.min(256, trainRows / 8));
    batch = Math.min(batch, trainRows);
    int stepsPerEpoch = Math.max(1, trainRows / batch);
    long parameters = approximateParameters(dim, layers, width);
    int budgetSteps = (int) Math.min(MAX_STEPS, Math.max(MIN_STEPS, TIME_BUDGET_SECONDS / stepSeconds(batch, parameters)));
    // Once an epoch, but at least MIN_EVAL_EVERY steps apart and at least MIN_EVALUATIONS times in the budget.
    int evalEvery = Math.max(MIN_EVAL_EVERY, Math.min(stepsPerEpoch, budgetSteps / MIN_EVALUATIONS));
    // A whole number of validation intervals (the last step is judged), rounded down unless that falls
    // below the step floor.
    int steps = budgetSteps - budgetSteps % evalEvery;
    if (steps < MIN_STEPS) {
      steps += evalEvery;
    }
    double noise = NOISE_FACTOR * Math.pow(rows, -1.0 / (dim + 4));
    why.add(String.format(Locale.ROOT, "training: batch %d, at most %d steps (%.0f epochs), validation on %d rows every"
        + " %d steps, early stop after %d without improvement", batch, steps, (double) steps / stepsPerEpoch,
        rows - trainRows, evalEvery, PATIENCE));
    why.add(String.format(Locale.ROOT, "parameters: moving average with decay %.3g (Polyak averaging)", AVERAGING));
    why.add(String.format(Locale.ROOT, "smoothing noise: %.3f standard deviations = %.2f x n^(-1/(d+4)) with n = %d,"
        + " d = %d, %s", noise, NOISE_FACTOR, rows, dim, NOISE_SCHEDULE.equals("constant") ? "constant"
        : "annealed to 0 over the steps (" + NOISE_SCHEDULE + ")"));
    TrainingConfig training = TrainingConfig.defaults()
        .withSteps(steps)
        .withBatchSize(batch)
        .withLearningRate(1e-3)
        .withValidationFraction(validation)
        .withEvalEvery(evalEvery)
        .withPatience(PATIENCE)
        .withNoise(noise)
        .withAveraging(AVERAGING)
        .withNoiseSchedule(NOISE_SCHEDULE)
        .withSeed(seed);
    return new Choice(spec, training, why);
  }

  /** The modelled cost of one training step (forward, backward and update of one minibatch). */
  static double stepSeconds(int batch, long parameters) {
    return STEP_OVERHEAD_SECONDS + SECONDS_PER_ROW_PARAMETER * batch * parameters;
  }

  /** Weights and biases of a MADE-conditioned affine MAF: d -> w -> w -> 2d per layer. */
  static long approximateParameters(int dim, int layers, int width) {
    long perLayer = (long) dim * width + width + (long) width * width + width + (long) width * 2 * dim + 2L * dim;
    return layers * perLayer;
  }
}
