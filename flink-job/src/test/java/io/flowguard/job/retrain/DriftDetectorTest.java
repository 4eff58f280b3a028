package io.flowguard.job.retrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.job.retrain.DriftDetector.Transition;
import org.junit.jupiter.api.Test;

/** The drift statistic: blocks, consecutive high and low blocks, model versions. */
class DriftDetectorTest {

  // Blocks of 10 sampled events; high at >= 3 alerts; 2 blocks declare or end a drift.
  final DriftDetector detector = new DriftDetector(10, 0.3, 2);

  /** Feeds one block with {@code alerts} alerting events and returns the last step. */
  DriftDetector.Step block(DriftStatus s, int version, int alerts, long now) {
    DriftDetector.Step step = null;
    for (int i = 0; i < 10; i++) {
      step = detector.observe(step == null ? s : step.status(), version, i < alerts, now);
    }
    return step;
  }

  @Test
  void aDriftIsDeclaredAfterConsecutiveHighBlocksAndEndsAfterConsecutiveLowOnes() {
    DriftStatus s = DriftStatus.fresh(1);
    s = block(s, 1, 2, 0).status(); // low: 2 < 3
    DriftDetector.Step step = block(s, 1, 3, 10);
    assertEquals(Transition.NONE, step.transition(), "one high block is not a drift");
    step = block(step.status(), 1, 9, 20);
    assertEquals(Transition.DECLARED, step.transition());
    assertTrue(step.status().declared());
    assertEquals(20, step.status().declaredAt());
    step = block(step.status(), 1, 0, 30);
    assertEquals(Transition.NONE, step.transition(), "one low block does not end it");
    assertTrue(step.status().declared());
    step = block(step.status(), 1, 1, 40);
    assertEquals(Transition.ENDED, step.transition());
    assertFalse(step.status().declared());
  }

  @Test
  void aLowBlockBetweenHighOnesRestartsTheCount() {
    DriftStatus s = block(DriftStatus.fresh(1), 1, 5, 0).status();
    s = block(s, 1, 0, 1).status();
    DriftDetector.Step step = block(s, 1, 5, 2);
    assertEquals(Transition.NONE, step.transition());
    assertEquals(1, step.status().highBlocks());
  }

  @Test
  void eventsOfAnOlderVersionAreIgnoredAndANewVersionStartsAfresh() {
    DriftStatus s = block(DriftStatus.fresh(2), 2, 9, 0).status();
    s = block(s, 2, 9, 1).status();
    assertTrue(s.declared());
    DriftStatus ignored = block(s, 1, 0, 2).status();
    assertEquals(s, ignored, "v1 events do not count once v2 is the champion");
    DriftDetector.Step step = detector.observe(s, 3, true, 3);
    assertEquals(Transition.NEW_MODEL, step.transition());
    assertFalse(step.status().declared());
    assertEquals(3, step.status().modelVersion());
    assertEquals(1, step.status().blockEvents());
  }
}
