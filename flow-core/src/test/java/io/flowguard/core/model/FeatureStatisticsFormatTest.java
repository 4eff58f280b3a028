package io.flowguard.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.train.TrainingListener;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The optional version 4 field {@code featureStatistics}: written by the trainer, absent from older files. */
class FeatureStatisticsFormatTest {

  @Test
  void aVersion3FileStillLoadsWithoutStatisticsAndScoresAsItDid() throws IOException {
    // Written by the version 3 writer (the commit before version 4), with the log-densities it computed.
    byte[] v3 = Files.readAllBytes(Path.of("src/test/resources/model-v3-stats/model-v3.fgm"));
    assertEquals(3, v3[8]);
    FlowModel m = ModelFormat.read(v3);
    assertEquals(3, m.provenance().formatVersion());
    assertTrue(m.featureStatistics().isEmpty(), "a version 3 file has no training statistics");
    List<String> lines = Files.readAllLines(Path.of("src/test/resources/model-v3-stats/probe-scored.csv"));
    assertEquals(9, lines.size());
    FlowModel rewritten = ModelFormat.read(ModelFormat.toBytes(m));
    assertEquals(ModelFormat.FORMAT_VERSION, rewritten.provenance().formatVersion());
    assertTrue(rewritten.featureStatistics().isEmpty(), "rewriting does not invent statistics");
    for (String line : lines.subList(1, lines.size())) {
      double[] f = Arrays.stream(line.split(",")).mapToDouble(Double::parseDouble).toArray();
      double[] raw = Arrays.copyOf(f, 4);
      // Bit for bit: the recorded values are the shortest round-trip decimals of the same computation.
      assertEquals(f[4], m.logDensity(raw, 1)[0], 0.0, line);
      assertEquals(f[4], rewritten.logDensity(raw, 1)[0], 0.0, "rewritten as version 4: " + line);
    }
  }

  @Test
  void theTrainerStoresTheStatisticsOfItsTrainingRows() {
    FlowModel m = trained();
    FeatureStatistics s = m.featureStatistics().orElseThrow();
    assertEquals(400, s.rows());
    double[] v = rows();
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    double sum = 0;
    for (int r = 0; r < 400; r++) {
      min = Math.min(min, v[r * 3 + 1]);
      max = Math.max(max, v[r * 3 + 1]);
      sum += v[r * 3 + 1];
    }
    double mean = sum / 400;
    double ss = 0;
    for (int r = 0; r < 400; r++) {
      ss += (v[r * 3 + 1] - mean) * (v[r * 3 + 1] - mean);
    }
    assertEquals(min, s.feature(1).min(), 0.0);
    assertEquals(max, s.feature(1).max(), 0.0);
    assertEquals(mean, s.feature(1).mean(), 1e-12);
    assertEquals(Math.sqrt(ss / 400), s.feature(1).sd(), 1e-12);
    assertEquals(0.0, s.feature(2).sd(), 0.0, "the constant column");
  }

  @Test
  void theRoundTripKeepsTheStatisticsExactly() throws IOException {
    FlowModel m = trained();
    byte[] bytes = ModelFormat.toBytes(m);
    assertEquals(ModelFormat.FORMAT_VERSION, bytes[8]);
    FlowModel back = ModelFormat.read(bytes);
    assertEquals(m.featureStatistics(), back.featureStatistics());
    byte[] again = ModelFormat.toBytes(back);
    assertArrayEquals(again, ModelFormat.toBytes(ModelFormat.read(again)), "re-encoding gives the same bytes");
    ObjectNode meta = metadata(bytes);
    assertEquals(400, meta.at("/featureStatistics/rows").asLong());
    assertEquals(3, meta.at("/featureStatistics/features").size());
  }

  @Test
  void aModelWithoutStatisticsWritesNoField() throws IOException {
    FlowModel m = trained();
    FlowModel bare = new FlowModel(m.name(), 1, m.preprocessor(), m.flow(), m.calibration(), m.provenance());
    byte[] bytes = ModelFormat.toBytes(bare);
    assertTrue(metadata(bytes).get("featureStatistics") == null);
    assertEquals(Optional.empty(), ModelFormat.read(bytes).featureStatistics());
  }

  @Test
  void malformedStatisticsAreCorruptMetadataNamingThePath() throws IOException {
    byte[] good = ModelFormat.toBytes(trained());
    ObjectNode meta = metadata(good);
    ((ObjectNode) meta.at("/featureStatistics/features/1")).put("min", 1e9);
    ModelFormatException e = assertThrows(ModelFormatException.class,
        () -> ModelFormat.read(resealed(good, meta)));
    assertEquals(ModelFormatException.Kind.CORRUPT_METADATA, e.kind());
    assertTrue(e.getMessage().contains("featureStatistics.features[1]"), e.getMessage());

    ObjectNode short1 = metadata(good);
    ((com.fasterxml.jackson.databind.node.ArrayNode) short1.at("/featureStatistics/features")).remove(0);
    ModelFormatException e2 = assertThrows(ModelFormatException.class,
        () -> ModelFormat.read(resealed(good, short1)));
    assertTrue(e2.getMessage().contains("has 2 entries but the preprocessor has 3"), e2.getMessage());
  }

  @Test
  void statisticsOfTheWrongWidthAreRefusedByTheModel() {
    FlowModel m = trained();
    FeatureStatistics one = FeatureStatistics.of(new double[] {1, 2}, 2, 1);
    assertThrows(IllegalArgumentException.class, () -> new FlowModel(m.name(), 1, m.preprocessor(), m.flow(),
        m.calibration(), m.provenance(), Optional.of(one)));
  }

  private static double[] rows() {
    java.util.SplittableRandom rng = new java.util.SplittableRandom(8);
    double[] v = new double[400 * 3];
    for (int r = 0; r < 400; r++) {
      v[r * 3] = rng.nextGaussian();
      v[r * 3 + 1] = 100 + 5 * rng.nextGaussian();
      v[r * 3 + 2] = 3.0;
    }
    return v;
  }

  private static FlowModel trained() {
    Dataset data = new Dataset("stats", List.of("x", "y", "k"), rows(), 400);
    ModelTrainer.Options o = ModelTrainer.Options.automatic("stats", 1, data, 2, 0.25);
    o = new ModelTrainer.Options("stats", 1, o.spec().withLayers(1).withHidden(8), o.training().withSteps(20), 0.25);
    return ModelTrainer.train(data, o, TrainingListener.NONE).model();
  }

  private static ObjectNode metadata(byte[] b) throws IOException {
    int len = ByteBuffer.wrap(b, 12, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    return (ObjectNode) new ObjectMapper().readTree(Arrays.copyOfRange(b, 24, 24 + len));
  }

  /** The same file with its metadata replaced (and the header's length and the checksum recomputed). */
  private static byte[] resealed(byte[] b, ObjectNode meta) throws IOException {
    int len = ByteBuffer.wrap(b, 12, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    byte[] json = new ObjectMapper().writeValueAsBytes(meta);
    int params = b.length - 24 - len - 32;
    ByteBuffer buf = ByteBuffer.allocate(24 + json.length + params + 32).order(ByteOrder.LITTLE_ENDIAN);
    buf.put(b, 0, 12).putInt(json.length).put(b, 16, 8).put(json).put(b, 24 + len, params);
    byte[] out = buf.array();
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(out, 0, out.length - 32);
      System.arraycopy(sha.digest(), 0, out, out.length - 32, 32);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
    return out;
  }
}
