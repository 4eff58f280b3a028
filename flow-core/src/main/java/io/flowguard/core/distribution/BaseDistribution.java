package io.flowguard.core.distribution;

import io.flowguard.core.nn.Workspace;
import java.util.SplittableRandom;

/**
 * The base (latent) density p_Z of a flow. Like transforms, a base keeps its parameters (if any) in the
 * flow's flat parameter vector {@code theta}; batches are row-major {@code n x dim()}.
 *
 * <p>A conditional base ({@link #contextDim()} {@code m > 0}, e.g. {@link ConditionalNormal}) is a
 * density of z given a context c, row-major {@code n x m}, passed to the overloads that take one; its
 * context-free methods fail. For an unconditional base those overloads ignore c (which may be null).
 */
public interface BaseDistribution {

  int dim();

  /** Context values per row this density is conditioned on; 0 for an unconditional base. */
  default int contextDim() {
    return 0;
  }

  /** Writes initial parameter values (a standard normal, or as close as the family allows). */
  void initialize(double[] theta, SplittableRandom rng);

  /**
   * Data-dependent initialization from latent codes of training data (the flow's transform at its
   * initial parameters applied to the data). Default: nothing.
   */
  default void initializeFromData(double[] theta, double[] z, int n, SplittableRandom rng) {}

  /** Writes log p_Z(z) of each row into {@code out}. */
  void logProb(double[] theta, double[] z, int n, double[] out);

  /**
   * {@link #logProb(double[], double[], int, double[])} with scratch from {@code ws} (not reset here):
   * the allocation-free scoring path. Same values as the plain method.
   */
  default void logProb(double[] theta, double[] z, int n, double[] out, Workspace ws) {
    logProb(theta, z, n, out);
  }

  /**
   * Backpropagates {@code gLogP} (dL/dlog p per row): writes dL/dz into {@code gz} and adds dL/dtheta
   * into {@code gTheta}.
   */
  void logProbBackward(double[] theta, double[] z, int n, double[] gLogP, double[] gz, double[] gTheta);

  /** Draws n samples into {@code out}. */
  void sample(double[] theta, int n, SplittableRandom rng, double[] out);

  /**
   * log p_Z(z | c) of each row into {@code out}, scratch from {@code ws} (not reset here); c is
   * {@code n x contextDim()}. Default: the context-free method, ignoring c.
   */
  default void logProb(double[] theta, double[] z, double[] c, int n, double[] out, Workspace ws) {
    logProb(theta, z, n, out, ws);
  }

  /** {@link #logProbBackward} of log p_Z(z | c). Default: the context-free method, ignoring c. */
  default void logProbBackward(double[] theta, double[] z, double[] c, int n, double[] gLogP, double[] gz,
                               double[] gTheta) {
    logProbBackward(theta, z, n, gLogP, gz, gTheta);
  }

  /** Draws row r of {@code out} from p_Z(. | c_r), for n rows. Default: the context-free method. */
  default void sample(double[] theta, double[] c, int n, SplittableRandom rng, double[] out) {
    sample(theta, n, rng, out);
  }

  /**
   * {@link #initializeFromData(double[], double[], int, SplittableRandom)} with the context of each
   * latent row. Default: the context-free method.
   */
  default void initializeFromData(double[] theta, double[] z, double[] c, int n, SplittableRandom rng) {
    initializeFromData(theta, z, n, rng);
  }

  /** log(2 pi) / 2, the normalizing constant of a unit Gaussian per dimension. */
  double HALF_LOG_2PI = 0.5 * Math.log(2.0 * Math.PI);

  /** A standard normal draw by Box-Muller; deterministic for a given generator state. */
  static double gaussian(SplittableRandom rng) {
    double u1 = rng.nextDouble();
    double u2 = rng.nextDouble();
    return Math.sqrt(-2.0 * Math.log1p(-u1)) * Math.cos(2.0 * Math.PI * u2);
  }
}
