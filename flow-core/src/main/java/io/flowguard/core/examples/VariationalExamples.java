package io.flowguard.core.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.flowguard.core.diagnostics.Figure;
import io.flowguard.core.diagnostics.Panel;
import io.flowguard.core.distribution.BaseDistribution;
import io.flowguard.core.flow.Flow;
import io.flowguard.core.flow.FlowFactory;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.train.Trainer;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingListener;
import io.flowguard.core.train.VariationalTrainer;
import io.flowguard.core.vi.LogDensity;
import io.flowguard.core.vi.LogNormalizerEstimate;
import io.flowguard.core.vi.ReverseKl;
import io.flowguard.core.vi.VariationalConfig;
import io.flowguard.core.vi.VariationalResult;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The two variational-inference examples: {@code banana} (an IAF fitted by reverse KL to a curved 2-D
 * target with a known normalizer; the ELBO curve, samples over the target's contours, log Z by importance
 * sampling against the truth, and the same run with the entropy sign flipped) and {@code modes} (a
 * well-separated two-component mixture fitted by reverse KL, mode seeking, and by forward KL from
 * samples, mass covering, side by side).
 */
public final class VariationalExamples {

  /** Banana: x1 ~ N(0, A^2), x2 | x1 ~ N(B (x1^2 - A^2), S^2); unnormalized by the Gaussian constants. */
  static final double BANANA_A = 1.0;
  static final double BANANA_B = 1.0;
  static final double BANANA_S = 0.5;
  /**
   * Modes: equal-weight Gaussians of standard deviation MODE_STD at MODE_A and MODE_B, 7.2 apart (12
   * standard deviations). The flow starts as N(0, I), nearer A: reverse KL's gradient only sees the mass
   * its own samples reach, so it settles on the mode it starts near.
   */
  static final double[] MODE_A = {-1.5, -1.0};
  static final double[] MODE_B = {4.5, 3.0};
  static final double MODE_STD = 0.6;
  /** Draws of the final importance-sampling estimates. */
  static final int ESTIMATE_SAMPLES = 100_000;

  private VariationalExamples() {}

  /** What the banana example measured. */
  public record BananaResult(long seed, double trueLogZ, LogNormalizerEstimate fitted, LogNormalizerEstimate flipped,
                             VariationalResult training, VariationalResult flippedTraining, FlowSpec spec,
                             VariationalConfig config) {
    /** log Z - ELBO: the KL(q || p) of the fitted flow, in nats. */
    public double gap() {
      return trueLogZ - fitted.elbo();
    }
  }

  /** What the modes example measured. */
  public record ModesResult(long seed, double trueLogZ, LogNormalizerEstimate reverse, LogNormalizerEstimate forward,
                            double[] reverseModeShares, double[] forwardModeShares, double forwardTestNll,
                            double seconds, FlowSpec spec) {}

  /** The unnormalized banana: {@code log p~ = -x1^2 / (2A^2) - (x2 - B(x1^2 - A^2))^2 / (2 S^2)}. */
  public static LogDensity banana() {
    return LogDensity.withGradient(
        x -> {
          double r = x[1] - BANANA_B * (x[0] * x[0] - BANANA_A * BANANA_A);
          return -x[0] * x[0] / (2 * BANANA_A * BANANA_A) - r * r / (2 * BANANA_S * BANANA_S);
        },
        (x, g) -> {
          double r = x[1] - BANANA_B * (x[0] * x[0] - BANANA_A * BANANA_A);
          double gr = -r / (BANANA_S * BANANA_S);
          g[0] = -x[0] / (BANANA_A * BANANA_A) + gr * (-2 * BANANA_B * x[0]);
          g[1] = gr;
        });
  }

  /** The banana's true normalizer: the integral of exp(log p~) is 2 pi A S (a Gaussian in (x1, r)). */
  public static double bananaLogZ() {
    return Math.log(2 * Math.PI * BANANA_A * BANANA_S);
  }

  /** The normalized two-mode mixture (log Z = 0); its gradient by finite differences (the fallback). */
  public static LogDensity modes() {
    return x -> {
      double a = gaussian2(x, MODE_A[0], MODE_A[1]);
      double b = gaussian2(x, MODE_B[0], MODE_B[1]);
      double m = Math.max(a, b);
      return m + Math.log(0.5 * Math.exp(a - m) + 0.5 * Math.exp(b - m));
    };
  }

  private static double gaussian2(double[] x, double mx, double my) {
    double dx = (x[0] - mx) / MODE_STD;
    double dy = (x[1] - my) / MODE_STD;
    return -0.5 * (dx * dx + dy * dy) - Math.log(2 * Math.PI * MODE_STD * MODE_STD);
  }

  /** n samples of the two-mode mixture. */
  public static double[] modeSamples(int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] x = new double[2 * n];
    for (int i = 0; i < n; i++) {
      double[] m = rng.nextBoolean() ? MODE_A : MODE_B;
      x[2 * i] = m[0] + MODE_STD * BaseDistribution.gaussian(rng);
      x[2 * i + 1] = m[1] + MODE_STD * BaseDistribution.gaussian(rng);
    }
    return x;
  }

  /** The flow of both examples: a 2-D IAF (parallel sampling), smooth activations for a smooth target. */
  public static FlowSpec spec() {
    return FlowSpec.of(FlowSpec.IAF, 2).withLayers(4).withHidden(32, 32).withActivation("tanh");
  }

  public static VariationalConfig config(long seed) {
    return VariationalConfig.defaults().withSeed(seed);
  }

  /** Fits the banana twice (right and flipped entropy sign); writes the figure and JSON if outDir is not null. */
  public static BananaResult banana(long seed, Path outDir, TrainingListener listener) throws IOException {
    FlowSpec spec = spec();
    VariationalConfig config = config(seed);
    LogDensity target = banana();
    Flow flow = FlowFactory.create(spec, seed);
    VariationalResult training = new VariationalTrainer(config, listener).fit(flow, target);
    Flow flipped = FlowFactory.create(spec, seed);
    VariationalConfig flippedConfig = config.withFlippedEntropySign(true).withSteps(Math.min(config.steps(), 1000));
    VariationalResult flippedTraining = new VariationalTrainer(flippedConfig, TrainingListener.NONE).fit(flipped, target);
    LogNormalizerEstimate est = ReverseKl.estimateLogNormalizer(flow, target, ESTIMATE_SAMPLES, seed + 7000);
    LogNormalizerEstimate flippedEst = ReverseKl.estimateLogNormalizer(flipped, target, ESTIMATE_SAMPLES, seed + 7000);
    BananaResult r = new BananaResult(seed, bananaLogZ(), est, flippedEst, training, flippedTraining, spec, config);
    if (outDir != null) {
      writeBananaJson(r, outDir.resolve("result.json"));
      writeBananaPng(r, flow, flipped, outDir.resolve("result.png"));
    }
    return r;
  }

  /** Fits the mixture by reverse KL and by forward KL (maximum likelihood on 8192 target samples). */
  public static ModesResult modes(long seed, Path outDir, TrainingListener listener) throws IOException {
    long start = System.nanoTime();
    FlowSpec spec = spec().withLayers(6);
    LogDensity target = modes();
    Flow reverse = FlowFactory.create(spec, seed);
    new VariationalTrainer(config(seed).withSteps(2000), listener).fit(reverse, target);
    Flow forward = FlowFactory.create(spec, seed);
    int n = 8192;
    TrainingConfig ml = TrainingConfig.defaults().withSteps(3000).withBatchSize(256).withLearningRate(3e-3)
        .withSchedule("cosine").withGradClip(10.0).withValidationFraction(0).withEvalEvery(100).withSeed(seed);
    new Trainer(ml).fit(forward, modeSamples(n, seed), n, true);
    double testNll = forward.meanNll(modeSamples(n, seed + 1000), n);
    LogNormalizerEstimate revEst = ReverseKl.estimateLogNormalizer(reverse, target, ESTIMATE_SAMPLES, seed + 7000);
    LogNormalizerEstimate fwdEst = ReverseKl.estimateLogNormalizer(forward, target, ESTIMATE_SAMPLES, seed + 7000);
    ModesResult r = new ModesResult(seed, 0.0, revEst, fwdEst, modeShares(reverse.sample(10_000, seed + 5)),
        modeShares(forward.sample(10_000, seed + 5)), testNll, (System.nanoTime() - start) / 1e9, spec);
    if (outDir != null) {
      writeModesJson(r, outDir.resolve("result.json"));
      writeModesPng(r, reverse, forward, outDir.resolve("result.png"));
    }
    return r;
  }

  /** Fractions of samples nearer mode A, and nearer mode B. */
  public static double[] modeShares(double[] xy) {
    int n = xy.length / 2;
    int left = 0;
    double dx = MODE_B[0] - MODE_A[0];
    double dy = MODE_B[1] - MODE_A[1];
    double mx = (MODE_A[0] + MODE_B[0]) / 2;
    double my = (MODE_A[1] + MODE_B[1]) / 2;
    for (int i = 0; i < n; i++) {
      // Which side of the perpendicular bisector of the two means.
      if ((xy[2 * i] - mx) * dx + (xy[2 * i + 1] - my) * dy < 0) {
        left++;
      }
    }
    return new double[] {(double) left / n, (double) (n - left) / n};
  }

  // ------------------------------------------------------------------------------------------ output

  private static Map<String, Object> estimateJson(LogNormalizerEstimate e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("log_z", e.logZ());
    m.put("log_z_standard_error", e.standardError());
    m.put("elbo", e.elbo());
    m.put("elbo_standard_error", e.elboStandardError());
    m.put("effective_sample_size", e.effectiveSampleSize());
    m.put("samples", e.samples());
    m.put("non_finite_weights", e.nonFinite());
    return m;
  }

  private static void writeBananaJson(BananaResult r, Path file) throws IOException {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("example", "banana");
    json.put("seed", r.seed());
    json.put("true_log_z", r.trueLogZ());
    json.put("fitted", estimateJson(r.fitted()));
    json.put("elbo_gap_nats", r.gap());
    json.put("log_z_error_in_standard_errors", (r.fitted().logZ() - r.trueLogZ()) / r.fitted().standardError());
    json.put("flipped_entropy_sign", estimateJson(r.flipped()));
    json.put("train_seconds", r.training().seconds());
    json.put("skipped_steps", r.training().skippedSteps());
    json.put("spec", new ObjectMapper().readTree(r.spec().toJson()));
    json.put("training", r.config());
    write(json, file);
  }

  private static void writeModesJson(ModesResult r, Path file) throws IOException {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("example", "modes");
    json.put("seed", r.seed());
    json.put("true_log_z", r.trueLogZ());
    json.put("reverse_kl", estimateJson(r.reverse()));
    json.put("reverse_kl_mode_shares", r.reverseModeShares());
    json.put("forward_kl", estimateJson(r.forward()));
    json.put("forward_kl_mode_shares", r.forwardModeShares());
    json.put("forward_kl_test_nll", r.forwardTestNll());
    json.put("seconds", r.seconds());
    json.put("spec", new ObjectMapper().readTree(r.spec().toJson()));
    write(json, file);
  }

  private static void write(Map<String, Object> json, Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), json);
  }

  private static final Color BLUE = new Color(31, 119, 180);
  private static final Color RED = new Color(214, 39, 40);
  private static final Color GREEN = new Color(44, 160, 44);
  private static final int RES = 160;

  /** exp(log p~) on a RES x RES grid of cell centres over the window, normalized to a maximum of 1. */
  private static double[] relativeDensity(LogDensity f, double[] w) {
    double[] v = new double[RES * RES];
    double[] x = new double[2];
    double max = Double.NEGATIVE_INFINITY;
    for (int iy = 0; iy < RES; iy++) {
      for (int ix = 0; ix < RES; ix++) {
        x[0] = w[0] + (ix + 0.5) * (w[1] - w[0]) / RES;
        x[1] = w[2] + (iy + 0.5) * (w[3] - w[2]) / RES;
        v[iy * RES + ix] = f.logDensity(x);
        max = Math.max(max, v[iy * RES + ix]);
      }
    }
    for (int i = 0; i < v.length; i++) {
      v[i] = Math.exp(v[i] - max);
    }
    return v;
  }

  private static Panel targetContours(Panel p, double[] rel) {
    for (double level : new double[] {0.01, 0.1, 0.4, 0.8}) {
      p.contour(rel, RES, level, Color.DARK_GRAY, 1.2f);
    }
    return p;
  }

  private static void writeBananaPng(BananaResult r, Flow flow, Flow flipped, Path file) throws IOException {
    Figure fig = new Figure(2, 2, 520, 440, String.format(Locale.ROOT,
        "banana (seed %d): ELBO %.4f, log Z^ %.4f +- %.4f, true log Z %.4f", r.seed(), r.fitted().elbo(),
        r.fitted().logZ(), r.fitted().standardError(), r.trueLogZ()));
    List<double[]> curve = r.training().curve();
    List<double[]> flippedCurve = r.flippedTraining().curve();
    double[] xs = new double[curve.size()];
    double[] ys = new double[curve.size()];
    double yMin = r.trueLogZ() - 2.0;
    for (double[] pt : flippedCurve) {
      if (Double.isFinite(pt[1])) {
        yMin = Math.min(yMin, pt[1] - 1.0);
      }
    }
    for (int i = 0; i < xs.length; i++) {
      xs[i] = curve.get(i)[0];
      ys[i] = curve.get(i)[1];
    }
    double[] fxs = new double[flippedCurve.size()];
    double[] fys = new double[flippedCurve.size()];
    for (int i = 0; i < fxs.length; i++) {
      fxs[i] = flippedCurve.get(i)[0];
      fys[i] = flippedCurve.get(i)[1];
    }
    fig.plot(0, 0, 0, r.training().steps(), yMin, r.trueLogZ() + 1.0, "ELBO per step (mean of 50 steps)",
        "step", "nats").grid()
        .line(new double[] {0, r.training().steps()}, new double[] {r.trueLogZ(), r.trueLogZ()}, Color.BLACK, 1.2f, true)
        .line(xs, ys, BLUE, 2f, false)
        .line(fxs, fys, RED, 2f, false)
        .legend(Panel.Corner.BOTTOM_RIGHT, new Panel.Key("true log Z", Color.BLACK, Panel.Style.DASHED),
            new Panel.Key("ELBO, entropy sign right", BLUE, Panel.Style.LINE),
            new Panel.Key("true ELBO of the flipped-sign run", RED, Panel.Style.LINE))
        .frame();

    double[] w = {-3.5, 3.5, -2.5, 6.0};
    double[] rel = relativeDensity(banana(), w);
    int shown = 3000;
    targetContours(fig.panel(1, 0, w[0], w[1], w[2], w[3], "Samples of q over the target's contours")
        .points(flow.sample(shown, r.seed() + 3000), shown, BLUE), rel)
        .notes(Panel.Corner.TOP_LEFT, Color.BLACK, String.format(Locale.ROOT, "KL(q||p) = log Z - ELBO = %.4f nats",
            r.gap()))
        .frame();
    targetContours(fig.panel(0, 1, w[0], w[1], w[2], w[3], "Entropy sign flipped: q collapses")
        .points(flipped.sample(shown, r.seed() + 3000), shown, RED, 2.5, 160), rel)
        .notes(Panel.Corner.TOP_LEFT, Color.BLACK, "trained on E[log p~ - log N(z) - log|det df/dz|]",
            String.format(Locale.ROOT, "its true ELBO: %.2f nats", r.flipped().elbo()))
        .frame();

    // log Z: the estimate with a 3-standard-error bar, the ELBO, and the truth.
    double margin = Math.max(0.01, 0.5 * Math.abs(r.trueLogZ() - r.fitted().elbo()));
    double lo = Math.min(Math.min(r.fitted().elbo(), r.trueLogZ()), r.fitted().logZ() - 3 * r.fitted().standardError())
        - margin;
    double hi = Math.max(r.fitted().logZ() + 3 * r.fitted().standardError(), r.trueLogZ()) + margin;
    Panel p = fig.plot(1, 1, 0, 3, lo, hi, "log Z: importance sampling vs the truth", null, "nats").grid();
    p.line(new double[] {0, 3}, new double[] {r.trueLogZ(), r.trueLogZ()}, Color.BLACK, 1.2f, true);
    double se = r.fitted().standardError();
    p.segment(1, r.fitted().logZ() - 3 * se, 1, r.fitted().logZ() + 3 * se, BLUE, 2f, false)
        .points(new double[] {1, r.fitted().logZ()}, 1, BLUE, 5, 255)
        .label(1.12, r.fitted().logZ(), "log Z^ +- 3 s.e.", BLUE, false)
        .points(new double[] {2, r.fitted().elbo()}, 1, GREEN, 5, 255)
        .label(2.12, r.fitted().elbo(), "ELBO", GREEN, false)
        .notes(Panel.Corner.BOTTOM_RIGHT, Color.BLACK,
            String.format(Locale.ROOT, "true log Z = log(2 pi A S) = %.4f", r.trueLogZ()),
            String.format(Locale.ROOT, "log Z^ = %.4f, s.e. %.4f (%d draws)", r.fitted().logZ(), se, r.fitted().samples()),
            String.format(Locale.ROOT, "effective sample size %.0f", r.fitted().effectiveSampleSize()))
        .frame();
    fig.write(file);
  }

  private static void writeModesPng(ModesResult r, Flow reverse, Flow forward, Path file) throws IOException {
    Figure fig = new Figure(2, 2, 480, 480, String.format(Locale.ROOT,
        "modes (seed %d): reverse KL seeks a mode, forward KL covers both", r.seed()));
    double[] w = {-4.5, 7.5, -5, 7};
    double[] rel = relativeDensity(modes(), w);
    int shown = 3000;
    targetContours(fig.panel(0, 0, w[0], w[1], w[2], w[3], "Reverse KL: samples of q over p")
        .points(reverse.sample(shown, r.seed() + 3000), shown, BLUE), rel)
        .notes(Panel.Corner.TOP_LEFT, Color.BLACK, String.format(Locale.ROOT, "mode shares A %.2f / B %.2f",
            r.reverseModeShares()[0], r.reverseModeShares()[1]),
            String.format(Locale.ROOT, "log Z^ %.3f +- %.3f (true 0)", r.reverse().logZ(), r.reverse().standardError()))
        .frame();
    targetContours(fig.panel(1, 0, w[0], w[1], w[2], w[3], "Forward KL (max. likelihood): samples of q")
        .points(forward.sample(shown, r.seed() + 3000), shown, RED), rel)
        .notes(Panel.Corner.TOP_LEFT, Color.BLACK, String.format(Locale.ROOT, "mode shares A %.2f / B %.2f",
            r.forwardModeShares()[0], r.forwardModeShares()[1]),
            String.format(Locale.ROOT, "log Z^ %.3f +- %.3f (true 0)", r.forward().logZ(), r.forward().standardError()))
        .frame();
    targetContours(fig.panel(0, 1, w[0], w[1], w[2], w[3], "Reverse KL: density q(x)")
        .heatmap(relativeDensity(x -> reverse.logProb(x, 1)[0], w), RES), rel).frame();
    targetContours(fig.panel(1, 1, w[0], w[1], w[2], w[3], "Forward KL: density q(x)")
        .heatmap(relativeDensity(x -> forward.logProb(x, 1)[0], w), RES), rel).frame();
    fig.write(file);
  }
}
