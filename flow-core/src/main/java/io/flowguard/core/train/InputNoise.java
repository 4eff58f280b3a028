package io.flowguard.core.train;

import java.util.SplittableRandom;

/**
 * A random perturbation of training rows, drawn afresh for every minibatch (e.g. dequantization noise
 * over the grid cell of a discrete column). The {@link Trainer} applies it to minibatches and to the
 * rows that initialize data-dependent layers; the validation rows stay as given (clean), so early
 * stopping judges the fitted density on real rows.
 */
@FunctionalInterface
public interface InputNoise {

  /** No perturbation. */
  InputNoise NONE = (rows, n, rng) -> { };

  /** Perturbs {@code n} row-major rows of the flow's dimension in place. */
  void perturb(double[] rows, int n, SplittableRandom rng);
}
