package io.flowguard.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.data.Dataset;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.score.Scorer;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingListener;
import io.flowguard.core.transform.TensorShape;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Format version 4 and tensor-shaped models: a glow model (features in row-major tensor order, the shape
 * in the spec) goes through training, the model file and the scorer like any other; a committed version
 * 3 file still reads and scores bit-identically. Score comparisons are exact (0.0): parameters are
 * stored as their IEEE-754 bits and the same code computes both sides.
 */
class TensorModelFileTest {

  private static final TensorShape SHAPE = new TensorShape(1, 4, 4);

  private static Dataset images(int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<String> columns = new ArrayList<>();
    for (int h = 0; h < 4; h++) {
      for (int w = 0; w < 4; w++) {
        columns.add("p" + h + "_" + w);
      }
    }
    double[] v = new double[n * 16];
    for (int r = 0; r < n; r++) {
      double bright = rng.nextDouble();
      for (int i = 0; i < 16; i++) {
        v[r * 16 + i] = bright * ((i / 4 + i % 4) % 3) + 0.3 * rng.nextDouble();
      }
    }
    return new Dataset("synthetic images", columns, v, n);
  }

  private static FlowModel glowModel() {
    FlowSpec spec = FlowSpec.glow(SHAPE, 2, 1, 4).withActivation("tanh");
    TrainingConfig tc = TrainingConfig.defaults().withSteps(20).withBatchSize(32).withSeed(1);
    return ModelTrainer.train(images(300, 2), new ModelTrainer.Options("img", 1, spec, tc, 0.2),
        TrainingListener.NONE).model();
  }

  @Test
  void glowModelRoundTripsThroughTheFileAndScoresIdentically() throws ModelFormatException {
    FlowModel m = glowModel();
    byte[] bytes = ModelFormat.toBytes(m);
    assertEquals(ModelFormat.FORMAT_VERSION, bytes[8]);
    assertTrue(new String(bytes, StandardCharsets.ISO_8859_1).contains("\"shape\":[1,4,4]"), "shape in the spec");
    FlowModel back = ModelFormat.read(bytes);
    assertEquals(m.flow().spec(), back.flow().spec());
    double[] raw = images(10, 3).values();
    assertArrayEquals(m.logDensity(raw, 10), back.logDensity(raw, 10), 0.0);
    Scorer scorer = new Scorer(back, 0.01);
    Scorer.Score s = new Scorer.Score();
    double[] expected = back.logDensity(raw, 10);
    for (int r = 0; r < 10; r++) {
      assertTrue(scorer.score(java.util.Arrays.copyOfRange(raw, r * 16, (r + 1) * 16), s));
      assertEquals(expected[r], s.logDensity, 0.0, "scorer vs model, row " + r);
    }
  }

  @Test
  void aTensorSpecRefusesDataWhoseConstantColumnsWereDropped() {
    Dataset d = images(200, 4);
    double[] v = d.values();
    for (int r = 0; r < 200; r++) {
      v[r * 16] = 0.0;
    }
    FlowSpec spec = FlowSpec.glow(SHAPE, 1, 1, 4);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelTrainer.train(d,
        new ModelTrainer.Options("img", 1, spec, TrainingConfig.defaults().withSteps(5), 0.2), TrainingListener.NONE));
    assertTrue(e.getMessage().contains("constant"), e.getMessage());
  }

  @Test
  void aVersion3FileStillReadsAndScoresAsItDid() throws IOException {
    // Written by the version 3 writer (a MAF with a discrete column), with the scores computed at the time.
    byte[] v3 = Files.readAllBytes(Path.of("src/test/resources/model-v3-maf/model-v3.fgm"));
    assertEquals(3, v3[8]);
    FlowModel m = ModelFormat.read(v3);
    assertEquals(3, m.provenance().formatVersion());
    List<String> lines = Files.readAllLines(Path.of("src/test/resources/model-v3-maf/probe-scored.csv"));
    assertEquals(7, lines.size());
    FlowModel rewritten = ModelFormat.read(ModelFormat.toBytes(m));
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",");
      double[] raw = {Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2])};
      assertEquals(Double.parseDouble(f[3]), m.logDensity(raw, 1)[0], 0.0, line);
      assertEquals(Double.parseDouble(f[3]), rewritten.logDensity(raw, 1)[0], 0.0, "rewritten as v4: " + line);
    }
  }
}
