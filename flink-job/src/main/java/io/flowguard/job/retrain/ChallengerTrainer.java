package io.flowguard.job.retrain;

import io.flowguard.core.model.Retraining;
import io.flowguard.core.train.TrainingListener;
import java.io.Serializable;

/**
 * Trains and validates a challenger for the retraining operator, on its background thread:
 * normally flow-core's {@link Retraining#run}. Pluggable (it travels inside the operator, hence
 * serializable) so that tests can hold a training at a known point and the benchmark can time it.
 * An implementation must be pure with respect to the operator: it sees only the request.
 */
@FunctionalInterface
public interface ChallengerTrainer extends Serializable {

  /**
   * @param listener receives training progress; it throws to abort the training (the operator does
   *     so when it closes)
   */
  Retraining.Outcome train(Retraining.Request request, TrainingListener listener);

  /** Flow-core's retraining procedure. */
  ChallengerTrainer RETRAINING = Retraining::run;
}
