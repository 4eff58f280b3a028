package io.flowguard.job.retrain;

import io.flowguard.core.train.TrainingListener;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The progress listener of a background training: it aborts the training when the operator closes,
 * and keeps its CPU use to a share of one core ({@code retrain.cpu-share}) by sleeping after each
 * progress report for {@code (1 - share) / share} times the time it worked since the last one.
 * Java cannot lower a thread's OS priority, so this duty cycle is what keeps a training from
 * taking a whole core from the scoring threads on a busy TaskManager; the price is a training
 * that takes {@code 1 / share} times as long. Progress reports come at every validation (about
 * once an epoch with the default training configuration), which sets the cycle's granularity.
 */
final class TrainingThrottle implements TrainingListener {

  private final double share;
  private final AtomicBoolean stop;
  private long resumed = System.nanoTime();

  /**
   * @param share the share of one core, in (0, 1]; 1 never sleeps
   * @param stop set when the operator closes
   */
  TrainingThrottle(double share, AtomicBoolean stop) {
    if (!(share > 0 && share <= 1)) {
      throw new IllegalArgumentException("cpu share must be in (0, 1], got " + share);
    }
    this.share = share;
    this.stop = stop;
  }

  @Override
  public void onProgress(int step, int totalSteps, double epoch, double trainNll,
      double validationNll, int skippedSteps) {
    checkStop();
    if (share >= 1) {
      return;
    }
    long worked = System.nanoTime() - resumed;
    long pauseMs = (long) (worked * (1 - share) / share / 1e6);
    long until = System.currentTimeMillis() + pauseMs;
    try {
      // In slices, so that a closing operator is not kept waiting for a long pause.
      for (long left = pauseMs; left > 0; left = until - System.currentTimeMillis()) {
        Thread.sleep(Math.min(left, 50));
        checkStop();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException("the retraining operator closed");
    }
    resumed = System.nanoTime();
  }

  private void checkStop() {
    if (stop.get() || Thread.currentThread().isInterrupted()) {
      throw new CancellationException("the retraining operator closed");
    }
  }
}
