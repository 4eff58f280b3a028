package io.flowguard.core.explain;

/**
 * A cap on explanations per second, as a token bucket: {@code ratePerSecond} tokens arrive per second up
 * to {@code burst}; each explanation takes one, and an event that finds the bucket empty is skipped (and
 * counted, so a metric can report skipped explanations). Pure Java and clock-free: pass
 * {@link System#nanoTime()} (or a test clock) to {@link #tryAcquire(long)}. Not thread-safe: one per
 * operator instance (subtask).
 *
 * <pre>{@code
 * ExplanationBudget budget = new ExplanationBudget(200, 200);   // at most ~200 per second
 * if (score.anomaly && budget.tryAcquire(System.nanoTime())) {
 *   explanation = explainer.explain(features, 3);
 * }                                                            // budget.skipped() -> a metric
 * }</pre>
 */
public final class ExplanationBudget {

  private final double ratePerNano;
  private final double burst;
  private double tokens;
  private long last;
  private boolean started;
  private long granted;
  private long skipped;

  /**
   * @param ratePerSecond explanations allowed per second on average (&gt; 0; {@code Double.POSITIVE_INFINITY}
   *     for no cap)
   * @param burst most explanations allowed at once after a quiet spell (at least 1); the bucket starts full
   */
  public ExplanationBudget(double ratePerSecond, int burst) {
    if (!(ratePerSecond > 0) || burst < 1) {
      throw new IllegalArgumentException("the explanation rate must be positive and the burst at least 1, got "
          + ratePerSecond + " per second, burst " + burst);
    }
    this.ratePerNano = ratePerSecond / 1e9;
    this.burst = burst;
    this.tokens = burst;
  }

  /** A budget of {@code ratePerSecond} with a burst of one second's worth (at least 1). */
  public static ExplanationBudget perSecond(double ratePerSecond) {
    int burst = Double.isInfinite(ratePerSecond) ? Integer.MAX_VALUE
        : (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.ceil(ratePerSecond)));
    return new ExplanationBudget(ratePerSecond, burst);
  }

  /** Takes a token if one is available at time {@code nowNanos}; counts a skip otherwise. */
  public boolean tryAcquire(long nowNanos) {
    if (started) {
      long elapsed = nowNanos - last;
      if (elapsed > 0) {
        tokens = Math.min(burst, tokens + elapsed * ratePerNano);
      }
    }
    started = true;
    last = nowNanos;
    if (tokens >= 1) {
      tokens -= 1;
      granted++;
      return true;
    }
    skipped++;
    return false;
  }

  /** Explanations granted so far. */
  public long granted() {
    return granted;
  }

  /** Explanations skipped so far because the budget was spent. */
  public long skipped() {
    return skipped;
  }
}
