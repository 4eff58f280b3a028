package io.flowguard.job;

import io.flowguard.core.context.ContextSpec;
import io.flowguard.core.context.EventSequence;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.ModelTrainer;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingListener;
import io.flowguard.job.Expectations.Sent;
import java.util.List;
import java.util.Random;

/**
 * A time-aware champion for the retraining tests: the features of {@link TestModels} (a, b, c) under its
 * model name, each key an autoregressive process (a and c remember their previous values, b follows a), a
 * context of the {@link #WINDOW} previous events, reset after a gap of {@link #MAX_GAP_MILLIS}. Trained as
 * {@link RetrainModels} trains its champions (an explicit 2-layer MAF of 16, 600 steps on 3000 rows), so
 * that a challenger retrained on a reservoir of the same process with the recorded configuration
 * converges as well. About two seconds.
 */
public final class TimeAwareChampions {

  public static final int WINDOW = 4;
  public static final long MAX_GAP_MILLIS = 60_000L;
  public static final ContextSpec SPEC = ContextSpec.ofWindow(WINDOW).withMaxGapMillis(MAX_GAP_MILLIS);

  private static byte[] v1;

  private TimeAwareChampions() {}

  /** Version 1, trained on 4 keys x 750 events of {@link #events} (cached). */
  public static synchronized byte[] v1() {
    if (v1 == null) {
      EventSequence sequence = TimeAwareModels.sequence("time-aware-champion",
          events(4, 750, 0L, 100L, new Random(201L)));
      FlowSpec flow = FlowSpec.of(FlowSpec.MAF, 3).withLayers(2).withHidden(16, 16);
      TrainingConfig training = TrainingConfig.defaults().withSteps(RetrainModels.STEPS).withEvalEvery(100)
          .withSeed(202L);
      FlowModel model = ModelTrainer.trainInContext(sequence, SPEC, new ModelTrainer.Options(TestModels.NAME, 1,
          flow, training, 0.3), TrainingListener.NONE).model();
      v1 = ModelFormat.toBytes(model);
    }
    return v1.clone();
  }

  /**
   * {@code perKey} events of each of {@code keys} keys ("key-0", ...), interleaved; event i has time
   * {@code ts0 + i * stepMillis}. {@code rng} carries the processes on from call to call when the caller
   * passes the same one with the same keys: use one per test.
   */
  public static List<Sent> events(int keys, int perKey, long ts0, long stepMillis, Random rng) {
    return events(keys, perKey, ts0, stepMillis, rng, new double[keys][]);
  }

  /** As {@link #events(int, int, long, long, Random)}, continuing each key from {@code last} (updated). */
  public static List<Sent> events(int keys, int perKey, long ts0, long stepMillis, Random rng, double[][] last) {
    return TimeAwareModels.events(keys, perKey, ts0, stepMillis, rng, last);
  }
}
