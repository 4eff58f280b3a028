package io.flowguard.job.retrain;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The background training's listener aborts it when the operator closes or interrupts it. */
class TrainingThrottleTest {

  @Test
  void aClosedOperatorAbortsTheTrainingAtItsNextReport() {
    AtomicBoolean stop = new AtomicBoolean();
    TrainingThrottle t = new TrainingThrottle(1.0, stop);
    t.onProgress(10, 100, 1, 3, 3, 0);
    stop.set(true);
    assertThrows(CancellationException.class, () -> t.onProgress(20, 100, 2, 3, 3, 0));
  }

  @Test
  void anInterruptDuringAPauseAbortsTheTraining() {
    TrainingThrottle t = new TrainingThrottle(0.01, new AtomicBoolean());
    Thread.currentThread().interrupt();
    try {
      assertThrows(CancellationException.class, () -> t.onProgress(10, 100, 1, 3, 3, 0));
    } finally {
      Thread.interrupted();
    }
  }

  @Test
  void aShareOutsideZeroToOneIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new TrainingThrottle(0, new AtomicBoolean()));
    assertThrows(IllegalArgumentException.class,
        () -> new TrainingThrottle(1.5, new AtomicBoolean()));
  }
}
