package io.flowguard.sql;

import io.flowguard.core.data.Dataset;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.ModelFormatException;
import io.flowguard.core.model.ModelTrainer;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingListener;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Random;

/** Small models trained on synthetic pump data (temp, pressure, flow), cached per JVM. */
final class SqlTestModels {

  static final List<String> FEATURES = List.of("temp", "pressure", "flow");
  static final String NAME = "pump";

  private static byte[] v1;
  private static byte[] v2;

  private SqlTestModels() {}

  static synchronized byte[] v1() {
    if (v1 == null) {
      v1 = train(NAME, 1, 11L);
    }
    return v1.clone();
  }

  static synchronized byte[] v2() {
    if (v2 == null) {
      v2 = train(NAME, 2, 22L);
    }
    return v2.clone();
  }

  static FlowModel read(byte[] bytes) {
    try {
      return ModelFormat.read(bytes);
    } catch (ModelFormatException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] train(String name, int version, long seed) {
    return train(name, version, seed, FEATURES);
  }

  /** A model of the pump data whose features carry the given names. */
  static byte[] train(String name, int version, long seed, List<String> featureNames) {
    int n = 2000;
    Random rng = new Random(seed);
    double[] x = new double[n * 3];
    for (int i = 0; i < n; i++) {
      System.arraycopy(normal(rng), 0, x, i * 3, 3);
    }
    Dataset data = new Dataset("sql-test-normal", featureNames, x, n);
    FlowSpec spec = FlowSpec.of(FlowSpec.MAF, 3).withLayers(2).withHidden(16, 16);
    TrainingConfig training = TrainingConfig.defaults().withSteps(200).withEvalEvery(50).withSeed(seed);
    FlowModel model = ModelTrainer.train(data,
        new ModelTrainer.Options(name, version, spec, training, 0.3), TrainingListener.NONE).model();
    return ModelFormat.toBytes(model);
  }

  /** One normal pump reading: temp ~ N(60, 5), pressure = 2 + 0.05 temp + N(0, 0.2), flow ~ N(10, 1). */
  static double[] normal(Random rng) {
    double temp = 60 + 5 * rng.nextGaussian();
    double pressure = 2 + 0.05 * temp + 0.2 * rng.nextGaussian();
    double flow = 10 + rng.nextGaussian();
    return new double[] {temp, pressure, flow};
  }
}
