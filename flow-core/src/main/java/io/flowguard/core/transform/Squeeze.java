package io.flowguard.core.transform;

/**
 * Glow's squeeze (space to depth, Dinh et al. 2017): a {@code C x H x W} tensor becomes
 * {@code 4C x H/2 x W/2} by moving each 2 x 2 block of pixels into four channels. Output channel
 * {@code 4c + 2dy + dx} at (i, j) is input channel c at (2i + dy, 2j + dx). A fixed permutation of the
 * features, so its log-determinant is 0; it lets later 1 x 1 convolutions and couplings mix neighbouring
 * pixels, and halves the spatial size for the next level.
 */
public final class Squeeze {

  private Squeeze() {}

  /** The squeeze of {@code shape} as a {@link Permutation} (density direction = squeeze). */
  public static Permutation of(TensorShape shape) {
    TensorShape out = shape.squeezed();
    int[] perm = new int[shape.size()];
    for (int c = 0; c < shape.channels(); c++) {
      for (int i = 0; i < out.height(); i++) {
        for (int j = 0; j < out.width(); j++) {
          for (int dy = 0; dy < 2; dy++) {
            for (int dx = 0; dx < 2; dx++) {
              perm[out.index(4 * c + 2 * dy + dx, i, j)] = shape.index(c, 2 * i + dy, 2 * j + dx);
            }
          }
        }
      }
    }
    return new Permutation(perm);
  }
}
