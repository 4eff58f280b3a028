package io.flowguard.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.model.AutoConfig;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train} without a spec builds the default model (AutoConfig), reports what it chose and why,
 * records it in the model file, and lets every explicit option win.
 */
class DefaultModelCliTest {

  @TempDir
  Path dir;

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }

  /** 300 rows: a Gaussian, an integer count (discrete), a log-normal (heavy-tailed). */
  private Path data() throws Exception {
    SplittableRandom rng = new SplittableRandom(8);
    StringBuilder b = new StringBuilder("g,count,size\n");
    for (int i = 0; i < 300; i++) {
      b.append(String.format(Locale.ROOT, "%.6f,%d,%.6f%n", rng.nextGaussian(), rng.nextInt(6),
          Math.exp(1.5 * rng.nextGaussian())));
    }
    Path p = dir.resolve("normal.csv");
    Files.writeString(p, b);
    return p;
  }

  @Test
  void trainWithoutOptionsUsesAndReportsTheDefaultModel() throws Exception {
    Path model = dir.resolve("m.fgm");
    CliRun r = run("train", "--data", data().toString(), "--out", model.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("Config: flow: MAF, 3 layers (fewer than 1000 rows)"), r.err());
    String html = Files.readString(dir.resolve("m-report/report.html"));
    assertTrue(html.contains("discrete, dequantized in training: [count]"), "the report lists the discrete columns");
    assertTrue(html.contains("heavy-tailed, asinh-transformed: [size]"), "and the transformed ones");
    assertTrue(r.err().contains("Note: column 'count' is discrete (grid cell 1.00000)"), r.err());
    assertTrue(r.err().contains("Note: column 'size' is heavy-tailed"), r.err());
    FlowModel m = ModelFormat.read(model);
    AutoConfig.Choice expected = AutoConfig.choose(240, 3, 0);
    assertEquals(expected.spec(), m.spec(), "the resolved spec is stored");
    assertEquals(expected.training().noise(), ((Number) m.provenance().trainingConfig().get("noise")).doubleValue(),
        0.0, "the resolved training configuration is stored");
    CliRun inspect = run("inspect", model.toString());
    assertTrue(inspect.out().contains("asinh((x - "), inspect.out());
    assertTrue(inspect.out().contains("note: column 'count' is discrete"), inspect.out());
    assertTrue(inspect.out().contains("\"components\":" + AutoConfig.MIXTURE_COMPONENTS), inspect.out());
  }

  @Test
  void explicitOptionsWinOverTheAutomaticChoice() throws Exception {
    Path model = dir.resolve("m.fgm");
    CliRun r = run("train", "--data", data().toString(), "--out", model.toString(), "--no-report", "--noise", "0",
        "--batch", "50", "--epochs", "3", "--no-dequantize", "--no-tail-transform", "--spec", "realnvp");
    assertEquals(0, r.code(), r.err());
    FlowModel m = ModelFormat.read(model);
    assertEquals("realnvp", m.spec().family());
    assertEquals(0.0, ((Number) m.provenance().trainingConfig().get("noise")).doubleValue(), 0.0);
    assertEquals(50, ((Number) m.provenance().trainingConfig().get("batchSize")).intValue());
    // 240 fitted rows, 216 after the validation split: 4 steps of 50 per epoch, 3 epochs.
    assertEquals(12, ((Number) m.provenance().trainingConfig().get("steps")).intValue());
    assertEquals(java.util.List.of(), m.preprocessor().discreteFeatures());
    assertEquals(java.util.List.of(), m.preprocessor().tailTransformedFeatures());
  }

  @Test
  void helpExplainsTheAutomaticDefaults() {
    CliRun r = run("train", "--help");
    assertTrue(r.out().contains("Default: automatic"), r.out());
    assertTrue(r.out().replaceAll("\\s+", " ").contains("(Scott's KDE"), r.out());
    assertTrue(r.out().contains("--[no-]dequantize"), r.out());
  }
}
