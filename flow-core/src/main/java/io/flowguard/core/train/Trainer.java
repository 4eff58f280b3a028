package io.flowguard.core.train;

import io.flowguard.core.data.Shuffle;
import io.flowguard.core.flow.Flow;
import io.flowguard.core.flow.FlowInputs;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Maximum-likelihood training of a {@link Flow}: Adam on the mean negative log-likelihood of
 * minibatches, global gradient-norm clipping, optional decoupled weight decay on weight matrices only,
 * a held-out validation split with early stopping that restores the best parameters, and full
 * determinism for a given seed (same seed and data give bit-identical parameters and losses).
 *
 * <p>Gradients are hand-written backward passes through each transform; the minibatch matrix products
 * run on ND4J's BLAS (see {@link io.flowguard.core.nn.Linalg}), the element-wise work in plain Java,
 * which measured faster than SameDiff here because every ND4J op costs ~15 us of JNI.
 *
 * <p>A step whose loss or gradient is not finite is skipped (the parameters are not touched) and counted;
 * {@code maxConsecutiveNonFinite} such steps in a row stop training with a {@link TrainingException}.
 *
 * <p>Conditional flows ({@link Flow#contextDim()} {@code > 0}) train on pairs (x, c) with the
 * {@code fit} overloads that take a context: row r of c is the context of row r of x, and the pairs stay
 * together through the shuffles, the validation split and the minibatches, so training minimizes the
 * mean of {@code -log p(x_r | c_r)}. Input and smoothing noise perturb x only, never the context.
 * Everything else (early stopping, averaging, progress, determinism) is as for unconditional flows.
 */
public final class Trainer {

  private final TrainingConfig config;
  private final TrainingListener listener;

  public Trainer(TrainingConfig config, TrainingListener listener) {
    this.config = config;
    this.listener = listener;
  }

  public Trainer(TrainingConfig config) {
    this(config, TrainingListener.NONE);
  }

  /**
   * Trains {@code flow} in place on {@code n} rows of {@code x} (row-major). Runs data-dependent
   * initialization first unless {@code initializeFromData} is false (e.g. when fine-tuning).
   */
  public TrainingResult fit(Flow flow, double[] x, int n, boolean initializeFromData) {
    return fit(flow, x, n, initializeFromData, InputNoise.NONE);
  }

  /**
   * As {@link #fit(Flow, double[], int, boolean)}, with {@code inputNoise} applied to every minibatch
   * (and to the rows that initialize data-dependent layers) before the configured Gaussian
   * {@link TrainingConfig#noise()} (constant, or annealed to zero by {@link TrainingConfig#noiseSchedule()}).
   * The validation rows stay clean: noise is a regularizer of the fit,
   * and early stopping keeps the parameters that best predict real held-out rows, the quantity scoring
   * uses (measured slightly better than validating on noisy copies, docs/defaults.md).
   */
  public TrainingResult fit(Flow flow, double[] x, int n, boolean initializeFromData, InputNoise inputNoise) {
    return fit(flow, x, null, n, initializeFromData, inputNoise);
  }

  /**
   * Trains a conditional flow in place on {@code n} pairs: rows of {@code x} ({@code n x flow.dim()}) with
   * the matching rows of the context {@code c} ({@code n x flow.contextDim()}), both row-major and checked
   * up front (a non-finite value or a wrong context width is reported with its row and column). Runs
   * data-dependent initialization first unless {@code initializeFromData} is false. For an unconditional
   * flow, c must be null and this is {@link #fit(Flow, double[], int, boolean)}.
   */
  public TrainingResult fit(Flow flow, double[] x, double[] c, int n, boolean initializeFromData) {
    return fit(flow, x, c, n, initializeFromData, InputNoise.NONE);
  }

  /**
   * As {@link #fit(Flow, double[], double[], int, boolean)}, with {@code inputNoise} and the configured
   * smoothing noise applied to the x of every minibatch as in
   * {@link #fit(Flow, double[], int, boolean, InputNoise)}; the context is never perturbed.
   */
  public TrainingResult fit(Flow flow, double[] x, double[] c, int n, boolean initializeFromData,
                            InputNoise inputNoise) {
    int d = flow.dim();
    int m = flow.contextDim();
    FlowInputs.validate(x, n, d);
    c = FlowInputs.validateContext(c, n, m);
    if (n < 2) {
      throw new IllegalArgumentException("need at least 2 training rows, got " + n);
    }
    long start = System.nanoTime();
    SplittableRandom rng = new SplittableRandom(config.seed());

    int[] order = Shuffle.permutation(n, rng);
    int nVal = config.validationFraction() > 0 ? Math.max(1, (int) Math.round(n * config.validationFraction())) : 0;
    if (nVal >= n) {
      nVal = 0;
    }
    int nTrain = n - nVal;
    double[] train = gatherRows(x, d, order, nVal, n);
    double[] val = nVal > 0 ? gatherRows(x, d, order, 0, nVal) : null;
    // The context rows follow their data rows through every permutation; null for an unconditional flow.
    double[] trainContext = c != null ? gatherRows(c, m, order, nVal, n) : null;
    double[] valContext = c != null && nVal > 0 ? gatherRows(c, m, order, 0, nVal) : null;
    boolean noisy = inputNoise != InputNoise.NONE || config.noise() > 0;
    SplittableRandom noiseRng = new SplittableRandom(config.seed() ^ 0x5DEECE66DL);
    if (initializeFromData) {
      int rows = Math.min(nTrain, 4096);
      double[] init = java.util.Arrays.copyOf(train, rows * d);
      if (noisy) {
        perturb(init, rows, d, inputNoise, config.noiseAt(1), noiseRng);
      }
      if (trainContext == null) {
        flow.initializeFromData(init, rows, config.seed());
      } else {
        flow.initializeFromData(init, java.util.Arrays.copyOf(trainContext, rows * m), rows, config.seed());
      }
    }

    double[] theta = flow.parameters();
    int p = theta.length;
    Adam adam = new Adam(flow.layout().trainableMask(), flow.layout().decayMask(), config.weightDecay(),
        config.gradClip());
    double[] grad = new double[p];
    double[] best = theta.clone();
    double bestVal = Double.POSITIVE_INFINITY;
    int bestStep = 0;
    int sinceBest = 0;
    int skipped = 0;
    int consecutiveBad = 0;
    boolean stoppedEarly = false;
    List<double[]> curve = new ArrayList<>();

    int batch = Math.min(config.batchSize(), nTrain);
    int[] epochOrder = Shuffle.permutation(nTrain, rng);
    int cursor = 0;
    long rowsSeen = 0;
    double intervalLoss = 0.0;
    int intervalSteps = 0;
    double lastTrain = Double.NaN;
    int step = 0;
    double[] xb = new double[batch * d];
    double[] cb = trainContext != null ? new double[batch * m] : null;
    double decay = config.averaging();
    double[] average = decay > 0 ? theta.clone() : null;
    double[] current = decay > 0 ? new double[p] : null;
    int averaged = 0;

    while (step < config.steps()) {
      step++;
      if (cursor + batch > nTrain) {
        Shuffle.shuffle(epochOrder, rng);
        cursor = 0;
      }
      for (int b = 0; b < batch; b++) {
        System.arraycopy(train, epochOrder[cursor + b] * d, xb, b * d, d);
      }
      if (cb != null) {
        for (int b = 0; b < batch; b++) {
          System.arraycopy(trainContext, epochOrder[cursor + b] * m, cb, b * m, m);
        }
      }
      cursor += batch;
      rowsSeen += batch;
      if (noisy) {
        perturb(xb, batch, d, inputNoise, config.noiseAt(step), noiseRng);
      }

      java.util.Arrays.fill(grad, 0.0);
      double loss = cb == null
          ? flow.meanNllAndGradient(xb, batch, grad)
          : flow.meanNllAndGradient(xb, cb, batch, grad);
      double norm = Double.isFinite(loss) ? Adam.norm(grad) : Double.NaN;
      if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
        skipped++;
        consecutiveBad++;
        if (consecutiveBad >= config.maxConsecutiveNonFinite()) {
          throw new TrainingException(consecutiveBad + " training steps in a row had a non-finite loss or gradient"
              + " (last at step " + step + "); lower the learning rate, standardize the data, or check it for"
              + " extreme or duplicated values");
        }
        continue;
      }
      consecutiveBad = 0;
      intervalLoss += loss;
      intervalSteps++;
      adam.step(theta, grad, learningRate(step));
      if (average != null) {
        // Exponential moving average of the iterates (Polyak averaging); the short warm-up keeps the
        // initial parameters from lingering in it.
        averaged++;
        double a = Math.min(decay, (1.0 + averaged) / (10.0 + averaged));
        for (int i = 0; i < p; i++) {
          average[i] = a * average[i] + (1 - a) * theta[i];
        }
      }

      boolean last = step == config.steps();
      if (step % config.evalEvery() == 0 || last) {
        lastTrain = intervalSteps > 0 ? intervalLoss / intervalSteps : Double.NaN;
        intervalLoss = 0.0;
        intervalSteps = 0;
        double vNll = Double.NaN;
        if (val != null) {
          if (average != null) {
            // Judge (and keep) the averaged parameters; the optimizer goes on from its own iterate.
            System.arraycopy(theta, 0, current, 0, p);
            System.arraycopy(average, 0, theta, 0, p);
          }
          vNll = valContext == null ? flow.meanNll(val, nVal) : flow.meanNll(val, valContext, nVal);
          if (vNll < bestVal) {
            bestVal = vNll;
            bestStep = step;
            System.arraycopy(theta, 0, best, 0, p);
            sinceBest = 0;
          } else {
            sinceBest++;
          }
          if (average != null) {
            System.arraycopy(current, 0, theta, 0, p);
          }
        }
        curve.add(new double[] {step, lastTrain, vNll});
        listener.onProgress(step, config.steps(), (double) rowsSeen / nTrain, lastTrain, vNll, skipped);
        if (val != null && sinceBest >= config.patience()) {
          stoppedEarly = !last;
          break;
        }
      }
    }
    if (val != null && bestStep > 0) {
      System.arraycopy(best, 0, theta, 0, p);
    } else {
      bestStep = step;
      if (average != null) {
        System.arraycopy(average, 0, theta, 0, p);
      }
    }
    TrainingResult result = new TrainingResult(step, bestStep, lastTrain, val != null ? bestVal : Double.NaN,
        skipped, stoppedEarly, (System.nanoTime() - start) / 1e9, curve);
    listener.onFinish(result);
    return result;
  }

  private double learningRate(int step) {
    if (config.schedule().equals("cosine")) {
      return config.learningRate() * 0.5 * (1.0 + Math.cos(Math.PI * (step - 1) / config.steps()));
    }
    return config.learningRate();
  }

  /**
   * Dequantization (or other input noise) first, then the isotropic Gaussian smoothing noise of standard
   * deviation {@code sigma} (the schedule's value for the step, {@link TrainingConfig#noiseAt}).
   */
  private static void perturb(double[] rows, int m, int d, InputNoise inputNoise, double sigma,
                              SplittableRandom rng) {
    inputNoise.perturb(rows, m, rng);
    if (sigma > 0) {
      for (int i = 0; i < m * d; i++) {
        rows[i] += sigma * gaussian(rng);
      }
    }
  }

  /** A standard normal draw (Box-Muller, one of the pair; SplittableRandom has no nextGaussian on JDK 17). */
  static double gaussian(SplittableRandom rng) {
    double u = 1.0 - rng.nextDouble();
    double v = rng.nextDouble();
    return Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2.0 * Math.PI * v);
  }

  private static double[] gatherRows(double[] x, int d, int[] order, int from, int to) {
    double[] out = new double[(to - from) * d];
    for (int i = from; i < to; i++) {
      System.arraycopy(x, order[i] * d, out, (i - from) * d, d);
    }
    return out;
  }
}
