package io.flowguard.core.diagnostics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.distribution.BaseDistribution;
import io.flowguard.core.flow.Flow;
import io.flowguard.core.flow.FlowFactory;
import io.flowguard.core.flow.FlowSpec;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {

  /** The constant that stands for the log-Jacobian of the standardization (raw NLL = flow NLL + C). */
  private static final double C = 0.75;

  /** A small flow moved off the identity by random parameter noise, then sanitized. */
  static Flow perturbedFlow(FlowSpec spec, long seed, double scale) {
    Flow flow = FlowFactory.create(spec, seed);
    double[] theta = flow.parameters();
    SplittableRandom rng = new SplittableRandom(seed + 17);
    for (int i = 0; i < theta.length; i++) {
      theta[i] += scale * BaseDistribution.gaussian(rng);
    }
    flow.transform().sanitize(theta);
    return flow;
  }

  /**
   * Report input for {@code flow}: n rows sampled from the flow with a few far outliers, their NLL as the
   * flow scores them plus {@link #C}, the 99% NLL quantile as threshold, a synthetic training curve.
   */
  static ReportInput input(Flow flow, int n, String title, boolean withCurve) {
    int d = flow.dim();
    double[] x = flow.sample(n, 5);
    for (int r = 0; r < 5; r++) {
      x[r * d] += 6 + r;
    }
    double[] lp = flow.logProb(x, n);
    double[] nll = new double[n];
    for (int r = 0; r < n; r++) {
      nll[r] = -lp[r] + C;
    }
    double[] sorted = nll.clone();
    java.util.Arrays.sort(sorted);
    List<String> names = new ArrayList<>();
    for (int j = 0; j < d; j++) {
      names.add("feature_" + j);
    }
    List<double[]> curve = new ArrayList<>();
    if (withCurve) {
      for (int s = 0; s <= 2000; s += 100) {
        curve.add(new double[] {s, 1.2 + 3 * Math.exp(-s / 300.0), 1.3 + 3 * Math.exp(-s / 300.0) + s * 2e-5});
      }
    }
    Map<String, String> facts = new LinkedHashMap<>();
    facts.put("spec", flow.spec().orElseThrow().toJson());
    facts.put("rows", Integer.toString(n));
    facts.put("fingerprint", "sha256:0123abcd");
    return new ReportInput(title, flow, names, x, n, nll, sorted[(int) (0.99 * n)], "false-alarm rate 0.01", curve,
        1.9, facts);
  }

  private static Flow realNvp2d() {
    return perturbedFlow(FlowSpec.of(FlowSpec.REALNVP, 2).withLayers(2).withHidden(8), 3, 0.3);
  }

  private static Flow maf5d() {
    return perturbedFlow(FlowSpec.of(FlowSpec.MAF, 5).withLayers(2).withHidden(8), 4, 0.2);
  }

  private static void assertReadablePng(Path file) throws Exception {
    assertTrue(Files.isRegularFile(file), file + " missing");
    assertTrue(Files.size(file) > 8_000, file + " is only " + Files.size(file) + " bytes");
    BufferedImage img = ImageIO.read(file.toFile());
    assertNotNull(img, file + " does not decode as an image");
    assertTrue(img.getWidth() >= 400 && img.getHeight() >= 400, file + " is " + img.getWidth() + "x" + img.getHeight());
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < img.getHeight(); y += 3) {
      for (int x = 0; x < img.getWidth(); x += 3) {
        colours.add(img.getRGB(x, y));
      }
    }
    assertTrue(colours.size() > 20, file + " has only " + colours.size() + " colours");
  }

  /** A 2-D flow gets every figure, the density and deformation maps included, all decodable PNGs. */
  @Test
  void twoDimensionalReportWritesEveryFigure(@TempDir Path dir) throws Exception {
    List<Path> written = Report.write(input(realNvp2d(), 2000, "moons-like v1", true), dir);
    List<String> expected = List.of(Report.HTML, Report.TRAINING_CURVE, Report.NLL_HISTOGRAM, Report.LATENT_QQ,
        Report.LATENT_PAIRS, Report.DENSITY, Report.DEFORMATION);
    assertEquals(expected, written.stream().map(p -> p.getFileName().toString()).toList());
    for (String name : expected.subList(1, expected.size())) {
      assertReadablePng(dir.resolve(name));
    }
  }

  /** A 5-D flow gets the generic figures but no density or deformation map. */
  @Test
  void fiveDimensionalReportHasNoDensityMap(@TempDir Path dir) throws Exception {
    Report.write(input(maf5d(), 1500, "maf5 v2", true), dir);
    for (String name : List.of(Report.TRAINING_CURVE, Report.NLL_HISTOGRAM, Report.LATENT_QQ, Report.LATENT_PAIRS)) {
      assertReadablePng(dir.resolve(name));
    }
    assertFalse(Files.exists(dir.resolve(Report.DENSITY)));
    assertFalse(Files.exists(dir.resolve(Report.DEFORMATION)));
    assertFalse(Files.readString(dir.resolve(Report.HTML)).contains(Report.DENSITY));
  }

  /** The page links every PNG it sits next to, by relative name, and lists every fact (escaped). */
  @Test
  void htmlReferencesEveryPngAndListsTheFacts(@TempDir Path dir) throws Exception {
    ReportInput in = input(realNvp2d(), 1000, "model <A&B> v3", true);
    Report.write(in, dir);
    String html = Files.readString(dir.resolve(Report.HTML));
    try (var files = Files.list(dir)) {
      for (Path png : files.filter(p -> p.toString().endsWith(".png")).toList()) {
        assertTrue(html.contains("src=\"" + png.getFileName() + "\""), "no link to " + png.getFileName());
      }
    }
    for (Map.Entry<String, String> fact : in.facts().entrySet()) {
      assertTrue(html.contains(">" + Report.esc(fact.getKey()) + "<"), "fact key " + fact.getKey());
      assertTrue(html.contains(">" + Report.esc(fact.getValue()) + "<"), "fact value " + fact.getValue());
    }
    assertTrue(html.contains("model &lt;A&amp;B&gt; v3"), "escaped title");
    assertFalse(html.contains("<A&B>"));
  }

  /** Without a training curve there is no training-curve.png, and the page says so. */
  @Test
  void emptyTrainingCurveOmitsThePlot(@TempDir Path dir) throws Exception {
    Report.write(input(maf5d(), 500, "no curve", false), dir);
    assertFalse(Files.exists(dir.resolve(Report.TRAINING_CURVE)));
    assertTrue(Files.readString(dir.resolve(Report.HTML)).contains("No training curve"));
  }

  /** The same input gives byte-identical files (no timestamps, no random sampling). */
  @Test
  void outputIsDeterministic(@TempDir Path dir) throws Exception {
    ReportInput in = input(realNvp2d(), 800, "twice", true);
    List<Path> first = Report.write(in, dir.resolve("a"));
    List<Path> second = Report.write(in, dir.resolve("b"));
    for (int i = 0; i < first.size(); i++) {
      assertArrayEquals(Files.readAllBytes(first.get(i)), Files.readAllBytes(second.get(i)),
          first.get(i).getFileName() + " differs");
    }
  }

  /** The offset between the given NLL and the flow's NLL (for the threshold contour) is recovered. */
  @Test
  void rawOffsetRecoversTheStandardizationConstant() {
    ReportInput in = input(realNvp2d(), 500, "offset", false);
    assertEquals(C, Report.rawOffset(in), 1e-12);
    double[] other = in.nll().clone();
    other[7] += 0.5;
    ReportInput inconsistent = new ReportInput(in.title(), in.flow(), in.featureNames(), in.data(), in.n(), other,
        in.threshold(), in.thresholdLabel(), in.trainingCurve(), in.entropy(), in.facts());
    assertTrue(Double.isNaN(Report.rawOffset(inconsistent)));
  }

  /** Feature names must match the flow's dimension; bad data is named by row and column. */
  @Test
  void inputIsValidated() {
    ReportInput in = input(realNvp2d(), 100, "valid", false);
    IllegalArgumentException names = assertThrows(IllegalArgumentException.class, () -> new ReportInput(in.title(),
        in.flow(), List.of("only one"), in.data(), in.n(), in.nll(), 1, "", List.of(), 1, Map.of()));
    assertTrue(names.getMessage().contains("feature names"), names.getMessage());
    double[] bad = in.data().clone();
    bad[2 * 9 + 1] = Double.NaN;
    IllegalArgumentException data = assertThrows(IllegalArgumentException.class, () -> new ReportInput(in.title(),
        in.flow(), in.featureNames(), bad, in.n(), in.nll(), 1, "", List.of(), 1, Map.of()));
    assertTrue(data.getMessage().contains("row 9 column 1"), data.getMessage());
  }

  /** Degenerate input (one row, no threshold, no entropy, no curve) still gives a complete report. */
  @Test
  void singleRowWithoutThresholdOrEntropyStillWrites(@TempDir Path dir) throws Exception {
    Flow flow = realNvp2d();
    ReportInput in = new ReportInput("one row", flow, List.of("a", "b"), new double[] {0.3, -0.2}, 1,
        new double[] {1.5}, Double.NaN, null, List.of(), Double.NaN, null);
    List<Path> written = Report.write(in, dir);
    assertEquals(6, written.size());
    for (Path p : written.subList(1, written.size())) {
      assertNotNull(ImageIO.read(p.toFile()), p + " does not decode");
    }
  }
}
