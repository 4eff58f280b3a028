package io.flowguard.job.retrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.job.retrain.Reservoir.Admission;
import io.flowguard.job.retrain.Reservoir.Algorithm;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The reservoir's sampling rules on a map store: bounds, per-key cap, algorithms, drift rows. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ReservoirTest {

  static final String[] NAMES = {"x"};

  static ReservoirRow row(String key, long t) {
    return new ReservoirRow(key, t, new double[] {t});
  }

  /** The store's counts equal the rows it holds, and no slot outside 0 .. size-1 is used. */
  static void assertConsistent(ReservoirMeta meta, MapStore store) {
    assertEquals(meta.size(), store.rows.size(), "rows held");
    assertEquals(store.keysIn(meta.size()), store.counts, "per-key counts");
    assertEquals(store.keysIn(meta.driftRows()), store.driftCounts, "per-key drift counts");
  }

  @Test
  void neverHoldsMoreThanItsCapacityAndKeepsCountsExact() throws Exception {
    Reservoir r = new Reservoir(100, 0.5, Algorithm.RECENT);
    MapStore store = new MapStore();
    ReservoirMeta meta = new ReservoirMeta(NAMES, 0, 0, 0);
    for (int i = 0; i < 1000; i++) {
      meta = r.offer(meta, row("k" + (i % 7), i), false, store).meta();
      assertTrue(meta.size() <= 100);
    }
    assertEquals(100, meta.size());
    assertEquals(1000, meta.offered());
    assertConsistent(meta, store);
  }

  @Test
  void aFloodingKeyIsCappedAtItsShare() throws Exception {
    Reservoir r = new Reservoir(200, 0.1, Algorithm.RECENT);
    MapStore store = new MapStore();
    ReservoirMeta meta = new ReservoirMeta(NAMES, 0, 0, 0);
    int capped = 0;
    for (int i = 0; i < 5000; i++) {
      // 90 % of the traffic is one key.
      String key = i % 10 == 0 ? "quiet-" + (i % 40) : "flood";
      Reservoir.Offer o = r.offer(meta, row(key, i), false, store);
      capped += o.admission() == Admission.KEY_CAPPED ? 1 : 0;
      meta = o.meta();
      assertTrue(store.count("flood", false) <= 20, "cap 0.1 x 200 = 20 rows");
    }
    assertEquals(20, store.count("flood", false));
    assertTrue(capped > 0);
    assertConsistent(meta, store);
  }

  @Test
  void recentKeepsMostlyRecentRowsWhileUniformKeepsAUniformSample() throws Exception {
    // After 10 capacities of rows, a recent reservoir holds almost only the last few capacities,
    // a uniform one rows from the whole stream (expected mean time: half the stream).
    int cap = 500;
    int n = 10 * cap;
    double[] meanTime = new double[2];
    Algorithm[] algorithms = {Algorithm.RECENT, Algorithm.UNIFORM};
    for (int a = 0; a < 2; a++) {
      Reservoir r = new Reservoir(cap, 1.0, algorithms[a]);
      MapStore store = new MapStore();
      ReservoirMeta meta = new ReservoirMeta(NAMES, 0, 0, 0);
      for (int i = 0; i < n; i++) {
        meta = r.offer(meta, row("k" + (i % 50), i), false, store).meta();
      }
      assertConsistent(meta, store);
      double sum = 0;
      for (ReservoirRow row : store.rows.values()) {
        sum += row.eventTime();
      }
      meanTime[a] = sum / cap / n;
    }
    // Recent: mean age about one capacity (0.1 of the stream) -> mean time about 0.9.
    assertEquals(0.9, meanTime[0], 0.03, "recent");
    // Uniform: 0.5, with a standard error of about 0.29 / sqrt(500) = 0.013.
    assertEquals(0.5, meanTime[1], 0.05, "uniform");
  }

  @Test
  void driftRowsDisplacePreDriftRowsFirstAndCanReplaceThem() throws Exception {
    Reservoir r = new Reservoir(100, 0.5, Algorithm.UNIFORM);
    MapStore store = new MapStore();
    ReservoirMeta meta = new ReservoirMeta(NAMES, 0, 0, 0);
    for (int i = 0; i < 300; i++) {
      meta = r.offer(meta, row("old" + (i % 5), i), false, store).meta();
    }
    for (int i = 0; i < 60; i++) {
      Reservoir.Offer o = r.offer(meta, row("new" + (i % 5), 1000 + i), true, store);
      assertEquals(Admission.REPLACED, o.admission(), "drift rows always join");
      meta = o.meta();
      assertConsistent(meta, store);
    }
    assertEquals(60, meta.driftRows());
    for (int i = 0; i < 60; i++) {
      assertTrue(store.row(i).key().startsWith("new"));
    }
    Reservoir.Snapshot drift = Reservoir.snapshot(meta, true, store);
    assertEquals(60, drift.rows());
    assertEquals(1000, drift.firstEventTime());
    assertEquals(1059, drift.lastEventTime());
    meta = r.dropPreDrift(meta, store);
    assertEquals(60, meta.size());
    assertEquals(0, meta.driftRows());
    assertConsistent(meta, store);
    assertTrue(store.counts.keySet().stream().allMatch(k -> k.startsWith("new")));
  }

  @Test
  void droppingPreDriftRowsWithoutDriftRowsKeepsEveryRow() throws Exception {
    Reservoir r = new Reservoir(100, 0.5, Algorithm.RECENT);
    MapStore store = new MapStore();
    ReservoirMeta meta = new ReservoirMeta(NAMES, 0, 0, 0);
    for (int i = 0; i < 80; i++) {
      meta = r.offer(meta, row("k" + (i % 5), i), i >= 50, store).meta();
    }
    // The drift ended: its 30 rows became ordinary rows, so none is told apart any more.
    meta = r.endDrift(meta, store);
    assertEquals(0, meta.driftRows());
    meta = r.dropPreDrift(meta, store);
    assertEquals(80, meta.size(), "no drift rows is no reason to drop everything");
    assertConsistent(meta, store);
  }

  @Test
  void theDriftCapCountsDriftRows() throws Exception {
    Reservoir r = new Reservoir(100, 0.1, Algorithm.RECENT);
    MapStore store = new MapStore();
    ReservoirMeta meta = new ReservoirMeta(NAMES, 0, 0, 0);
    for (int i = 0; i < 200; i++) {
      meta = r.offer(meta, row("k" + (i % 10), i), false, store).meta();
    }
    assertEquals(Map.of(), store.driftCounts);
    // k0 is at its cap of 10 among all rows, but may still fill its share of the drift rows.
    for (int i = 0; i < 30; i++) {
      meta = r.offer(meta, row("k0", 500 + i), true, store).meta();
    }
    assertEquals(10, store.count("k0", true));
    int k0 = store.count("k0", false);
    int[] others = new int[10];
    for (int k = 1; k < 10; k++) {
      others[k] = store.count("k" + k, false);
    }
    assertTrue(k0 > 10, "its share before the drift and its share of the drift rows, less any it displaced: " + k0);
    assertConsistent(meta, store);
    meta = r.endDrift(meta, store);
    assertEquals(0, meta.driftRows());
    assertConsistent(meta, store);
    // The drift rows are ordinary rows now, and the cap holds over all of them again: k0 keeps its
    // newest rows (those of the drift), the other keys all of theirs (some lost a row to k0's drift rows).
    assertEquals(10, store.count("k0", false));
    assertEquals(100 - (k0 - 10), meta.size(), "only k0's surplus left");
    for (int slot = 0; slot < meta.size(); slot++) {
      ReservoirRow row = store.row(slot);
      assertTrue(!row.key().equals("k0") || row.eventTime() >= 500, "k0 keeps its drift rows: " + row);
    }
    for (int k = 1; k < 10; k++) {
      assertEquals(others[k], store.count("k" + k, false), "k" + k + " was within its share: untouched");
    }
  }

  @Test
  void theSameInputGivesTheSameReservoir() throws Exception {
    MapStore[] stores = {new MapStore(), new MapStore()};
    for (MapStore store : stores) {
      Reservoir r = new Reservoir(50, 0.2, Algorithm.RECENT);
      ReservoirMeta meta = new ReservoirMeta(NAMES, 0, 0, 0);
      for (int i = 0; i < 500; i++) {
        meta = r.offer(meta, row("k" + (i % 9), i), i > 400, store).meta();
      }
    }
    assertEquals(stores[0].rows, stores[1].rows);
  }
}
