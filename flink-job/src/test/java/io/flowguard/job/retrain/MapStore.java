package io.flowguard.job.retrain;

import java.util.HashMap;
import java.util.Map;

/**
 * The in-memory store with the checks a test of the sampling rules wants: reading an empty slot or
 * writing a negative count is a bug in {@link Reservoir}, so it fails the test at once.
 */
final class MapStore extends MemoryReservoirStore {

  final Map<Integer, ReservoirRow> rows = rows();
  final Map<String, Integer> counts = counts(false);
  final Map<String, Integer> driftCounts = counts(true);

  @Override
  public ReservoirRow row(int slot) {
    ReservoirRow r = super.row(slot);
    if (r == null) {
      throw new AssertionError("no row in slot " + slot);
    }
    return r;
  }

  @Override
  public void setCount(String key, boolean drift, int count) {
    if (count < 0) {
      throw new AssertionError("negative count for " + key);
    }
    super.setCount(key, drift, count);
  }

  /** Rows per key in slots 0 .. n-1, counted from the rows themselves. */
  Map<String, Integer> keysIn(int n) {
    Map<String, Integer> m = new HashMap<>();
    for (int i = 0; i < n; i++) {
      m.merge(row(i).key(), 1, Integer::sum);
    }
    return m;
  }
}
