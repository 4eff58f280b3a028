package io.flowguard.core.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.flowguard.core.diagnostics.Figure;
import io.flowguard.core.diagnostics.Panel;
import io.flowguard.core.flow.Flow;
import io.flowguard.core.flow.FlowFactory;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.train.Trainer;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingListener;
import io.flowguard.core.train.TrainingResult;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The depth/width sweep: one flow family trained at several depths (layers) and widths (hidden units of
 * each conditioner's two hidden layers) on the moons data (8192 train, 8192 test rows, the worked
 * example's protocol at a fixed step budget), with test NLL and fit time against depth, one line per
 * width, so a user sees where more capacity stops paying.
 */
public final class SweepExample {

  public static final int[] DEPTHS = {1, 2, 4, 8};
  public static final int[] WIDTHS = {8, 32, 128};
  public static final int TRAIN = 8192;
  public static final int TEST = 8192;

  private SweepExample() {}

  /** One fit of the sweep. */
  public record Point(int depth, int width, int parameters, double testNll, double trainSeconds, double cpuSeconds) {}

  public record Result(String family, long seed, int steps, List<Point> points) {}

  public static FlowSpec spec(String family, int depth, int width) {
    return FlowSpec.of(family, 2).withLayers(depth).withHidden(width, width).withActivation("relu");
  }

  public static Result run(String family, long seed, int steps, Path outDir, TrainingListener listener)
      throws IOException {
    double[] train = ToyData.moons(TRAIN, 0.05, seed);
    double[] test = ToyData.moons(TEST, 0.05, seed + WorkedExample.TEST_SEED_OFFSET);
    TrainingConfig config = TrainingConfig.defaults().withSteps(steps).withBatchSize(256).withLearningRate(1e-3)
        .withSchedule("cosine").withGradClip(5.0).withValidationFraction(0).withEvalEvery(Math.max(1, steps / 10))
        .withSeed(seed);
    List<Point> points = new ArrayList<>();
    for (int width : WIDTHS) {
      for (int depth : DEPTHS) {
        Flow flow = FlowFactory.create(spec(family, depth, width), seed);
        long cpu0 = DigitsExample.cpuNanos();
        TrainingResult tr = new Trainer(config, listener).fit(flow, train, TRAIN, true);
        double cpu = (DigitsExample.cpuNanos() - cpu0) / 1e9;
        points.add(new Point(depth, width, DigitsExample.freeParameters(flow), flow.meanNll(test, TEST), tr.seconds(),
            cpu));
      }
    }
    Result r = new Result(family, seed, steps, points);
    if (outDir != null) {
      writeJson(r, outDir.resolve("result.json"));
      writePng(r, outDir.resolve("result.png"));
    }
    return r;
  }

  private static void writeJson(Result r, Path file) throws IOException {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("example", "sweep");
    json.put("family", r.family());
    json.put("data", "moons (noise 0.05), 8192 train / 8192 test");
    json.put("seed", r.seed());
    json.put("steps", r.steps());
    List<Map<String, Object>> pts = new ArrayList<>();
    for (Point p : r.points()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("depth", p.depth());
      o.put("width", p.width());
      o.put("parameters", p.parameters());
      o.put("test_nll", p.testNll());
      o.put("train_seconds", p.trainSeconds());
      o.put("train_cpu_seconds", p.cpuSeconds());
      pts.add(o);
    }
    json.put("points", pts);
    Files.createDirectories(file.toAbsolutePath().getParent());
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), json);
  }

  private static final Color[] COLORS = {new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44),
      new Color(214, 39, 40)};

  private static void writePng(Result r, Path file) throws IOException {
    Figure fig = new Figure(2, 1, 560, 440, String.format(Locale.ROOT,
        "sweep: %s on moons, %d steps per fit (seed %d)", r.family(), r.steps(), r.seed()));
    double nllLo = Double.POSITIVE_INFINITY;
    double nllHi = Double.NEGATIVE_INFINITY;
    double tHi = 0;
    for (Point p : r.points()) {
      if (Double.isFinite(p.testNll())) {
        nllLo = Math.min(nllLo, p.testNll());
        nllHi = Math.max(nllHi, p.testNll());
      }
      tHi = Math.max(tHi, p.cpuSeconds());
    }
    double pad = 0.08 * Math.max(nllHi - nllLo, 1e-3);
    double xMax = DEPTHS[DEPTHS.length - 1] + 0.5;
    Panel nll = fig.plot(0, 0, 0.5, xMax, nllLo - pad, nllHi + pad, "Test NLL (nats) vs depth",
        "layers", "test NLL").grid();
    Panel time = fig.plot(1, 0, 0.5, xMax, 0, tHi * 1.1 + 1e-3, "Fit CPU time (s) vs depth", "layers",
        "seconds").grid();
    Panel.Key[] keys = new Panel.Key[WIDTHS.length];
    for (int w = 0; w < WIDTHS.length; w++) {
      double[] xs = new double[DEPTHS.length];
      double[] ys = new double[DEPTHS.length];
      double[] ts = new double[DEPTHS.length];
      for (int d = 0; d < DEPTHS.length; d++) {
        Point p = r.points().get(w * DEPTHS.length + d);
        xs[d] = p.depth();
        ys[d] = p.testNll();
        ts[d] = p.cpuSeconds();
      }
      Color c = COLORS[w % COLORS.length];
      nll.line(xs, ys, c, 2f, false);
      time.line(xs, ts, c, 2f, false);
      for (int d = 0; d < DEPTHS.length; d++) {
        nll.points(new double[] {xs[d], ys[d]}, 1, c, 4, 255);
        time.points(new double[] {xs[d], ts[d]}, 1, c, 4, 255);
      }
      keys[w] = new Panel.Key("hidden " + WIDTHS[w] + "x" + WIDTHS[w], c, Panel.Style.LINE);
    }
    nll.legend(Panel.Corner.TOP_RIGHT, keys).frame();
    time.legend(Panel.Corner.TOP_LEFT, keys).frame();
    fig.write(file);
  }
}
