package io.flowguard.sql;

import org.apache.flink.table.functions.PredictFunction;
import org.apache.flink.table.ml.ModelProvider;
import org.apache.flink.table.ml.PredictRuntimeProvider;

/** The planned Flowguard model of one {@code CREATE MODEL}: gives the planner its predict function. */
final class FlowguardModelProvider implements PredictRuntimeProvider {

  private final FlowguardPredictFunction.Plan plan;

  FlowguardModelProvider(FlowguardPredictFunction.Plan plan) {
    this.plan = plan;
  }

  @Override
  public PredictFunction createPredictFunction(Context context) {
    return new FlowguardPredictFunction(plan);
  }

  @Override
  public ModelProvider copy() {
    return new FlowguardModelProvider(plan);
  }
}
