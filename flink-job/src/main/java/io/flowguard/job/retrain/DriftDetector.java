package io.flowguard.job.retrain;

/**
 * Declares a drift when the population-level alarm persists, and ends it when it has passed.
 *
 * <p>Definition: the sampled scored events of one model are counted in consecutive blocks of
 * {@code block} events. A block's <em>alert fraction</em> is the share of its events that raised an
 * alert (a point anomaly or a typicality alarm of their key). A drift is declared when
 * {@code blocks} consecutive blocks have an alert fraction of at least {@code alertFraction}, and it
 * ends when {@code blocks} consecutive blocks fall below it, or when a new champion version
 * arrives. On normal data the alert fraction is about the false-alarm rate plus the typicality
 * windows' 1 - alpha each (a few per cent with the defaults), so a threshold of 0.2 is far above
 * chance but reached quickly when the normal regime moves.
 *
 * <p>Only events of the newest champion version seen count; events still in flight from an older
 * version are ignored. Pure: the status is a value the caller keeps in state.
 */
public final class DriftDetector {

  /** What an event did to the drift status. */
  public enum Transition { NONE, DECLARED, ENDED, NEW_MODEL }

  /** The new status and the transition that led to it. */
  public record Step(DriftStatus status, Transition transition) {}

  private final int block;
  private final double alertFraction;
  private final int blocks;

  public DriftDetector(int block, double alertFraction, int blocks) {
    if (block < 1 || blocks < 1) {
      throw new IllegalArgumentException("drift block size and block count must be at least 1");
    }
    if (!(alertFraction > 0 && alertFraction <= 1)) {
      throw new IllegalArgumentException("drift alert fraction must be in (0, 1], got "
          + alertFraction);
    }
    this.block = block;
    this.alertFraction = alertFraction;
    this.blocks = blocks;
  }

  /** Counts one sampled event scored by {@code version} that did or did not raise an alert. */
  public Step observe(DriftStatus s, int version, boolean alert, long now) {
    Transition transition = Transition.NONE;
    if (version < s.modelVersion()) {
      return new Step(s, Transition.NONE);
    }
    if (version > s.modelVersion()) {
      transition = Transition.NEW_MODEL;
      s = DriftStatus.fresh(version);
    }
    int events = s.blockEvents() + 1;
    int alerts = s.blockAlerts() + (alert ? 1 : 0);
    if (events < block) {
      return new Step(new DriftStatus(s.modelVersion(), events, alerts, s.highBlocks(),
          s.lowBlocks(), s.declared(), s.declaredAt()), transition);
    }
    boolean high = alerts >= alertFraction * block;
    int highBlocks = high ? s.highBlocks() + 1 : 0;
    int lowBlocks = high ? 0 : s.lowBlocks() + 1;
    boolean declared = s.declared();
    long declaredAt = s.declaredAt();
    if (!declared && highBlocks >= blocks) {
      declared = true;
      declaredAt = now;
      transition = Transition.DECLARED;
    } else if (declared && lowBlocks >= blocks) {
      declared = false;
      declaredAt = 0;
      transition = Transition.ENDED;
    }
    return new Step(new DriftStatus(s.modelVersion(), 0, 0, highBlocks, lowBlocks, declared,
        declaredAt), transition);
  }
}
