package io.flowguard.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.data.Dataset;
import io.flowguard.core.flow.Flow;
import io.flowguard.core.flow.FlowFactory;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingListener;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The default model end to end: dequantized training on integer data gives sane NLLs (close to the
 * Shannon entropy of the data, not spikes), and a model with transformed and dequantized columns is a
 * normalized density in raw space.
 */
class DefaultModelTest {

  /** a uniform on {0..4}, b = a + uniform {0, 1, 2}: Shannon entropy log 5 + log 3. */
  private static double[] integerRows(int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] x = new double[n * 2];
    for (int r = 0; r < n; r++) {
      int a = rng.nextInt(5);
      x[r * 2] = a;
      x[r * 2 + 1] = a + rng.nextInt(3);
    }
    return x;
  }

  @Test
  void dequantizedTrainingOnIntegerDataGivesNllsNearTheShannonEntropy() {
    int n = 2000;
    Dataset data = new Dataset("integers", List.of("a", "b"), integerRows(n, 1), n);
    // The default model's preprocessing and noise, with a smaller flow and fewer steps to stay fast.
    ModelTrainer.Options auto = ModelTrainer.Options.automatic("ints", 1, data, 0, 0.2);
    ModelTrainer.Options options = new ModelTrainer.Options("ints", 1,
        FlowSpec.of(FlowSpec.MAF, 2).withLayers(3).withHidden(16, 16),
        auto.training().withSteps(800).withBatchSize(128).withEvalEvery(50).withLearningRate(3e-3), 0.2);
    FlowModel model = ModelTrainer.train(data, options, TrainingListener.NONE).model();
    assertEquals(List.of("a", "b"), model.preprocessor().discreteFeatures());

    int m = 2000;
    double[] nll = model.nll(integerRows(m, 2), m);
    double mean = 0;
    for (double v : nll) {
      assertTrue(Double.isFinite(v) && Math.abs(v) < 20, "sane NLL per row: " + v);
      mean += v / m;
    }
    // With cell 1 the dequantized density at a grid value approximates its probability, so the mean NLL
    // estimates the Shannon entropy 2.708 nats; the smoothing noise (~0.2 raw units) and the affine
    // flow's soft cell edges put it somewhat above (2.80 measured).
    double entropy = Math.log(5) + Math.log(3);
    assertTrue(mean > entropy - 0.2 && mean < entropy + 0.4, "mean NLL " + mean + " vs entropy " + entropy);
    ModelTrainer.Options plain = new ModelTrainer.Options("ints", 1, options.spec(), options.training().withNoise(0), 0.2,
        Preprocessor.Options.standardizeOnly());
    double[] spiky = ModelTrainer.train(data, plain, TrainingListener.NONE).model().nll(integerRows(m, 2), m);
    // The same flow without dequantization (and without smoothing) already puts spikes on the grid after
    // 800 steps (1.2 nats, falling further with training): far below any proper density's entropy.
    assertTrue(java.util.Arrays.stream(spiky).average().orElseThrow() < entropy - 1.0, "plain standardization spikes");
  }

  /** A model over the given preprocessor with a near-identity random MAF (no training needed). */
  @Test
  void fittedRowsAreTheRowsTrainFitsOn() {
    int n = 400;
    SplittableRandom rng = new SplittableRandom(5);
    double[] x = new double[n * 2];
    for (int i = 0; i < x.length; i++) {
      x[i] = rng.nextDouble() * (1 + i % 7);
    }
    Dataset data = new Dataset("uniform", List.of("a", "b"), x, n);
    long seed = 11;
    Dataset fit = ModelTrainer.fitted(data, 0.2, seed);
    assertEquals(ModelTrainer.fitRows(n, 0.2), fit.rows());
    // The preprocessor train learns is a function of exactly the fitted rows (means and spreads of both
    // columns), so it equals the one fitted on them; another seed's rows give another one.
    ModelTrainer.Options options = new ModelTrainer.Options("u", 1, FlowSpec.of(FlowSpec.MAF, 2).withLayers(1)
        .withHidden(8, 8), TrainingConfig.defaults().withSteps(25).withSeed(seed), 0.2);
    Preprocessor trained = ModelTrainer.train(data, options, TrainingListener.NONE).model().preprocessor();
    assertEquals(Preprocessor.fit(data.columns(), fit.values(), fit.rows()), trained);
    Dataset other = ModelTrainer.fitted(data, 0.2, seed + 1);
    assertTrue(!Preprocessor.fit(data.columns(), other.values(), other.rows()).equals(trained));
  }

  private static FlowModel model(Preprocessor pre, long seed) {
    FlowSpec spec = FlowSpec.of(FlowSpec.MAF, pre.dim()).withLayers(2).withHidden(8, 8);
    Flow flow = FlowFactory.create(spec, seed);
    double[] theta = flow.parameters();
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = 0; i < theta.length; i++) {
      theta[i] += 0.1 * rng.nextGaussian();
    }
    flow.setParameters(theta);
    double[] nll = new double[100];
    for (int i = 0; i < nll.length; i++) {
      nll[i] = 3 + rng.nextGaussian();
    }
    Calibration cal = Calibration.fit(nll, seed);
    Provenance prov = Provenance.create(spec, TrainingConfig.defaults(), Provenance.fingerprint(pre.featureNames(),
        new double[0], 0), 0, new Provenance.TrainingMetrics(Double.NaN, Double.NaN, 0, 0));
    return new FlowModel("m", 1, pre, flow, cal, prov);
  }

  /** Nodes center + scale * sinh(t), t uniform on [-T, T]: fine near the center, reaching far tails. */
  private static double[] sinhNodes(double center, double scale, double t, int m) {
    double[] x = new double[m];
    for (int i = 0; i < m; i++) {
      x[i] = center + scale * Math.sinh(-t + 2 * t * i / (m - 1));
    }
    return x;
  }

  /** Trapezoid weights for sorted nodes. */
  private static double[] trapezoid(double[] x) {
    double[] w = new double[x.length];
    for (int i = 0; i + 1 < x.length; i++) {
      double h = x[i + 1] - x[i];
      w[i] += h / 2;
      w[i + 1] += h / 2;
    }
    return w;
  }

  @Test
  void aTransformedColumnsDensityIntegratesToOneInRawSpace1d() {
    Preprocessor pre = new Preprocessor(List.of(new Preprocessor.Feature("heavy", true, 0.2, 1.3, 0.0, 50.0, 3.0)));
    FlowModel m = model(pre, 3);
    // Raw nodes out to 50 +- 3 sinh(25) (~1e11): beyond, the latent is ~20 standard deviations out.
    double[] x = sinhNodes(50, 3, 25, 20001);
    double[] w = trapezoid(x);
    double[] lp = m.logDensity(x, x.length);
    double mass = 0;
    for (int i = 0; i < x.length; i++) {
      mass += w[i] * Math.exp(lp[i]);
    }
    // The nodes are dense where the density varies (spacing 0.0075 t-units): trapezoid error ~1e-5.
    assertEquals(1.0, mass, 1e-3);
  }

  @Test
  void aDequantizedAndATransformedColumnIntegrateToOneOverTheContinuousSpace2d() {
    // The dequantized column's density is a density of the continuous variable x + U (uniform noise over
    // the cell), so it is integrated over the real line like any other: the probability of grid value k
    // is about the integral over its cell. The check covers every column as continuous.
    Preprocessor pre = new Preprocessor(List.of(new Preprocessor.Feature("heavy", true, 0.1, 1.2, 0.0, 10.0, 2.0),
        new Preprocessor.Feature("count", true, 4.0, 2.0, 1.0, 0.0, 0.0)));
    FlowModel m = model(pre, 5);
    double[] x0 = sinhNodes(10, 2, 16, 601);
    double[] x1 = new double[701];
    for (int i = 0; i < x1.length; i++) {
      x1[i] = 4 + 2.0 * (-14 + 28.0 * i / (x1.length - 1));
    }
    double[] w0 = trapezoid(x0);
    double[] w1 = trapezoid(x1);
    double[] rows = new double[x0.length * x1.length * 2];
    for (int i = 0, k = 0; i < x0.length; i++) {
      for (int j = 0; j < x1.length; j++, k++) {
        rows[k * 2] = x0[i];
        rows[k * 2 + 1] = x1[j];
      }
    }
    double[] lp = m.logDensity(rows, x0.length * x1.length);
    double mass = 0;
    for (int i = 0, k = 0; i < x0.length; i++) {
      for (int j = 0; j < x1.length; j++, k++) {
        mass += w0[i] * w1[j] * Math.exp(lp[k]);
      }
    }
    // 601 x 701 trapezoid nodes (0.053 t-units and 0.08 raw units apart) on a smooth density: ~1e-3.
    assertEquals(1.0, mass, 5e-3);
  }
}
