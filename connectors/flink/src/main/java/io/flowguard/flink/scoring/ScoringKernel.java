package io.flowguard.flink.scoring;

import io.flowguard.core.model.FlowModel;
import io.flowguard.core.score.Scorer;
import java.io.Serializable;

/**
 * What scores one event's features for the scoring operator: normally the model's {@link Scorer}.
 * Pluggable so that the end-to-end benchmark can swap in a trivial kernel and show the flow's share
 * of the cost. One instance per operator instance and model version; not thread-safe.
 */
@FunctionalInterface
public interface ScoringKernel {

  /**
   * Scores features in the model's schema order into {@code out}.
   *
   * @return false (with {@code out.rejection} set) if the event cannot be scored
   */
  boolean score(double[] features, Scorer.Score out);

  /** Makes a kernel for a model; serializable, because it travels inside the operator. */
  @FunctionalInterface
  interface Factory extends Serializable {
    ScoringKernel create(FlowModel model, double falseAlarmRate);
  }

  /** The flow: {@link Scorer#score(double[], Scorer.Score)}. */
  Factory FLOW = (model, rate) -> new Scorer(model, rate)::score;
}
