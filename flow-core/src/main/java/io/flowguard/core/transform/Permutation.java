package io.flowguard.core.transform;

import io.flowguard.core.nn.Workspace;
import java.util.SplittableRandom;

/**
 * A fixed reordering of the dimensions: density direction {@code z[i] = x[perm[i]]}, sampling direction
 * {@code x[perm[i]] = z[i]}. Placed between coupling or autoregressive layers so that every dimension
 * gets transformed and conditions the others. No parameters; volume-preserving (log-det 0).
 */
public final class Permutation implements Transform {

  private final int[] perm;

  private record PermutationTrace(int n) implements Trace {}

  /**
   * @param perm a permutation of {@code 0..d-1}; {@code perm[i]} is the input dimension that becomes
   *     output dimension i in the density direction
   * @throws IllegalArgumentException if {@code perm} is empty or not a permutation of {@code 0..d-1}
   */
  public Permutation(int[] perm) {
    if (perm == null || perm.length == 0) {
      throw new IllegalArgumentException("a permutation needs at least one dimension");
    }
    int d = perm.length;
    int[] seenAt = new int[d];
    java.util.Arrays.fill(seenAt, -1);
    for (int i = 0; i < d; i++) {
      int p = perm[i];
      if (p < 0 || p >= d) {
        throw new IllegalArgumentException("not a permutation of 0.." + (d - 1) + ": entry " + i + " is " + p
            + ", outside the range");
      }
      if (seenAt[p] >= 0) {
        throw new IllegalArgumentException("not a permutation of 0.." + (d - 1) + ": " + p
            + " appears at both " + seenAt[p] + " and " + i);
      }
      seenAt[p] = i;
    }
    this.perm = perm.clone();
  }

  /** The reversal {@code d-1, ..., 0}, the usual choice between layers with fixed masks or orders. */
  public static Permutation reverse(int d) {
    int[] p = new int[d];
    for (int i = 0; i < d; i++) {
      p[i] = d - 1 - i;
    }
    return new Permutation(p);
  }

  /** A uniformly random permutation of {@code 0..d-1}, reproducible from {@code seed}. */
  public static Permutation random(int d, long seed) {
    int[] p = new int[d];
    for (int i = 0; i < d; i++) {
      p[i] = i;
    }
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = d - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int tmp = p[i];
      p[i] = p[j];
      p[j] = tmp;
    }
    return new Permutation(p);
  }

  /** A copy of the permutation: {@code perm[i]} is the input dimension of output i (density direction). */
  public int[] perm() {
    return perm.clone();
  }

  @Override
  public int dim() {
    return perm.length;
  }

  @Override
  public void initialize(double[] theta, SplittableRandom rng) {}

  @Override
  public void forward(double[] theta, double[] z, double[] x, double[] logDet, int n, Workspace ws) {
    scatter(z, x, n);
  }

  @Override
  public void inverse(double[] theta, double[] x, double[] z, double[] logDet, int n, Workspace ws) {
    gather(x, z, n);
  }

  /** out[i] = in[perm[i]] per row. */
  private void gather(double[] in, double[] out, int n) {
    int d = perm.length;
    for (int r = 0; r < n; r++) {
      int ro = r * d;
      for (int i = 0; i < d; i++) {
        out[ro + i] = in[ro + perm[i]];
      }
    }
  }

  /** out[perm[i]] = in[i] per row. */
  private void scatter(double[] in, double[] out, int n) {
    int d = perm.length;
    for (int r = 0; r < n; r++) {
      int ro = r * d;
      for (int i = 0; i < d; i++) {
        out[ro + perm[i]] = in[ro + i];
      }
    }
  }

  @Override
  public Trace inverseTrace(double[] theta, double[] x, double[] z, double[] logDet, int n) {
    gather(x, z, n);
    return new PermutationTrace(n);
  }

  @Override
  public Trace forwardTrace(double[] theta, double[] z, double[] x, double[] logDet, int n) {
    scatter(z, x, n);
    return new PermutationTrace(n);
  }

  /** The gradient of a gather is the matching scatter. */
  @Override
  public void inverseBackward(double[] theta, Trace trace, double[] gz, double[] gLogDet, double[] gx,
                              double[] gTheta) {
    scatter(gz, gx, ((PermutationTrace) trace).n());
  }

  /** The gradient of a scatter is the matching gather. */
  @Override
  public void forwardBackward(double[] theta, Trace trace, double[] gx, double[] gLogDet, double[] gz,
                              double[] gTheta) {
    gather(gx, gz, ((PermutationTrace) trace).n());
  }
}
