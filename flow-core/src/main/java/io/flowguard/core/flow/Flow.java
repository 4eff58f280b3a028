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
 */
public final class Flow {

  private final FlowSpec spec;
  private final Transform transform;
  private final BaseDistribution base;
  private final ParameterLayout layout;
  private final double[] theta;

  /**
   * Assembles a flow from parts that share {@code layout}; {@code theta} must have
   * {@code layout.size()} values. Use {@link FlowFactory#create} to build one from a {@link FlowSpec}.
   */
  public Flow(FlowSpec spec, Transform transform, BaseDistribution base, ParameterLayout layout, double[] theta) {
    if (transform.dim() != base.dim()) {
      throw new IllegalArgumentException("transform dimension " + transform.dim() + " != base dimension " + base.dim());
    }
    if (theta.length != layout.size()) {
      throw new IllegalArgumentException("expected " + layout.size() + " parameters, got " + theta.length);
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

  /** log p(x) of each row. */
  public double[] logProb(double[] x, int n) {
    FlowInputs.validate(x, n, dim());
    double[] out = new double[n];
    logProb(x, n, out, new Workspace());
    return out;
  }

  public double[] logProb(double[][] rows) {
    return logProb(FlowInputs.flatten(rows, dim()), rows.length);
  }

  /**
   * The unchecked fast path: log p(x) of each row into {@code out}, scratch from {@code ws} (reset
   * here). The caller guarantees finite input of the right shape.
   */
  public void logProb(double[] x, int n, double[] out, Workspace ws) {
    ws.reset();
    double[] z = ws.take(n * dim());
    double[] ld = ws.take(n);
    java.util.Arrays.fill(ld, 0, n, 0.0);
    transform.inverse(theta, x, z, ld, n, ws);
    base.logProb(theta, z, n, out, ws);
    for (int r = 0; r < n; r++) {
      out[r] += ld[r];
    }
  }

  /** The latent code z = f^-1(x) of each row. */
  public double[] toLatent(double[] x, int n) {
    FlowInputs.validate(x, n, dim());
    double[] z = new double[n * dim()];
    transform.inverse(theta, x, z, new double[n], n, new Workspace());
    return z;
  }

  /** The data point x = f(z) of each latent row. */
  public double[] fromLatent(double[] z, int n) {
    FlowInputs.validate(z, n, dim());
    double[] x = new double[n * dim()];
    transform.forward(theta, z, x, new double[n], n, new Workspace());
    return x;
  }

  /** n samples, deterministic for a given seed. */
  public double[] sample(int n, long seed) {
    double[] z = new double[n * dim()];
    base.sample(theta, n, new SplittableRandom(seed), z);
    double[] x = new double[n * dim()];
    transform.forward(theta, z, x, new double[n], n, new Workspace());
    return x;
  }

  /**
   * Mean negative log-likelihood of a batch and its gradient, added into {@code gTheta}. The batch is
   * not validated here: the trainer validates its data once, up front.
   */
  public double meanNllAndGradient(double[] x, int n, double[] gTheta) {
    int d = dim();
    double[] z = new double[n * d];
    double[] ld = new double[n];
    Transform.Trace trace = transform.inverseTrace(theta, x, z, ld, n);
    double[] lp = new double[n];
    base.logProb(theta, z, n, lp);
    double nll = 0.0;
    for (int r = 0; r < n; r++) {
      nll -= lp[r] + ld[r];
    }
    double[] g = new double[n];
    java.util.Arrays.fill(g, -1.0 / n);
    double[] gz = new double[n * d];
    base.logProbBackward(theta, z, n, g, gz, gTheta);
    transform.inverseBackward(theta, trace, gz, g, new double[n * d], gTheta);
    return nll / n;
  }

  /** Mean negative log-likelihood of a batch (nats per row). */
  public double meanNll(double[] x, int n) {
    double[] lp = new double[n];
    Workspace ws = new Workspace();
    int chunk = 4096;
    double total = 0.0;
    for (int start = 0; start < n; start += chunk) {
      int m = Math.min(chunk, n - start);
      double[] part = java.util.Arrays.copyOfRange(x, start * dim(), (start + m) * dim());
      logProb(part, m, lp, ws);
      for (int r = 0; r < m; r++) {
        total -= lp[r];
      }
    }
    return total / n;
  }

  /**
   * Data-dependent initialization before training: ActNorm layers take the statistics of the data, then
   * the base distribution is fitted to the latent codes of the data (mixture means by k-means++).
   */
  public void initializeFromData(double[] x, int n, long seed) {
    transform.initializeFromData(theta, x, n);
    double[] z = new double[n * dim()];
    transform.inverse(theta, x, z, new double[n], n, new Workspace());
    base.initializeFromData(theta, z, n, new SplittableRandom(seed ^ 0x5DEECE66DL));
  }

  /** A deep copy with its own parameter vector (structure is immutable and shared). */
  public Flow copy() {
    return new Flow(spec, transform, base, layout, theta.clone());
  }
}
