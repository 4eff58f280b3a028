package io.flowguard.flink.scoring;

import io.flowguard.core.context.KeyHistory;
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

  /**
   * Scores one event of a key given the key's history and appends it (a time-aware model: {@link
   * Scorer#scoreInContext}); {@code values} holds the features and then the model's declared context fields.
   * Default, for kernels without context (the benchmark's trivial one): {@link #score}, history untouched.
   */
  default boolean scoreInContext(double[] values, int rawDim, KeyHistory history, long eventTime,
                                 Scorer.Score out) {
    return score(values, out);
  }

  /** The context vector of the last event scored in context (to explain it), or null. */
  default double[] lastContext() {
    return null;
  }

  /** Makes a kernel for a model; serializable, because it travels inside the operator. */
  @FunctionalInterface
  interface Factory extends Serializable {
    ScoringKernel create(FlowModel model, double falseAlarmRate);
  }

  /** The flow: {@link Scorer#score(double[], Scorer.Score)} and {@link Scorer#scoreInContext}. */
  Factory FLOW = (model, rate) -> new FlowKernel(new Scorer(model, rate));

  /** The model's {@link Scorer}, with and without context. */
  final class FlowKernel implements ScoringKernel {
    private final Scorer scorer;

    FlowKernel(Scorer scorer) {
      this.scorer = scorer;
    }

    @Override
    public boolean score(double[] features, Scorer.Score out) {
      return scorer.score(features, out);
    }

    @Override
    public boolean scoreInContext(double[] values, int rawDim, KeyHistory history, long eventTime,
                                  Scorer.Score out) {
      return scorer.scoreInContext(values, 0, rawDim, history, eventTime, values, rawDim, out);
    }

    @Override
    public double[] lastContext() {
      return scorer.lastContext();
    }
  }
}
