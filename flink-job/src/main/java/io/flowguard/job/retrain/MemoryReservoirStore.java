package io.flowguard.job.retrain;

import java.util.HashMap;
import java.util.Map;

/**
 * A {@link Reservoir.Store} in plain maps: the reservoir's rows and per-key counts outside Flink state,
 * for measuring what the state holds (the benchmark) and for tests of the sampling rules.
 */
public class MemoryReservoirStore implements Reservoir.Store {

  private final Map<Integer, ReservoirRow> rows = new HashMap<>();
  private final Map<String, Integer> counts = new HashMap<>();
  private final Map<String, Integer> driftCounts = new HashMap<>();

  /** Slot -> row, live (not a copy). */
  public Map<Integer, ReservoirRow> rows() {
    return rows;
  }

  /** Key -> rows of that key (all rows, or drift rows only), live (not a copy). */
  public Map<String, Integer> counts(boolean drift) {
    return drift ? driftCounts : counts;
  }

  @Override
  public ReservoirRow row(int slot) {
    return rows.get(slot);
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
    return counts(drift).getOrDefault(key, 0);
  }

  @Override
  public void setCount(String key, boolean drift, int count) {
    if (count == 0) {
      counts(drift).remove(key);
    } else {
      counts(drift).put(key, count);
    }
  }

  @Override
  public void clearCounts(boolean drift) {
    counts(drift).clear();
  }
}
