package io.flowguard.core.eval.baseline;

/**
 * Fits a {@link DensityBaseline} on the TRAIN rows of one protocol split (already standardized with the
 * TRAIN statistics, as {@code PROTOCOL.md} prescribes). The same rows and seed give the same model.
 */
@FunctionalInterface
public interface BaselineFitter {

  /**
   * @param rows {@code n} row-major rows of {@code d} finite values
   * @param seed seeds any randomness of the fit (initialization); deterministic fitters ignore it
   */
  DensityBaseline fit(double[] rows, int n, int d, long seed);
}
