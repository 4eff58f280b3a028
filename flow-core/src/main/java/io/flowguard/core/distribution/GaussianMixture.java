package io.flowguard.core.distribution;

import io.flowguard.core.nn.ParamKind;
import io.flowguard.core.nn.ParameterLayout;
import io.flowguard.core.nn.Workspace;
import java.util.SplittableRandom;

/**
 * A learnable mixture of K diagonal Gaussians. The classic answer to the topological barrier of flows:
 * a diffeomorphism of a single Gaussian cannot cut its mass into separated pieces, but a mixture base
 * can already hold the pieces apart and leave the transform to shape each one.
 *
 * <p>Parameters: K mixture logits, K x d means, K x d log standard deviations (all BIAS: never decayed).
 * Data-dependent initialization seeds the means by k-means++ on the latent codes of the data, so the
 * components start on distinct modes instead of on top of each other.
 */
public final class GaussianMixture implements BaseDistribution {

  private final int dim;
  private final int k;
  private final int logitOff;
  private final int meanOff;
  private final int logStdOff;

  public GaussianMixture(ParameterLayout layout, String name, int dim, int components) {
    if (components < 1) {
      throw new IllegalArgumentException("a Gaussian mixture needs at least one component, got " + components);
    }
    this.dim = dim;
    this.k = components;
    this.logitOff = layout.allocate(name + ".logits", components, ParamKind.BIAS);
    this.meanOff = layout.allocate(name + ".means", components * dim, ParamKind.BIAS);
    this.logStdOff = layout.allocate(name + ".logStds", components * dim, ParamKind.BIAS);
  }

  public int components() {
    return k;
  }

  /** Mixture weight of component c (softmax of the logits). */
  public double weight(double[] theta, int c) {
    double max = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < k; j++) {
      max = Math.max(max, theta[logitOff + j]);
    }
    double sum = 0.0;
    for (int j = 0; j < k; j++) {
      sum += Math.exp(theta[logitOff + j] - max);
    }
    return Math.exp(theta[logitOff + c] - max) / sum;
  }

  public double mean(double[] theta, int c, int i) {
    return theta[meanOff + c * dim + i];
  }

  public double std(double[] theta, int c, int i) {
    return Math.exp(theta[logStdOff + c * dim + i]);
  }

  @Override
  public int dim() {
    return dim;
  }

  @Override
  public void initialize(double[] theta, SplittableRandom rng) {
    java.util.Arrays.fill(theta, logitOff, logitOff + k, 0.0);
    // Small random offsets break the symmetry between components when no data initialization follows.
    for (int i = 0; i < k * dim; i++) {
      theta[meanOff + i] = k == 1 ? 0.0 : 0.5 * BaseDistribution.gaussian(rng);
    }
    java.util.Arrays.fill(theta, logStdOff, logStdOff + k * dim, 0.0);
  }

  @Override
  public void initializeFromData(double[] theta, double[] z, int n, SplittableRandom rng) {
    if (n == 0) {
      return;
    }
    double[] var = new double[dim];
    double[] mean = new double[dim];
    for (int r = 0; r < n; r++) {
      for (int i = 0; i < dim; i++) {
        mean[i] += z[r * dim + i] / n;
      }
    }
    for (int r = 0; r < n; r++) {
      for (int i = 0; i < dim; i++) {
        double dz = z[r * dim + i] - mean[i];
        var[i] += dz * dz / n;
      }
    }
    // k-means++ seeding: each next mean is a data point drawn with probability ~ squared distance.
    double[] dist = new double[n];
    java.util.Arrays.fill(dist, Double.POSITIVE_INFINITY);
    int first = rng.nextInt(n);
    for (int c = 0; c < k; c++) {
      int pick = first;
      if (c > 0) {
        double total = 0.0;
        for (double v : dist) {
          total += v;
        }
        double u = rng.nextDouble() * total;
        pick = n - 1;
        for (int r = 0; r < n; r++) {
          u -= dist[r];
          if (u <= 0) {
            pick = r;
            break;
          }
        }
      }
      System.arraycopy(z, pick * dim, theta, meanOff + c * dim, dim);
      for (int r = 0; r < n; r++) {
        double s = 0.0;
        for (int i = 0; i < dim; i++) {
          double dz = z[r * dim + i] - theta[meanOff + c * dim + i];
          s += dz * dz;
        }
        dist[r] = Math.min(dist[r], s);
      }
    }
    // Each component starts narrower than the data by K^(1/d), so that K of them cover about its volume.
    double shrink = Math.log(k) / dim;
    for (int c = 0; c < k; c++) {
      for (int i = 0; i < dim; i++) {
        theta[logStdOff + c * dim + i] = 0.5 * Math.log(Math.max(var[i], 1e-12)) - shrink;
      }
    }
    java.util.Arrays.fill(theta, logitOff, logitOff + k, 0.0);
  }

  @Override
  public void logProb(double[] theta, double[] z, int n, double[] out) {
    logProb(theta, z, n, out, new double[k], new double[k * (dim + 1)]);
  }

  @Override
  public void logProb(double[] theta, double[] z, int n, double[] out, Workspace ws) {
    logProb(theta, z, n, out, ws.take(k), ws.take(k * (dim + 1)));
  }

  /**
   * Per call: the normalized log-weights and log-normalizers of the components, {@code c_c = log pi_c
   * - d log(2 pi) / 2 - sum_i log sigma_ci}, and the inverse standard deviations; per row then only
   * {@code c_c - |(z - mu_c) / sigma_c|^2 / 2} and a log-sum-exp. {@code pre} holds the k constants
   * followed by the k x d inverse standard deviations.
   */
  private void logProb(double[] theta, double[] z, int n, double[] out, double[] comp, double[] pre) {
    double maxLogit = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < k; c++) {
      maxLogit = Math.max(maxLogit, theta[logitOff + c]);
    }
    double sumExp = 0.0;
    for (int c = 0; c < k; c++) {
      sumExp += Math.exp(theta[logitOff + c] - maxLogit);
    }
    double logNorm = maxLogit + Math.log(sumExp);
    for (int c = 0; c < k; c++) {
      double s = theta[logitOff + c] - logNorm - dim * HALF_LOG_2PI;
      int so = logStdOff + c * dim;
      for (int i = 0; i < dim; i++) {
        s -= theta[so + i];
        pre[k + c * dim + i] = Math.exp(-theta[so + i]);
      }
      pre[c] = s;
    }
    for (int r = 0; r < n; r++) {
      int o = r * dim;
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < k; c++) {
        int mo = meanOff + c * dim;
        int io = k + c * dim;
        double q = 0.0;
        for (int i = 0; i < dim; i++) {
          double u = (z[o + i] - theta[mo + i]) * pre[io + i];
          q += u * u;
        }
        double s = pre[c] - 0.5 * q;
        comp[c] = s;
        max = Math.max(max, s);
      }
      if (max == Double.NEGATIVE_INFINITY) {
        out[r] = max;
        continue;
      }
      double acc = 0.0;
      for (int c = 0; c < k; c++) {
        acc += Math.exp(comp[c] - max);
      }
      out[r] = max + Math.log(acc);
    }
  }

  /**
   * Fills comp[c] = log pi_c + log N_c(z_r) and returns their log-sum-exp. {@code logNorm} is the
   * log-sum-exp of the logits and {@code inv} the k x d inverse standard deviations, computed once per
   * call of {@link #logProbBackward} rather than per row (the same values, so the same arithmetic).
   */
  private double componentLogProbs(double[] theta, double[] z, int r, double logNorm, double[] inv, double[] comp) {
    double max = Double.NEGATIVE_INFINITY;
    int o = r * dim;
    for (int c = 0; c < k; c++) {
      double s = theta[logitOff + c] - logNorm - dim * HALF_LOG_2PI;
      int mo = meanOff + c * dim;
      int so = logStdOff + c * dim;
      int io = c * dim;
      for (int i = 0; i < dim; i++) {
        double u = (z[o + i] - theta[mo + i]) * inv[io + i];
        s += -0.5 * u * u - theta[so + i];
      }
      comp[c] = s;
      max = Math.max(max, s);
    }
    if (max == Double.NEGATIVE_INFINITY) {
      return max;
    }
    double acc = 0.0;
    for (int c = 0; c < k; c++) {
      acc += Math.exp(comp[c] - max);
    }
    return max + Math.log(acc);
  }

  @Override
  public void logProbBackward(double[] theta, double[] z, int n, double[] gLogP, double[] gz, double[] gTheta) {
    double[] comp = new double[k];
    double[] weights = new double[k];
    double[] inv = new double[k * dim];
    double maxLogit = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < k; c++) {
      maxLogit = Math.max(maxLogit, theta[logitOff + c]);
    }
    double sumExp = 0.0;
    for (int c = 0; c < k; c++) {
      weights[c] = Math.exp(theta[logitOff + c] - maxLogit);
      sumExp += weights[c];
    }
    double logNorm = maxLogit + Math.log(sumExp);
    for (int c = 0; c < k; c++) {
      weights[c] /= sumExp;
    }
    for (int j = 0; j < k * dim; j++) {
      inv[j] = Math.exp(-theta[logStdOff + j]);
    }
    for (int r = 0; r < n; r++) {
      double lse = componentLogProbs(theta, z, r, logNorm, inv, comp);
      double g = gLogP[r];
      int o = r * dim;
      for (int i = 0; i < dim; i++) {
        gz[o + i] = 0.0;
      }
      for (int c = 0; c < k; c++) {
        double resp = Math.exp(comp[c] - lse);
        double gr = g * resp;
        gTheta[logitOff + c] += g * (resp - weights[c]);
        int mo = meanOff + c * dim;
        int so = logStdOff + c * dim;
        int io = c * dim;
        for (int i = 0; i < dim; i++) {
          double iv = inv[io + i];
          double u = (z[o + i] - theta[mo + i]) * iv;
          double gu = gr * u * iv;
          gz[o + i] -= gu;
          gTheta[mo + i] += gu;
          gTheta[so + i] += gr * (u * u - 1.0);
        }
      }
    }
  }

  @Override
  public void sample(double[] theta, int n, SplittableRandom rng, double[] out) {
    double maxLogit = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < k; c++) {
      maxLogit = Math.max(maxLogit, theta[logitOff + c]);
    }
    double[] cdf = new double[k];
    double total = 0.0;
    for (int c = 0; c < k; c++) {
      total += Math.exp(theta[logitOff + c] - maxLogit);
      cdf[c] = total;
    }
    for (int r = 0; r < n; r++) {
      double u = rng.nextDouble() * total;
      int c = 0;
      while (c < k - 1 && u > cdf[c]) {
        c++;
      }
      for (int i = 0; i < dim; i++) {
        out[r * dim + i] = theta[meanOff + c * dim + i]
            + Math.exp(theta[logStdOff + c * dim + i]) * BaseDistribution.gaussian(rng);
      }
    }
  }
}
