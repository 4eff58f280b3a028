package io.flowguard.core.vi;

import java.util.Locale;

/**
 * Hyper-parameters of a reverse-KL fit ({@code io.flowguard.core.train.VariationalTrainer}).
 *
 * @param steps optimizer steps
 * @param samplesPerStep base draws per step: the Monte-Carlo batch of the ELBO gradient
 * @param learningRate Adam step size at the start
 * @param schedule {@code constant}, or {@code cosine} (decay to zero over {@code steps}; the noise of the
 *     stochastic gradient then averages out at the end, which is what brings the ELBO within a few
 *     hundredths of a nat of log Z)
 * @param gradClip global gradient-norm clip; 0 disables it
 * @param evalEvery steps between points of the ELBO curve (and progress reports)
 * @param seed seed of the base draws
 * @param flipEntropySign the deliberate mistake, for teaching only: train with the log-determinant's
 *     maximum-likelihood sign (see {@link ReverseKl}); q then collapses
 */
public record VariationalConfig(int steps, int samplesPerStep, double learningRate, String schedule, double gradClip,
                                int evalEvery, long seed, boolean flipEntropySign) {

  public VariationalConfig {
    if (steps < 1 || samplesPerStep < 1 || evalEvery < 1) {
      throw new IllegalArgumentException("steps, samplesPerStep and evalEvery must be positive");
    }
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException("learning rate must be positive, got " + learningRate);
    }
    schedule = schedule.toLowerCase(Locale.ROOT);
    if (!schedule.equals("constant") && !schedule.equals("cosine")) {
      throw new IllegalArgumentException("schedule must be constant or cosine, got " + schedule);
    }
    if (!(gradClip >= 0)) {
      throw new IllegalArgumentException("gradient clip must not be negative, got " + gradClip);
    }
  }

  /** 3000 steps of 256 draws, Adam 3e-3 with a cosine decay, clip 10, a curve point every 50 steps. */
  public static VariationalConfig defaults() {
    return new VariationalConfig(3000, 256, 3e-3, "cosine", 10.0, 50, 0L, false);
  }

  public VariationalConfig withSteps(int s) {
    return new VariationalConfig(s, samplesPerStep, learningRate, schedule, gradClip, evalEvery, seed, flipEntropySign);
  }

  public VariationalConfig withSamplesPerStep(int m) {
    return new VariationalConfig(steps, m, learningRate, schedule, gradClip, evalEvery, seed, flipEntropySign);
  }

  public VariationalConfig withLearningRate(double lr) {
    return new VariationalConfig(steps, samplesPerStep, lr, schedule, gradClip, evalEvery, seed, flipEntropySign);
  }

  public VariationalConfig withSchedule(String s) {
    return new VariationalConfig(steps, samplesPerStep, learningRate, s, gradClip, evalEvery, seed, flipEntropySign);
  }

  public VariationalConfig withEvalEvery(int e) {
    return new VariationalConfig(steps, samplesPerStep, learningRate, schedule, gradClip, e, seed, flipEntropySign);
  }

  public VariationalConfig withSeed(long s) {
    return new VariationalConfig(steps, samplesPerStep, learningRate, schedule, gradClip, evalEvery, s, flipEntropySign);
  }

  public VariationalConfig withFlippedEntropySign(boolean flip) {
    return new VariationalConfig(steps, samplesPerStep, learningRate, schedule, gradClip, evalEvery, seed, flip);
  }
}
