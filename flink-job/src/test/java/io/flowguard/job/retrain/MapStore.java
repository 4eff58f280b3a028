package io.flowguard.job.retrain;

import java.util.HashMap;
import java.util.Map;

/** A {@link Reservoir.Store} in plain maps, for tests of the sampling rules. */
final class MapStore implements Reservoir.Store {

  final Map<Integer, ReservoirRow> rows = new HashMap<>();
  final Map<String, Integer> counts = new HashMap<>();
  final Map<String, Integer> driftCounts = new HashMap<>();

  @Override
  public ReservoirRow row(int slot) {
    ReservoirRow r = rows.get(slot);
    if (r == null) {
      throw new AssertionError("no row in slot " + slot);
    }
    return r;
  }

  @Override
  public void putRow(int slot, ReservoirRow row) {
    rows.put(slot, row);
  }

  @Override
  public void removeRow(int slot) {
    rows.remove(slot);
  }

  @Override
  public int count(String key, boolean drift) {
    return (drift ? driftCounts : counts).getOrDefault(key, 0);
  }

  @Override
  public void setCount(String key, boolean drift, int count) {
    if (count < 0) {
      throw new AssertionError("negative count for " + key);
    }
    if (count == 0) {
      (drift ? driftCounts : counts).remove(key);
    } else {
      (drift ? driftCounts : counts).put(key, count);
    }
  }

  @Override
  public void clearCounts(boolean drift) {
    (drift ? driftCounts : counts).clear();
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
