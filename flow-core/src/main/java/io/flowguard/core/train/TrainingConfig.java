package io.flowguard.core.train;

/**
 * Hyper-parameters of maximum-likelihood training.
 *
 * @param steps maximum number of optimizer steps (minibatches)
 * @param batchSize rows per minibatch (the rows left over at the end of an epoch wait for the next
 *     epoch's reshuffle)
 * @param learningRate Adam step size at the start of training
 * @param schedule {@code constant}, or {@code cosine}: decay to zero over {@code steps}
 * @param gradClip global gradient-norm clip (default 5.0); 0 disables it
 * @param weightDecay decoupled (AdamW) decay, applied to weight matrices only: never to biases, scales
 *     or ActNorm statistics
 * @param validationFraction fraction of rows held out for early stopping; 0 trains on everything
 * @param evalEvery steps between validation evaluations (and progress reports)
 * @param patience evaluations without improvement before stopping early
 * @param maxConsecutiveNonFinite non-finite loss or gradient steps in a row before training fails
 * @param seed the seed of everything random: initialization, split, minibatch order
 * @param noise standard deviation of Gaussian noise added to every training row (not validation rows), in the
 *     flow's standardized space, freshly drawn for every minibatch; 0 trains on the rows as they are. The
 *     flow then fits the data density smoothed by N(0, noise^2 I), the density a Gaussian KDE of that
 *     bandwidth estimates (see docs/defaults.md)
 * @param averaging decay of an exponential moving average of the parameters (Polyak averaging), in
 *     [0, 1); 0 turns it off. When on, validation judges and early stopping keeps the averaged
 *     parameters, and training without validation ends with them
 */
public record TrainingConfig(
    int steps,
    int batchSize,
    double learningRate,
    String schedule,
    double gradClip,
    double weightDecay,
    double validationFraction,
    int evalEvery,
    int patience,
    int maxConsecutiveNonFinite,
    long seed,
    double noise,
    double averaging,
    String noiseSchedule) {

  /** The smoothing-noise schedules {@link #noiseAt} knows. */
  public static final java.util.List<String> NOISE_SCHEDULES = java.util.List.of("constant", "linear", "cosine");

  public TrainingConfig {
    if (steps < 1) {
      throw new IllegalArgumentException("steps must be at least 1, got " + steps);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
    }
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException("learning rate must be positive, got " + learningRate);
    }
    if (!schedule.equals("constant") && !schedule.equals("cosine")) {
      throw new IllegalArgumentException("schedule must be constant or cosine, got " + schedule);
    }
    if (gradClip < 0 || weightDecay < 0) {
      throw new IllegalArgumentException("gradient clip and weight decay must not be negative");
    }
    if (validationFraction < 0 || validationFraction >= 1) {
      throw new IllegalArgumentException("validation fraction must be in [0, 1), got " + validationFraction);
    }
    if (evalEvery < 1 || patience < 1 || maxConsecutiveNonFinite < 1) {
      throw new IllegalArgumentException("evalEvery, patience and maxConsecutiveNonFinite must be positive");
    }
    if (!(noise >= 0) || Double.isInfinite(noise)) {
      throw new IllegalArgumentException("noise must be a finite standard deviation >= 0, got " + noise);
    }
    if (!(averaging >= 0 && averaging < 1)) {
      throw new IllegalArgumentException("averaging must be a decay in [0, 1), got " + averaging);
    }
    if (noiseSchedule == null || !NOISE_SCHEDULES.contains(noiseSchedule)) {
      throw new IllegalArgumentException("noise schedule must be one of " + String.join(", ", NOISE_SCHEDULES)
          + ", got " + noiseSchedule);
    }
  }

  /** A configuration with constant smoothing noise (the form before noise schedules existed). */
  public TrainingConfig(int steps, int batchSize, double learningRate, String schedule, double gradClip,
                        double weightDecay, double validationFraction, int evalEvery, int patience,
                        int maxConsecutiveNonFinite, long seed, double noise, double averaging) {
    this(steps, batchSize, learningRate, schedule, gradClip, weightDecay, validationFraction, evalEvery, patience,
        maxConsecutiveNonFinite, seed, noise, averaging, "constant");
  }

  /**
   * The standard deviation of the smoothing noise at optimizer step {@code step} (1-based; the rows that
   * initialize data-dependent layers use step 1): {@code noise} for {@code constant}; for {@code linear}
   * {@code noise * (1 - (step - 1) / steps)}, for {@code cosine} {@code noise * (1 + cos(pi (step - 1) /
   * steps)) / 2}, both {@code noise} at the first step and falling towards zero at the last.
   */
  public double noiseAt(int step) {
    if (noiseSchedule.equals("constant") || noise == 0) {
      return noise;
    }
    double t = Math.min(1.0, Math.max(0.0, (step - 1) / (double) steps));
    if (noiseSchedule.equals("linear")) {
      return noise * (1.0 - t);
    }
    return noise * 0.5 * (1.0 + Math.cos(Math.PI * t));
  }

  /** A configuration without input noise or parameter averaging (the form before they existed). */
  public TrainingConfig(int steps, int batchSize, double learningRate, String schedule, double gradClip,
                        double weightDecay, double validationFraction, int evalEvery, int patience,
                        int maxConsecutiveNonFinite, long seed) {
    this(steps, batchSize, learningRate, schedule, gradClip, weightDecay, validationFraction, evalEvery, patience,
        maxConsecutiveNonFinite, seed, 0.0, 0.0);
  }

  /** Defaults: 2000 steps of 256, Adam 1e-3 constant, clip 5, no decay, 10% validation. */
  public static TrainingConfig defaults() {
    return new TrainingConfig(2000, 256, 1e-3, "constant", 5.0, 0.0, 0.1, 100, 10, 20, 0L);
  }

  public TrainingConfig withSteps(int s) {
    return new TrainingConfig(s, batchSize, learningRate, schedule, gradClip, weightDecay, validationFraction,
        evalEvery, patience, maxConsecutiveNonFinite, seed, noise, averaging, noiseSchedule);
  }

  public TrainingConfig withBatchSize(int b) {
    return new TrainingConfig(steps, b, learningRate, schedule, gradClip, weightDecay, validationFraction,
        evalEvery, patience, maxConsecutiveNonFinite, seed, noise, averaging, noiseSchedule);
  }

  public TrainingConfig withLearningRate(double lr) {
    return new TrainingConfig(steps, batchSize, lr, schedule, gradClip, weightDecay, validationFraction,
        evalEvery, patience, maxConsecutiveNonFinite, seed, noise, averaging, noiseSchedule);
  }

  public TrainingConfig withSchedule(String s) {
    return new TrainingConfig(steps, batchSize, learningRate, s, gradClip, weightDecay, validationFraction,
        evalEvery, patience, maxConsecutiveNonFinite, seed, noise, averaging, noiseSchedule);
  }

  public TrainingConfig withGradClip(double c) {
    return new TrainingConfig(steps, batchSize, learningRate, schedule, c, weightDecay, validationFraction,
        evalEvery, patience, maxConsecutiveNonFinite, seed, noise, averaging, noiseSchedule);
  }

  public TrainingConfig withWeightDecay(double wd) {
    return new TrainingConfig(steps, batchSize, learningRate, schedule, gradClip, wd, validationFraction,
        evalEvery, patience, maxConsecutiveNonFinite, seed, noise, averaging, noiseSchedule);
  }

  public TrainingConfig withValidationFraction(double f) {
    return new TrainingConfig(steps, batchSize, learningRate, schedule, gradClip, weightDecay, f,
        evalEvery, patience, maxConsecutiveNonFinite, seed, noise, averaging, noiseSchedule);
  }

  public TrainingConfig withEvalEvery(int e) {
    return new TrainingConfig(steps, batchSize, learningRate, schedule, gradClip, weightDecay, validationFraction,
        e, patience, maxConsecutiveNonFinite, seed, noise, averaging, noiseSchedule);
  }

  public TrainingConfig withPatience(int p) {
    return new TrainingConfig(steps, batchSize, learningRate, schedule, gradClip, weightDecay, validationFraction,
        evalEvery, p, maxConsecutiveNonFinite, seed, noise, averaging, noiseSchedule);
  }

  public TrainingConfig withMaxConsecutiveNonFinite(int m) {
    return new TrainingConfig(steps, batchSize, learningRate, schedule, gradClip, weightDecay, validationFraction,
        evalEvery, patience, m, seed, noise, averaging, noiseSchedule);
  }

  public TrainingConfig withSeed(long s) {
    return new TrainingConfig(steps, batchSize, learningRate, schedule, gradClip, weightDecay, validationFraction,
        evalEvery, patience, maxConsecutiveNonFinite, s, noise, averaging, noiseSchedule);
  }

  public TrainingConfig withNoise(double sigma) {
    return new TrainingConfig(steps, batchSize, learningRate, schedule, gradClip, weightDecay, validationFraction,
        evalEvery, patience, maxConsecutiveNonFinite, seed, sigma, averaging, noiseSchedule);
  }

  public TrainingConfig withAveraging(double decay) {
    return new TrainingConfig(steps, batchSize, learningRate, schedule, gradClip, weightDecay, validationFraction,
        evalEvery, patience, maxConsecutiveNonFinite, seed, noise, decay, noiseSchedule);
  }

  public TrainingConfig withNoiseSchedule(String ns) {
    return new TrainingConfig(steps, batchSize, learningRate, schedule, gradClip, weightDecay, validationFraction,
        evalEvery, patience, maxConsecutiveNonFinite, seed, noise, averaging, ns);
  }
}
