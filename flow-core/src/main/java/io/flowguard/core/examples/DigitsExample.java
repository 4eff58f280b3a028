package io.flowguard.core.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.flowguard.core.data.DataReader;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.diagnostics.Figure;
import io.flowguard.core.diagnostics.Panel;
import io.flowguard.core.flow.Flow;
import io.flowguard.core.flow.FlowFactory;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.Calibration;
import io.flowguard.core.score.TypicalityWindow;
import io.flowguard.core.train.InputNoise;
import io.flowguard.core.train.Trainer;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingListener;
import io.flowguard.core.train.TrainingResult;
import io.flowguard.core.transform.TensorShape;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The digits example: 8 x 8 handwritten digits ({@code ../shared/data/digits}, intensities 0..16) as
 * 1 x 8 x 8 tensor events. Three flows of about the same parameter count (Glow, a flat RealNVP, a MAF)
 * are trained on the even digits and compared by test bits per dimension; Glow's samples are drawn as a
 * grid; and the out-of-distribution lesson is measured: the odd digits, flipped and inverted test
 * images and uniform noise are scored, to see where the log-likelihood ranks an out-of-distribution
 * batch as <em>more</em> likely than the test data and whether the typicality test flags it.
 *
 * <p>Scale: a pixel v becomes {@code y = (v + u) / 17} in [0, 1), u uniform in [0, 1) drawn afresh for
 * every training minibatch (dequantization) and once, with a fixed seed, for test data. Bits per
 * dimension on that scale are {@code NLL / (64 ln 2)}; on the raw 0..17 scale add {@code log2(17) = 4.087}.
 */
public final class DigitsExample {

  public static final TensorShape SHAPE = new TensorShape(1, 8, 8);
  public static final int D = 64;
  /** The intensity levels 0..16 span 17 cells of width 1; y = (v + u) / 17. */
  public static final double LEVELS = 17.0;
  /** Typicality windows of this many events, at this level (as calibrated by {@link Calibration}). */
  public static final int WINDOW = 32;
  public static final double ALPHA = 0.99;
  /** The per-event false-alarm rate of the single-event test. */
  public static final double EVENT_RATE = 0.01;

  private DigitsExample() {}

  /** One trained model. */
  /**
   * @param trainSeconds wall time of training
   * @param trainCpuSeconds CPU time of the training thread (the honest figure on a shared machine; ND4J
   *     runs single-threaded on the calling thread with OMP_NUM_THREADS=1)
   */
  public record ModelResult(String name, FlowSpec spec, int parameters, double trainSeconds, double trainCpuSeconds,
                            double testNll, double testBitsPerDim, TrainingResult training) {}

  /** One scored group of events under the Glow model. */
  public record Group(String name, boolean inDistribution, int count, double meanBitsPerDim, double eventFlagRate,
                      int windows, double windowFlagRate, double windowsBelowEntropyShare) {}

  public record Result(long seed, List<ModelResult> models, List<Group> groups, double entropyBitsPerDim,
                       int trainRows, int testRows) {}

  /** The three architectures compared, at about 30 000 free parameters each. */
  public static List<FlowSpec> specs() {
    return List.of(
        FlowSpec.glow(SHAPE, 2, 4, 32, 32).withActivation("relu"),
        FlowSpec.of(FlowSpec.REALNVP, D).withLayers(6).withHidden(48).withActNorm(true).withMixing("permute"),
        FlowSpec.of(FlowSpec.MAF, D).withLayers(4).withHidden(80).withActNorm(true));
  }

  public static TrainingConfig config(long seed, int steps) {
    return TrainingConfig.defaults().withSteps(steps).withBatchSize(64).withLearningRate(1e-3).withSchedule("cosine")
        .withGradClip(5.0).withValidationFraction(0).withEvalEvery(100).withSeed(seed);
  }

  /** The images (row-major, raw 0..16) and their labels. */
  public record Digits(double[] pixels, int[] labels) {
    public int rows() {
      return labels.length;
    }
  }

  /** Reads {@code digits.csv}: 64 pixel columns and a {@code digit} column. */
  public static Digits load(Path csv) throws IOException {
    Dataset d = DataReader.read(csv);
    int label = d.columns().indexOf("digit");
    if (label < 0 || d.dim() != D + 1) {
      throw new IllegalArgumentException(csv + " is not the digits data: expected 64 pixel columns and a 'digit'"
          + " column, found " + d.dim() + " columns");
    }
    int n = d.rows();
    double[] px = new double[n * D];
    int[] labels = new int[n];
    for (int r = 0; r < n; r++) {
      for (int j = 0, k = 0; j <= D; j++) {
        double v = d.values()[r * (D + 1) + j];
        if (j == label) {
          labels[r] = (int) v;
        } else {
          px[r * D + k++] = v;
        }
      }
    }
    return new Digits(px, labels);
  }

  /** Fresh dequantization noise on the [0, 1) scale: one grid cell is 1/17 wide. */
  static final InputNoise DEQUANTIZE = (rows, n, rng) -> {
    for (int i = 0; i < n * D; i++) {
      rows[i] += rng.nextDouble() / LEVELS;
    }
  };

  /** Raw 0..16 pixels to y = (v + u) / 17 with u fixed by {@code seed} (u = 0 when seed < 0: grid corners). */
  static double[] scaled(double[] raw, long seed) {
    double[] y = new double[raw.length];
    SplittableRandom rng = seed >= 0 ? new SplittableRandom(seed) : null;
    for (int i = 0; i < raw.length; i++) {
      y[i] = (raw[i] + (rng == null ? 0.0 : rng.nextDouble())) / LEVELS;
    }
    return y;
  }

  static double bitsPerDim(double nllNats) {
    return nllNats / (D * Math.log(2));
  }

  /** Free parameters: trainable and not held at zero by a MADE mask. */
  public static int freeParameters(Flow flow) {
    double[] ones = new double[flow.layout().size()];
    Arrays.fill(ones, 1.0);
    flow.transform().sanitize(ones);
    boolean[] trainable = flow.layout().trainableMask();
    int count = 0;
    for (int i = 0; i < ones.length; i++) {
      if (trainable[i] && ones[i] != 0.0) {
        count++;
      }
    }
    return count;
  }

  /** Listener factory: one per model, named. */
  @FunctionalInterface
  public interface Progress {
    TrainingListener forModel(String name);
  }

  public static Result run(Path csv, long seed, int steps, Path outDir, Progress progress) throws IOException {
    Digits all = load(csv);
    // In distribution: the even digits, 80 % train / 20 % test; out of distribution: the odd digits.
    List<Integer> in = new ArrayList<>();
    List<Integer> odd = new ArrayList<>();
    for (int r = 0; r < all.rows(); r++) {
      (all.labels()[r] % 2 == 0 ? in : odd).add(r);
    }
    java.util.Collections.shuffle(in, new java.util.Random(seed));
    int nTest = in.size() / 5;
    int nCal = in.size() / 10;
    int nTrain = in.size() - nTest - nCal;
    double[] trainRaw = rows(all, in.subList(0, nTrain));
    double[] calRaw = rows(all, in.subList(nTrain, nTrain + nCal));
    double[] testRaw = rows(all, in.subList(nTrain + nCal, in.size()));
    double[] train = scaled(trainRaw, -1);
    double[] test = scaled(testRaw, seed + 11);
    double[] cal = scaled(calRaw, seed + 12);

    List<ModelResult> models = new ArrayList<>();
    Flow glow = null;
    for (FlowSpec spec : specs()) {
      Flow flow = FlowFactory.create(spec, seed);
      String name = spec.family();
      long cpu0 = cpuNanos();
      TrainingResult tr = new Trainer(config(seed, steps), progress.forModel(name))
          .fit(flow, train, nTrain, true, DEQUANTIZE);
      double cpu = (cpuNanos() - cpu0) / 1e9;
      double nll = flow.meanNll(test, nTest);
      models.add(new ModelResult(name, spec, freeParameters(flow), tr.seconds(), cpu, nll, bitsPerDim(nll), tr));
      if (spec.family().equals(FlowSpec.GLOW)) {
        glow = flow;
      }
    }

    // Out of distribution, under the Glow model, calibrated on held-out even digits.
    double[] calNll = nlls(glow, cal, nCal);
    Calibration calibration = Calibration.fit(calNll, seed);
    List<Group> groups = new ArrayList<>();
    groups.add(group("test (even digits)", true, glow, test, nTest, calibration));
    for (int digit = 1; digit <= 9; digit += 2) {
      List<Integer> idx = new ArrayList<>();
      for (int r : odd) {
        if (all.labels()[r] == digit) {
          idx.add(r);
        }
      }
      groups.add(group("digit " + digit, false, glow, scaled(rows(all, idx), seed + 20 + digit), idx.size(),
          calibration));
    }
    groups.add(group("test flipped left-right", false, glow, scaled(flipped(testRaw, nTest), seed + 31), nTest,
        calibration));
    groups.add(group("test inverted (16 - v)", false, glow, scaled(inverted(testRaw), seed + 32), nTest,
        calibration));
    groups.add(group("uniform noise", false, glow, scaled(noise(nTest, seed + 33), seed + 34), nTest, calibration));
    groups.add(group("blank (all 0)", false, glow, scaled(new double[nTest * D], seed + 35), nTest, calibration));

    Result result = new Result(seed, models, groups, bitsPerDim(calibration.entropy()), nTrain, nTest);
    if (outDir != null) {
      writeJson(result, outDir.resolve("result.json"));
      writePng(result, glow, testRaw, outDir.resolve("result.png"));
    }
    return result;
  }

  /** CPU time of the current thread, or wall time where the JVM cannot measure it. */
  static long cpuNanos() {
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    return mx.isCurrentThreadCpuTimeSupported() ? mx.getCurrentThreadCpuTime() : System.nanoTime();
  }

  private static double[] rows(Digits all, List<Integer> idx) {
    double[] out = new double[idx.size() * D];
    for (int i = 0; i < idx.size(); i++) {
      System.arraycopy(all.pixels(), idx.get(i) * D, out, i * D, D);
    }
    return out;
  }

  static double[] flipped(double[] raw, int n) {
    double[] out = new double[raw.length];
    for (int r = 0; r < n; r++) {
      for (int h = 0; h < 8; h++) {
        for (int w = 0; w < 8; w++) {
          out[r * D + h * 8 + w] = raw[r * D + h * 8 + (7 - w)];
        }
      }
    }
    return out;
  }

  static double[] inverted(double[] raw) {
    double[] out = new double[raw.length];
    for (int i = 0; i < raw.length; i++) {
      out[i] = 16 - raw[i];
    }
    return out;
  }

  static double[] noise(int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] out = new double[n * D];
    for (int i = 0; i < out.length; i++) {
      out[i] = rng.nextInt(17);
    }
    return out;
  }

  private static double[] nlls(Flow flow, double[] y, int n) {
    double[] lp = flow.logProb(y, n);
    for (int i = 0; i < n; i++) {
      lp[i] = -lp[i];
    }
    return lp;
  }

  private static Group group(String name, boolean inDist, Flow flow, double[] y, int n, Calibration cal) {
    double[] nll = nlls(flow, y, n);
    double mean = 0;
    int flagged = 0;
    double eventThreshold = cal.nllThreshold(EVENT_RATE);
    for (double v : nll) {
      mean += v / n;
      flagged += v > eventThreshold ? 1 : 0;
    }
    TypicalityWindow window = new TypicalityWindow(WINDOW, cal.entropy(), cal.typicalityThreshold(WINDOW, ALPHA));
    int windows = 0;
    int alarms = 0;
    int below = 0;
    // Disjoint windows of consecutive events, as a stream of this group alone would fill them.
    for (int i = 0; i + WINDOW <= n; i += WINDOW) {
      for (int j = 0; j < WINDOW; j++) {
        window.add(nll[i + j]);
      }
      windows++;
      alarms += window.alarm() ? 1 : 0;
      below += window.mean() < cal.entropy() ? 1 : 0;
    }
    return new Group(name, inDist, n, bitsPerDim(mean), (double) flagged / n, windows,
        windows == 0 ? Double.NaN : (double) alarms / windows, windows == 0 ? Double.NaN : (double) below / windows);
  }

  // ------------------------------------------------------------------------------------------ output

  private static void writeJson(Result r, Path file) throws IOException {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("example", "digits");
    json.put("seed", r.seed());
    json.put("scale", "bits/dim on y = (v + u) / 17 in [0, 1); add log2(17) = 4.087 for the raw 0..17 scale");
    json.put("train_rows", r.trainRows());
    json.put("test_rows", r.testRows());
    List<Map<String, Object>> models = new ArrayList<>();
    for (ModelResult m : r.models()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("family", m.name());
      o.put("free_parameters", m.parameters());
      o.put("test_bits_per_dim", m.testBitsPerDim());
      o.put("test_bits_per_dim_raw_scale", m.testBitsPerDim() + Math.log(LEVELS) / Math.log(2));
      o.put("test_nll_nats", m.testNll());
      o.put("train_seconds", m.trainSeconds());
      o.put("train_cpu_seconds", m.trainCpuSeconds());
      o.put("steps", m.training().steps());
      o.put("spec", new ObjectMapper().readTree(m.spec().toJson()));
      models.add(o);
    }
    json.put("models", models);
    json.put("ood_model", "glow");
    json.put("entropy_bits_per_dim", r.entropyBitsPerDim());
    json.put("typicality_window", WINDOW);
    json.put("typicality_alpha", ALPHA);
    json.put("event_false_alarm_rate", EVENT_RATE);
    List<Map<String, Object>> groups = new ArrayList<>();
    for (Group g : r.groups()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("group", g.name());
      o.put("in_distribution", g.inDistribution());
      o.put("events", g.count());
      o.put("mean_bits_per_dim", g.meanBitsPerDim());
      o.put("more_likely_than_test", g.meanBitsPerDim() < r.groups().get(0).meanBitsPerDim());
      o.put("event_flag_rate", g.eventFlagRate());
      o.put("windows", g.windows());
      o.put("window_flag_rate", g.windowFlagRate());
      groups.add(o);
    }
    json.put("groups", groups);
    Files.createDirectories(file.toAbsolutePath().getParent());
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), json);
  }

  private static void writePng(Result r, Flow glow, double[] testRaw, Path file) throws IOException {
    int width = 900;
    Figure fig = new Figure(1, 2, width, 430, String.format(Locale.ROOT,
        "digits (seed %d), test bits/dim: %s", r.seed(), summary(r)));
    java.awt.Graphics2D g = fig.image().createGraphics();
    g.setColor(Color.BLACK);
    g.setFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.BOLD, 14));
    int top = 34 + 8;
    g.drawString("Top row: real test digits. Below: samples from Glow (pixel values clipped to [0, 1), black = 0)",
        12, top + 12);
    int cols = 10;
    int px = 9;
    int cell = 8 * px + 12;
    double[] samples = glow.sample(cols * 3, r.seed() + 99);
    for (int k = 0; k < cols * 4; k++) {
      int row = k / cols;
      int col = k % cols;
      int x0 = 12 + col * cell + (width - 24 - cols * cell) / 2;
      int y0 = top + 24 + row * cell + (row > 0 ? 10 : 0);
      for (int h = 0; h < 8; h++) {
        for (int w = 0; w < 8; w++) {
          double v = row == 0 ? (testRaw[col * D + h * 8 + w] + 0.5) / LEVELS : samples[(k - cols) * D + h * 8 + w];
          int level = (int) Math.round(255 * Math.max(0, Math.min(1, v)));
          g.setColor(new Color(level, level, level));
          g.fillRect(x0 + w * px, y0 + h * px, px, px);
        }
      }
    }
    g.dispose();

    // Mean bits/dim per group; groups far above the rest (noise, inversion) are clipped and labelled.
    List<Group> gs = r.groups();
    double lo = Math.min(0, r.entropyBitsPerDim());
    double hi = 0;
    for (Group gr : gs) {
      lo = Math.min(lo, gr.meanBitsPerDim());
      if (gr.meanBitsPerDim() < 20) {
        hi = Math.max(hi, gr.meanBitsPerDim());
      }
    }
    double span = hi - lo;
    double yMin = lo - 0.1 * span;
    double yMax = hi + 0.45 * span;
    Panel p = fig.plot(0, 1, 0, gs.size(), yMin, yMax,
        "Glow on the even digits: mean bits/dim per group (lower = ranked more likely)", null, "bits/dim").grid();
    Color blue = new Color(31, 119, 180);
    Color red = new Color(214, 39, 40);
    Color orange = new Color(255, 160, 60);
    for (int i = 0; i < gs.size(); i++) {
      Group gr = gs.get(i);
      Color fill = gr.inDistribution() ? blue : gr.windowFlagRate() > 0.5 ? red : orange;
      double shown = Math.min(gr.meanBitsPerDim(), yMax - 0.08 * span);
      // Bars rise from the bottom of the window, so a lower (more likely) value reads as a shorter bar.
      p.segment(i + 0.5, yMin, i + 0.5, shown, fill, 40f, false);
      p.label(i + 0.12, shown + 0.09 * span, shortName(gr.name()), Color.BLACK, false);
      if (gr.meanBitsPerDim() > shown) {
        // Off the scale: the value, written inside the clipped bar.
        p.label(i + 0.2, shown - 0.12 * span, String.format(Locale.ROOT, "%.0f", gr.meanBitsPerDim()), Color.WHITE,
            false);
      }
    }
    p.line(new double[] {0, gs.size()}, new double[] {gs.get(0).meanBitsPerDim(), gs.get(0).meanBitsPerDim()},
        Color.BLACK, 1.2f, true);
    p.legend(Panel.Corner.TOP_LEFT, new Panel.Key("in distribution (test); dashed: its level", blue, Panel.Style.BOX),
        new Panel.Key("OOD, typicality alarm in > 50% of windows of " + WINDOW, red, Panel.Style.BOX),
        new Panel.Key("OOD, typicality mostly silent", orange, Panel.Style.BOX));
    p.frame();
    fig.write(file);
  }

  private static String shortName(String name) {
    return name.replace("test (even digits)", "test").replace("test flipped left-right", "flipped")
        .replace("test inverted (16 - v)", "inverted").replace("uniform noise", "noise").replace("blank (all 0)", "blank")
        .replace("digit ", "");
  }

  static String summary(Result r) {
    StringBuilder sb = new StringBuilder();
    for (ModelResult m : r.models()) {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(String.format(Locale.ROOT, "%s %.3f", m.name(), m.testBitsPerDim()));
    }
    return sb.toString();
  }
}
