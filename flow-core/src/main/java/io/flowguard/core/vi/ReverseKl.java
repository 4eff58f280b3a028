package io.flowguard.core.vi;

import io.flowguard.core.distribution.StandardNormal;
import io.flowguard.core.flow.Flow;
import io.flowguard.core.nn.Workspace;
import io.flowguard.core.transform.Transform;
import java.util.SplittableRandom;

/**
 * The reverse-KL (variational) objective of a flow {@code q} against an unnormalized target
 * {@code p~ = Z p}: the evidence lower bound
 * {@code ELBO = E_q[log p~(x) - log q(x)] = log Z - KL(q || p) <= log Z}, its reparameterization
 * gradient, and an importance-sampling estimate of {@code log Z}.
 *
 * <p>Samples go through the flow's <em>sampling</em> direction: {@code z ~ N(0, I)}, {@code x = f(z)},
 * and the density of a flow's own sample costs nothing extra,
 * {@code log q(x) = log N(z) - log|det df/dz|}. So
 * {@code ELBO = E_z[log p~(f(z)) - log N(z) + log|det df/dz|]}: the log-determinant of the sampling
 * direction enters with a <em>plus</em> sign (it is the entropy of q, up to the base's), the opposite of
 * its role in maximum likelihood, where the density direction's log-det is added to {@code log N(z)}.
 * Writing it with the maximum-likelihood sign rewards shrinking the flow and collapses q onto a mode;
 * {@link #elboAndGradient} can make that mistake on purpose ({@code flipEntropySign}) so that the
 * examples can show it.
 *
 * <p>The flows to use are those whose sampling direction is one parallel pass: IAF (a MAF read the other
 * way, family {@code iaf}) and the coupling families. MAF works but samples sequentially (d conditioner
 * passes). The base must be a standard normal: the reparameterization gradient through a learned base
 * is not implemented.
 */
public final class ReverseKl {

  /** Rows per chunk of the estimators, which bounds their memory whatever the sample count. */
  private static final int CHUNK = 4096;

  private ReverseKl() {}

  /** Fails, saying why, unless {@code flow} can be fitted by reverse KL (its base must be a standard normal). */
  public static void checkFlow(Flow flow) {
    if (!(flow.base() instanceof StandardNormal)) {
      throw new IllegalArgumentException("reverse-KL fits need a standard-normal base; this flow has "
          + flow.base().getClass().getSimpleName() + " (the gradient through a learned base's sampling is not"
          + " implemented): use base standard-normal");
    }
  }

  /**
   * The Monte-Carlo ELBO of the base draws {@code z} ({@code n} rows), and the gradient of
   * {@code -ELBO} (the loss) added into {@code gTheta}. Common random numbers: the same {@code z} gives
   * the same value for the same parameters, which is what a finite-difference check of the gradient
   * needs.
   *
   * @param flipEntropySign the deliberate mistake (for teaching only): the gradient of
   *     {@code E[log p~(x) - log N(z) - log|det df/dz|]}, the maximum-likelihood sign
   * @return the mean of {@code log p~(x) - log q(x)} over the rows (the true ELBO estimate, whatever
   *     the sign used for the gradient), or a non-finite value when a sample falls outside the target's
   *     support (the gradient is then not meaningful)
   */
  public static double elboAndGradient(Flow flow, LogDensity target, double[] z, int n, double[] gTheta,
                                       boolean flipEntropySign) {
    checkFlow(flow);
    int d = flow.dim();
    double[] theta = flow.parameters();
    double[] x = new double[n * d];
    double[] logDet = new double[n];
    Transform.Trace trace = flow.transform().forwardTrace(theta, z, x, logDet, n);
    double[] logBase = new double[n];
    flow.base().logProb(theta, z, n, logBase);
    double[] gx = new double[n * d];
    double[] row = new double[d];
    double[] grad = new double[d];
    double sum = 0.0;
    for (int r = 0; r < n; r++) {
      System.arraycopy(x, r * d, row, 0, d);
      double lp = target.valueAndGradient(row, grad);
      sum += lp - (logBase[r] - logDet[r]);
      // d(-ELBO)/dx = -grad log p~ / n; log N(z) does not depend on theta for fixed z.
      for (int i = 0; i < d; i++) {
        gx[r * d + i] = -grad[i] / n;
      }
    }
    double elbo = sum / n;
    if (!Double.isFinite(elbo)) {
      return elbo;
    }
    double[] gLogDet = new double[n];
    java.util.Arrays.fill(gLogDet, flipEntropySign ? 1.0 / n : -1.0 / n);
    flow.transform().forwardBackward(theta, trace, gx, gLogDet, new double[n * d], gTheta);
    return elbo;
  }

  /** The ELBO of {@link #elboAndGradient} without the gradient (for checks and curves). */
  public static double elbo(Flow flow, LogDensity target, double[] z, int n) {
    double[] lw = logWeights(flow, target, z, n);
    double s = 0.0;
    for (double v : lw) {
      s += v;
    }
    return s / n;
  }

  /**
   * {@code log p~(x) - log q(x)} at {@code x = f(z)} for each row of {@code z}: the log importance
   * weights of q's own samples.
   */
  public static double[] logWeights(Flow flow, LogDensity target, double[] z, int n) {
    checkFlow(flow);
    int d = flow.dim();
    double[] theta = flow.parameters();
    double[] x = new double[n * d];
    double[] logDet = new double[n];
    flow.transform().forward(theta, z, x, logDet, n, new Workspace());
    double[] logBase = new double[n];
    flow.base().logProb(theta, z, n, logBase);
    double[] row = new double[d];
    double[] lw = new double[n];
    for (int r = 0; r < n; r++) {
      System.arraycopy(x, r * d, row, 0, d);
      lw[r] = target.logDensity(row) - (logBase[r] - logDet[r]);
    }
    return lw;
  }

  /**
   * Estimates {@code log Z} by importance sampling with q as the proposal, from {@code samples} draws:
   * {@code Z^ = mean(w)}, {@code w = p~(x) / q(x)}, computed in log space (log-sum-exp). The standard
   * error of {@code log Z^} is the delta method's {@code sd(w) / (mean(w) sqrt(n))}. {@code Z^} is
   * unbiased for Z, {@code log Z^} slightly low (Jensen), and both are only as good as q's coverage: a
   * q that misses a mode of p gives a confident, small standard error and a wrong answer (the
   * {@code modes} example shows it), so read the effective sample size alongside.
   */
  public static LogNormalizerEstimate estimateLogNormalizer(Flow flow, LogDensity target, int samples, long seed) {
    if (samples < 2) {
      throw new IllegalArgumentException("need at least 2 samples to estimate log Z, got " + samples);
    }
    checkFlow(flow);
    int d = flow.dim();
    double[] lw = new double[samples];
    SplittableRandom rng = new SplittableRandom(seed);
    for (int start = 0; start < samples; start += CHUNK) {
      int m = Math.min(CHUNK, samples - start);
      double[] z = new double[m * d];
      flow.base().sample(flow.parameters(), m, rng, z);
      System.arraycopy(logWeights(flow, target, z, m), 0, lw, start, m);
    }
    return LogNormalizerEstimate.fromLogWeights(lw);
  }
}
