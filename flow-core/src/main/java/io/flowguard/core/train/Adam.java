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

  private final boolean[] trainable;
  private final boolean[] decay;
  private final double weightDecay;
  private final double gradClip;
  private final double[] m1;
  private final double[] m2;
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
    this.trainable = trainable.clone();
    this.decay = decay.clone();
    this.weightDecay = weightDecay;
    this.gradClip = gradClip;
    this.m1 = new double[trainable.length];
    this.m2 = new double[trainable.length];
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
    for (int i = 0; i < theta.length; i++) {
      if (!trainable[i]) {
        continue;
      }
      double g = grad[i] * scale;
      m1[i] = BETA1 * m1[i] + (1 - BETA1) * g;
      m2[i] = BETA2 * m2[i] + (1 - BETA2) * g * g;
      double update = (m1[i] / c1) / (Math.sqrt(m2[i] / c2) + EPS);
      if (weightDecay > 0 && decay[i]) {
        update += weightDecay * theta[i];
      }
      theta[i] -= lr * update;
    }
  }
}
