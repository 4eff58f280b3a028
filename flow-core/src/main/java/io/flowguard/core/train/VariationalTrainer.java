package io.flowguard.core.train;

import io.flowguard.core.flow.Flow;
import io.flowguard.core.vi.LogDensity;
import io.flowguard.core.vi.ReverseKl;
import io.flowguard.core.vi.VariationalConfig;
import io.flowguard.core.vi.VariationalResult;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Reverse-KL (variational) training of a {@link Flow} towards an unnormalized target {@code p~}: Adam
 * ascends the ELBO {@code E_q[log p~(x) - log q(x)]} with fresh base draws every step (the
 * reparameterization gradient of {@link ReverseKl#elboAndGradient}). No data: the target's log-density
 * and its gradient are everything the fit sees. Deterministic for a given seed.
 *
 * <p>The forward-KL fit of the same flow from samples of the target is plain maximum likelihood,
 * {@link Trainer#fit}: mass covering where reverse KL is mode seeking.
 *
 * <p>A step whose ELBO or gradient is not finite (a sample outside the target's support) is skipped and
 * counted; 50 in a row stop the fit with a {@link TrainingException}.
 */
public final class VariationalTrainer {

  private static final int MAX_CONSECUTIVE_NON_FINITE = 50;

  private final VariationalConfig config;
  private final TrainingListener listener;

  public VariationalTrainer(VariationalConfig config, TrainingListener listener) {
    this.config = config;
    this.listener = listener;
  }

  public VariationalTrainer(VariationalConfig config) {
    this(config, TrainingListener.NONE);
  }

  /**
   * Fits {@code flow} in place. Progress reports pass {@code -ELBO} as the "training NLL" (the loss that
   * falls), and NaN as the validation loss.
   */
  public VariationalResult fit(Flow flow, LogDensity target) {
    ReverseKl.checkFlow(flow);
    long start = System.nanoTime();
    int d = flow.dim();
    int m = config.samplesPerStep();
    double[] theta = flow.parameters();
    Adam adam = new Adam(flow.layout().trainableMask(), new boolean[theta.length], 0.0, config.gradClip());
    SplittableRandom rng = new SplittableRandom(config.seed());
    double[] z = new double[m * d];
    double[] grad = new double[theta.length];
    List<double[]> curve = new ArrayList<>();
    int skipped = 0;
    int consecutiveBad = 0;
    double interval = 0.0;
    int intervalSteps = 0;
    double last = Double.NaN;
    int step = 0;
    while (step < config.steps()) {
      step++;
      flow.base().sample(theta, m, rng, z);
      java.util.Arrays.fill(grad, 0.0);
      double elbo = ReverseKl.elboAndGradient(flow, target, z, m, grad, config.flipEntropySign());
      double norm = Double.isFinite(elbo) ? Adam.norm(grad) : Double.NaN;
      if (!Double.isFinite(norm)) {
        skipped++;
        if (++consecutiveBad >= MAX_CONSECUTIVE_NON_FINITE) {
          throw new TrainingException(consecutiveBad + " reverse-KL steps in a row had a non-finite ELBO or gradient"
              + " (last at step " + step + "): the flow samples outside the target's support or the target"
              + " overflows; lower the learning rate or check the log-density");
        }
      } else {
        consecutiveBad = 0;
        interval += elbo;
        intervalSteps++;
        adam.step(theta, grad, learningRate(step));
      }
      if (step % config.evalEvery() == 0 || step == config.steps()) {
        last = intervalSteps > 0 ? interval / intervalSteps : Double.NaN;
        curve.add(new double[] {step, last});
        listener.onProgress(step, config.steps(), 0.0, -last, Double.NaN, skipped);
        interval = 0.0;
        intervalSteps = 0;
      }
    }
    return new VariationalResult(step, skipped, last, (System.nanoTime() - start) / 1e9, curve);
  }

  private double learningRate(int step) {
    if (config.schedule().equals("cosine")) {
      return config.learningRate() * 0.5 * (1.0 + Math.cos(Math.PI * (step - 1) / config.steps()));
    }
    return config.learningRate();
  }
}
