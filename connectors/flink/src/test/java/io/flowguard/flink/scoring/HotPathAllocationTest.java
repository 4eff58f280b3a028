package io.flowguard.flink.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.connectors.score.TypicalityEpisode;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.score.Scorer;
import io.flowguard.job.scoring.EpisodeState;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The scoring operator's per-event work apart from Flink and the output record allocates nothing after
 * warm-up (issue 20): the kernel ({@link ScoringKernel#FLOW}, the {@code Scorer}), the key's typicality
 * windows ({@link KeyTypicality#add}, {@link KeyTypicality#statistic}) and its episode state
 * ({@link AlertEpisodes#advance}) for a quiet key and for a key with an open episode that emits nothing,
 * in the order {@code ScoringFunction.score} runs them.
 *
 * <p>Measured with the thread's allocated-bytes counter over rounds of 20 000 events after 20 000 warm-up
 * events, the first round under the tolerance counting (at most 10: the JIT compiles the path first).
 * Tolerance: under 1 byte per event on average, so an allocation of even the smallest object on one
 * event in 16 fails.
 */
class HotPathAllocationTest {

  private static final int WARMUP = 20_000;
  private static final int EVENTS = 20_000;

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  /** One key's per-event work, as the operator does it, with reused arrays and callbacks. */
  private static final class KeyPath {
    final ScoringKernel kernel;
    final int[] windows = {8, 32};
    final double[] thresholds;
    final double[] statistics = new double[2];
    final boolean[] alarms = new boolean[2];
    final double entropy;
    final Scorer.Score score = new Scorer.Score();
    final KeyTypicality typicality = KeyTypicality.empty("pump", 1, windows);
    final List<TypicalityEpisode> emitted = new ArrayList<>();
    final Consumer<TypicalityEpisode> emit = emitted::add;
    final LongSupplier time = () -> 1_700_000_000_000L;
    final Supplier<double[]> recent = typicality::values;
    EpisodeState episodes;

    KeyPath(FlowModel model, double[] thresholds) {
      this.kernel = ScoringKernel.FLOW.create(model, 0.01);
      this.thresholds = thresholds;
      this.entropy = model.calibration().entropy();
    }

    void event(double[] features) {
      assertTrue(kernel.score(features, score));
      typicality.add(score.nll);
      for (int i = 0; i < windows.length; i++) {
        statistics[i] = typicality.statistic(i, entropy);
        alarms[i] = statistics[i] > thresholds[i];
      }
      EpisodeState next = AlertEpisodes.advance(episodes, "k1", "pump", 1, windows, statistics, thresholds, alarms, time,
          recent, 0, emit);
      if (next != null) {
        episodes = next;
      }
    }
  }

  /** Measured rounds of the last {@link #bytesPerEvent} call. */
  private int rounds;

  private double bytesPerEvent(KeyPath path, double[][] rows) {
    rounds = 0;
    for (int i = 0; i < WARMUP; i++) {
      path.event(rows[i % rows.length]);
    }
    // Rounds until one allocates under a byte per event, at most 10: the JIT may still be compiling the
    // path (the SIMD products allocate until it has) on a loaded machine; an allocating path never gets there.
    long thread = Thread.currentThread().getId();
    double perEvent = Double.NaN;
    for (int round = 0; round < 10 && !(perEvent < 1.0); round++) {
      long before = THREADS.getThreadAllocatedBytes(thread);
      for (int i = 0; i < EVENTS; i++) {
        path.event(rows[i % rows.length]);
      }
      long after = THREADS.getThreadAllocatedBytes(thread);
      perEvent = (after - before) / (double) EVENTS;
      rounds++;
    }
    return perEvent;
  }

  private static double[][] rows(int n) {
    Random rng = new Random(3);
    double[][] rows = new double[n][3];
    for (double[] r : rows) {
      for (int j = 0; j < r.length; j++) {
        r[j] = rng.nextDouble();
      }
    }
    return rows;
  }

  @Test
  void aQuietKeyAllocatesNothingPerEvent() {
    FlowModel model = ModelSwapPolicyTest.model(1, List.of("a", "b", "c"));
    KeyPath path = new KeyPath(model, new double[] {1e9, 1e9});
    double bytes = bytesPerEvent(path, rows(512));
    assertEquals(0, path.emitted.size());
    assertNull(path.episodes, "a quiet key keeps no episode state");
    assertTrue(bytes < 1.0, "bytes allocated per event: " + bytes);
  }

  @Test
  void aKeyWithAnOpenEpisodeAllocatesNothingPerEventWhileItEmitsNothing() {
    FlowModel model = ModelSwapPolicyTest.model(1, List.of("a", "b", "c"));
    // Thresholds below every statistic: both windows alarm once full and stay open (one OPENED each).
    KeyPath path = new KeyPath(model, new double[] {-1, -1});
    double bytes = bytesPerEvent(path, rows(512));
    assertEquals(2, path.emitted.size(), "one OPENED record per window, then none (no updates)");
    assertNotNull(path.episodes);
    assertTrue(path.episodes.open(0) && path.episodes.open(1));
    assertEquals(WARMUP + rounds * EVENTS - 31, path.episodes.events()[1], "every event of the open episode is counted");
    assertTrue(bytes < 1.0, "bytes allocated per event: " + bytes);
  }
}
