package io.flowguard.core.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.flowguard.core.diagnostics.Figure;
import io.flowguard.core.distribution.GaussianMixture;
import io.flowguard.core.flow.Flow;
import io.flowguard.core.flow.FlowFactory;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.train.Trainer;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingListener;
import io.flowguard.core.train.TrainingResult;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The two textbook worked examples of the protocol ({@code ../shared/PROTOCOL.md}): a flow trained on
 * 8192 samples of a 2-D toy density and evaluated on 8192 fresh ones, with {@code result.json} and a
 * four-panel {@code result.png} (data, learned density, samples, latent codes with 1- and 2-sigma rings).
 */
public final class WorkedExample {

  /** What one run produced. */
  public record Result(String name, long seed, double testNll, double trainNll, double trainSeconds,
                       Double entropyFloor, FlowSpec spec, TrainingConfig config, TrainingResult training,
                       Flow flow) {}

  public static final int TRAIN_SIZE = 8192;
  public static final int TEST_SIZE = 8192;
  /** Test data use seed + 1000, as in the protocol, so train and test never share draws. */
  public static final long TEST_SEED_OFFSET = 1000;

  private WorkedExample() {}

  /** The architecture of each example (protocol budgets: Adam 1e-3, batch 256, clip 5.0). */
  public static FlowSpec spec(String name) {
    return switch (name) {
      case "moons" -> FlowSpec.of(FlowSpec.REALNVP, 2).withLayers(6).withHidden(64, 64)
          .withActivation("relu");
      case "bimodal" -> FlowSpec.of(FlowSpec.REALNVP, 2).withLayers(4).withHidden(32, 32)
          .withActivation("relu").withBase(FlowSpec.BaseSpec.mixture(2));
      default -> throw unknown(name);
    };
  }

  public static TrainingConfig config(String name, long seed) {
    int steps = switch (name) {
      case "moons" -> 3000;
      case "bimodal" -> 2000;
      default -> throw unknown(name);
    };
    return TrainingConfig.defaults().withSteps(steps).withBatchSize(256).withLearningRate(1e-3)
        .withSchedule("cosine").withGradClip(5.0).withValidationFraction(0).withEvalEvery(100).withSeed(seed);
  }

  private static IllegalArgumentException unknown(String name) {
    return new IllegalArgumentException("unknown example '" + name + "': use bimodal or moons");
  }

  static double[] data(String name, int n, long seed) {
    return switch (name) {
      case "moons" -> ToyData.moons(n, 0.05, seed);
      case "bimodal" -> ToyData.bimodal(n, seed);
      default -> throw unknown(name);
    };
  }

  /** Trains and evaluates; writes {@code result.json} and {@code result.png} into {@code outDir} if not null. */
  public static Result run(String name, long seed, Path outDir, TrainingListener listener) throws IOException {
    FlowSpec spec = spec(name);
    TrainingConfig config = config(name, seed);
    double[] train = data(name, TRAIN_SIZE, seed);
    double[] test = data(name, TEST_SIZE, seed + TEST_SEED_OFFSET);
    Flow flow = FlowFactory.create(spec, seed);
    TrainingResult training = new Trainer(config, listener).fit(flow, train, TRAIN_SIZE, true);
    double testNll = flow.meanNll(test, TEST_SIZE);
    double trainNll = flow.meanNll(train, TRAIN_SIZE);
    Double floor = name.equals("bimodal") ? ToyData.bimodalEntropy(1_000_000, seed + 2000) : null;
    Result result = new Result(name, seed, testNll, trainNll, training.seconds(), floor, spec, config, training, flow);
    if (outDir != null) {
      writeJson(result, outDir.resolve("result.json"));
      writePng(result, test, outDir.resolve("result.png"));
    }
    return result;
  }

  static void writeJson(Result r, Path file) throws IOException {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("example", r.name());
    json.put("seed", r.seed());
    json.put("test_nll", r.testNll());
    json.put("train_nll", r.trainNll());
    if (r.entropyFloor() != null) {
      json.put("entropy_floor", r.entropyFloor());
      json.put("gap_to_floor", r.testNll() - r.entropyFloor());
    }
    json.put("train_seconds", r.trainSeconds());
    json.put("steps", r.training().steps());
    json.put("skipped_steps", r.training().skippedSteps());
    json.put("train_size", TRAIN_SIZE);
    json.put("test_size", TEST_SIZE);
    json.put("spec", new ObjectMapper().readTree(r.spec().toJson()));
    json.put("training", r.config());
    java.nio.file.Files.createDirectories(file.toAbsolutePath().getParent());
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), json);
  }

  static void writePng(Result r, double[] test, Path file) throws IOException {
    Flow flow = r.flow();
    int shown = 3000;
    double[] window = window(test, TEST_SIZE);
    Figure fig = new Figure(2, 2, 440, String.format(Locale.ROOT, "%s (seed %d): test NLL %.3f nats%s",
        r.name(), r.seed(), r.testNll(),
        r.entropyFloor() == null ? "" : String.format(Locale.ROOT, ", entropy floor %.3f", r.entropyFloor())));
    fig.panel(0, 0, window[0], window[1], window[2], window[3], "Data (test set)")
        .points(test, shown, new Color(31, 119, 180)).frame();

    int res = 160;
    double[] grid = new double[res * res * 2];
    for (int iy = 0; iy < res; iy++) {
      for (int ix = 0; ix < res; ix++) {
        int k = iy * res + ix;
        grid[2 * k] = window[0] + (ix + 0.5) * (window[1] - window[0]) / res;
        grid[2 * k + 1] = window[2] + (iy + 0.5) * (window[3] - window[2]) / res;
      }
    }
    double[] logp = flow.logProb(grid, res * res);
    double[] density = new double[logp.length];
    for (int i = 0; i < logp.length; i++) {
      density[i] = Math.exp(logp[i]);
    }
    fig.panel(1, 0, window[0], window[1], window[2], window[3], "Learned density p(x)")
        .heatmap(density, res).frame();

    double[] samples = flow.sample(shown, r.seed() + 3000);
    fig.panel(0, 1, window[0], window[1], window[2], window[3], "Samples from the flow")
        .points(samples, shown, new Color(214, 39, 40)).frame();

    double[] z = flow.toLatent(test, shown);
    double[] lw = window(z, shown);
    double half = Math.max(4.0, Math.max(Math.max(-lw[0], lw[1]), Math.max(-lw[2], lw[3])));
    var latent = fig.panel(1, 1, -half, half, -half, half, "Latent codes of test data")
        .points(z, shown, new Color(44, 160, 44));
    if (flow.base() instanceof GaussianMixture gm) {
      double[] theta = flow.parameters();
      for (int c = 0; c < gm.components(); c++) {
        if (gm.weight(theta, c) < 0.25 / gm.components()) {
          continue;
        }
        for (int s = 1; s <= 2; s++) {
          latent.ellipse(gm.mean(theta, c, 0), gm.mean(theta, c, 1), s * gm.std(theta, c, 0), s * gm.std(theta, c, 1),
              s == 1 ? Color.BLACK : Color.GRAY, 1.5f);
        }
      }
      latent.note("rings: 1 and 2 sigma of each mixture component", Color.BLACK);
    } else {
      latent.ellipse(0, 0, 1, 1, Color.BLACK, 1.5f).ellipse(0, 0, 2, 2, Color.GRAY, 1.5f)
          .note("rings: 1 and 2 sigma of N(0, I)", Color.BLACK);
    }
    latent.frame();
    fig.write(file);
  }

  /** A square window around the data with 15% padding: {xMin, xMax, yMin, yMax}. */
  static double[] window(double[] xy, int n) {
    double x0 = Double.POSITIVE_INFINITY;
    double x1 = Double.NEGATIVE_INFINITY;
    double y0 = Double.POSITIVE_INFINITY;
    double y1 = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      x0 = Math.min(x0, xy[2 * i]);
      x1 = Math.max(x1, xy[2 * i]);
      y0 = Math.min(y0, xy[2 * i + 1]);
      y1 = Math.max(y1, xy[2 * i + 1]);
    }
    double span = Math.max(x1 - x0, y1 - y0) * 1.15;
    double cx = (x0 + x1) / 2;
    double cy = (y0 + y1) / 2;
    return new double[] {cx - span / 2, cx + span / 2, cy - span / 2, cy + span / 2};
  }
}
