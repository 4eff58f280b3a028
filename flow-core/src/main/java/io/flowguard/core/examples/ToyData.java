package io.flowguard.core.examples;

import io.flowguard.core.distribution.BaseDistribution;
import java.util.SplittableRandom;

/** The 2-D toy distributions of the worked examples, as row-major {@code n x 2} arrays. */
public final class ToyData {

  private ToyData() {}

  /**
   * Two interleaved half circles (the classic make_moons shape) with Gaussian noise: half the points on
   * the outer arc (cos t, sin t), half on the inner arc (1 - cos t, 0.5 - sin t), t uniform on [0, pi].
   * Rows alternate between the arcs, so any prefix of the array is a fair sample.
   */
  public static double[] moons(int n, double noise, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] x = new double[n * 2];
    for (int i = 0; i < n; i++) {
      double t = Math.PI * rng.nextDouble();
      double a;
      double b;
      if (i % 2 == 0) {
        a = Math.cos(t);
        b = Math.sin(t);
      } else {
        a = 1.0 - Math.cos(t);
        b = 0.5 - Math.sin(t);
      }
      x[2 * i] = a + noise * BaseDistribution.gaussian(rng);
      x[2 * i + 1] = b + noise * BaseDistribution.gaussian(rng);
    }
    return x;
  }

  /** The equal mixture 0.5 N((-2,0), 0.5^2 I) + 0.5 N((2,0), 0.5^2 I). */
  public static double[] bimodal(int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] x = new double[n * 2];
    for (int i = 0; i < n; i++) {
      double cx = rng.nextBoolean() ? 2.0 : -2.0;
      x[2 * i] = cx + 0.5 * BaseDistribution.gaussian(rng);
      x[2 * i + 1] = 0.5 * BaseDistribution.gaussian(rng);
    }
    return x;
  }

  /** The exact log-density of {@link #bimodal}. */
  public static double bimodalLogDensity(double x, double y) {
    double s2 = 0.25;
    double norm = -Math.log(2.0 * Math.PI * s2);
    double a = norm - ((x + 2) * (x + 2) + y * y) / (2 * s2);
    double b = norm - ((x - 2) * (x - 2) + y * y) / (2 * s2);
    double m = Math.max(a, b);
    return Math.log(0.5) + m + Math.log(Math.exp(a - m) + Math.exp(b - m));
  }

  /**
   * The differential entropy of {@link #bimodal} (the floor of any model's expected NLL) by Monte Carlo:
   * the mean of -log p over {@code samples} draws.
   */
  public static double bimodalEntropy(int samples, long seed) {
    double[] x = bimodal(samples, seed);
    double s = 0.0;
    for (int i = 0; i < samples; i++) {
      s -= bimodalLogDensity(x[2 * i], x[2 * i + 1]);
    }
    return s / samples;
  }
}
