package io.flowguard.core.context;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EventTimesTest {

  @Test
  void readsEpochMillisIsoInstantsOffsetsAndNabsLocalForm() {
    long t = 1_396_310_400_000L; // 2014-04-01T00:00:00Z
    assertEquals(t, EventTimes.parse("1396310400000").orElseThrow());
    assertEquals(t, EventTimes.parse("2014-04-01T00:00:00Z").orElseThrow());
    assertEquals(t, EventTimes.parse("2014-04-01T02:00:00+02:00").orElseThrow());
    assertEquals(t, EventTimes.parse("2014-04-01 00:00:00").orElseThrow());
    assertEquals(t + 1, EventTimes.parse("2014-04-01 00:00:00.001").orElseThrow());
  }

  @Test
  void refusesWhatIsNoTime() {
    assertTrue(EventTimes.parse("yesterday").isEmpty());
    assertTrue(EventTimes.parse("").isEmpty());
    assertTrue(EventTimes.parse("2014-13-01 00:00:00").isEmpty());
    assertTrue(EventTimes.parse("99999999999999999999").isEmpty());
  }
}
