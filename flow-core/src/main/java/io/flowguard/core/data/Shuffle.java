package io.flowguard.core.data;

import java.util.SplittableRandom;

/**
 * Seeded Fisher-Yates shuffles: the one definition of "shuffle with this seed" that training splits,
 * minibatch order, calibration hold-outs and the evaluation protocol share, so a seed means the same
 * order everywhere.
 */
public final class Shuffle {

  private Shuffle() {}

  /** A random permutation of 0..n-1. */
  public static int[] permutation(int n, SplittableRandom rng) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    shuffle(p, rng);
    return p;
  }

  /** Shuffles {@code a} in place. */
  public static void shuffle(int[] a, SplittableRandom rng) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}
