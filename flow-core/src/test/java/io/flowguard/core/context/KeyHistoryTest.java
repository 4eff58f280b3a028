package io.flowguard.core.context;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KeyHistoryTest {

  private static final ContextSpec K3 = ContextSpec.ofWindow(3);

  private static double[] context(KeyHistory h) {
    double[] out = new double[K3.dim(h.dim())];
    h.writeContext(out, 0);
    return out;
  }

  @Test
  void aNewKeyHasAnAllZeroContextAndNoIndicators() {
    KeyHistory h = new KeyHistory(3, 2);
    assertTrue(h.warmingUp());
    assertArrayEquals(new double[9], context(h));
  }

  @Test
  void previousEventsComeNewestFirstWithTheirIndicators() {
    KeyHistory h = new KeyHistory(3, 2);
    h.append(new double[] {1, 2}, 0, 10);
    h.append(new double[] {3, 4}, 0, 20);
    assertArrayEquals(new double[] {3, 4, 1, 2, 0, 0, 1, 1, 0}, context(h));
    assertTrue(h.warmingUp());
    h.append(new double[] {5, 6}, 0, 30);
    h.append(new double[] {7, 8}, 0, 40); // drops {1, 2}
    assertFalse(h.warmingUp());
    assertArrayEquals(new double[] {7, 8, 5, 6, 3, 4, 1, 1, 1}, context(h));
    assertEquals(40, h.newestTime());
  }

  @Test
  void aRestoredHistoryWritesTheSameContext() {
    KeyHistory h = new KeyHistory(3, 2);
    for (int i = 0; i < 5; i++) {
      h.append(new double[] {i, -i}, 0, i);
    }
    KeyHistory copy = new KeyHistory(3, 2);
    copy.restore(h.ring().clone(), h.head(), h.count(), h.newestTime());
    assertArrayEquals(context(h), context(copy));
  }

  @Test
  void aLongGapClearsTheHistory() {
    ContextSpec spec = K3.withMaxGapMillis(100L);
    KeyHistory h = new KeyHistory(3, 1);
    h.append(new double[] {1}, 0, 0);
    assertEquals(KeyHistory.Admission.IN_ORDER, h.admit(spec, 100));
    h.append(new double[] {2}, 0, 100);
    assertEquals(KeyHistory.Admission.RESET_AFTER_GAP, h.admit(spec, 201));
    assertEquals(0, h.count());
  }

  @Test
  void anEventOlderThanTheBoundClearsTheHistoryAndOneWithinItJoins() {
    ContextSpec spec = K3.withMaxOutOfOrdernessMillis(50L);
    KeyHistory h = new KeyHistory(3, 1);
    h.append(new double[] {1}, 0, 1000);
    assertEquals(KeyHistory.Admission.IN_ORDER, h.admit(spec, 950));
    h.append(new double[] {2}, 0, 950);
    assertEquals(1000, h.newestTime(), "the newest time does not go back");
    assertEquals(KeyHistory.Admission.RESET_OUT_OF_ORDER, h.admit(spec, 949));
    assertEquals(0, h.count());
  }

  @Test
  void timeFeaturesAreTheDayAndWeekPhasesInUtc() {
    double[] out = new double[4];
    // 1970-01-05 was a Monday: 06:00 UTC is a quarter of the day and 1/28 of the week.
    long mondaySixAm = (4L * 24 + 6) * 3_600_000L;
    ContextEncoder.writeTime(mondaySixAm, out, 0);
    assertEquals(1.0, out[0], 1e-12);
    assertEquals(0.0, out[1], 1e-12);
    assertEquals(Math.sin(2 * Math.PI / 28), out[2], 1e-12);
    assertEquals(Math.cos(2 * Math.PI / 28), out[3], 1e-12);
  }

  @Test
  void theEncoderPutsHistoryTimeAndFieldsInTheDocumentedOrder() {
    ContextSpec spec = ContextSpec.ofWindow(2).withTimeFeatures(true).withFields(java.util.List.of("setpoint"));
    ContextEncoder enc = new ContextEncoder(spec, 1);
    assertEquals(2 + 2 + 4 + 1, enc.dim());
    KeyHistory h = enc.newHistory();
    h.append(new double[] {0.5}, 0, 0);
    double[] out = new double[enc.dim()];
    enc.encode(h, 0L, new double[] {7.0}, 0, out, 0);
    assertArrayEquals(new double[] {0.5, 0, 1, 0, 0, 1, Math.sin(2 * Math.PI * 3 / 7), Math.cos(2 * Math.PI * 3 / 7), 7.0},
        out, 1e-12);
  }
}
