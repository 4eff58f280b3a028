package io.flowguard.connectors.score;

/**
 * The typicality test over one window size for one event's key.
 *
 * @param window the window size M (events)
 * @param statistic |mean NLL of the key's last M events - H|; NaN while the window is not yet full
 * @param threshold eps(M) from the model's calibration
 * @param alarm whether the window is full and its statistic exceeds the threshold
 */
public record TypicalityResult(int window, double statistic, double threshold, boolean alarm) {

  public TypicalityResult {
    if (window < 1) {
      throw new IllegalArgumentException("window must be at least 1, got " + window);
    }
  }
}
