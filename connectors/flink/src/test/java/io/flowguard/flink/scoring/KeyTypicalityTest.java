package io.flowguard.flink.scoring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class KeyTypicalityTest {

  // Running sums subtract and add; against a fresh sum of the same <= 128 values of magnitude ~10 the
  // difference is a few ulps of the sum, far below 1e-9.
  static final double SUM_TOLERANCE = 1e-9;

  @Test
  void everyWindowsSumIsTheSumOfTheKeysLastValues() {
    int[] windows = {1, 5, 32, 128};
    KeyTypicality s = KeyTypicality.empty("m", 1, windows);
    List<Double> all = new ArrayList<>();
    Random rng = new Random(7);
    for (int t = 0; t < 1000; t++) {
      double v = 10 + 3 * rng.nextGaussian();
      s.add(v);
      all.add(v);
      for (int i = 0; i < windows.length; i++) {
        int n = Math.min(all.size(), windows[i]);
        double want = 0;
        for (int j = all.size() - n; j < all.size(); j++) {
          want += all.get(j);
        }
        assertEquals(want, s.sums[i], SUM_TOLERANCE, "window " + windows[i] + " at event " + t);
        assertEquals(all.size() >= windows[i], s.full(i));
      }
    }
  }

  @Test
  void theStatisticIsTheDistanceOfTheWindowMeanFromTheEntropyOnceFull() {
    KeyTypicality s = KeyTypicality.empty("m", 1, new int[] {4});
    for (double v : new double[] {1, 2, 3}) {
      s.add(v);
    }
    assertTrue(Double.isNaN(s.statistic(0, 0.0)), "a partial window has no statistic");
    s.add(6);
    assertEquals(Math.abs((1 + 2 + 3 + 6) / 4.0 - 5.0), s.statistic(0, 5.0), 1e-15);
    s.add(10); // 1 leaves
    assertEquals(Math.abs((2 + 3 + 6 + 10) / 4.0 - 5.0), s.statistic(0, 5.0), 1e-15);
  }

  @Test
  void convertingTheOlderLayoutKeepsTheLastValuesInOrder() {
    double[] old = new double[40];
    for (int i = 0; i < old.length; i++) {
      old[i] = i;
    }
    KeyTypicality s = KeyTypicality.of("m", 3, old, new int[] {8, 32});
    double[] want = new double[32];
    for (int i = 0; i < 32; i++) {
      want[i] = 8 + i;
    }
    assertArrayEquals(want, s.values());
    assertEquals(32 + 33 + 34 + 35 + 36 + 37 + 38 + 39, s.sums[0], 0.0);
    assertTrue(s.belongsTo("m", 3, new int[] {8, 32}));
    assertFalse(s.belongsTo("m", 3, new int[] {8, 16}), "other window sizes need a fresh state");
    assertFalse(s.belongsTo("m", 4, new int[] {8, 32}), "another version's NLLs are not comparable");
  }
}
