package io.flowguard.core.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.flowguard.core.flow.FlowFactory;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.train.TrainingListener;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The digits and sweep examples run end to end on a tiny step budget (smoke tests of the wiring, the
 * figures and the JSON; the measured figures come from the full runs recorded under bench/), and the
 * image helpers do what their names say.
 */
class TensorAndSweepExamplesTest {

  private static final Path DIGITS = Path.of("../../shared/data/digits/digits.csv");

  @Test
  void digitsRunsEndToEndAndScoresEveryGroup(@TempDir Path dir) throws Exception {
    assumeTrue(Files.isRegularFile(DIGITS), "the shared digits data is absent");
    DigitsExample.Result r = DigitsExample.run(DIGITS, 0, 3, dir, m -> TrainingListener.NONE);
    assertEquals(3, r.models().size());
    assertEquals(10, r.groups().size(), "test, five odd digits, flipped, inverted, noise, blank");
    for (DigitsExample.ModelResult m : r.models()) {
      assertTrue(Double.isFinite(m.testBitsPerDim()), m.name());
    }
    assertTrue(Files.size(dir.resolve("result.png")) > 10_000);
    assertTrue(Files.readString(dir.resolve("result.json")).contains("\"test_bits_per_dim\""));
  }

  @Test
  void comparedModelsHaveAboutTheSameParameterCount() {
    int glow = DigitsExample.freeParameters(FlowFactory.create(DigitsExample.specs().get(0), 0));
    for (FlowSpec s : DigitsExample.specs()) {
      int p = DigitsExample.freeParameters(FlowFactory.create(s, 0));
      assertTrue(Math.abs(p - glow) < 0.15 * glow, s.family() + " has " + p + " free parameters, glow " + glow);
    }
  }

  @Test
  void flipAndInversionAreTheImageOperations() {
    double[] img = new double[64];
    for (int i = 0; i < 64; i++) {
      img[i] = i % 17;
    }
    double[] f = DigitsExample.flipped(img, 1);
    double[] v = DigitsExample.inverted(img);
    for (int h = 0; h < 8; h++) {
      for (int w = 0; w < 8; w++) {
        assertEquals(img[h * 8 + w], f[h * 8 + 7 - w], 0.0);
        assertEquals(16 - img[h * 8 + w], v[h * 8 + w], 0.0);
      }
    }
  }

  @Test
  void sweepFitsEveryDepthAndWidth(@TempDir Path dir) throws Exception {
    SweepExample.Result r = SweepExample.run(FlowSpec.REALNVP, 0, 2, dir, TrainingListener.NONE);
    assertEquals(SweepExample.DEPTHS.length * SweepExample.WIDTHS.length, r.points().size());
    assertTrue(r.points().get(0).parameters() < r.points().get(r.points().size() - 1).parameters());
    assertTrue(Files.size(dir.resolve("result.png")) > 10_000);
  }
}
