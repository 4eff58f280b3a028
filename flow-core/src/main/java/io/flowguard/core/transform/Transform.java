package io.flowguard.core.transform;

import io.flowguard.core.nn.Workspace;
import java.util.SplittableRandom;

/**
 * An invertible map between {@code R^d} spaces together with the log-absolute-determinant of its
 * Jacobian, in both directions. The one abstraction every flow is made of.
 *
 * <p>Direction convention: {@link #forward} is the <em>sampling</em> direction {@code z -> x};
 * {@link #inverse} is the <em>density</em> direction {@code x -> z}. For every x,
 * {@code logdet_inverse(x) = -logdet_forward(inverse(x))}.
 *
 * <p>Batches are row-major {@code double[]} of {@code n} rows by {@link #dim()} columns. Each call
 * <em>adds</em> the per-row log|det J| into {@code logDet} (so a composition simply passes one array
 * down). Outputs never alias inputs. A transform holds no parameter values: they live in one flat
 * vector {@code theta} owned by the flow, at offsets reserved when the transform was built, so a
 * transform is immutable and may be shared between threads; scratch comes from the caller's
 * {@link Workspace}.
 *
 * <p>Training needs gradients: {@link #inverseTrace}/{@link #inverseBackward} differentiate the
 * density direction (maximum likelihood), {@link #forwardTrace}/{@link #forwardBackward} the sampling
 * direction (reverse-KL fits, and the density direction of an {@link InverseTransform}).
 *
 * <p>Conditional transforms. A transform with {@link #contextDim()} {@code m > 0} is a family of
 * bijections of x indexed by a context vector c: its conditioners read c along with x, so a flow built
 * of them models {@code p(x | c)}. The context is a row-major {@code n x m} batch passed next to the
 * input ({@code c} in the overloads below); it is read, never transformed, and has no log-determinant.
 * The context-free methods of a conditional transform fail, naming the overload to call, rather than
 * silently assume a context of zeros. For a transform without context the overloads ignore {@code c}
 * (which may then be null) and run the context-free methods, so ActNorm, LU, permutations and the like
 * need nothing; a traced pass keeps its context, so the backward methods take none.
 */
public interface Transform {

  /** The values a traced pass keeps for its backward pass; opaque to callers. */
  interface Trace {}

  int dim();

  /** Context values per row that this transform's conditioners read; 0 for an unconditional transform. */
  default int contextDim() {
    return 0;
  }

  /** Sampling direction z -> x. */
  void forward(double[] theta, double[] z, double[] x, double[] logDet, int n, Workspace ws);

  /** Density direction x -> z. */
  void inverse(double[] theta, double[] x, double[] z, double[] logDet, int n, Workspace ws);

  /**
   * Sampling direction z -> x given context c ({@code n x contextDim()}, row-major; may be null when
   * {@link #contextDim()} is 0). Default: the context-free {@link #forward}, ignoring c.
   */
  default void forward(double[] theta, double[] z, double[] c, double[] x, double[] logDet, int n, Workspace ws) {
    forward(theta, z, x, logDet, n, ws);
  }

  /**
   * Density direction x -> z given context c ({@code n x contextDim()}, row-major; may be null when
   * {@link #contextDim()} is 0). Default: the context-free {@link #inverse}, ignoring c.
   */
  default void inverse(double[] theta, double[] x, double[] c, double[] z, double[] logDet, int n, Workspace ws) {
    inverse(theta, x, z, logDet, n, ws);
  }

  /** Writes initial (data-independent) parameter values, usually an identity or near-identity map. */
  void initialize(double[] theta, SplittableRandom rng);

  /**
   * Data-dependent initialization (ActNorm): called once before training with training data in this
   * transform's input space (density direction). Default: nothing to do.
   */
  default void initializeFromData(double[] theta, double[] x, int n) {}

  /**
   * {@link #initializeFromData(double[], double[], int)} with the context of each training row. Default:
   * the context-free method (data-dependent layers such as ActNorm do not read the context).
   */
  default void initializeFromData(double[] theta, double[] x, double[] c, int n) {
    initializeFromData(theta, x, n);
  }

  /** Restores structural invariants after parameters came from outside (e.g. zero MADE-masked weights). */
  default void sanitize(double[] theta) {}

  /** Like {@link #inverse}, keeping what {@link #inverseBackward} needs. */
  default Trace inverseTrace(double[] theta, double[] x, double[] z, double[] logDet, int n) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot be trained in the density direction");
  }

  /**
   * Like {@link #inverse(double[], double[], double[], double[], double[], int, Workspace)}, keeping what
   * {@link #inverseBackward} needs, the context included. Default: the context-free trace.
   */
  default Trace inverseTrace(double[] theta, double[] x, double[] c, double[] z, double[] logDet, int n) {
    return inverseTrace(theta, x, z, logDet, n);
  }

  /**
   * Backpropagates through a traced {@link #inverse}: given dL/dz ({@code gz}) and dL/dlogdet per row
   * ({@code gLogDet}), writes dL/dx into {@code gx} and adds dL/dtheta into {@code gTheta}.
   */
  default void inverseBackward(double[] theta, Trace trace, double[] gz, double[] gLogDet,
                               double[] gx, double[] gTheta) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot be trained in the density direction");
  }

  /** Like {@link #forward}, keeping what {@link #forwardBackward} needs. */
  default Trace forwardTrace(double[] theta, double[] z, double[] x, double[] logDet, int n) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot be trained in the sampling direction");
  }

  /**
   * Like {@link #forward(double[], double[], double[], double[], double[], int, Workspace)}, keeping what
   * {@link #forwardBackward} needs, the context included. Default: the context-free trace.
   */
  default Trace forwardTrace(double[] theta, double[] z, double[] c, double[] x, double[] logDet, int n) {
    return forwardTrace(theta, z, x, logDet, n);
  }

  /** Backpropagates through a traced {@link #forward}; see {@link #inverseBackward}. */
  default void forwardBackward(double[] theta, Trace trace, double[] gx, double[] gLogDet,
                               double[] gz, double[] gTheta) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot be trained in the sampling direction");
  }
}
