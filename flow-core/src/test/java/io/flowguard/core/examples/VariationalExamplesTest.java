package io.flowguard.core.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.train.TrainingListener;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The banana example meets the targets: the ELBO within 0.05 nats of the true log Z (the gap is
 * KL(q || p)), and the importance-sampling log Z within 3 of its standard errors of the truth; the
 * flipped-sign run collapses (its true ELBO far below). About 25 s on one core: the whole example.
 */
class VariationalExamplesTest {

  @Test
  void bananaElboIsWithinFiveHundredthsOfANatAndLogZWithinThreeStandardErrors(@TempDir Path dir) throws Exception {
    VariationalExamples.BananaResult r = VariationalExamples.banana(0, dir, TrainingListener.NONE);
    assertTrue(r.gap() >= -3 * r.fitted().elboStandardError() && r.gap() < 0.05, "ELBO gap " + r.gap());
    assertEquals(r.trueLogZ(), r.fitted().logZ(), 3 * r.fitted().standardError(), "log Z^");
    assertTrue(r.flipped().elbo() < r.fitted().elbo() - 5, "flipped-sign ELBO " + r.flipped().elbo());
    assertTrue(Files.size(dir.resolve("result.png")) > 10_000);
    assertTrue(Files.readString(dir.resolve("result.json")).contains("\"true_log_z\""));
  }

  @Test
  void bananaLogDensityIntegratesToItsStatedNormalizer() {
    // Midpoint rule on [-8, 8] x [-6, 70] with 800 x 3800 cells: the integrand is smooth and negligible
    // outside, so the rule's error is far below 1e-4 relative.
    var f = VariationalExamples.banana();
    int nx = 800;
    int ny = 3800;
    double x0 = -8;
    double x1 = 8;
    double y0 = -6;
    double y1 = 70;
    double hx = (x1 - x0) / nx;
    double hy = (y1 - y0) / ny;
    double sum = 0;
    double[] p = new double[2];
    for (int i = 0; i < nx; i++) {
      p[0] = x0 + (i + 0.5) * hx;
      for (int j = 0; j < ny; j++) {
        p[1] = y0 + (j + 0.5) * hy;
        sum += Math.exp(f.logDensity(p));
      }
    }
    assertEquals(VariationalExamples.bananaLogZ(), Math.log(sum * hx * hy), 1e-4);
  }
}
