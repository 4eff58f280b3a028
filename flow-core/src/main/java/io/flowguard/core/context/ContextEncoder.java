package io.flowguard.core.context;

/**
 * Builds the context vector of {@link ContextSpec} for one event from its key's {@link KeyHistory}, its
 * event time and its declared context fields. Allocation-free; one per thread.
 *
 * <p>A history holds the key's <em>raw</em> feature vectors, so that it survives a model swap (a retrained
 * version preprocesses them its own way); the encoder maps each through the model's preprocessing
 * ({@link RowMap}) as it writes the context.
 */
public final class ContextEncoder {

  /** The model's preprocessing of one raw row ({@code rawDim} values) into {@code featureDim} values. */
  @FunctionalInterface
  public interface RowMap {
    void apply(double[] raw, int rawOff, double[] out, int outOff);
  }

  private static final double DAY_MILLIS = 86_400_000.0;
  private static final long WEEK_MILLIS = 7L * 86_400_000L;
  /** 1970-01-01 was a Thursday: Monday 00:00 UTC is 3 days before the epoch, modulo a week. */
  private static final long MONDAY_OFFSET_MILLIS = 3L * 86_400_000L;

  private final ContextSpec spec;
  private final int rawDim;
  private final int featureDim;
  private final RowMap map;

  /** An encoder whose histories hold rows already in the model's feature space. */
  public ContextEncoder(ContextSpec spec, int featureDim) {
    this(spec, featureDim, featureDim, null);
  }

  /**
   * An encoder whose histories hold raw rows of {@code rawDim} values, mapped by {@code map} (null: the
   * identity, then {@code rawDim == featureDim}) into {@code featureDim} values each.
   */
  public ContextEncoder(ContextSpec spec, int rawDim, int featureDim, RowMap map) {
    if (map == null && rawDim != featureDim) {
      throw new IllegalArgumentException("without a row map the history's rows must have the feature dimension");
    }
    this.spec = spec;
    this.rawDim = rawDim;
    this.featureDim = featureDim;
    this.map = map;
  }

  public ContextSpec spec() {
    return spec;
  }

  /** Values of one context vector. */
  public int dim() {
    return spec.dim(featureDim);
  }

  /** A history shaped for this encoder (rows of the raw dimension). */
  public KeyHistory newHistory() {
    return new KeyHistory(spec.window(), rawDim);
  }

  /**
   * Writes the context of an event at {@code out[off..off + dim())}.
   *
   * @param history the key's history before this event (already {@linkplain KeyHistory#admit admitted})
   * @param eventTime epoch milliseconds (used only with time features)
   * @param fields the event's declared context fields at {@code fields[fieldsOff..]} (ignored when none)
   */
  public void encode(KeyHistory history, long eventTime, double[] fields, int fieldsOff, double[] out, int off) {
    if (history.window() != spec.window() || history.dim() != rawDim) {
      throw new IllegalArgumentException("a history of " + history.window() + " x " + history.dim()
          + " does not fit a context of " + spec.window() + " x " + rawDim);
    }
    int at = history.writeContext(out, off, featureDim, map);
    if (spec.timeFeatures()) {
      at = writeTime(eventTime, out, at);
    }
    int nf = spec.fields().size();
    if (nf > 0) {
      System.arraycopy(fields, fieldsOff, out, at, nf);
    }
  }

  /** sin/cos of the time of day and of the week (UTC) at {@code out[at..at + 4)}; returns {@code at + 4}. */
  static int writeTime(long epochMillis, double[] out, int at) {
    double day = Math.floorMod(epochMillis, 86_400_000L) / DAY_MILLIS;
    double week = Math.floorMod(epochMillis + MONDAY_OFFSET_MILLIS, WEEK_MILLIS) / (double) WEEK_MILLIS;
    out[at] = Math.sin(2 * Math.PI * day);
    out[at + 1] = Math.cos(2 * Math.PI * day);
    out[at + 2] = Math.sin(2 * Math.PI * week);
    out[at + 3] = Math.cos(2 * Math.PI * week);
    return at + 4;
  }
}
