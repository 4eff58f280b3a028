package io.flowguard.core.diagnostics;

import io.flowguard.core.distribution.DiagonalNormal;
import io.flowguard.core.distribution.GaussianMixture;
import io.flowguard.core.distribution.StandardNormal;
import io.flowguard.core.flow.Flow;
import io.flowguard.core.nn.ParameterLayout;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The diagnostics report of a model: a self-contained {@code report.html} with PNG figures next to it.
 *
 * <ul>
 *   <li>{@value #TRAINING_CURVE}: train and validation NLL against the optimizer step (when a curve is
 *       given);
 *   <li>{@value #NLL_HISTOGRAM}: the per-row NLL with the anomaly threshold and the entropy H;
 *   <li>{@value #LATENT_QQ}: squared latent norms against chi-square(d) quantiles;
 *   <li>{@value #LATENT_PAIRS}: scatter plots of pairs of latent dimensions with 1- and 2-sigma rings;
 *   <li>2-D flows only: {@value #DENSITY} (the learned density over the data window, with the threshold
 *       contour) and {@value #DEFORMATION} (a latent grid pushed through the forward map).
 * </ul>
 *
 * <p>The output is deterministic: no timestamps, no random sampling (large inputs are thinned by a fixed
 * stride for plotting; statistics use every row).
 */
public final class Report {

  public static final String HTML = "report.html";
  public static final String TRAINING_CURVE = "training-curve.png";
  public static final String NLL_HISTOGRAM = "nll-histogram.png";
  public static final String LATENT_QQ = "latent-qq.png";
  public static final String LATENT_PAIRS = "latent-pairs.png";
  public static final String DENSITY = "density.png";
  public static final String DEFORMATION = "deformation.png";

  /** At most this many rows are drawn in a scatter plot (chosen by a fixed stride). */
  static final int MAX_SCATTER = 4000;

  private static final Color BLUE = new Color(31, 119, 180);
  private static final Color ORANGE = new Color(255, 127, 14);
  private static final Color RED = new Color(214, 39, 40);
  private static final Color LIGHT_RED = new Color(240, 140, 130);
  private static final Color BAR_BLUE = new Color(120, 165, 210);
  private static final Color GREEN = new Color(30, 140, 60);
  private static final Color GRAY = new Color(110, 110, 110);

  private Report() {}

  /** One figure of the page: its file, heading and caption (HTML). */
  private record Section(String file, String heading, String caption) {}

  /** Latent codes and their squared-norm statistics. */
  private record Latent(double[] z, double[] squaredNorms, boolean standardized, double ks, String baseNote) {}

  /**
   * Writes {@value #HTML} and its PNG figures into {@code dir} (created if needed; files of the same names
   * are replaced). Returns the files written, the page first.
   */
  public static List<Path> write(ReportInput in, Path dir) throws IOException {
    Files.createDirectories(dir);
    List<Section> sections = new ArrayList<>();
    Latent latent = latent(in);

    if (!in.trainingCurve().isEmpty()) {
      sections.add(new Section(TRAINING_CURVE, "Training curve", trainingCurve(in, dir.resolve(TRAINING_CURVE))));
    }
    sections.add(new Section(NLL_HISTOGRAM, "NLL histogram", nllHistogram(in, dir.resolve(NLL_HISTOGRAM))));
    sections.add(new Section(LATENT_QQ, "Latent chi-square QQ plot", latentQq(in, latent, dir.resolve(LATENT_QQ))));
    sections.add(new Section(LATENT_PAIRS, "Latent codes", latentPairs(in, latent, dir.resolve(LATENT_PAIRS))));
    if (in.dim() == 2) {
      double[] window = window(in.data(), in.n());
      sections.add(new Section(DENSITY, "Learned density", density(in, window, dir.resolve(DENSITY))));
      sections.add(new Section(DEFORMATION, "Deformation of a latent grid",
          deformation(in, latent, window, dir.resolve(DEFORMATION))));
    }
    Path html = dir.resolve(HTML);
    Files.writeString(html, html(in, latent, sections), StandardCharsets.UTF_8);
    List<Path> written = new ArrayList<>();
    written.add(html);
    for (Section s : sections) {
      written.add(dir.resolve(s.file()));
    }
    return written;
  }

  // ---------------------------------------------------------------------------------------------------
  // Latent codes

  private static Latent latent(ReportInput in) {
    Flow flow = in.flow();
    int d = in.dim();
    int n = in.n();
    double[] z = new double[n * d];
    int chunk = 4096;
    for (int start = 0; start < n; start += chunk) {
      int m = Math.min(chunk, n - start);
      double[] part = Arrays.copyOfRange(in.data(), start * d, (start + m) * d);
      System.arraycopy(flow.toLatent(part, m), 0, z, start * d, m * d);
    }
    double[][] diag = diagonalBase(flow);
    double[] u = z;
    boolean standardized = false;
    String note;
    if (diag != null) {
      u = new double[z.length];
      for (int i = 0; i < z.length; i++) {
        u[i] = (z[i] - diag[0][i % d]) / diag[1][i % d];
      }
      standardized = true;
      note = "The base is a learned diagonal normal: z is standardized by its mean and standard deviation"
          + " before taking the norm, so chi-square(d) holds under a good fit.";
    } else if (flow.base() instanceof GaussianMixture gm) {
      note = "The base is a " + gm.components() + "-component Gaussian mixture: even under a perfect fit"
          + " ||z||^2 is not chi-square(d), so the diagonal is only a reference; judge the shape (smooth,"
          + " no isolated tail) rather than the distance to it.";
    } else if (flow.base() instanceof StandardNormal) {
      note = "The base is a standard normal, so under a good fit ||z||^2 follows chi-square(d).";
    } else {
      note = "The base is not a standard normal: chi-square(d) is only a reference.";
    }
    double[] sq = LatentStats.squaredNorms(u, n, d);
    return new Latent(z, sq, standardized, LatentStats.ksChiSquare(sq, d), note);
  }

  /**
   * The mean and standard deviation of a diagonal-normal base, read from the parameter blocks it
   * allocated ({@code <name>.mean}, {@code <name>.logStd}); null for other bases.
   */
  static double[][] diagonalBase(Flow flow) {
    if (!(flow.base() instanceof DiagonalNormal)) {
      return null;
    }
    int d = flow.dim();
    ParameterLayout.Block mean = null;
    ParameterLayout.Block logStd = null;
    for (ParameterLayout.Block b : flow.layout().blocks()) {
      if (b.size() == d && b.name().endsWith(".mean")) {
        mean = b;
      } else if (b.size() == d && b.name().endsWith(".logStd")) {
        logStd = b;
      }
    }
    if (mean == null || logStd == null) {
      return null;
    }
    double[] theta = flow.parameters();
    double[] mu = Arrays.copyOfRange(theta, mean.offset(), mean.offset() + d);
    double[] sd = new double[d];
    for (int j = 0; j < d; j++) {
      sd[j] = Math.exp(theta[logStd.offset() + j]);
    }
    return new double[][] {mu, sd};
  }

  // ---------------------------------------------------------------------------------------------------
  // Figures

  private static String trainingCurve(ReportInput in, Path file) throws IOException {
    List<double[]> curve = in.trainingCurve();
    int m = curve.size();
    double[] steps = new double[m];
    double[] train = new double[m];
    double[] valid = new double[m];
    boolean hasValid = false;
    for (int i = 0; i < m; i++) {
      double[] p = curve.get(i);
      steps[i] = p[0];
      train[i] = p[1];
      valid[i] = p.length > 2 ? p[2] : Double.NaN;
      hasValid |= Double.isFinite(valid[i]);
    }
    // The y range ignores the first tenth of the evaluations (the initial NLL can dwarf the rest).
    double lo = Double.POSITIVE_INFINITY;
    double hiLate = Double.NEGATIVE_INFINITY;
    double hiAll = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < m; i++) {
      for (double v : new double[] {train[i], valid[i]}) {
        if (Double.isFinite(v)) {
          lo = Math.min(lo, v);
          hiAll = Math.max(hiAll, v);
          if (i >= m / 10) {
            hiLate = Math.max(hiLate, v);
          }
        }
      }
    }
    List<String> notes = new ArrayList<>();
    if (!Double.isFinite(lo)) {
      lo = 0;
      hiAll = 1;
      hiLate = 1;
      notes.add("no finite NLL values in the curve");
    }
    if (!Double.isFinite(hiLate)) {
      hiLate = hiAll;
    }
    double hi = Math.min(hiAll, hiLate + 0.5 * Math.max(hiLate - lo, 1e-3));
    if (hiAll > hi) {
      notes.add(String.format(Locale.ROOT, "early values up to %s are above the top edge", num(hiAll)));
    }
    double pad = Math.max(hi - lo, 1e-3 * Math.max(1, Math.abs(lo))) * 0.06;
    double xLo = steps[0];
    double xHi = steps[m - 1];
    if (!(xHi > xLo)) {
      xLo -= 1;
      xHi += 1;
    }
    Figure fig = new Figure(1, 1, 820, 500, in.title());
    Panel p = fig.plot(0, 0, xLo, xHi, lo - pad, hi + pad, "Training curve", "optimizer step",
        "mean NLL per row (nats, flow space)").grid();
    p.line(steps, train, BLUE, 2f, false);
    List<Panel.Key> keys = new ArrayList<>();
    keys.add(new Panel.Key("train NLL", BLUE, Panel.Style.LINE));
    int best = -1;
    if (hasValid) {
      p.line(steps, valid, ORANGE, 2f, false);
      keys.add(new Panel.Key("validation NLL", ORANGE, Panel.Style.LINE));
      for (int i = 0; i < m; i++) {
        if (Double.isFinite(valid[i]) && (best < 0 || valid[i] < valid[best])) {
          best = i;
        }
      }
      p.points(new double[] {steps[best], valid[best]}, 1, Color.BLACK, 4.5, 255);
      keys.add(new Panel.Key("best validation", Color.BLACK, Panel.Style.DOT));
      notes.add(0, String.format(Locale.ROOT, "best validation NLL %s at step %s", num(valid[best]),
          num(steps[best])));
    }
    notes.add(String.format(Locale.ROOT, "last train NLL %s at step %s", num(train[m - 1]), num(steps[m - 1])));
    p.legend(Panel.Corner.TOP_RIGHT, keys.toArray(new Panel.Key[0]));
    p.notes(Panel.Corner.TOP_RIGHT, Color.BLACK, notes.toArray(new String[0]));
    p.frame();
    fig.write(file);

    StringBuilder c = new StringBuilder();
    c.append("Mean negative log-likelihood per row (nats) against the optimizer step, as the trainer saw it: in"
        + " the flow's standardized feature space, which differs from raw-feature nats by a constant. ");
    if (hasValid) {
      c.append("Blue is the training minibatch loss, orange the held-out validation split. Both should fall and"
          + " flatten out. A validation curve that turns upward while the training curve keeps falling is"
          + " overfitting; a large, steady gap between the two also points to overfitting or to a validation"
          + " split unlike the training data. The black dot marks the best validation NLL (")
          .append(esc(num(valid[best]))).append(" at step ").append(esc(num(steps[best])))
          .append("), the parameters kept when early stopping is on.");
    } else {
      c.append("Training used no validation split, so only the training loss is shown; it should fall and"
          + " flatten out. A curve still falling steeply at the end means training stopped too early.");
    }
    return c.toString();
  }

  private static String nllHistogram(ReportInput in, Path file) throws IOException {
    double[] s = LatentStats.sortedFinite(in.nll());
    int n = in.n();
    int nonFinite = n - s.length;
    double thr = in.threshold();
    double h = in.entropy();
    int above = countAbove(in);
    // The window covers the core of the data (0.5%-99.5%) and a stretch of the right tail, not every outlier.
    double lo = s.length > 0 ? quantile(s, 0.005) : 0;
    double core = s.length > 0 ? quantile(s, 0.995) : 1;
    double hi = s.length > 0 ? Math.min(s[s.length - 1], core + 0.5 * (core - lo)) : 1;
    lo = s.length > 0 ? Math.max(s[0], lo - 0.1 * (core - lo)) : 0;
    for (double v : new double[] {thr, h}) {
      if (Double.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    double span = Math.max(hi - lo, 1e-6 * Math.max(1, Math.abs(hi)));
    lo -= 0.05 * span;
    hi += 0.05 * span;
    int bins = Math.max(15, Math.min(90, (int) Math.ceil(Math.sqrt(s.length))));
    double[] edges = new double[bins + 1];
    for (int i = 0; i <= bins; i++) {
      edges[i] = lo + (hi - lo) * i / bins;
    }
    double[] counts = new double[bins];
    int left = 0;
    int right = 0;
    for (double v : s) {
      if (v < lo) {
        left++;
      } else if (v > hi) {
        right++;
      } else {
        counts[Math.min(bins - 1, (int) ((v - lo) / (hi - lo) * bins))]++;
      }
    }
    double maxCount = Arrays.stream(counts).max().orElse(1);
    Color[] fills = new Color[bins];
    for (int i = 0; i < bins; i++) {
      fills[i] = Double.isFinite(thr) && 0.5 * (edges[i] + edges[i + 1]) > thr ? LIGHT_RED : BAR_BLUE;
    }
    Figure fig = new Figure(1, 1, 820, 500, in.title());
    Panel p = fig.plot(0, 0, lo, hi, 0, Math.max(1, maxCount) * 1.45, "Per-row NLL",
        "NLL (nats, raw features; higher = more anomalous)", "rows per bin").grid();
    p.bars(edges, counts, fills);
    List<Panel.Key> keys = new ArrayList<>();
    keys.add(new Panel.Key("rows", BAR_BLUE, Panel.Style.BOX));
    if (Double.isFinite(thr)) {
      // Flagged rows are few, so their bars are barely visible: a rug mark for each makes them countable.
      p.rug(Arrays.stream(s).filter(v -> v > thr).toArray(), RED);
      keys.add(new Panel.Key("rows above the threshold (bars, rug marks)", LIGHT_RED, Panel.Style.BOX));
      p.vline(thr, RED, 2f, true);
      keys.add(new Panel.Key("threshold " + num(thr) + (in.thresholdLabel().isEmpty() ? ""
          : " (" + in.thresholdLabel() + ")"), RED, Panel.Style.DASHED));
    }
    if (Double.isFinite(h)) {
      p.vline(h, GREEN, 2f, true);
      keys.add(new Panel.Key("entropy H = " + num(h), GREEN, Panel.Style.DASHED));
    }
    p.legend(Panel.Corner.TOP_RIGHT, keys.toArray(new Panel.Key[0]));
    List<String> notes = new ArrayList<>();
    if (Double.isFinite(thr)) {
      notes.add("above the threshold: " + above + " of " + n + " rows (" + pct(above, n) + ")");
    }
    if (s.length > 0) {
      notes.add("mean NLL " + num(Arrays.stream(s).average().orElse(Double.NaN)) + ", median " + num(quantile(s, 0.5)));
    }
    if (right > 0) {
      notes.add(rows(right) + " beyond the right edge (max " + num(s[s.length - 1]) + ")");
    }
    if (left > 0) {
      notes.add(rows(left) + " beyond the left edge (min " + num(s[0]) + ")");
    }
    if (nonFinite > 0) {
      notes.add(rows(nonFinite) + " with a non-finite NLL (not shown)");
    }
    p.notes(Panel.Corner.TOP_LEFT, Color.BLACK, notes.toArray(new String[0]));
    p.frame();
    fig.write(file);

    StringBuilder c = new StringBuilder();
    c.append("The distribution of the per-row negative log-likelihood in raw-feature nats (lower is more"
        + " typical). ");
    if (Double.isFinite(thr)) {
      c.append("The dashed red line is the anomaly threshold (").append(esc(num(thr)));
      if (!in.thresholdLabel().isEmpty()) {
        c.append(", ").append(esc(in.thresholdLabel()));
      }
      c.append("): rows to its right are flagged, here ").append(above).append(" of ").append(n).append(" (")
          .append(esc(pct(above, n))).append("). On normal data the flagged fraction should be"
          + " close to the configured false-alarm rate. ");
    }
    if (Double.isFinite(h)) {
      c.append("The dashed green line is the model's entropy H, the expected NLL of a row drawn from the model:"
          + " on data like the training data the bulk of the histogram sits around it. ");
    }
    c.append("A histogram shifted to the right suggests drift or a poor fit; isolated rows far in the right tail"
        + " are what anomalies look like.");
    if (right + left > 0) {
      c.append(" The axis covers the bulk of the rows and part of the right tail; the note in the plot counts the"
          + " rows beyond it.");
    }
    return c.toString();
  }

  private static String latentQq(ReportInput in, Latent latent, Path file) throws IOException {
    int d = in.dim();
    double[] s = LatentStats.sortedFinite(latent.squaredNorms());
    int m = s.length;
    int[] ranks = plottedRanks(m);
    double[] xy = new double[2 * ranks.length];
    double xTop = 0;
    double yTop = 0;
    for (int k = 0; k < ranks.length; k++) {
      int i = ranks[k];
      xy[2 * k] = ChiSquare.quantile((i + 0.5) / m, d);
      xy[2 * k + 1] = s[i];
      xTop = Math.max(xTop, xy[2 * k]);
      yTop = Math.max(yTop, s[i]);
    }
    double hi = Math.max(1e-3, Math.max(xTop, Math.min(yTop, 1.6 * xTop)) * 1.05);
    int outside = 0;
    for (double v : s) {
      if (v > hi) {
        outside++;
      }
    }
    Figure fig = new Figure(1, 1, 620, 620, in.title());
    Panel p = fig.plot(0, 0, 0, hi, 0, hi, "Latent QQ plot: ||z||^2 against chi-square(" + d + ")",
        "chi-square(" + d + ") quantile", latent.standardized() ? "observed ||(z - mean) / std||^2 (sorted)"
            : "observed ||z||^2 (sorted)").grid();
    p.segment(0, 0, hi, hi, GRAY, 1.5f, true);
    p.points(xy, ranks.length, BLUE, 2.2, 170);
    p.legend(Panel.Corner.TOP_LEFT, new Panel.Key("rows (sorted ||z||^2)", BLUE, Panel.Style.DOT),
        new Panel.Key("y = x (perfect fit)", GRAY, Panel.Style.DASHED));
    List<String> notes = new ArrayList<>();
    notes.add(String.format(Locale.ROOT, "KS distance %s (5%% critical value %s, n = %d)", num(latent.ks()),
        num(LatentStats.ksCritical5(Math.max(1, m))), m));
    if (outside > 0) {
      notes.add(rows(outside) + " above the top edge (max " + num(s[m - 1]) + ")");
    }
    if (in.flow().base() instanceof GaussianMixture gm) {
      notes.add("mixture base (" + gm.components() + " components): not chi-square");
    } else if (latent.standardized()) {
      notes.add("diagonal-normal base: z standardized");
    }
    if (ranks.length < m) {
      notes.add(ranks.length + " of " + m + " quantiles drawn (all of the upper tail)");
    }
    p.notes(Panel.Corner.BOTTOM_RIGHT, Color.BLACK, notes.toArray(new String[0]));
    p.frame();
    fig.write(file);

    return "Each point is one row: its squared latent norm ||z||^2, with z = f<sup>-1</sup>(x) its latent code,"
        + " against the matching quantile of chi-square(" + d + "), the distribution of ||z||^2 when z is"
        + " exactly standard normal. Points on the dashed diagonal mean the flow maps the data onto its base"
        + " distribution. Points above the diagonal at the right end mean heavier tails than the model assumes"
        + " (more extreme rows than it expects); points below it mean lighter tails. A bend at the lower end"
        + " means the core of the data is more concentrated (below) or more spread (above) than the model's. "
        + esc(latent.baseNote()) + " The Kolmogorov-Smirnov distance, the largest gap between the empirical"
        + " and the chi-square(" + d + ") CDF of ||z||^2, is " + esc(num(latent.ks())) + "; for a correct model"
        + " it would stay below about 1.36/&radic;n = " + esc(num(LatentStats.ksCritical5(Math.max(1, m))))
        + " in 95% of samples of this size (on the training sample itself, a flexible model can do better than"
        + " that).";
  }

  /** The ranks drawn in the QQ plot: all of them up to 3000, else 2000 evenly spaced plus both tails. */
  static int[] plottedRanks(int m) {
    if (m <= 3000) {
      int[] all = new int[m];
      for (int i = 0; i < m; i++) {
        all[i] = i;
      }
      return all;
    }
    java.util.TreeSet<Integer> set = new java.util.TreeSet<>();
    for (int k = 0; k < 2000; k++) {
      set.add((int) ((long) k * (m - 1) / 1999));
    }
    for (int i = 0; i < 50; i++) {
      set.add(i);
    }
    for (int i = m - 300; i < m; i++) {
      set.add(i);
    }
    return set.stream().mapToInt(Integer::intValue).toArray();
  }

  private static String latentPairs(ReportInput in, Latent latent, Path file) throws IOException {
    int d = in.dim();
    int n = in.n();
    double[] z = latent.z();
    int k = Math.min(d, 4);
    int[] rows = strided(n, MAX_SCATTER);
    if (d == 1) {
      return latentHistogram1d(in, z, file);
    }
    // A common symmetric window for every panel, from the 99.8% quantile of |z| over the shown dimensions.
    double[] abs = new double[n * k];
    for (int r = 0; r < n; r++) {
      for (int j = 0; j < k; j++) {
        abs[r * k + j] = Math.abs(z[r * d + j]);
      }
    }
    Arrays.sort(abs);
    double half = Math.max(3.5, quantile(abs, 0.998) * 1.08);
    double[][] diag = diagonalBase(in.flow());
    GaussianMixture gm = in.flow().base() instanceof GaussianMixture g ? g : null;
    double[] theta = in.flow().parameters();

    List<int[]> pairs = new ArrayList<>();
    for (int i = 0; i < k; i++) {
      for (int j = i + 1; j < k; j++) {
        pairs.add(new int[] {i, j});
      }
    }
    int cols = pairs.size() == 1 ? 1 : 3;
    int gridRows = (pairs.size() + cols - 1) / cols;
    int cell = pairs.size() == 1 ? 600 : 390;
    String title = in.title() + (d > 4 ? " - latent codes, first 4 of " + d + " dimensions" : " - latent codes");
    Figure fig = new Figure(cols, gridRows, cell, cell, title);
    for (int q = 0; q < pairs.size(); q++) {
      int a = pairs.get(q)[0];
      int b = pairs.get(q)[1];
      double[] xy = new double[2 * rows.length];
      int outside = 0;
      for (int t = 0; t < rows.length; t++) {
        xy[2 * t] = z[rows[t] * d + a];
        xy[2 * t + 1] = z[rows[t] * d + b];
        if (Math.abs(xy[2 * t]) > half || Math.abs(xy[2 * t + 1]) > half) {
          outside++;
        }
      }
      Panel p = fig.plot(q % cols, q / cols, -half, half, -half, half, "z" + (a + 1) + " vs z" + (b + 1),
          "z" + (a + 1), "z" + (b + 1)).grid();
      p.points(xy, rows.length, GREEN, 1.6, 80);
      if (gm != null) {
        for (int c = 0; c < gm.components(); c++) {
          if (gm.weight(theta, c) < 0.25 / gm.components()) {
            continue;
          }
          for (int sg = 1; sg <= 2; sg++) {
            p.ellipse(gm.mean(theta, c, a), gm.mean(theta, c, b), sg * gm.std(theta, c, a), sg * gm.std(theta, c, b),
                sg == 1 ? Color.BLACK : GRAY, 1.5f);
          }
        }
      } else if (diag != null) {
        for (int sg = 1; sg <= 2; sg++) {
          p.ellipse(diag[0][a], diag[0][b], sg * diag[1][a], sg * diag[1][b], sg == 1 ? Color.BLACK : GRAY, 1.5f);
        }
      } else {
        p.ellipse(0, 0, 1, 1, Color.BLACK, 1.5f).ellipse(0, 0, 2, 2, GRAY, 1.5f);
      }
      if (outside > 0) {
        p.notes(Panel.Corner.BOTTOM_RIGHT, Color.BLACK, outside + (outside == 1 ? " point" : " points") + " outside the window");
      }
      if (q == 0) {
        p.legend(Panel.Corner.TOP_LEFT, new Panel.Key("1 sigma", Color.BLACK, Panel.Style.LINE),
            new Panel.Key("2 sigma", GRAY, Panel.Style.LINE));
      }
      p.frame();
    }
    fig.write(file);

    StringBuilder c = new StringBuilder();
    c.append("The latent codes z = f<sup>-1</sup>(x) of ");
    c.append(rows.length < n ? rows.length + " of the " + n + " rows (every " + (n / rows.length) + "th)" : "the rows");
    c.append(", one panel per pair of latent dimensions");
    if (d > 4) {
      c.append(" (the first 4 of ").append(d).append(" dimensions only)");
    }
    c.append(". Under a good fit they look like draws from the base distribution: ");
    if (gm != null) {
      c.append("here a ").append(gm.components()).append("-component Gaussian mixture, whose 1- and 2-sigma"
          + " ellipses (components of weight at least a quarter of uniform) are drawn; each cluster should fill"
          + " its ellipses smoothly. ");
    } else {
      c.append("a round, featureless cloud, with about 39% of the points inside the 1-sigma ring and 86% inside"
          + " the 2-sigma ring of each pair. ");
    }
    c.append("Visible structure (clusters, curved bands, holes, a tilted cloud, points far outside the rings)"
        + " marks what the flow did not model.");
    return c.toString();
  }

  private static String latentHistogram1d(ReportInput in, double[] z, Path file) throws IOException {
    double[] s = LatentStats.sortedFinite(z);
    double half = Math.max(4, Math.max(-quantile(s, 0.001), quantile(s, 0.999)) * 1.1);
    int bins = 50;
    double[] edges = new double[bins + 1];
    for (int i = 0; i <= bins; i++) {
      edges[i] = -half + 2 * half * i / bins;
    }
    double[] dens = new double[bins];
    double w = 2 * half / bins;
    for (double v : s) {
      if (v >= -half && v <= half) {
        dens[Math.min(bins - 1, (int) ((v + half) / w))] += 1.0 / (s.length * w);
      }
    }
    double[] xs = new double[201];
    double[] ys = new double[201];
    for (int i = 0; i <= 200; i++) {
      xs[i] = -half + 2 * half * i / 200;
      ys[i] = Math.exp(-0.5 * xs[i] * xs[i]) / Math.sqrt(2 * Math.PI);
    }
    double top = Math.max(Arrays.stream(dens).max().orElse(0.4), 0.4) * 1.3;
    Color[] fills = new Color[bins];
    Arrays.fill(fills, new Color(140, 200, 150));
    Figure fig = new Figure(1, 1, 620, 500, in.title() + " - latent codes");
    Panel p = fig.plot(0, 0, -half, half, 0, top, "Latent code z1", "z1", "density").grid();
    p.bars(edges, dens, fills);
    p.line(xs, ys, Color.BLACK, 2f, false);
    p.legend(Panel.Corner.TOP_RIGHT, new Panel.Key("latent codes", new Color(140, 200, 150), Panel.Style.BOX),
        new Panel.Key("N(0, 1) density", Color.BLACK, Panel.Style.LINE));
    p.frame();
    fig.write(file);
    return "The histogram of the latent codes z = f<sup>-1</sup>(x) of the rows against the standard normal density"
        + " (black). Under a good fit with a standard-normal base the two agree; skew, extra modes or heavy tails"
        + " mark what the flow did not model.";
  }

  private static String density(ReportInput in, double[] w, Path file) throws IOException {
    Flow flow = in.flow();
    int res = 200;
    double[] grid = new double[res * res * 2];
    for (int iy = 0; iy < res; iy++) {
      for (int ix = 0; ix < res; ix++) {
        int k = iy * res + ix;
        grid[2 * k] = w[0] + (ix + 0.5) * (w[1] - w[0]) / res;
        grid[2 * k + 1] = w[2] + (iy + 0.5) * (w[3] - w[2]) / res;
      }
    }
    double[] logp = flow.logProb(grid, res * res);
    double[] dens = new double[logp.length];
    for (int i = 0; i < logp.length; i++) {
      dens[i] = Math.exp(logp[i]);
    }
    // NLL_raw = -log p_flow(x) + c for a constant c (the log-Jacobian of the standardization), estimated
    // from the rows; the threshold contour is drawn only if c is the same for every row checked.
    double offset = Double.NaN;
    if (Double.isFinite(in.threshold())) {
      offset = rawOffset(in);
    }
    Figure fig = new Figure(1, 1, 660, 660, in.title());
    Panel p = fig.plot(0, 0, w[0], w[1], w[2], w[3], "Learned density p(x)", in.featureNames().get(0)
        + " (standardized)", in.featureNames().get(1) + " (standardized)");
    p.heatmap(dens, res);
    List<String> notes = new ArrayList<>();
    notes.add("brighter = higher density");
    int flagged = 0;
    if (Double.isFinite(offset)) {
      p.contour(logp, res, offset - in.threshold(), new Color(255, 150, 40), 2f);
      List<Integer> rows = new ArrayList<>();
      for (int r = 0; r < in.n(); r++) {
        if (in.nll()[r] > in.threshold()) {
          rows.add(r);
        }
      }
      flagged = rows.size();
      int shown = Math.min(rows.size(), MAX_SCATTER);
      double[] xy = new double[2 * shown];
      for (int t = 0; t < shown; t++) {
        int r = rows.get((int) ((long) t * rows.size() / shown));
        xy[2 * t] = in.data()[2 * r];
        xy[2 * t + 1] = in.data()[2 * r + 1];
      }
      p.points(xy, shown, new Color(255, 60, 60), 2.6, 230);
      notes.add("orange line: NLL = threshold " + num(in.threshold()));
      notes.add("red dots: the " + flagged + " rows above it");
    } else if (Double.isFinite(in.threshold())) {
      notes.add("threshold contour omitted: NLL is not flow NLL + a constant");
    }
    p.notes(Panel.Corner.TOP_LEFT, Color.BLACK, notes.toArray(new String[0]));
    p.frame();
    fig.write(file);

    StringBuilder c = new StringBuilder("The learned density p(x) = exp(log p(x)) of the flow over the window of the"
        + " data, in standardized features (brighter is more likely; the colour scale is linear from zero to"
        + " the maximum). ");
    if (Double.isFinite(offset)) {
      c.append("The orange line is the contour where the NLL equals the anomaly threshold: rows outside it are"
          + " flagged (red dots, ").append(flagged).append(" here). ");
    } else if (Double.isFinite(in.threshold())) {
      c.append("The threshold contour is omitted: the given NLL values are not the flow's NLL plus one constant"
          + " (as with a model whose preprocessing transforms a column non-linearly). ");
    }
    c.append("The bright region should sit on the data: bright areas without data, or data in dark areas, are"
        + " where the model is wrong.");
    return c.toString();
  }

  /**
   * The constant c with nll = -log p_flow(x) + c, from up to 2000 rows; NaN if the rows disagree by more than
   * 1e-6 (relative), i.e. the NLL values were not computed from this flow.
   */
  static double rawOffset(ReportInput in) {
    int[] rows = strided(in.n(), 2000);
    int d = in.dim();
    double[] x = new double[rows.length * d];
    for (int t = 0; t < rows.length; t++) {
      System.arraycopy(in.data(), rows[t] * d, x, t * d, d);
    }
    double[] lp = in.flow().logProb(x, rows.length);
    double[] c = new double[rows.length];
    int m = 0;
    for (int t = 0; t < rows.length; t++) {
      double v = in.nll()[rows[t]] + lp[t];
      if (Double.isFinite(v)) {
        c[m++] = v;
      }
    }
    if (m == 0) {
      return Double.NaN;
    }
    double[] s = Arrays.copyOf(c, m);
    Arrays.sort(s);
    double med = quantile(s, 0.5);
    double tol = 1e-6 * Math.max(1, Math.abs(med));
    return s[m - 1] - med <= tol && med - s[0] <= tol ? med : Double.NaN;
  }

  private static String deformation(ReportInput in, Latent latent, double[] w, Path file) throws IOException {
    Flow flow = in.flow();
    double[] z = latent.z();
    // The latent grid spans the 99.5% quantile of |z| (at least 2, at most 8), in steps of 0.5 or 1.
    double[] abs = new double[z.length];
    for (int i = 0; i < z.length; i++) {
      abs[i] = Math.abs(z[i]);
    }
    Arrays.sort(abs);
    double reach = Math.max(2, Math.min(8, quantile(abs, 0.995)));
    double spacing = reach <= 3 ? 0.5 : 1.0;
    double span = Math.ceil(reach / spacing) * spacing;
    int lines = (int) Math.round(2 * span / spacing) + 1;
    int samples = 240;
    double[] zl = new double[2 * lines * samples * 2];
    int row = 0;
    for (int family = 0; family < 2; family++) {
      for (int l = 0; l < lines; l++) {
        double v = -span + l * spacing;
        for (int t = 0; t < samples; t++) {
          double u = -span + 2 * span * t / (samples - 1);
          zl[2 * row + family] = v;
          zl[2 * row + 1 - family] = u;
          row++;
        }
      }
    }
    double[] xl = flow.fromLatent(zl, row);
    Figure fig = new Figure(1, 1, 660, 660, in.title());
    Panel p = fig.plot(0, 0, w[0], w[1], w[2], w[3], "Latent grid pushed through x = f(z)",
        in.featureNames().get(0) + " (standardized)", in.featureNames().get(1) + " (standardized)");
    int[] rows = strided(in.n(), MAX_SCATTER);
    double[] xy = new double[2 * rows.length];
    for (int t = 0; t < rows.length; t++) {
      xy[2 * t] = in.data()[2 * rows[t]];
      xy[2 * t + 1] = in.data()[2 * rows[t] + 1];
    }
    p.points(xy, rows.length, new Color(150, 150, 150), 1.6, 90);
    int zero = (int) Math.round(span / spacing);
    for (int family = 0; family < 2; family++) {
      for (int l = 0; l < lines; l++) {
        double[] seg = Arrays.copyOfRange(xl, 2 * (family * lines + l) * samples, 2 * (family * lines + l + 1) * samples);
        Color c = family == 0 ? BLUE : ORANGE;
        p.polyline(seg, samples, l == zero ? c.darker() : c, l == zero ? 2.4f : 1.1f, false);
      }
    }
    boolean rings = flow.base() instanceof StandardNormal;
    if (rings) {
      for (int r = 1; r <= 2; r++) {
        int m = 360;
        double[] circle = new double[2 * (m + 1)];
        for (int t = 0; t <= m; t++) {
          circle[2 * t] = r * Math.cos(2 * Math.PI * t / m);
          circle[2 * t + 1] = r * Math.sin(2 * Math.PI * t / m);
        }
        p.polyline(flow.fromLatent(circle, m + 1), m + 1, Color.BLACK, 2.2f, r == 2);
      }
    }
    List<Panel.Key> keys = new ArrayList<>();
    keys.add(new Panel.Key("z1 constant (thick: z1 = 0)", BLUE, Panel.Style.LINE));
    keys.add(new Panel.Key("z2 constant (thick: z2 = 0)", ORANGE, Panel.Style.LINE));
    if (rings) {
      keys.add(new Panel.Key("image of |z| = 1", Color.BLACK, Panel.Style.LINE));
      keys.add(new Panel.Key("image of |z| = 2", Color.BLACK, Panel.Style.DASHED));
    }
    keys.add(new Panel.Key("data", new Color(150, 150, 150), Panel.Style.DOT));
    p.legend(Panel.Corner.TOP_RIGHT, keys.toArray(new Panel.Key[0]));
    p.notes(Panel.Corner.BOTTOM_RIGHT, Color.BLACK, "grid: z1, z2 in [" + num(-span) + ", " + num(span)
        + "], step " + num(spacing));
    p.frame();
    fig.write(file);

    return "How the flow bends space: a regular grid in latent space (blue lines: z1 constant, orange: z2"
        + " constant, every " + esc(num(spacing)) + " from " + esc(num(-span)) + " to " + esc(num(span))
        + "; thick lines: z1 = 0 and z2 = 0) pushed through the forward map x = f(z), over the data (grey)."
        + (rings ? " The black curves are the images of the circles |z| = 1 (solid) and |z| = 2 (dashed) of the"
            + " standard-normal base." : "")
        + " Where the grid cells are small the flow packs probability mass densely; where they are large it"
        + " spreads it thin. The grid should be fine over the data and coarse away from it; folded or tangled"
        + " lines would signal numerical trouble.";
  }

  // ---------------------------------------------------------------------------------------------------
  // The page

  private static String html(ReportInput in, Latent latent, List<Section> sections) {
    int n = in.n();
    int d = in.dim();
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
        .append(esc(in.title())).append(" - Flowguard report</title>\n<style>\n")
        .append("body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;max-width:900px;")
        .append("margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\n")
        .append("h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:1.8em;")
        .append("border-bottom:1px solid #ddd;padding-bottom:.2em}\n")
        .append("table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.3em .7em;")
        .append("text-align:left;vertical-align:top}th{background:#f4f4f4;font-weight:600}\n")
        .append("td.v{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.92em;word-break:break-all}\n")
        .append("figure{margin:1em 0 2em}figure img{max-width:100%;border:1px solid #ddd}\n")
        .append("figcaption{font-size:.95em;color:#333;margin-top:.4em}\n.muted{color:#777;font-size:.9em}\n")
        .append("</style>\n</head>\n<body>\n");
    h.append("<h1>").append(esc(in.title())).append("</h1>\n");
    h.append("<p class=\"muted\">Flowguard diagnostics report: ").append(n).append(" rows, ").append(d)
        .append(d == 1 ? " dimension" : " dimensions").append(".</p>\n");

    h.append("<h2>Summary</h2>\n<table>\n");
    row(h, "rows", Integer.toString(n));
    row(h, "features", String.join(", ", in.featureNames()));
    in.flow().spec().ifPresent(s -> row(h, "flow", s.family() + ", " + s.layers() + " layers, base "
        + s.base().type() + (s.base().components() == null ? "" : " (" + s.base().components() + " components)")));
    if (Double.isFinite(in.threshold())) {
      int above = countAbove(in);
      row(h, "anomaly threshold", num(in.threshold()) + " nats"
          + (in.thresholdLabel().isEmpty() ? "" : " (" + in.thresholdLabel() + ")"));
      row(h, "rows above the threshold", above + " (" + pct(above, n) + ")");
    }
    double[] s = LatentStats.sortedFinite(in.nll());
    if (s.length > 0) {
      row(h, "NLL mean / median", num(Arrays.stream(s).average().orElse(Double.NaN)) + " / "
          + num(quantile(s, 0.5)) + " nats");
    }
    if (Double.isFinite(in.entropy())) {
      row(h, "entropy H", num(in.entropy()) + " nats");
    }
    row(h, "KS distance of ||z||^2 to chi-square(" + d + ")", num(latent.ks()) + " (5% critical value "
        + num(LatentStats.ksCritical5(n)) + ")" + (in.flow().base() instanceof GaussianMixture
        ? "; mixture base, not expected to be chi-square" : ""));
    h.append("</table>\n");

    if (!in.facts().isEmpty()) {
      h.append("<h2>Facts</h2>\n<table>\n");
      for (Map.Entry<String, String> e : in.facts().entrySet()) {
        row(h, e.getKey(), e.getValue());
      }
      h.append("</table>\n");
    }

    h.append("<h2>Figures</h2>\n");
    if (in.trainingCurve().isEmpty()) {
      h.append("<p class=\"muted\">No training curve was recorded for this model.</p>\n");
    }
    if (d != 2) {
      h.append("<p class=\"muted\">The density and deformation maps are drawn for 2-D models only.</p>\n");
    }
    for (Section sec : sections) {
      h.append("<h3>").append(esc(sec.heading())).append("</h3>\n<figure>\n<img src=\"").append(esc(sec.file()))
          .append("\" alt=\"").append(esc(sec.heading())).append("\">\n<figcaption>").append(sec.caption())
          .append("</figcaption>\n</figure>\n");
    }
    h.append("<p class=\"muted\">Generated by Flowguard.</p>\n</body>\n</html>\n");
    return h.toString();
  }

  private static void row(StringBuilder h, String key, String value) {
    h.append("<tr><th>").append(esc(key)).append("</th><td class=\"v\">").append(esc(value)).append("</td></tr>\n");
  }

  /** HTML-escapes text. */
  static String esc(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  // ---------------------------------------------------------------------------------------------------
  // Helpers

  /** Rows whose NLL exceeds the threshold (0 without a threshold; NaN NLL values are not counted). */
  static int countAbove(ReportInput in) {
    int above = 0;
    for (double v : in.nll()) {
      if (v > in.threshold()) {
        above++;
      }
    }
    return above;
  }

  /** "1 row", "k rows". */
  static String rows(int k) {
    return k + (k == 1 ? " row" : " rows");
  }

  /** k / n as a percentage with two decimals. */
  static String pct(int k, int n) {
    return String.format(Locale.ROOT, "%.2f%%", 100.0 * k / n);
  }

  /** A number with four significant digits (plain notation unless very large or small). */
  static String num(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "inf" : "-inf";
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e9) {
      return String.format(Locale.ROOT, "%d", (long) v);
    }
    double a = Math.abs(v);
    if (a >= 1e6 || a < 1e-3) {
      return String.format(Locale.ROOT, "%.3e", v);
    }
    int decimals = Math.max(0, 3 - (int) Math.floor(Math.log10(a)));
    String s = String.format(Locale.ROOT, "%." + decimals + "f", v);
    if (s.indexOf('.') >= 0) {
      s = s.replaceAll("0+$", "");
      s = s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
    return s;
  }

  /** The p-quantile of sorted values (linear interpolation). */
  static double quantile(double[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    double pos = p * (sorted.length - 1);
    int i = (int) Math.floor(pos);
    if (i >= sorted.length - 1) {
      return sorted[sorted.length - 1];
    }
    return sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]);
  }

  /** At most {@code max} row indices out of n, evenly strided (all rows when n <= max). */
  static int[] strided(int n, int max) {
    int m = Math.min(n, max);
    int[] rows = new int[m];
    for (int t = 0; t < m; t++) {
      rows[t] = (int) ((long) t * n / m);
    }
    return rows;
  }

  /**
   * A square window {xMin, xMax, yMin, yMax} around the 2-D data: the 0.2%-99.8% quantile box of each
   * coordinate, padded by 20%, widened to a square.
   */
  static double[] window(double[] xy, int n) {
    double[] xs = new double[n];
    double[] ys = new double[n];
    for (int i = 0; i < n; i++) {
      xs[i] = xy[2 * i];
      ys[i] = xy[2 * i + 1];
    }
    Arrays.sort(xs);
    Arrays.sort(ys);
    double x0 = quantile(xs, 0.002);
    double x1 = quantile(xs, 0.998);
    double y0 = quantile(ys, 0.002);
    double y1 = quantile(ys, 0.998);
    double span = Math.max(Math.max(x1 - x0, y1 - y0) * 1.2, 1e-6);
    double cx = (x0 + x1) / 2;
    double cy = (y0 + y1) / 2;
    return new double[] {cx - span / 2, cx + span / 2, cy - span / 2, cy + span / 2};
  }
}
