package io.flowguard.core.transform;

import io.flowguard.core.nn.Activation;
import io.flowguard.core.nn.FastMath;
import io.flowguard.core.nn.Made;
import io.flowguard.core.nn.Mlp;
import io.flowguard.core.nn.ParameterLayout;
import io.flowguard.core.nn.Workspace;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A masked autoregressive transform: each dimension {@code x_i} is an element-wise bijection of
 * {@code z_i} whose parameters a MADE computes from the dimensions earlier than i in a chosen ordering.
 * With {@link AffineElement} it is MAF (Papamakarios et al. 2017); wrapped in an
 * {@link InverseTransform} it is IAF (Kingma et al. 2016).
 *
 * <p>Costs. The density direction ({@link #inverse}, x -> z) is one MADE pass: every parameter depends
 * only on x, which is known. The sampling direction ({@link #forward}, z -> x) is sequential: d MADE
 * passes, pass k fixing the k-th dimension of the ordering from the dimensions fixed before it. The
 * Jacobian is triangular in the ordering, so the log-determinant is the sum of element log-derivatives.
 *
 * <p>Training the sampling direction (needed by an IAF fitted by maximum likelihood, whose density
 * direction is this one's sampling direction) does not backpropagate through the d sequential passes.
 * It uses implicit differentiation of {@code z = G(x; theta)}, the one-pass density map, at the sampled
 * x. With {@code J = dG/dx = D + N} (D the diagonal of element derivatives {@code dz_i/dx_i}, N strictly
 * triangular in the ordering, hence nilpotent), upstream {@code gx = dL/dx} and {@code gLd = dL/dlogdet}
 * with {@code logdet_forward = -logdet_inverse(x)}:
 * <ol>
 *   <li>{@code r = gx - gLd * d logdet_inverse / dx} (the x-gradient of the density backward with
 *       {@code gz = 0}, {@code gLogDet = -gLd});
 *   <li>{@code J^T lambda = r} is solved by {@code lambda <- D^-1 (r - N^T lambda)}, where
 *       {@code N^T v} is the conditioner part of the density backward with {@code gz = v}; since
 *       {@code D^-1 N^T} is nilpotent, d iterations are exact, not approximate;
 *   <li>{@code dL/dz = lambda}, because {@code dx/dz = J^-1};
 *   <li>{@code dL/dtheta} is the parameter part of the density backward at x with {@code gz = -lambda}
 *       and {@code gLogDet = -gLd}, because {@code dx/dtheta = -J^-1 dG/dtheta}.
 * </ol>
 * This costs about d + 1 MADE backward passes, the same order as sampling itself.
 *
 * <p>Conditional: with {@code contextDim = m > 0} the MADE reads each row's context after its d inputs
 * (see {@link Made}): the context reaches every first-layer hidden unit and, through the units that see
 * nothing else, the parameters of every dimension, the first in the ordering included. The element
 * bijections, the triangular Jacobian in x and both directions' costs are unchanged; the context is read,
 * never squashed by the conditioner bound, and has no gradient (the implicit differentiation above holds
 * at fixed context).
 */
public final class MaskedAutoregressive implements Transform {

  private final int dim;
  private final int[] order;
  private final int[] sequence;
  private final Mlp made;
  private final ElementwiseBijection element;
  private final int paramsPerDim;
  /**
   * The MADE sees {@code b tanh(x / b)} instead of {@code x} when {@code b > 0}: the element parameters are
   * then bounded functions of the earlier dimensions, constant far outside the data, so the transform
   * cannot extrapolate shifts and scales linearly into absurd densities for far outliers. 0: the MADE
   * sees x.
   */
  private final double conditionerBound;
  private final int contextDim;
  /** MADE inputs per row: the d dimensions, then the context. */
  private final int madeWidth;

  /**
   * What a traced pass keeps, in either direction: the (final) x, the element parameters the MADE
   * computed from it and the MADE trace. Sampling and density passes keep the same thing because the
   * sampling backward is computed from the density map at the sampled x.
   */
  private static final class MafTrace implements Trace {
    final double[] x;
    final double[] params;
    final Mlp.Trace mlp;
    final int n;
    /** Where discarded parameter gradients go; allocated on first need, reused by every iteration. */
    double[] discard;
    /** d/dx of the conditioner squash at x, when there is one; computed on first need, reused likewise. */
    double[] squashSlope;
    /** The MADE's input gradient with its context columns (conditional layers); allocated on first need. */
    double[] wideInputGradient;

    MafTrace(double[] x, double[] params, Mlp.Trace mlp, int n) {
      this.x = x;
      this.params = params;
      this.mlp = mlp;
      this.n = n;
    }
  }

  /**
   * @param order {@code order[i]} is the 1-based position of dimension i in the autoregressive ordering
   *     (see {@link #naturalOrder}, {@link #reversedOrder}, {@link #randomOrder})
   * @param hidden hidden layer widths of the MADE; at least {@code d - 1} wide for every output to be
   *     able to depend on every earlier input
   */
  public MaskedAutoregressive(ParameterLayout layout, String name, int[] order, int[] hidden,
                              Activation activation, ElementwiseBijection element) {
    this(layout, name, order, hidden, activation, element, 0.0);
  }

  /**
   * @param conditionerBound {@code b > 0}: the MADE's inputs are {@code b tanh(x / b)}; 0: x as it is
   */
  public MaskedAutoregressive(ParameterLayout layout, String name, int[] order, int[] hidden,
                              Activation activation, ElementwiseBijection element, double conditionerBound) {
    this(layout, name, order, hidden, activation, element, conditionerBound, 0);
  }

  /**
   * A conditional masked autoregressive transform: the MADE also reads {@code contextDim} context values
   * per row (its first-layer weights of the context are the parameter block {@code name.made.w0.context}).
   *
   * @param conditionerBound {@code b > 0}: the MADE's inputs are {@code b tanh(x / b)}; 0: x as it is (the
   *     context is never squashed)
   * @param contextDim context values per row; 0 for an unconditional layer
   */
  public MaskedAutoregressive(ParameterLayout layout, String name, int[] order, int[] hidden,
                              Activation activation, ElementwiseBijection element, double conditionerBound,
                              int contextDim) {
    if (contextDim < 0) {
      throw new IllegalArgumentException("the context dimension must not be negative, got " + contextDim);
    }
    if (!(conditionerBound >= 0) || Double.isInfinite(conditionerBound)) {
      throw new IllegalArgumentException("the conditioner bound must be finite and >= 0, got " + conditionerBound);
    }
    this.conditionerBound = conditionerBound;
    this.dim = order.length;
    if (dim < 1) {
      throw new IllegalArgumentException("an autoregressive transform needs at least one dimension");
    }
    this.order = order.clone();
    this.element = element;
    this.paramsPerDim = element.paramsPerDim();
    // Made.build validates the ordering before anything is allocated in the layout.
    this.contextDim = contextDim;
    this.madeWidth = dim + contextDim;
    this.made = Made.build(layout, name + ".made", this.order, hidden, paramsPerDim, activation, contextDim);
    this.sequence = Made.sequence(this.order);
  }

  /** The ordering {@code 1..d}: dimension 0 first. */
  public static int[] naturalOrder(int d) {
    int[] o = new int[d];
    for (int i = 0; i < d; i++) {
      o[i] = i + 1;
    }
    return o;
  }

  /** The ordering {@code d..1}: dimension d-1 first. Alternate it with {@link #naturalOrder} in a stack. */
  public static int[] reversedOrder(int d) {
    int[] o = new int[d];
    for (int i = 0; i < d; i++) {
      o[i] = d - i;
    }
    return o;
  }

  /** A uniformly random ordering of {@code 1..d}, reproducible from {@code seed}. */
  public static int[] randomOrder(int d, long seed) {
    int[] o = naturalOrder(d);
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = d - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int tmp = o[i];
      o[i] = o[j];
      o[j] = tmp;
    }
    return o;
  }

  public ElementwiseBijection element() {
    return element;
  }

  /** The ordering this transform was built with ({@code order[i]}: 1-based position of dimension i). */
  public int[] order() {
    return order.clone();
  }

  @Override
  public int dim() {
    return dim;
  }

  @Override
  public int contextDim() {
    return contextDim;
  }

  @Override
  public void initialize(double[] theta, SplittableRandom rng) {
    double[] id = element.identityParams();
    double[] bias = new double[dim * paramsPerDim];
    for (int i = 0; i < dim; i++) {
      System.arraycopy(id, 0, bias, i * paramsPerDim, paramsPerDim);
    }
    made.initialize(theta, rng, bias);
  }

  @Override
  public void sanitize(double[] theta) {
    // Masked weights that are not exactly zero would break the autoregressive structure, and with it
    // invertibility and the triangular log-determinant.
    made.enforceMasks(theta);
  }

  @Override
  public void forward(double[] theta, double[] z, double[] x, double[] logDet, int n, Workspace ws) {
    sample(theta, z, null, x, logDet, n, ws);
  }

  @Override
  public void inverse(double[] theta, double[] x, double[] z, double[] logDet, int n, Workspace ws) {
    inverse(theta, x, null, z, logDet, n, ws);
  }

  @Override
  public void forward(double[] theta, double[] z, double[] c, double[] x, double[] logDet, int n, Workspace ws) {
    sample(theta, z, c, x, logDet, n, ws);
  }

  @Override
  public void inverse(double[] theta, double[] x, double[] c, double[] z, double[] logDet, int n, Workspace ws) {
    ContextRows.require(c, contextDim, "this autoregressive layer");
    double[] params = ws.take(n * dim * paramsPerDim);
    made.forward(theta, madeInput(x, c, n, ws), n, params, ws);
    elementInverse(x, params, z, logDet, n, ws.take(element.scratchSize()));
  }

  /** Sequential sampling: pass k runs the MADE on the partial x and fixes dimension sequence[k]. */
  private void sample(double[] theta, double[] z, double[] c, double[] x, double[] logDet, int n, Workspace ws) {
    ContextRows.require(c, contextDim, "this autoregressive layer");
    // Not-yet-fixed dimensions meet only zero (masked) weights, but 0 * NaN is NaN, so they must not
    // hold stale garbage: start from zeros.
    Arrays.fill(x, 0, n * dim, 0.0);
    double[] params = ws.take(n * dim * paramsPerDim);
    double[] scratch = ws.take(element.scratchSize());
    int stride = dim * paramsPerDim;
    double[] u;
    if (contextDim > 0) {
      // The context columns are written once; each pass rewrites the x columns.
      u = ws.take(n * madeWidth);
      ContextRows.copyInto(c, contextDim, u, madeWidth, dim, n);
    } else {
      u = conditionerBound > 0 ? ws.take(n * dim) : x;
    }
    for (int k = 0; k < dim; k++) {
      if (contextDim > 0) {
        writeHead(x, u, n);
      } else if (conditionerBound > 0) {
        squash(x, u, n * dim);
      }
      made.forward(theta, u, n, params, ws);
      int i = sequence[k];
      for (int r = 0; r < n; r++) {
        int idx = r * dim + i;
        logDet[r] += element.forward(z[idx], params, r * stride + i * paramsPerDim, x, idx, scratch);
      }
    }
  }

  private void elementInverse(double[] x, double[] params, double[] z, double[] logDet, int n, double[] scratch) {
    int stride = dim * paramsPerDim;
    for (int r = 0; r < n; r++) {
      int ro = r * dim;
      double ld = 0.0;
      for (int i = 0; i < dim; i++) {
        ld += element.inverse(x[ro + i], params, r * stride + i * paramsPerDim, z, ro + i, scratch);
      }
      logDet[r] += ld;
    }
  }

  @Override
  public Trace inverseTrace(double[] theta, double[] x, double[] z, double[] logDet, int n) {
    return inverseTrace(theta, x, null, z, logDet, n);
  }

  @Override
  public Trace forwardTrace(double[] theta, double[] z, double[] x, double[] logDet, int n) {
    return forwardTrace(theta, z, null, x, logDet, n);
  }

  @Override
  public Trace inverseTrace(double[] theta, double[] x, double[] c, double[] z, double[] logDet, int n) {
    ContextRows.require(c, contextDim, "this autoregressive layer");
    double[] xs = Arrays.copyOf(x, n * dim);
    Mlp.Trace mt = made.forwardTrace(theta, madeInput(xs, c, n), n);
    double[] params = mt.output();
    elementInverse(xs, params, z, logDet, n, new double[element.scratchSize()]);
    return new MafTrace(xs, params, mt, n);
  }

  @Override
  public Trace forwardTrace(double[] theta, double[] z, double[] c, double[] x, double[] logDet, int n) {
    sample(theta, z, c, x, logDet, n, new Workspace());
    // The backward pass works on the density map at the sampled x; the MADE outputs at the final x are
    // the parameters sampling used, since each dimension's outputs ignore the dimensions fixed later.
    double[] xs = Arrays.copyOf(x, n * dim);
    Mlp.Trace mt = made.forwardTrace(theta, madeInput(xs, c, n), n);
    return new MafTrace(xs, mt.output(), mt, n);
  }

  @Override
  public void inverseBackward(double[] theta, Trace trace, double[] gz, double[] gLogDet, double[] gx,
                              double[] gTheta) {
    MafTrace t = (MafTrace) trace;
    int len = t.n * dim;
    double[] gCond = new double[len];
    backwardAtX(theta, t, gz, gLogDet, gx, gCond, gTheta);
    for (int i = 0; i < len; i++) {
      gx[i] += gCond[i];
    }
  }

  /**
   * Backpropagates through the sampled pass by implicit differentiation of the density map; see the
   * class documentation for the derivation.
   */
  @Override
  public void forwardBackward(double[] theta, Trace trace, double[] gx, double[] gLogDet, double[] gz,
                              double[] gTheta) {
    MafTrace t = (MafTrace) trace;
    int n = t.n;
    int len = n * dim;
    double[] negGLd = new double[n];
    for (int r = 0; r < n; r++) {
      negGLd[r] = -gLogDet[r];
    }
    double[] zeros = new double[Math.max(len, n)];
    double[] direct = new double[len];
    double[] cond = new double[len];

    // (a) r = gx + d(gLd * logdet_forward)/dx at fixed theta, logdet_forward = -logdet_inverse.
    double[] rhs = new double[len];
    backwardAtX(theta, t, zeros, negGLd, direct, cond, null);
    for (int i = 0; i < len; i++) {
      rhs[i] = gx[i] + direct[i] + cond[i];
    }

    // D = dz_i/dx_i, from the element log-derivative at the sampled x (elements are increasing).
    double[] diag = elementDerivatives(t);

    // (b) Solve J^T lambda = r with J = D + N: lambda <- D^-1 (r - N^T lambda). N^T lambda is exactly
    // the conditioner (MADE) part of the density backward with gz = lambda and no log-det gradient; the
    // element part of that backward is D lambda. Starting from lambda = D^-1 r, the error is multiplied
    // by the nilpotent -D^-1 N^T on every iteration, so d - 1 more iterations leave it exactly zero.
    double[] lambda = new double[len];
    for (int i = 0; i < len; i++) {
      lambda[i] = rhs[i] / diag[i];
    }
    for (int it = 1; it < dim; it++) {
      backwardAtX(theta, t, lambda, zeros, direct, cond, null);
      for (int i = 0; i < len; i++) {
        lambda[i] = (rhs[i] - cond[i]) / diag[i];
      }
    }

    // (c) dL/dz = lambda.
    System.arraycopy(lambda, 0, gz, 0, len);

    // (d) Parameter gradients: density backward with gz = -lambda, gLogDet = -gLd; x-gradients unused.
    double[] negLambda = new double[len];
    for (int i = 0; i < len; i++) {
      negLambda[i] = -lambda[i];
    }
    backwardAtX(theta, t, negLambda, negGLd, direct, cond, gTheta);
  }

  /** {@code dz_i/dx_i} of the density map at the traced x, per row and dimension. */
  private double[] elementDerivatives(MafTrace t) {
    int stride = dim * paramsPerDim;
    double[] diag = new double[t.n * dim];
    double[] out = new double[1];
    for (int r = 0; r < t.n; r++) {
      for (int i = 0; i < dim; i++) {
        int idx = r * dim + i;
        diag[idx] = Math.exp(element.inverse(t.x[idx], t.params, r * stride + i * paramsPerDim, out, 0));
      }
    }
    return diag;
  }

  /**
   * The one backward pass of the density map at the traced x, the building block of both directions'
   * gradients. Given dL/dz ({@code gz}) and dL/dlogdet_inverse per row, writes the x-gradient split in
   * its two paths: {@code gxDirect} through the element's own input (which with zero log-det gradient is
   * {@code D gz}) and {@code gxCond} through the MADE. Parameter gradients are added into {@code gTheta},
   * or discarded when it is null, so the implicit-differentiation iterations leave gTheta untouched.
   */
  private void backwardAtX(double[] theta, MafTrace t, double[] gz, double[] gLogDet, double[] gxDirect,
                           double[] gxCond, double[] gTheta) {
    int stride = dim * paramsPerDim;
    double[] gParams = new double[t.params.length];
    for (int r = 0; r < t.n; r++) {
      for (int i = 0; i < dim; i++) {
        int idx = r * dim + i;
        int off = r * stride + i * paramsPerDim;
        gxDirect[idx] = element.inverseBackward(t.x[idx], t.params, off, gz[idx], gLogDet[r], gParams, off);
      }
    }
    // Mlp.backward always accumulates parameter gradients; a throwaway sink discards them.
    double[] sink = gTheta;
    if (sink == null) {
      if (t.discard == null) {
        t.discard = new double[theta.length];
      }
      sink = t.discard;
    }
    if (contextDim > 0) {
      // The MADE's input gradient has context columns too; dL/dc is dropped (the context is no variable).
      if (t.wideInputGradient == null) {
        t.wideInputGradient = new double[t.n * madeWidth];
      }
      made.backward(theta, t.mlp, gParams, t.wideInputGradient, sink);
      ContextRows.copyHead(t.wideInputGradient, madeWidth, gxCond, dim, t.n);
    } else {
      made.backward(theta, t.mlp, gParams, gxCond, sink);
    }
    if (conditionerBound > 0) {
      int len = t.n * dim;
      if (t.squashSlope == null) {
        // d/dx [b tanh(x / b)] = 1 - tanh(x / b)^2
        t.squashSlope = new double[len];
        double inv = 1.0 / conditionerBound;
        for (int i = 0; i < len; i++) {
          double th = FastMath.tanh(t.x[i] * inv);
          t.squashSlope[i] = 1.0 - th * th;
        }
      }
      for (int i = 0; i < len; i++) {
        gxCond[i] *= t.squashSlope[i];
      }
    }
  }

  /** What the MADE sees of {@code n} rows x: x itself, or its bounded image in workspace scratch. */
  private double[] conditionerInput(double[] x, int n, Workspace ws) {
    if (conditionerBound == 0) {
      return x;
    }
    double[] u = ws.take(n * dim);
    squash(x, u, n * dim);
    return u;
  }

  /**
   * What the MADE reads of n rows: {@link #conditionerInput(double[], int, Workspace)} for an
   * unconditional layer; for a conditional one, each row's (possibly squashed) x followed by its context,
   * in workspace scratch.
   */
  private double[] madeInput(double[] x, double[] c, int n, Workspace ws) {
    if (contextDim == 0) {
      return conditionerInput(x, n, ws);
    }
    double[] u = ws.take(n * madeWidth);
    writeHead(x, u, n);
    ContextRows.copyInto(c, contextDim, u, madeWidth, dim, n);
    return u;
  }

  /** As {@link #madeInput(double[], double[], int, Workspace)}, in a new array (traced passes). */
  private double[] madeInput(double[] xs, double[] c, int n) {
    if (contextDim == 0) {
      return conditionerInput(xs);
    }
    double[] u = new double[n * madeWidth];
    writeHead(xs, u, n);
    ContextRows.copyInto(c, contextDim, u, madeWidth, dim, n);
    return u;
  }

  /** Writes x (squashed when there is a conditioner bound) into the first d columns of the MADE input. */
  private void writeHead(double[] x, double[] u, int n) {
    double b = conditionerBound;
    double inv = b > 0 ? 1.0 / b : 0.0;
    for (int r = 0; r < n; r++) {
      int xo = r * dim;
      int uo = r * madeWidth;
      for (int i = 0; i < dim; i++) {
        u[uo + i] = b > 0 ? b * FastMath.tanh(x[xo + i] * inv) : x[xo + i];
      }
    }
  }

  /** As {@link #conditionerInput(double[], int, Workspace)}, in a new array (traced passes). */
  private double[] conditionerInput(double[] xs) {
    if (conditionerBound == 0) {
      return xs;
    }
    double[] u = new double[xs.length];
    squash(xs, u, xs.length);
    return u;
  }

  private void squash(double[] x, double[] u, int len) {
    double b = conditionerBound;
    double inv = 1.0 / b;
    for (int i = 0; i < len; i++) {
      u[i] = b * FastMath.tanh(x[i] * inv);
    }
  }

  /** The conditioner bound b ({@code b tanh(x / b)} is what the MADE sees), 0 when there is none. */
  public double conditionerBound() {
    return conditionerBound;
  }
}
