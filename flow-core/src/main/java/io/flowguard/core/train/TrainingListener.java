package io.flowguard.core.train;

/** Receives training progress: every evaluation, and the end. Called on the training thread. */
public interface TrainingListener {

  /**
   * @param step optimizer steps done
   * @param epoch full passes over the training rows so far (fractional)
   * @param trainNll mean training NLL over the steps since the last report
   * @param validationNll validation NLL, or NaN without a validation split
   * @param skippedSteps non-finite steps skipped so far
   */
  void onProgress(int step, int totalSteps, double epoch, double trainNll, double validationNll, int skippedSteps);

  default void onFinish(TrainingResult result) {}

  TrainingListener NONE = (step, total, epoch, train, val, skipped) -> { };
}
