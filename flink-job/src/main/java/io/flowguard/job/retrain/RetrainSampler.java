package io.flowguard.job.retrain;

import io.flowguard.connectors.score.ScoredEvent;
import java.util.SplittableRandom;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFilterFunction;

/**
 * The Bernoulli sample of scored events that reaches the retraining operator ({@code
 * retrain.sample-rate}). Every scored event is a candidate, anomalies included: the retraining
 * operator needs them for the drift statistic and applies the admission rule itself. Sampling here,
 * before the shuffle to the operator keyed by model name, keeps the extra network traffic at the
 * sample rate.
 */
public final class RetrainSampler extends RichFilterFunction<ScoredEvent> {

  private static final long serialVersionUID = 1L;

  private final double rate;
  private transient SplittableRandom random;

  public RetrainSampler(double rate) {
    if (!(rate > 0 && rate <= 1)) {
      throw new IllegalArgumentException("sample rate must be in (0, 1], got " + rate);
    }
    this.rate = rate;
  }

  @Override
  public void open(OpenContext openContext) {
    random = new SplittableRandom(0x5A3D1E5L + getRuntimeContext().getTaskInfo()
        .getIndexOfThisSubtask());
  }

  @Override
  public boolean filter(ScoredEvent e) {
    return rate >= 1 || random.nextDouble() < rate;
  }
}
