package io.flowguard.core.flow;

import io.flowguard.core.distribution.BaseDistribution;
import io.flowguard.core.nn.ParameterLayout;
import io.flowguard.core.nn.Workspace;
import io.flowguard.core.transform.Transform;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * A normalizing flow: a base density p_Z and an invertible transform, with
 * {@code log p(x) = log p_Z(f^-1(x)) + log|det J_{f^-1}(x)|}.
 *
 * <p>All parameters live in one flat vector ({@link #parameters()}), laid out by {@link #layout()}.
 * Batches are row-major {@code double[]} with {@code n} rows of {@link #dim()} columns; the
 * {@code double[][]} overloads are for convenience. Public entry points validate their input and fail
 * with a message that names the row and column of a non-finite value or a wrong dimension. A flow is not
 * thread-safe while it trains; for concurrent scoring, each thread uses its own {@link Workspace}.
 *
 * <p>Conditional flows ({@link #contextDim()} {@code m > 0}, spec {@code context}) model
 * {@code log p(x | c) = log p_Z(f_c^-1(x) | c) + log|det J_{f_c^-1}(x)|}: every method has an overload
 * that takes the context c, row-major {@code n x m}, one row per data row. Their context-free
 * counterparts fail on a conditional flow (a density at some default context would be a silent wrong
 * answer); on an unconditional flow the context overloads accept a null (or empty) context and compute
 * exactly what the context-free methods compute.
 */
public final class Flow {

  private final FlowSpec spec;
  private final Transform transform;
  private final BaseDistribution base;
  private final ParameterLayout layout;
  private final double[] theta;
  private final int contextDim;

  /**
   * Assembles a flow from parts that share {@code layout}; {@code theta} must have
   * {@code layout.size()} values. Use {@link FlowFactory#create} to build one from a {@link FlowSpec}.
   * A conditional transform and a conditional base must read the same context dimension.
   */
  public Flow(FlowSpec spec, Transform transform, BaseDistribution base, ParameterLayout layout, double[] theta) {
    if (transform.dim() != base.dim()) {
      throw new IllegalArgumentException("transform dimension " + transform.dim() + " != base dimension " + base.dim());
    }
    if (theta.length != layout.size()) {
      throw new IllegalArgumentException("expected " + layout.size() + " parameters, got " + theta.length);
    }
    int tm = transform.contextDim();
    int bm = base.contextDim();
    if (tm > 0 && bm > 0 && tm != bm) {
      throw new IllegalArgumentException("transform context dimension " + tm + " != base context dimension " + bm);
    }
    this.contextDim = Math.max(tm, bm);
    if (spec != null && spec.contextDim() != contextDim) {
      throw new IllegalArgumentException("the spec has context " + spec.contextDim() + " but the transform and base"
          + " read " + contextDim);
    }
    this.spec = spec;
    this.transform = transform;
    this.base = base;
    this.layout = layout;
    this.theta = theta;
  }

  public int dim() {
    return transform.dim();
  }

  /** Context values per row this flow is conditioned on; 0 for an unconditional flow. */
  public int contextDim() {
    return contextDim;
  }

  /** The spec this flow was built from; empty for a flow assembled by hand. */
  public Optional<FlowSpec> spec() {
    return Optional.ofNullable(spec);
  }

  public Transform transform() {
    return transform;
  }

  public BaseDistribution base() {
    return base;
  }

  public ParameterLayout layout() {
    return layout;
  }

  /** The live parameter vector (not a copy): the trainer updates it in place. */
  public double[] parameters() {
    return theta;
  }

  /** Replaces every parameter value (e.g. from a model file) and restores structural invariants. */
  public void setParameters(double[] values) {
    if (values.length != theta.length) {
      throw new IllegalArgumentException("expected " + theta.length + " parameters, got " + values.length);
    }
    System.arraycopy(values, 0, theta, 0, theta.length);
    transform.sanitize(theta);
  }

  /** The context-free methods are for unconditional flows only; {@code call} names the overload to use. */
  private void requireUnconditional(String call) {
    if (contextDim > 0) {
      throw new IllegalStateException("this flow is conditional on " + contextDim + " context value"
          + (contextDim == 1 ? "" : "s") + " per row; call " + call + " with the context c (n rows of " + contextDim
          + " values)");
    }
  }

  /** The unchecked paths' guard: a conditional flow needs a context of at least n rows. */
  private void requireContext(double[] c, int n) {
    if (contextDim > 0 && (c == null || c.length < (long) n * contextDim)) {
      throw new IllegalArgumentException("this flow is conditional on " + contextDim + " context values per row;"
          + " the context must hold " + n + " rows of " + contextDim + " values, got "
          + (c == null ? "none" : c.length + " values"));
    }
  }

  /** log p(x) of each row. Unconditional flows only; see {@link #logProb(double[], double[], int)}. */
  public double[] logProb(double[] x, int n) {
    requireUnconditional("logProb(x, c, n)");
    FlowInputs.validate(x, n, dim());
    double[] out = new double[n];
    logProbRows(x, null, n, out, new Workspace());
    return out;
  }

  /** log p(x) of each row, as {@code double[]} rows. Unconditional flows only. */
  public double[] logProb(double[][] rows) {
    return logProb(FlowInputs.flatten(rows, dim()), rows.length);
  }

  /**
   * log p(x | c) of each row, checked: x must be {@code n x dim()} and c exactly {@code n x contextDim()}
   * (null for an unconditional flow), all finite; a violation names the row and column.
   */
  public double[] logProb(double[] x, double[] c, int n) {
    FlowInputs.validate(x, n, dim());
    double[] ctx = FlowInputs.validateContext(c, n, contextDim);
    double[] out = new double[n];
    logProbRows(x, ctx, n, out, new Workspace());
    return out;
  }

  /** log p(x | c) of each row, as {@code double[]} rows with one context row per data row. */
  public double[] logProb(double[][] rows, double[][] context) {
    double[] x = FlowInputs.flatten(rows, dim());
    return logProb(x, FlowInputs.flattenContext(context, rows.length, contextDim), rows.length);
  }

  /**
   * The unchecked fast path: log p(x) of each row into {@code out}, scratch from {@code ws} (reset
   * here). The caller guarantees finite input of the right shape. Unconditional flows only; see
   * {@link #logProb(double[], double[], int, double[], Workspace)}.
   */
  public void logProb(double[] x, int n, double[] out, Workspace ws) {
    requireUnconditional("logProb(x, c, n, out, ws)");
    logProbRows(x, null, n, out, ws);
  }

  /**
   * The unchecked fast path of a conditional flow: log p(x | c) of each row into {@code out}, scratch
   * from {@code ws} (reset here), allocation-free once the workspace has seen the batch size. The caller
   * guarantees finite x of {@code n x dim()} and finite c of {@code n x contextDim()} (c may be null for
   * an unconditional flow, where this is exactly {@link #logProb(double[], int, double[], Workspace)}).
   */
  public void logProb(double[] x, double[] c, int n, double[] out, Workspace ws) {
    requireContext(c, n);
    logProbRows(x, contextDim > 0 ? c : null, n, out, ws);
  }

  private void logProbRows(double[] x, double[] c, int n, double[] out, Workspace ws) {
    ws.reset();
    double[] z = ws.take(n * dim());
    double[] ld = ws.take(n);
    java.util.Arrays.fill(ld, 0, n, 0.0);
    transform.inverse(theta, x, c, z, ld, n, ws);
    base.logProb(theta, z, c, n, out, ws);
    for (int r = 0; r < n; r++) {
      out[r] += ld[r];
    }
  }

  /** The latent code z = f^-1(x) of each row. Unconditional flows only. */
  public double[] toLatent(double[] x, int n) {
    requireUnconditional("toLatent(x, c, n)");
    return toLatent(x, null, n);
  }

  /**
   * The latent code z = f_c^-1(x) of each row given its context, checked as
   * {@link #logProb(double[], double[], int)}.
   */
  public double[] toLatent(double[] x, double[] c, int n) {
    FlowInputs.validate(x, n, dim());
    double[] ctx = FlowInputs.validateContext(c, n, contextDim);
    double[] z = new double[n * dim()];
    transform.inverse(theta, x, ctx, z, new double[n], n, new Workspace());
    return z;
  }

  /** The data point x = f(z) of each latent row. Unconditional flows only. */
  public double[] fromLatent(double[] z, int n) {
    requireUnconditional("fromLatent(z, c, n)");
    return fromLatent(z, null, n);
  }

  /** The data point x = f_c(z) of each latent row given its context (checked). */
  public double[] fromLatent(double[] z, double[] c, int n) {
    FlowInputs.validate(z, n, dim());
    double[] ctx = FlowInputs.validateContext(c, n, contextDim);
    double[] x = new double[n * dim()];
    transform.forward(theta, z, ctx, x, new double[n], n, new Workspace());
    return x;
  }

  /** n samples, deterministic for a given seed. Unconditional flows only. */
  public double[] sample(int n, long seed) {
    requireUnconditional("sample(c, n, seed)");
    double[] z = new double[n * dim()];
    base.sample(theta, n, new SplittableRandom(seed), z);
    double[] x = new double[n * dim()];
    transform.forward(theta, z, x, new double[n], n, new Workspace());
    return x;
  }

  /**
   * n samples, row r drawn from p(x | c_r) (c is checked, {@code n x contextDim()}), deterministic for a
   * given seed. For many draws at one context, repeat its row.
   */
  public double[] sample(double[] c, int n, long seed) {
    double[] ctx = FlowInputs.validateContext(c, n, contextDim);
    if (ctx == null) {
      return sample(n, seed);
    }
    double[] z = new double[n * dim()];
    base.sample(theta, ctx, n, new SplittableRandom(seed), z);
    double[] x = new double[n * dim()];
    transform.forward(theta, z, ctx, x, new double[n], n, new Workspace());
    return x;
  }

  /**
   * Mean negative log-likelihood of a batch and its gradient, added into {@code gTheta}. The batch is
   * not validated here: the trainer validates its data once, up front. Unconditional flows only.
   */
  public double meanNllAndGradient(double[] x, int n, double[] gTheta) {
    requireUnconditional("meanNllAndGradient(x, c, n, gTheta)");
    return nllAndGradient(x, null, n, gTheta);
  }

  /**
   * Mean negative log-likelihood of a batch given its context, {@code -mean log p(x_r | c_r)}, and its
   * gradient in the parameters (the context weights included), added into {@code gTheta}. Not validated
   * beyond the context's presence: the trainer validates its data once, up front. c may be null for an
   * unconditional flow.
   */
  public double meanNllAndGradient(double[] x, double[] c, int n, double[] gTheta) {
    requireContext(c, n);
    return nllAndGradient(x, contextDim > 0 ? c : null, n, gTheta);
  }

  private double nllAndGradient(double[] x, double[] c, int n, double[] gTheta) {
    int d = dim();
    double[] z = new double[n * d];
    double[] ld = new double[n];
    Transform.Trace trace = transform.inverseTrace(theta, x, c, z, ld, n);
    double[] lp = new double[n];
    if (c == null) {
      base.logProb(theta, z, n, lp);
    } else {
      base.logProb(theta, z, c, n, lp, new Workspace());
    }
    double nll = 0.0;
    for (int r = 0; r < n; r++) {
      nll -= lp[r] + ld[r];
    }
    double[] g = new double[n];
    java.util.Arrays.fill(g, -1.0 / n);
    double[] gz = new double[n * d];
    base.logProbBackward(theta, z, c, n, g, gz, gTheta);
    transform.inverseBackward(theta, trace, gz, g, new double[n * d], gTheta);
    return nll / n;
  }

  /** Mean negative log-likelihood of a batch (nats per row). Unconditional flows only. */
  public double meanNll(double[] x, int n) {
    requireUnconditional("meanNll(x, c, n)");
    return nll(x, null, n);
  }

  /**
   * Mean negative log-likelihood of a batch given its context, {@code -mean log p(x_r | c_r)} (nats per
   * row); unchecked like {@link #meanNllAndGradient(double[], double[], int, double[])}.
   */
  public double meanNll(double[] x, double[] c, int n) {
    requireContext(c, n);
    return nll(x, contextDim > 0 ? c : null, n);
  }

  private double nll(double[] x, double[] c, int n) {
    double[] lp = new double[n];
    Workspace ws = new Workspace();
    int chunk = 4096;
    double total = 0.0;
    for (int start = 0; start < n; start += chunk) {
      int m = Math.min(chunk, n - start);
      double[] part = java.util.Arrays.copyOfRange(x, start * dim(), (start + m) * dim());
      double[] partContext = c == null ? null
          : java.util.Arrays.copyOfRange(c, start * contextDim, (start + m) * contextDim);
      logProbRows(part, partContext, m, lp, ws);
      for (int r = 0; r < m; r++) {
        total -= lp[r];
      }
    }
    return total / n;
  }

  /**
   * Data-dependent initialization before training: ActNorm layers take the statistics of the data, then
   * the base distribution is fitted to the latent codes of the data (mixture means by k-means++).
   * Unconditional flows only.
   */
  public void initializeFromData(double[] x, int n, long seed) {
    requireUnconditional("initializeFromData(x, c, n, seed)");
    initializeFromData(x, null, n, seed);
  }

  /**
   * {@link #initializeFromData(double[], int, long)} for a conditional flow: the layers see the training
   * rows with their context (c, {@code n x contextDim()}; null for an unconditional flow), and the base is
   * fitted to the latent codes (a conditional-normal base: its context-free part, context weights zero).
   */
  public void initializeFromData(double[] x, double[] c, int n, long seed) {
    requireContext(c, n);
    double[] ctx = contextDim > 0 ? c : null;
    double[] z = new double[n * dim()];
    if (ctx == null) {
      transform.initializeFromData(theta, x, n);
      transform.inverse(theta, x, z, new double[n], n, new Workspace());
      base.initializeFromData(theta, z, n, new SplittableRandom(seed ^ 0x5DEECE66DL));
    } else {
      transform.initializeFromData(theta, x, ctx, n);
      transform.inverse(theta, x, ctx, z, new double[n], n, new Workspace());
      base.initializeFromData(theta, z, ctx, n, new SplittableRandom(seed ^ 0x5DEECE66DL));
    }
  }

  /** A deep copy with its own parameter vector (structure is immutable and shared). */
  public Flow copy() {
    return new Flow(spec, transform, base, layout, theta.clone());
  }
}
