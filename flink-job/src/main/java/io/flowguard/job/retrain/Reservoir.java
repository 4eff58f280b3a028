package io.flowguard.job.retrain;

import io.flowguard.core.context.ContextSpec;
import io.flowguard.core.context.RawContexts;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The sampling rules of the retraining reservoir, over rows kept in a {@link Store} (Flink map state
 * in the job, maps in tests). A bounded set of at most {@code capacity} rows in which no entity key
 * holds more than {@code perKeyCap} rows.
 *
 * <p><b>Algorithms.</b> Until the reservoir is full every admitted row is added. Then
 * {@link Algorithm#RECENT} replaces a uniformly chosen row with every new one, so a row survives k
 * later admissions with probability (1 - 1/capacity)^k: the reservoir is an exponentially
 * recency-weighted sample whose rows are on average {@code capacity} admissions old (normal behaviour
 * drifts, so recent rows matter most). {@link Algorithm#UNIFORM} is reservoir sampling (Vitter's
 * Algorithm R): the n-th row offered replaces a uniformly chosen row with probability capacity / n,
 * so the reservoir is a uniform sample of every row offered since it was last emptied.
 *
 * <p><b>Per-key cap.</b> Enforced on insert: a row whose key already holds {@code perKeyCap} rows
 * is not admitted, unless it replaces a row of the same key. One chatty or broken key therefore
 * never takes more than its share, however much it sends.
 *
 * <p><b>Drift.</b> While a drift is declared, the rows admitted since the declaration are kept in
 * slots {@code 0 .. driftRows-1}; a new row displaces a uniformly chosen pre-drift row while there
 * are any (so the post-drift rows accumulate as fast as they arrive), then a uniformly chosen drift
 * row. The per-key cap then counts the drift rows, which are what a drift retraining trains on.
 * {@link #dropPreDrift} keeps only the drift rows (after a model trained on them was promoted);
 * {@link #endDrift} makes them ordinary rows (the drift passed without a retraining) and restores the
 * cap over all rows.
 *
 * <p>Choices are drawn from a generator seeded by the number of rows offered, so the same input in
 * the same order gives the same reservoir (after a restore too). Not thread-safe; stateless itself.
 */
public final class Reservoir {

  /** How a full reservoir makes room. */
  public enum Algorithm {
    RECENT, UNIFORM;

    /** The algorithm of a configuration value ({@code recent} or {@code uniform}). */
    public static Algorithm of(String s) {
      try {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("reservoir algorithm must be recent or uniform, got '"
            + s + "'", e);
      }
    }
  }

  /** What happened to an offered row. */
  public enum Admission {
    /** Added to a free slot. */
    ADDED,
    /** Replaced an older row. */
    REPLACED,
    /** Not kept by reservoir sampling ({@link Algorithm#UNIFORM} only). */
    SAMPLED_OUT,
    /** Not kept: its key already holds its share. */
    KEY_CAPPED;

    public boolean kept() {
      return this == ADDED || this == REPLACED;
    }
  }

  /** Where the rows and per-key counts live. */
  public interface Store {
    ReservoirRow row(int slot) throws Exception;

    void putRow(int slot, ReservoirRow row) throws Exception;

    void removeRow(int slot) throws Exception;

    /** Rows of a key: all of them, or only the drift rows. */
    int count(String key, boolean driftRows) throws Exception;

    /** Sets a key's count; 0 removes the entry. */
    void setCount(String key, boolean driftRows, int count) throws Exception;

    void clearCounts(boolean driftRows) throws Exception;
  }

  /** The outcome of {@link #offer}: what happened and the bookkeeping after it. */
  public record Offer(Admission admission, ReservoirMeta meta) {}

  /**
   * The rows a training uses, row-major, with what the lineage says about them and, when asked for
   * a time-aware model, each row's raw context.
   */
  public record Snapshot(double[] values, int rows, int keys, long firstEventTime,
      long lastEventTime, java.util.Optional<RawContexts> contexts) {}

  private final int capacity;
  private final int perKeyCap;
  private final Algorithm algorithm;

  /**
   * @param capacity the most rows held, at least 1
   * @param maxKeyShare the largest share of {@code capacity} one key may hold, in (0, 1]; the cap
   *     is {@code max(1, floor(maxKeyShare * capacity))} rows
   */
  public Reservoir(int capacity, double maxKeyShare, Algorithm algorithm) {
    if (capacity < 1) {
      throw new IllegalArgumentException("reservoir capacity must be at least 1, got " + capacity);
    }
    if (!(maxKeyShare > 0 && maxKeyShare <= 1)) {
      throw new IllegalArgumentException("max key share must be in (0, 1], got " + maxKeyShare);
    }
    this.capacity = capacity;
    this.perKeyCap = Math.max(1, (int) Math.floor(maxKeyShare * capacity));
    this.algorithm = algorithm;
  }

  public int capacity() {
    return capacity;
  }

  /** The most rows one key may hold. */
  public int perKeyCap() {
    return perKeyCap;
  }

  /**
   * Offers one admitted row (the caller has decided that it is normal).
   *
   * @param drift whether a drift is declared
   */
  public Offer offer(ReservoirMeta meta, ReservoirRow row, boolean drift, Store store)
      throws Exception {
    long offered = meta.offered() + 1;
    SplittableRandom random = new SplittableRandom(mix(offered));
    int size = meta.size();
    int driftRows = drift ? meta.driftRows() : 0;
    String key = row.key();
    if (drift) {
      int victim = size < capacity ? -1
          : driftRows < size ? driftRows + random.nextInt(size - driftRows)
          : random.nextInt(size);
      boolean sameKey = victim >= 0 && victim < driftRows && store.row(victim).key().equals(key);
      if (!sameKey && store.count(key, true) >= perKeyCap) {
        return new Offer(Admission.KEY_CAPPED, meta.with(size, offered, driftRows));
      }
      if (victim < 0) {
        // Room left: the first pre-drift row (if any) moves to the new slot at the end.
        if (driftRows < size) {
          store.putRow(size, store.row(driftRows));
        }
        store.putRow(driftRows, row);
        add(store, key, 1, 1);
        return new Offer(Admission.ADDED, meta.with(size + 1, offered, driftRows + 1));
      }
      ReservoirRow evicted = store.row(victim);
      if (victim < driftRows) {
        add(store, evicted.key(), -1, -1);
        store.putRow(victim, row);
        add(store, key, 1, 1);
        return new Offer(Admission.REPLACED, meta.with(size, offered, driftRows));
      }
      add(store, evicted.key(), -1, 0);
      if (victim != driftRows) {
        store.putRow(victim, store.row(driftRows));
      }
      store.putRow(driftRows, row);
      add(store, key, 1, 1);
      return new Offer(Admission.REPLACED, meta.with(size, offered, driftRows + 1));
    }
    if (size < capacity) {
      if (store.count(key, false) >= perKeyCap) {
        return new Offer(Admission.KEY_CAPPED, meta.with(size, offered, 0));
      }
      store.putRow(size, row);
      add(store, key, 1, 0);
      return new Offer(Admission.ADDED, meta.with(size + 1, offered, 0));
    }
    long draw = algorithm == Algorithm.RECENT ? random.nextInt(capacity) : random.nextLong(offered);
    if (draw >= capacity) {
      return new Offer(Admission.SAMPLED_OUT, meta.with(size, offered, 0));
    }
    int victim = (int) draw;
    ReservoirRow evicted = store.row(victim);
    if (!evicted.key().equals(key)) {
      if (store.count(key, false) >= perKeyCap) {
        return new Offer(Admission.KEY_CAPPED, meta.with(size, offered, 0));
      }
      add(store, evicted.key(), -1, 0);
      add(store, key, 1, 0);
    }
    store.putRow(victim, row);
    return new Offer(Admission.REPLACED, meta.with(size, offered, 0));
  }

  /**
   * Keeps only the drift rows: the rows from before the drift describe a replaced regime. Without
   * drift rows (the drift already ended, and {@link #endDrift} made them ordinary rows) there is
   * nothing to tell the regimes apart by, so every row is kept.
   */
  public ReservoirMeta dropPreDrift(ReservoirMeta meta, Store store) throws Exception {
    if (meta.driftRows() == 0) {
      return endDrift(meta, store);
    }
    for (int slot = meta.driftRows(); slot < meta.size(); slot++) {
      ReservoirRow r = store.row(slot);
      store.removeRow(slot);
      add(store, r.key(), -1, 0);
    }
    store.clearCounts(true);
    return meta.with(meta.driftRows(), meta.driftRows(), 0);
  }

  /**
   * The drift passed: its rows become ordinary rows. During the drift the cap counted drift rows only, so
   * a key may now hold more than its share of all rows (its share before the drift plus its share of the
   * drift rows): its pre-drift rows, the older ones, leave until it holds its share again.
   */
  public ReservoirMeta endDrift(ReservoirMeta meta, Store store) throws Exception {
    int size = meta.size();
    for (int slot = size - 1; slot >= meta.driftRows(); slot--) {
      ReservoirRow r = store.row(slot);
      if (store.count(r.key(), false) > perKeyCap) {
        size--;
        // The last row has been looked at (the walk goes down) and is kept: it fills the hole.
        if (slot != size) {
          store.putRow(slot, store.row(size));
        }
        store.removeRow(size);
        add(store, r.key(), -1, 0);
      }
    }
    store.clearCounts(true);
    return meta.with(size, meta.offered(), 0);
  }

  /**
   * Empties the reservoir; it takes rows of {@code featureNames} whose contexts have the layout
   * {@code contextLayout} (0: rows without context) from now on.
   */
  public ReservoirMeta clear(ReservoirMeta meta, String[] featureNames, int contextLayout,
      Store store) throws Exception {
    for (int slot = 0; slot < meta.size(); slot++) {
      store.removeRow(slot);
    }
    store.clearCounts(false);
    store.clearCounts(true);
    return new ReservoirMeta(featureNames.clone(), 0, 0, 0, contextLayout);
  }

  /** As {@link #clear(ReservoirMeta, String[], int, Store)} for rows without context. */
  public ReservoirMeta clear(ReservoirMeta meta, String[] featureNames, Store store)
      throws Exception {
    return clear(meta, featureNames, 0, store);
  }

  /** The rows a training uses: the drift rows only, or all of them; no contexts. */
  public static Snapshot snapshot(ReservoirMeta meta, boolean driftRowsOnly, Store store)
      throws Exception {
    return snapshot(meta, driftRowsOnly, java.util.Optional.empty(), store);
  }

  /**
   * The rows a training uses, with each row's raw context under {@code context} when present (the
   * rows must carry contexts of that definition: the caller checks {@link
   * ReservoirMeta#contextLayout()}).
   */
  public static Snapshot snapshot(ReservoirMeta meta, boolean driftRowsOnly,
      java.util.Optional<ContextSpec> context, Store store) throws Exception {
    int n = driftRowsOnly ? meta.driftRows() : meta.size();
    int d = meta.featureNames().length;
    double[] values = new double[n * d];
    Set<String> keys = new HashSet<>();
    long first = Long.MAX_VALUE;
    long last = Long.MIN_VALUE;
    RawContexts.Builder contexts = context.map(c -> new RawContexts.Builder(c,
        java.util.List.of(meta.featureNames()), n)).orElse(null);
    for (int i = 0; i < n; i++) {
      ReservoirRow r = store.row(i);
      System.arraycopy(r.features(), 0, values, i * d, d);
      keys.add(r.key());
      first = Math.min(first, r.eventTime());
      last = Math.max(last, r.eventTime());
      if (contexts != null) {
        contexts.add(r.contextHistory(), r.historyEvents(), r.eventTime(), r.contextFields(), 0);
      }
    }
    return new Snapshot(values, n, keys.size(), first, last,
        java.util.Optional.ofNullable(contexts).map(RawContexts.Builder::build));
  }

  private static void add(Store store, String key, int all, int drift) throws Exception {
    if (all != 0) {
      store.setCount(key, false, store.count(key, false) + all);
    }
    if (drift != 0) {
      store.setCount(key, true, store.count(key, true) + drift);
    }
  }

  // SplitMix64's finalizer: neighbouring counts give unrelated seeds.
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
