package io.flowguard.core.train;

import java.util.SplittableRandom;

/**
 * A random perturbation of training rows, drawn afresh for every minibatch (e.g. dequantization noise
 * over the grid cell of a discrete column). The {@link Trainer} applies it to minibatches, to the rows
 * that initialize data-dependent layers, and once (with a fixed seed) to the validation rows, so that
 * early stopping judges the same target density the optimizer fits.
 */
@FunctionalInterface
public interface InputNoise {

  /** No perturbation. */
  InputNoise NONE = (rows, n, rng) -> { };

  /** Perturbs {@code n} row-major rows of the flow's dimension in place. */
  void perturb(double[] rows, int n, SplittableRandom rng);
}
