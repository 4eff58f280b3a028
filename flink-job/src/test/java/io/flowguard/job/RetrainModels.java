package io.flowguard.job;

import io.flowguard.core.data.Dataset;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.ModelTrainer;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingListener;
import java.util.Random;
import java.util.function.Function;

/**
 * Champions for the retraining tests: the features of {@link TestModels}, an explicit small MAF
 * (2 layers of 16, so the default model's changes do not slow the tests) trained long enough (600
 * steps on 3000 rows, about 60 epochs) that a challenger retrained on a few thousand reservoir rows
 * with the champion's recorded configuration converges as well as it did. About a second each.
 */
public final class RetrainModels {

  public static final int ROWS = 3000;
  public static final int STEPS = 600;

  private static byte[] regimeA;

  private RetrainModels() {}

  /** The champion of the normal regime {@link TestModels#normal}, version 1 (cached). */
  public static synchronized byte[] regimeA() {
    if (regimeA == null) {
      regimeA = train(TestModels.NAME, 1, 101L, TestModels::normal);
    }
    return regimeA.clone();
  }

  /** A model file trained on {@link #ROWS} rows of a regime. */
  public static byte[] train(String name, int version, long seed,
      Function<Random, double[]> regime) {
    Random rng = new Random(seed);
    double[] x = new double[ROWS * 3];
    for (int i = 0; i < ROWS; i++) {
      System.arraycopy(regime.apply(rng), 0, x, i * 3, 3);
    }
    Dataset data = new Dataset("retrain-test", TestModels.FEATURES, x, ROWS);
    FlowSpec spec = FlowSpec.of(FlowSpec.MAF, 3).withLayers(2).withHidden(16, 16);
    TrainingConfig training = TrainingConfig.defaults().withSteps(STEPS).withEvalEvery(100)
        .withSeed(seed);
    FlowModel model = ModelTrainer.train(data,
        new ModelTrainer.Options(name, version, spec, training, 0.3), TrainingListener.NONE).model();
    return ModelFormat.toBytes(model);
  }
}
