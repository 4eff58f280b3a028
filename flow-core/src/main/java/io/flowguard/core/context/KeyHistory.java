package io.flowguard.core.context;

import java.util.Arrays;

/**
 * The recent past of one key: its last k feature vectors in a ring buffer (raw ones wherever
 * the history outlives a model: the job, scoring, {@link RawContexts}), and the event
 * time of the newest. Updated in place (no allocation per event); the arrays are exposed for keyed state
 * ({@link #ring()}, {@link #head()}, {@link #count()}, {@link #newestTime()} and {@link #restore}).
 *
 * <p>Not thread-safe: one history per key, touched by the one thread that owns the key.
 */
public final class KeyHistory {

  /** What {@link #admit} decided about an event's place in the history. */
  public enum Admission {
    /** The event follows the history (or is within the out-of-orderness bound): scored against it. */
    IN_ORDER,
    /** The gap since the key's newest event is longer than the spec's longest gap: history cleared. */
    RESET_AFTER_GAP,
    /** The event is older than the key's newest by more than the bound: history cleared. */
    RESET_OUT_OF_ORDER
  }

  /** Event time of a history that has seen no event. */
  public static final long NO_TIME = Long.MIN_VALUE;

  private final int window;
  private final int dim;
  private final double[] ring;
  private int head;
  private int count;
  private long newestTime = NO_TIME;

  /** An empty history of {@code window} events of {@code dim} values. */
  public KeyHistory(int window, int dim) {
    if (window < 1 || dim < 1) {
      throw new IllegalArgumentException("a history needs a positive window and dimension, got " + window
          + " x " + dim);
    }
    this.window = window;
    this.dim = dim;
    this.ring = new double[window * dim];
  }

  /** Events kept at most. */
  public int window() {
    return window;
  }

  /** Values per event. */
  public int dim() {
    return dim;
  }

  /** Events held (at most the window). */
  public int count() {
    return count;
  }

  /** Whether fewer than {@link #window()} events are held. */
  public boolean warmingUp() {
    return count < window;
  }

  /** Event time of the newest event held, or {@link #NO_TIME}. */
  public long newestTime() {
    return newestTime;
  }

  /** Slot of the next event to write. */
  public int head() {
    return head;
  }

  /** The live ring buffer ({@code window x dim}); slot {@code (head - 1) mod window} is the newest. */
  public double[] ring() {
    return ring;
  }

  /** Forgets every event. */
  public void clear() {
    Arrays.fill(ring, 0.0);
    head = 0;
    count = 0;
    newestTime = NO_TIME;
  }

  /** Sets the history from stored state; {@code values} must hold {@code window x dim} values. */
  public void restore(double[] values, int head, int count, long newestTime) {
    if (values.length != ring.length || head < 0 || head >= window || count < 0 || count > window) {
      throw new IllegalArgumentException("stored history of " + values.length + " values (head " + head + ", count "
          + count + ") does not fit a window of " + window + " x " + dim);
    }
    System.arraycopy(values, 0, ring, 0, ring.length);
    this.head = head;
    this.count = count;
    this.newestTime = newestTime;
  }

  /**
   * Copies the held events, newest first, to {@code out[off..off + count() x dim())}: the raw history as
   * {@link RawContexts} keeps it. Returns {@link #count()}.
   */
  public int copyNewestFirst(double[] out, int off) {
    for (int j = 0; j < count; j++) {
      System.arraycopy(ring, Math.floorMod(head - 1 - j, window) * dim, out, off + j * dim, dim);
    }
    return count;
  }

  /**
   * Sets the history to the {@code events} rows at {@code newestFirst[off..]}, newest first (the layout of
   * {@link #copyNewestFirst}), without an event time: {@link #admit} then keeps it whatever the next event's
   * time, so it is a history already admitted, e.g. to encode a stored row's context.
   */
  public void restoreNewestFirst(double[] newestFirst, int off, int events) {
    if (events < 0 || events > window || off < 0 || off + events * dim > newestFirst.length) {
      throw new IllegalArgumentException(events + " events at offset " + off + " of " + newestFirst.length
          + " values do not fit a history of " + window + " x " + dim);
    }
    // The newest at the slot before head 0 (the last one), the next older before it, and so on.
    for (int j = 0; j < events; j++) {
      System.arraycopy(newestFirst, off + j * dim, ring, (window - 1 - j) * dim, dim);
    }
    Arrays.fill(ring, 0, (window - events) * dim, 0.0);
    head = 0;
    count = events;
    newestTime = NO_TIME;
  }

  /**
   * Applies the spec's history rules to an event at {@code time} before it is scored: clears the history
   * after a long gap or for an event too far out of order, and says which.
   */
  public Admission admit(ContextSpec spec, long time) {
    if (count == 0 || newestTime == NO_TIME) {
      return Admission.IN_ORDER;
    }
    if (time < newestTime - spec.outOfOrdernessOrZero()) {
      clear();
      return Admission.RESET_OUT_OF_ORDER;
    }
    if (spec.maxGapMillis() != null && time - newestTime > spec.maxGapMillis()) {
      clear();
      return Admission.RESET_AFTER_GAP;
    }
    return Admission.IN_ORDER;
  }

  /** Appends one event's {@code dim} values from {@code src[off..]}, dropping the oldest when full. */
  public void append(double[] src, int off, long time) {
    System.arraycopy(src, off, ring, head * dim, dim);
    head = head + 1 == window ? 0 : head + 1;
    if (count < window) {
      count++;
    }
    if (time > newestTime) {
      newestTime = time;
    }
  }

  /**
   * Writes the history part of a context vector at {@code out[off..]}: the {@code window} previous
   * events newest first ({@code window x dim} values, zeros where missing), then {@code window}
   * availability indicators. Returns the offset after them.
   */
  public int writeContext(double[] out, int off) {
    return writeContext(out, off, dim, null);
  }

  /**
   * As {@link #writeContext(double[], int)}, each held row mapped by {@code map} into {@code featureDim}
   * values (null: copied as they are).
   */
  public int writeContext(double[] out, int off, int featureDim, ContextEncoder.RowMap map) {
    int at = off;
    for (int j = 0; j < window; j++) {
      if (j < count) {
        int slot = Math.floorMod(head - 1 - j, window);
        if (map == null) {
          System.arraycopy(ring, slot * dim, out, at, dim);
        } else {
          map.apply(ring, slot * dim, out, at);
        }
      } else {
        Arrays.fill(out, at, at + featureDim, 0.0);
      }
      at += featureDim;
    }
    for (int j = 0; j < window; j++) {
      out[at++] = j < count ? 1.0 : 0.0;
    }
    return at;
  }
}
