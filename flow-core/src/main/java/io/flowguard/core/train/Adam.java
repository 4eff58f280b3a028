package io.flowguard.core.train;

/**
 * The optimizer of {@link Trainer}: Adam (Kingma and Ba 2015) with bias correction, global gradient-norm
 * clipping and decoupled weight decay (AdamW, Loshchilov and Hutter 2019), over a flat parameter vector.
 *
 * <p>Per step, with {@code s = min(1, clip / ||grad||)} (1 when clipping is off) and for every trainable
 * index i: {@code g = s grad_i}; the moments {@code m, v} are updated with {@code g}; then
 * {@code theta_i -= lr * (mhat / (sqrt(vhat) + eps) + wd * theta_i)}, the decay term only where the
 * decay mask is set. Indices outside the trainable mask (STATE) are never read, written or given moments.
 * The arithmetic is fixed, so the same gradients give bit-identical parameters.
 */
final class Adam {

  static final double BETA1 = 0.9;
  static final double BETA2 = 0.999;
  static final double EPS = 1e-8;

  private final double weightDecay;
  private final double gradClip;
  private final double[] m1;
  private final double[] m2;
  /**
   * The trainable indices as maximal runs {@code [runStart[j], runEnd[j])} of equal decay flag
   * ({@code runDecays[j]}): the update loops over a run without a branch per index, which lets the JIT
   * vectorize it (the same arithmetic per index, so the same parameters bit for bit).
   */
  private final int[] runStart;
  private final int[] runEnd;
  private final boolean[] runDecays;
  private int t;

  /**
   * @param trainable where the optimizer may change a parameter
   * @param decay where weight decay applies (weight matrices)
   * @param weightDecay decoupled decay rate; 0 disables it
   * @param gradClip global gradient-norm clip; 0 disables it
   */
  Adam(boolean[] trainable, boolean[] decay, double weightDecay, double gradClip) {
    if (trainable.length != decay.length) {
      throw new IllegalArgumentException("mask lengths differ: " + trainable.length + " and " + decay.length);
    }
    this.weightDecay = weightDecay;
    this.gradClip = gradClip;
    this.m1 = new double[trainable.length];
    this.m2 = new double[trainable.length];
    int runs = 0;
    for (int i = 0; i < trainable.length; i++) {
      runs += startsRun(trainable, decay, i) ? 1 : 0;
    }
    runStart = new int[runs];
    runEnd = new int[runs];
    runDecays = new boolean[runs];
    for (int i = 0, j = -1; i < trainable.length; i++) {
      if (startsRun(trainable, decay, i)) {
        j++;
        runStart[j] = i;
        runDecays[j] = decay[i];
      }
      if (trainable[i]) {
        runEnd[j] = i + 1;
      }
    }
  }

  private static boolean startsRun(boolean[] trainable, boolean[] decay, int i) {
    return trainable[i] && (i == 0 || !trainable[i - 1] || decay[i] != decay[i - 1]);
  }

  /** Steps taken so far. */
  int steps() {
    return t;
  }

  /** The Euclidean norm of a gradient (over every entry, as clipping sees it). */
  static double norm(double[] g) {
    double s = 0.0;
    for (double v : g) {
      s += v * v;
    }
    return Math.sqrt(s);
  }

  /** The factor clipping multiplies a gradient of norm {@code norm} by. */
  double clipScale(double norm) {
    return gradClip > 0 && norm > gradClip ? gradClip / norm : 1.0;
  }

  /**
   * One update of {@code theta} in place from {@code grad} (not modified) at learning rate {@code lr}.
   * The gradient must be finite: the trainer skips non-finite steps before they reach the optimizer.
   */
  void step(double[] theta, double[] grad, double lr) {
    if (theta.length != m1.length || grad.length != m1.length) {
      throw new IllegalArgumentException("expected " + m1.length + " parameters and gradients, got "
          + theta.length + " and " + grad.length);
    }
    double norm = norm(grad);
    if (!Double.isFinite(norm)) {
      throw new IllegalArgumentException("non-finite gradient norm " + norm);
    }
    double scale = clipScale(norm);
    t++;
    double c1 = 1.0 - Math.pow(BETA1, t);
    double c2 = 1.0 - Math.pow(BETA2, t);
    for (int j = 0; j < runStart.length; j++) {
      update(theta, grad, lr, scale, c1, c2, runDecays[j] ? weightDecay : 0.0, runStart[j], runEnd[j]);
    }
  }

  /**
   * The update of indices {@code [from, to)}, with decoupled decay {@code wd} when it is positive (a
   * loop-invariant test, which the JIT hoists out of the loop).
   */
  private void update(double[] theta, double[] grad, double lr, double scale, double c1, double c2, double wd,
                      int from, int to) {
    for (int i = from; i < to; i++) {
      double g = grad[i] * scale;
      m1[i] = BETA1 * m1[i] + (1 - BETA1) * g;
      m2[i] = BETA2 * m2[i] + (1 - BETA2) * g * g;
      double update = (m1[i] / c1) / (Math.sqrt(m2[i] / c2) + EPS);
      if (wd > 0) {
        update += wd * theta[i];
      }
      theta[i] -= lr * update;
    }
  }
}
