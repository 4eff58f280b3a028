package io.flowguard.core.context;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * What a time-aware model conditions each of n rows on, before any model's preprocessing: per row, the key's
 * previous raw feature vectors (newest first, as the history stood when the row was scored: after the spec's
 * gap and order rules, before the row joined it), the row's event time and its declared context fields.
 *
 * <p>Raw, so that models with different preprocessing encode the same rows' contexts each its own way
 * ({@link #encode}): retraining fits a challenger's preprocessor on the new rows and reads the histories
 * through it, and compares champion and challenger on the same held-out rows, each with its own encoding.
 * Built from an {@link EventSequence} by replaying it under the spec's rules ({@link #replay}), or row by row
 * from live {@link KeyHistory}s or stored histories ({@link Builder}).
 *
 * <p>Arrays are not copied; callers must not modify them.
 *
 * @param spec the context definition the histories were built under
 * @param features the raw features of every history row, in order (the model's schema)
 * @param history row-major {@code rows x window x d}: per row, its previous events newest first, zeros after
 *     the {@code events} present
 * @param events per row, how many previous events are present (0 to the window)
 * @param times per row, the event time in epoch milliseconds (the time features read it)
 * @param fields row-major {@code rows x spec.fields().size()}: the declared context fields of each row
 */
public record RawContexts(ContextSpec spec, List<String> features, double[] history, int[] events, long[] times,
                          double[] fields) {

  public RawContexts {
    Objects.requireNonNull(spec, "spec");
    features = List.copyOf(features);
    int n = events.length;
    int d = features.size();
    if (d == 0) {
      throw new IllegalArgumentException("raw contexts need at least one feature");
    }
    if (times.length != n || history.length != (long) n * spec.window() * d
        || fields.length != (long) n * spec.fields().size()) {
      throw new IllegalArgumentException("raw contexts of " + n + " rows need " + n * spec.window() * d
          + " history values, " + n + " times and " + n * spec.fields().size() + " field values; got "
          + history.length + ", " + times.length + " and " + fields.length);
    }
    for (int e : events) {
      if (e < 0 || e > spec.window()) {
        throw new IllegalArgumentException("a row's previous events must be 0 to " + spec.window() + ", got " + e);
      }
    }
  }

  /** Rows. */
  public int rows() {
    return events.length;
  }

  /** Values per history row (the raw features). */
  public int rawDim() {
    return features.size();
  }

  /**
   * The contexts of every row of a sequence, as the job would have seen them event by event: each key's rows
   * replayed in order through a {@link KeyHistory} under the spec's rules (the replay of {@link ContextRows}).
   */
  public static RawContexts replay(EventSequence sequence, ContextSpec spec) {
    int n = sequence.rows();
    int d = sequence.features().dim();
    Builder b = new Builder(spec, sequence.features().columns(), n);
    KeyHistory[] histories = new KeyHistory[sequence.keyNames().size()];
    double[] x = sequence.features().values();
    int nf = sequence.fieldCount();
    if (nf != spec.fields().size()) {
      throw new IllegalArgumentException("the sequence has " + nf + " context fields but the spec declares "
          + spec.fields());
    }
    for (int r = 0; r < n; r++) {
      int key = sequence.keys()[r];
      KeyHistory h = histories[key];
      if (h == null) {
        h = histories[key] = new KeyHistory(spec.window(), d);
      }
      long time = sequence.times()[r];
      h.admit(spec, time);
      b.add(h, time, sequence.fields(), r * nf);
      h.append(x, r * d, time);
    }
    return b.build();
  }

  /** The given rows, in the given order. */
  public RawContexts select(int[] rows) {
    int w = spec.window() * rawDim();
    int nf = spec.fields().size();
    double[] h = new double[rows.length * w];
    int[] e = new int[rows.length];
    long[] t = new long[rows.length];
    double[] f = new double[rows.length * nf];
    for (int i = 0; i < rows.length; i++) {
      int r = rows[i];
      System.arraycopy(history, r * w, h, i * w, w);
      e[i] = events[r];
      t[i] = times[r];
      System.arraycopy(fields, r * nf, f, i * nf, nf);
    }
    return new RawContexts(spec, features, h, e, t, f);
  }

  /**
   * The context vector of every row through a model's preprocessing ({@code encoder}, for this spec and these
   * raw features): row-major {@code rows x encoder.dim()}.
   *
   * <p>With {@code truncate} (training), a share {@link ContextRows#WARM_UP_SHARE} of the rows with a full
   * history see only a random number j &lt; k of their most recent events, drawn as {@link ContextRows} draws
   * them (the same seed shortens the same rows), so that the model also learns the densities of warming-up
   * keys; scoring never truncates.
   */
  public double[] encode(ContextEncoder encoder, boolean truncate, long seed) {
    if (!encoder.spec().equals(spec)) {
      throw new IllegalArgumentException("the encoder's context (" + encoder.spec().describe() + ") is not the one"
          + " these rows were built under (" + spec.describe() + ")");
    }
    int n = rows();
    int m = encoder.dim();
    int w = spec.window() * rawDim();
    int nf = spec.fields().size();
    double[] c = new double[n * m];
    KeyHistory view = encoder.newHistory();
    if (view.dim() != rawDim()) {
      throw new IllegalArgumentException("the encoder reads histories of " + view.dim() + " raw features, these"
          + " rows have " + rawDim() + " " + features);
    }
    SplittableRandom rng = new SplittableRandom(seed ^ ContextRows.WARM_UP_SALT);
    for (int r = 0; r < n; r++) {
      int shown = events[r];
      if (truncate && shown == spec.window() && rng.nextDouble() < ContextRows.WARM_UP_SHARE) {
        shown = rng.nextInt(spec.window());
      }
      view.restoreNewestFirst(history, r * w, shown);
      encoder.encode(view, times[r], fields, r * nf, c, r * m);
    }
    return c;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RawContexts r && spec.equals(r.spec) && features.equals(r.features)
        && Arrays.equals(history, r.history) && Arrays.equals(events, r.events) && Arrays.equals(times, r.times)
        && Arrays.equals(fields, r.fields);
  }

  @Override
  public int hashCode() {
    return Objects.hash(spec, features, Arrays.hashCode(history), Arrays.hashCode(events), Arrays.hashCode(times),
        Arrays.hashCode(fields));
  }

  @Override
  public String toString() {
    return "RawContexts[" + rows() + " rows of " + features + ", " + spec.describe() + "]";
  }

  /** Collects raw contexts row by row. Not thread-safe. */
  public static final class Builder {
    private final ContextSpec spec;
    private final List<String> features;
    private final int width;
    private final int nf;
    private double[] history;
    private int[] events;
    private long[] times;
    private double[] fields;
    private int rows;

    /** A builder for rows whose histories hold these raw features; {@code capacity} is a first guess. */
    public Builder(ContextSpec spec, List<String> features, int capacity) {
      this.spec = Objects.requireNonNull(spec, "spec");
      this.features = List.copyOf(features);
      this.width = spec.window() * this.features.size();
      this.nf = spec.fields().size();
      int c = Math.max(1, capacity);
      history = new double[c * width];
      events = new int[c];
      times = new long[c];
      fields = new double[c * nf];
    }

    /** Rows added so far. */
    public int rows() {
      return rows;
    }

    /**
     * Adds a row whose key's history is {@code history} (already {@linkplain KeyHistory#admit admitted} for
     * this row, which has not joined it yet), with its event time and its declared fields at
     * {@code rowFields[off..]} (ignored when the spec declares none).
     */
    public Builder add(KeyHistory history, long time, double[] rowFields, int off) {
      if (history.window() != spec.window() || history.dim() != features.size()) {
        throw new IllegalArgumentException("a history of " + history.window() + " x " + history.dim()
            + " does not fit a context of " + spec.window() + " x " + features.size());
      }
      int r = grow();
      events[r] = history.copyNewestFirst(this.history, r * width);
      finish(r, time, rowFields, off);
      return this;
    }

    /**
     * Adds a row whose key's previous {@code count} events are at {@code newestFirst[0 .. count x d)}, newest
     * first (e.g. a stored row), with its event time and declared fields.
     */
    public Builder add(double[] newestFirst, int count, long time, double[] rowFields, int off) {
      int d = features.size();
      if (count < 0 || count > spec.window() || newestFirst.length < count * d) {
        throw new IllegalArgumentException(count + " previous events in " + newestFirst.length + " values do not"
            + " fit a context of " + spec.window() + " x " + d);
      }
      int r = grow();
      System.arraycopy(newestFirst, 0, history, r * width, count * d);
      events[r] = count;
      finish(r, time, rowFields, off);
      return this;
    }

    private int grow() {
      if (rows == events.length) {
        int c = Math.max(2 * rows, 16);
        history = Arrays.copyOf(history, c * width);
        events = Arrays.copyOf(events, c);
        times = Arrays.copyOf(times, c);
        fields = Arrays.copyOf(fields, c * nf);
      }
      return rows++;
    }

    private void finish(int r, long time, double[] rowFields, int off) {
      times[r] = time;
      if (nf > 0) {
        if (rowFields == null || off < 0 || off + nf > rowFields.length) {
          throw new IllegalArgumentException("a row needs its " + nf + " context fields " + spec.fields());
        }
        System.arraycopy(rowFields, off, fields, r * nf, nf);
      }
    }

    public RawContexts build() {
      return new RawContexts(spec, features, Arrays.copyOf(history, rows * width), Arrays.copyOf(events, rows),
          Arrays.copyOf(times, rows), Arrays.copyOf(fields, rows * nf));
    }
  }
}
