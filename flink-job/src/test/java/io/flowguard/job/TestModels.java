package io.flowguard.job;

import io.flowguard.core.data.Dataset;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.ModelFormatException;
import io.flowguard.core.model.ModelTrainer;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingListener;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Small models for tests, trained once per JVM: three correlated Gaussian features (a, b, c), a
 * 2-layer MAF with hidden width 16, a few hundred steps (well under a second each). Versions 1 and 2
 * differ by training seed, so they give different scores for the same event.
 */
public final class TestModels {

  public static final String NAME = "default";
  public static final List<String> FEATURES = List.of("a", "b", "c");

  private static byte[] v1;
  private static byte[] v2;

  private TestModels() {}

  public static synchronized byte[] v1() {
    if (v1 == null) {
      v1 = train(NAME, 1, 11L);
    }
    return v1.clone();
  }

  public static synchronized byte[] v2() {
    if (v2 == null) {
      v2 = train(NAME, 2, 22L);
    }
    return v2.clone();
  }

  public static FlowModel read(byte[] bytes) {
    try {
      return ModelFormat.read(bytes);
    } catch (ModelFormatException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A model file of the given name and version. */
  public static byte[] train(String name, int version, long seed) {
    int n = 3000;
    Random rng = new Random(seed);
    double[] x = new double[n * 3];
    for (int i = 0; i < n; i++) {
      System.arraycopy(normal(rng), 0, x, i * 3, 3);
    }
    Dataset data = new Dataset("test-normal", FEATURES, x, n);
    FlowSpec spec = FlowSpec.of(FlowSpec.MAF, 3).withLayers(2).withHidden(16, 16);
    TrainingConfig training = TrainingConfig.defaults().withSteps(300).withEvalEvery(50)
        .withSeed(seed);
    FlowModel model = ModelTrainer.train(data,
        new ModelTrainer.Options(name, version, spec, training, 0.3), TrainingListener.NONE).model();
    return ModelFormat.toBytes(model);
  }

  /**
   * A model file of the given name and version trained on the first {@code features.size()} columns
   * of {@link #normal} named {@code features} (a model of another schema).
   */
  public static byte[] trainFeatures(String name, int version, long seed, List<String> features) {
    int n = 3000;
    int d = features.size();
    Random rng = new Random(seed);
    double[] x = new double[n * d];
    for (int i = 0; i < n; i++) {
      System.arraycopy(normal(rng), 0, x, i * d, d);
    }
    Dataset data = new Dataset("test-normal", features, x, n);
    FlowSpec spec = FlowSpec.of(FlowSpec.MAF, d).withLayers(2).withHidden(16, 16);
    TrainingConfig training = TrainingConfig.defaults().withSteps(300).withEvalEvery(50)
        .withSeed(seed);
    return ModelFormat.toBytes(ModelTrainer.train(data,
        new ModelTrainer.Options(name, version, spec, training, 0.3), TrainingListener.NONE).model());
  }

  /** One normal event: a ~ N(1, 1), b = 0.8 a + N(0, 0.5), c ~ N(-2, 2). */
  public static double[] normal(Random rng) {
    double a = 1 + rng.nextGaussian();
    double b = 0.8 * a + 0.5 * rng.nextGaussian();
    double c = -2 + 2 * rng.nextGaussian();
    return new double[] {a, b, c};
  }

  /** An event of a shifted distribution (b no longer follows a). */
  public static double[] shifted(Random rng) {
    double a = 1 + rng.nextGaussian();
    double b = -0.8 * a + 0.5 * rng.nextGaussian();
    double c = -2 + 2 * rng.nextGaussian();
    return new double[] {a, b, c};
  }

  /** The JSON of an event with features by name; the model field is omitted for "default". */
  public static String json(String key, String model, long ts, double[] f) {
    String m = model.equals(NAME) ? "" : "\"model\":\"" + model + "\",";
    return String.format(Locale.ROOT,
        "{\"key\":\"%s\",%s\"ts\":%d,\"features\":{\"a\":%s,\"b\":%s,\"c\":%s}}",
        key, m, ts, Double.toString(f[0]), Double.toString(f[1]), Double.toString(f[2]));
  }

  public static byte[] jsonBytes(String key, long ts, double[] f) {
    return json(key, NAME, ts, f).getBytes(StandardCharsets.UTF_8);
  }
}
