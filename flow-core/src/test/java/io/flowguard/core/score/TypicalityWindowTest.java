package io.flowguard.core.score;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TypicalityWindowTest {

  @Test
  void statisticIsTheDistanceOfTheWindowMeanFromTheEntropy() {
    TypicalityWindow w = new TypicalityWindow(3, 2.0, 0.5);
    w.add(1.0);
    w.add(2.0);
    assertTrue(Double.isNaN(w.statistic()), "no statistic before the window is full");
    assertFalse(w.alarm());
    w.add(6.0);
    assertEquals(1.0, w.statistic(), 1e-15);
    assertTrue(w.alarm());
    w.add(0.0);  // window {2, 6, 0}: mean 8/3
    assertEquals(8.0 / 3.0 - 2.0, w.statistic(), 1e-15);
  }

  @Test
  void suspiciouslyLikelyWindowsAlarmToo() {
    TypicalityWindow w = new TypicalityWindow(4, 5.0, 1.0);
    for (int i = 0; i < 4; i++) {
      w.add(3.0);
    }
    assertTrue(w.alarm(), "a mean far below the entropy is atypical as well");
  }

  @Test
  void valuesComeBackOldestFirstAndRestoreRoundTrips() {
    TypicalityWindow w = new TypicalityWindow(3, 0.0, 1.0);
    for (int i = 1; i <= 5; i++) {
      w.add(i);
    }
    assertArrayEquals(new double[] {3, 4, 5}, w.values(), 0.0);
    TypicalityWindow copy = new TypicalityWindow(3, 0.0, 1.0);
    copy.restore(w.values());
    assertArrayEquals(w.values(), copy.values(), 0.0);
    assertEquals(w.mean(), copy.mean(), 0.0);
  }

  @Test
  void longStreamsDoNotDriftTheRunningSum() {
    TypicalityWindow w = new TypicalityWindow(8, 0.0, 1.0);
    for (int i = 0; i < 1_000_003; i++) {
      w.add(1e8 + (i % 7) * 0.1);
    }
    double exact = 0;
    for (double v : w.values()) {
      exact += v;
    }
    assertEquals(exact / 8, w.mean(), 1e-6);
  }

  @Test
  void nonFiniteNllIsRejected() {
    TypicalityWindow w = new TypicalityWindow(2, 0.0, 1.0);
    assertThrows(IllegalArgumentException.class, () -> w.add(Double.NaN));
  }
}
