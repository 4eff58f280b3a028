package io.flowguard.job.retrain;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The background training's listener aborts it when the operator closes or interrupts it. */
@Timeout(60)
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
  void anInterruptDuringAPauseAbortsTheTraining() throws Exception {
    CompletableFuture<Throwable> thrown = new CompletableFuture<>();
    AtomicBoolean reporting = new AtomicBoolean();
    AtomicBoolean stillInterrupted = new AtomicBoolean();
    Thread worker = new Thread(() -> {
      // A share of 0.001 makes the pause after at least 20 ms of work at least 20 s: far longer than
      // the test takes to see the pause and interrupt it, however slow the machine.
      TrainingThrottle t = new TrainingThrottle(0.001, new AtomicBoolean());
      long workUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
      while (System.nanoTime() < workUntil) {
        Thread.onSpinWait(); // working: RUNNABLE, so that TIMED_WAITING below means the pause
      }
      reporting.set(true);
      try {
        t.onProgress(10, 100, 1, 3, 3, 0);
        thrown.complete(null);
      } catch (Throwable e) {
        stillInterrupted.set(Thread.currentThread().isInterrupted());
        thrown.complete(e);
      }
    }, "training");
    worker.setDaemon(true);
    worker.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!(reporting.get() && worker.getState() == Thread.State.TIMED_WAITING)) {
      if (System.nanoTime() > deadline) {
        fail("the training never paused; it is " + worker.getState());
      }
      Thread.sleep(1);
    }
    worker.interrupt();
    Throwable e;
    try {
      e = thrown.get(10, TimeUnit.SECONDS);
    } catch (TimeoutException timeout) {
      throw new AssertionError("the pause went on after the interrupt", timeout);
    }
    assertInstanceOf(CancellationException.class, e);
    assertTrue(stillInterrupted.get(), "the interrupt stays set for the executor to see");
  }

  @Test
  void aShareOutsideZeroToOneIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new TrainingThrottle(0, new AtomicBoolean()));
    assertThrows(IllegalArgumentException.class,
        () -> new TrainingThrottle(1.5, new AtomicBoolean()));
  }
}
