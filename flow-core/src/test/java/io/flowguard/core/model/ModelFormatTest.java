package io.flowguard.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowguard.core.flow.Flow;
import io.flowguard.core.flow.FlowFactory;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.ModelFormatException.Kind;
import io.flowguard.core.nn.ParamKind;
import io.flowguard.core.nn.ParameterLayout;
import io.flowguard.core.train.TrainingConfig;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The model file: exact round trips for every flow family, and rejection of damaged or hostile files
 * with a {@link ModelFormatException} of the right kind, never another exception. Models are built
 * without training: random parameters, a preprocessor fitted on random data, a calibration on random NLLs.
 */
class ModelFormatTest {

  private static final int D = 3;
  private static final List<String> NAMES = List.of("a", "constant", "b", "c");

  static Stream<FlowSpec> specs() {
    return Stream.of(
        small(FlowSpec.REALNVP),
        small(FlowSpec.NICE),
        small(FlowSpec.MAF),
        small(FlowSpec.IAF),
        small(FlowSpec.SPLINE_COUPLING),
        small(FlowSpec.SPLINE_AUTOREGRESSIVE),
        small(FlowSpec.REALNVP).withActNorm(true).withMixing("lu").withBase(FlowSpec.BaseSpec.mixture(3)),
        small(FlowSpec.MAF).withMixing("permute").withBase(new FlowSpec.BaseSpec("diagonal-normal", null)));
  }

  private static FlowSpec small(String family) {
    return FlowSpec.of(family, D).withLayers(2).withHidden(8, 8);
  }

  /** Raw rows with D varying columns and one constant column (dropped by the preprocessor). */
  private static double[] rawRows(int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] x = new double[n * 4];
    for (int r = 0; r < n; r++) {
      x[r * 4] = 10 + 3 * rng.nextGaussian();
      x[r * 4 + 1] = 42.0;
      x[r * 4 + 2] = rng.nextGaussian();
      x[r * 4 + 3] = -5 + 0.1 * rng.nextGaussian();
    }
    return x;
  }

  static FlowModel model(FlowSpec spec, long seed) {
    Flow flow = FlowFactory.create(spec, seed);
    double[] theta = flow.parameters();
    SplittableRandom rng = new SplittableRandom(seed + 100);
    for (ParameterLayout.Block b : flow.layout().blocks()) {
      for (int i = b.offset(); i < b.offset() + b.size(); i++) {
        // STATE blocks are flags (ActNorm "initialized"): set, not perturbed.
        theta[i] = b.kind() == ParamKind.STATE ? 1.0 : theta[i] + 0.3 * rng.nextGaussian();
      }
    }
    flow.transform().sanitize(theta);
    int n = 200;
    double[] x = rawRows(n, seed + 200);
    Preprocessor pre = Preprocessor.fit(NAMES, x, n);
    double[] nll = new double[300];
    for (int i = 0; i < nll.length; i++) {
      nll[i] = 4 + rng.nextGaussian() + Math.abs(rng.nextGaussian());
    }
    Calibration cal = Calibration.fit(nll, seed + 300, List.of(1, 8), List.of(0.99, 0.999), 500);
    Provenance prov = Provenance.create(spec, TrainingConfig.defaults().withSeed(seed),
        Provenance.fingerprint(NAMES, x, n), n, new Provenance.TrainingMetrics(4.1, Double.NaN, 2000, 12.5));
    return new FlowModel("payments-" + spec.family(), 3, pre, flow, cal, prov);
  }

  private static final FlowModel MODEL = model(small(FlowSpec.REALNVP).withActNorm(true).withMixing("lu")
      .withBase(FlowSpec.BaseSpec.mixture(2)), 7);
  private static final byte[] BYTES = ModelFormat.toBytes(MODEL);

  // ------------------------------------------------------------------------------------- round trips

  @ParameterizedTest
  @MethodSource("specs")
  void roundTripReproducesLogDensityBitForBit(FlowSpec spec) throws IOException {
    FlowModel m = model(spec, 11);
    FlowModel back = ModelFormat.read(ModelFormat.toBytes(m));
    double[] raw = rawRows(64, 12);
    assertArrayEquals(m.flow().parameters(), back.flow().parameters(), 0.0);
    assertArrayEquals(m.logDensity(raw, 64), back.logDensity(raw, 64), 0.0);
    double[] std = m.preprocessor().apply(raw, 64);
    assertArrayEquals(m.flow().logProb(std, 64), back.flow().logProb(std, 64), 0.0);
  }

  /** MODEL with its preprocessor refitted with the atom rule on a column of irregular levels. */
  private static FlowModel atomModel() {
    int n = 200;
    double[] x = rawRows(n, 300);
    double[] levels = {0.0, 0.3, 1.0, 2.7};
    SplittableRandom rng = new SplittableRandom(301);
    for (int r = 0; r < n; r++) {
      x[r * 4 + 3] = levels[rng.nextInt(4)];
    }
    Preprocessor pre = Preprocessor.fit(NAMES, x, n, Preprocessor.Options.robust().withAtoms(true));
    assertTrue(pre.features().get(3).atomic());
    return new FlowModel(MODEL.name(), MODEL.version(), pre, MODEL.flow(), MODEL.calibration(), MODEL.provenance());
  }

  @Test
  void atomColumnsRoundTripBitForBit() throws IOException {
    FlowModel m = atomModel();
    byte[] bytes = ModelFormat.toBytes(m);
    FlowModel back = ModelFormat.read(bytes);
    assertEquals(m.preprocessor(), back.preprocessor());
    assertEquals(m.preprocessor().features().get(3).atoms(), back.preprocessor().features().get(3).atoms());
    assertArrayEquals(bytes, ModelFormat.toBytes(back), "re-encoding gives the same bytes");
    double[] raw = rawRows(64, 302);
    assertArrayEquals(m.logDensity(raw, 64), back.logDensity(raw, 64), 0.0);
  }

  @Test
  void invalidAtomListsAreCorruptMetadata() throws IOException {
    byte[] bytes = ModelFormat.toBytes(atomModel());
    double[] theta = parameters(bytes);
    List<ObjectNode> bad = new ArrayList<>();
    for (String atoms : List.of("[0.3, 0.0, 1.0]", "[1.0]", "[0.0, \"x\"]", "{}")) {
      ObjectNode meta = metadata(bytes);
      ((ObjectNode) meta.get("preprocessor").get("features").get(3)).set("atoms", new ObjectMapper().readTree(atoms));
      bad.add(meta);
    }
    ObjectNode withCell = metadata(bytes);
    ((ObjectNode) withCell.get("preprocessor").get("features").get(3)).put("cell", 0.3);
    bad.add(withCell);
    for (ObjectNode meta : bad) {
      ModelFormatException e = expectFailure(forge(meta, theta));
      assertEquals(Kind.CORRUPT_METADATA, e.kind(), meta.get("preprocessor") + " -> " + e);
    }
  }

  @ParameterizedTest
  @MethodSource("specs")
  void roundTripPreservesAllMetadata(FlowSpec spec) throws IOException {
    FlowModel m = model(spec, 13);
    FlowModel back = ModelFormat.read(ModelFormat.toBytes(m));
    assertEquals(m.name(), back.name());
    assertEquals(m.version(), back.version());
    assertEquals(m.spec(), back.spec());
    assertEquals(m.preprocessor(), back.preprocessor());
    assertEquals(m.calibration(), back.calibration());
    assertEquals(m.provenance(), back.provenance());
    assertEquals(m.flow().layout().blocks(), back.flow().layout().blocks());
    assertTrue(Double.isNaN(back.provenance().metrics().validationNll()), "NaN survives as JSON null");
  }

  @Test
  void encodingIsDeterministicAndParametersAreAligned() {
    assertArrayEquals(BYTES, ModelFormat.toBytes(MODEL));
    assertEquals(0, (ModelFormat.HEADER_BYTES + metadataLength(BYTES)) % 8, "parameters start 8-byte aligned");
    assertEquals(ModelFormat.HEADER_BYTES + metadataLength(BYTES) + 8L * MODEL.flow().parameters().length
        + ModelFormat.TRAILER_BYTES, BYTES.length);
  }

  @Test
  void writeAndReadAFile(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("sub/model.fgm");
    ModelFormat.write(MODEL, file);
    ModelFormat.write(MODEL, file); // replacing an existing model is the common case
    assertArrayEquals(BYTES, Files.readAllBytes(file));
    try (Stream<Path> files = Files.list(file.getParent())) {
      assertEquals(List.of(file), files.toList(), "no temporary file is left behind");
    }
    double[] raw = rawRows(8, 14);
    assertArrayEquals(MODEL.logDensity(raw, 8), ModelFormat.read(file).logDensity(raw, 8), 0.0);
  }

  @Test
  void aWrittenFileHasThePermissionsOfAnyNewFileInItsDirectory(@TempDir Path dir) throws IOException {
    assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX permissions only");
    Path plain = Files.write(dir.resolve("plain.bin"), new byte[] {1});
    Path file = dir.resolve("model.fgm");
    ModelFormat.write(MODEL, file);
    assertEquals(PosixFilePermissions.toString(Files.getPosixFilePermissions(plain)),
        PosixFilePermissions.toString(Files.getPosixFilePermissions(file)),
        "the umask decides, not an owner-only temporary file");
  }

  @Test
  void aFailedWriteLeavesNoTemporaryFile(@TempDir Path dir) throws IOException {
    Path occupied = dir.resolve("model.fgm");
    Files.createDirectories(occupied.resolve("inside"));
    assertThrows(IOException.class, () -> ModelFormat.write(MODEL, occupied));
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(occupied), files.toList(), "only the directory that was in the way");
    }
  }

  @Test
  void streamReaderConsumesExactlyOneModel() throws IOException {
    byte[] after = "next record".getBytes(StandardCharsets.US_ASCII);
    InputStream in = new SequenceInputStream(new ByteArrayInputStream(BYTES), new ByteArrayInputStream(after));
    FlowModel m = ModelFormat.read(in, BYTES.length);
    assertEquals(MODEL.name(), m.name());
    assertArrayEquals(after, in.readAllBytes());
  }

  @Test
  void streamReaderEnforcesItsByteLimitBeforeReadingTheBody() {
    ModelFormatException e = assertThrows(ModelFormatException.class,
        () -> ModelFormat.read(headerOnlyStream(BYTES), BYTES.length - 1));
    assertEquals(Kind.TOO_LARGE, e.kind());
  }

  // ------------------------------------------------------------------------------------- corruption

  @Test
  void truncationAtEverySectionBoundaryAndInsideSectionsIsDetected() {
    int l = metadataLength(BYTES);
    int params = 24 + l;
    int trailer = BYTES.length - 32;
    int[] cuts = {0, 1, 4, 7, 8, 9, 10, 11, 12, 14, 16, 20, 23, 24, 25, 24 + l / 2, params - 1, params, params + 4,
        (params + trailer) / 2, trailer - 1, trailer, trailer + 16, BYTES.length - 1};
    for (int cut : cuts) {
      byte[] part = Arrays.copyOf(BYTES, cut);
      ModelFormatException e = expectFailure(part);
      assertTrue(Set.of(Kind.TRUNCATED, Kind.CHECKSUM_MISMATCH).contains(e.kind()), "cut at " + cut + ": " + e);
      ModelFormatException s = assertThrows(ModelFormatException.class,
          () -> ModelFormat.read(new ByteArrayInputStream(part), Long.MAX_VALUE), "stream cut at " + cut);
      assertTrue(Set.of(Kind.TRUNCATED, Kind.CHECKSUM_MISMATCH).contains(s.kind()), "stream cut at " + cut + ": " + s);
    }
  }

  @Test
  void flippedBitInTheMagicIsNotAModel() {
    assertEquals(Kind.NOT_A_MODEL, expectFailure(flip(BYTES, 3, 0)).kind());
  }

  @Test
  void flippedBitInTheHeaderFlagsFailsTheChecksum() {
    assertEquals(Kind.CHECKSUM_MISMATCH, expectFailure(flip(BYTES, 10, 2)).kind());
  }

  @Test
  void everyFlippedHeaderBitIsRejectedAsAFormatError() {
    // Size and version bits are read before the checksum can be (they say where it is), so a flip there
    // is reported by the check it breaks first; every one must still be a ModelFormatException.
    Set<Kind> expected = EnumSet.of(Kind.NOT_A_MODEL, Kind.NEWER_VERSION, Kind.UNSUPPORTED_VERSION, Kind.TOO_LARGE,
        Kind.TRUNCATED, Kind.CHECKSUM_MISMATCH);
    for (int bit = 0; bit < 24 * 8; bit++) {
      ModelFormatException e = expectFailure(flip(BYTES, bit / 8, bit % 8));
      assertTrue(expected.contains(e.kind()), "bit " + bit + ": " + e);
    }
  }

  @Test
  void flippedBitInTheMetadataFailsTheChecksum() {
    assertEquals(Kind.CHECKSUM_MISMATCH, expectFailure(flip(BYTES, 24 + 40, 1)).kind());
  }

  @Test
  void flippedBitInTheParametersFailsTheChecksum() {
    int params = 24 + metadataLength(BYTES);
    assertEquals(Kind.CHECKSUM_MISMATCH, expectFailure(flip(BYTES, params + 8 * 5 + 3, 6)).kind());
  }

  @Test
  void flippedBitInTheTrailerFailsTheChecksum() {
    assertEquals(Kind.CHECKSUM_MISMATCH, expectFailure(flip(BYTES, BYTES.length - 1, 7)).kind());
  }

  @Test
  void absurdDeclaredSizesAreRejectedBeforeReadingTheBody() {
    for (long[] sizes : new long[][] {{100, 1L << 40}, {Integer.MAX_VALUE, 10}, {0xFFFFFFFFL, -1L},
        {ModelFormat.MAX_METADATA_BYTES + 1, 0}, {100, ModelFormat.MAX_PARAMETERS + 1}}) {
      byte[] header = header(1, 0, sizes[0], sizes[1]);
      ModelFormatException e = expectFailure(header);
      assertEquals(Kind.TOO_LARGE, e.kind(), Arrays.toString(sizes));
      // Through a stream that fails the test if the reader asks for a single byte beyond the header.
      ModelFormatException s = assertThrows(ModelFormatException.class,
          () -> ModelFormat.read(headerOnlyStream(header), Long.MAX_VALUE));
      assertEquals(Kind.TOO_LARGE, s.kind());
    }
  }

  @Test
  void newerFormatVersionIsRejectedNamingTheVersion() {
    byte[] b = BYTES.clone();
    b[8] = 7;
    ModelFormatException e = expectFailure(b);
    assertEquals(Kind.NEWER_VERSION, e.kind());
    assertTrue(e.getMessage().contains("format version 7 is newer than this Flowguard supports ("
        + ModelFormat.FORMAT_VERSION + "); upgrade Flowguard"),
        e.getMessage());
  }

  @Test
  void formatVersionZeroIsUnsupported() {
    byte[] b = BYTES.clone();
    b[8] = 0;
    assertEquals(Kind.UNSUPPORTED_VERSION, expectFailure(b).kind());
  }

  @Test
  void nonZeroFlagsWithAValidChecksumAreUnsupported() {
    byte[] b = BYTES.clone();
    b[10] = 1;
    assertEquals(Kind.UNSUPPORTED_VERSION, expectFailure(reseal(b)).kind());
  }

  @Test
  void specWhoseLayoutDisagreesWithTheParametersIsAShapeMismatch() throws IOException {
    ObjectNode meta = metadata(BYTES);
    ((ObjectNode) meta.get("spec")).put("layers", 3);
    assertEquals(Kind.SHAPE_MISMATCH, expectFailure(forge(meta, parameters(BYTES))).kind());
  }

  @Test
  void layoutSummaryThatDisagreesWithTheSpecIsAShapeMismatch() throws IOException {
    ObjectNode meta = metadata(BYTES);
    ((ObjectNode) meta.get("parameters").get("blocks").get(2)).put("name", "renamed");
    assertEquals(Kind.SHAPE_MISMATCH, expectFailure(forge(meta, parameters(BYTES))).kind());
  }

  @Test
  void parameterCountThatDisagreesWithTheSpecIsAShapeMismatch() throws IOException {
    ObjectNode meta = metadata(BYTES);
    double[] theta = parameters(BYTES);
    double[] fewer = Arrays.copyOf(theta, theta.length - 1);
    ((ObjectNode) meta.get("parameters")).put("count", fewer.length);
    assertEquals(Kind.SHAPE_MISMATCH, expectFailure(forge(meta, fewer)).kind());
    // Header and metadata counts that disagree with each other.
    assertEquals(Kind.SHAPE_MISMATCH, expectFailure(forge(metadata(BYTES), fewer)).kind());
  }

  @Test
  void hugeSpecIsRejectedWithoutBuildingIt() throws IOException {
    ObjectNode meta = metadata(BYTES);
    ((ObjectNode) meta.get("spec")).putArray("hidden").add(1_000_000_000).add(1_000_000_000);
    assertEquals(Kind.SHAPE_MISMATCH, expectFailure(forge(meta, parameters(BYTES))).kind());
  }

  @Test
  void nonFiniteParametersWithAValidChecksumAreRejected() throws IOException {
    for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
      double[] theta = parameters(BYTES);
      theta[theta.length / 2] = bad;
      ModelFormatException e = expectFailure(forge(metadata(BYTES), theta));
      assertEquals(Kind.CORRUPT_PARAMETERS, e.kind());
      assertTrue(e.getMessage().contains("parameter " + theta.length / 2), e.getMessage());
    }
  }

  @Test
  void malformedMetadataWithAValidChecksumIsCorrupt() throws IOException {
    double[] theta = parameters(BYTES);
    String json = new String(metadataBytes(BYTES), StandardCharsets.UTF_8).strip();
    List<byte[]> bad = new ArrayList<>();
    bad.add("{}".getBytes(StandardCharsets.UTF_8));
    bad.add("[1, 2]".getBytes(StandardCharsets.UTF_8));
    bad.add("".getBytes(StandardCharsets.UTF_8));
    bad.add(json.substring(0, json.length() / 2).getBytes(StandardCharsets.UTF_8));
    bad.add((json + " {}").getBytes(StandardCharsets.UTF_8));
    bad.add(new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'}); // invalid UTF-8
    bad.add(json.replaceFirst("\\{", "{\"name\":\"dup\",").getBytes(StandardCharsets.UTF_8)); // duplicate key
    for (String field : List.of("name", "spec", "preprocessor", "calibration", "provenance", "parameters")) {
      ObjectNode m = metadata(BYTES);
      m.remove(field);
      bad.add(new ObjectMapper().writeValueAsBytes(m));
    }
    ObjectNode wrongType = metadata(BYTES);
    ((ObjectNode) wrongType.get("calibration").get("tail")).put("sigma", "wide");
    bad.add(new ObjectMapper().writeValueAsBytes(wrongType));
    ObjectNode negativeSigma = metadata(BYTES);
    ((ObjectNode) negativeSigma.get("calibration").get("tail")).put("sigma", -1.0);
    bad.add(new ObjectMapper().writeValueAsBytes(negativeSigma));
    ObjectNode badSpec = metadata(BYTES);
    ((ObjectNode) badSpec.get("spec")).put("family", "glow");
    bad.add(new ObjectMapper().writeValueAsBytes(badSpec));
    bad.add(("{\"name\":" + "[".repeat(5000) + "]".repeat(5000) + "}").getBytes(StandardCharsets.UTF_8));
    bad.add(json.replaceFirst("\"version\":3", "\"version\":" + "9".repeat(5000)).getBytes(StandardCharsets.UTF_8));
    ObjectNode hugeCount = metadata(BYTES);
    ((ObjectNode) hugeCount.get("calibration")).put("count", Long.MAX_VALUE);
    bad.add(new ObjectMapper().writeValueAsBytes(hugeCount));
    for (byte[] meta : bad) {
      ModelFormatException e = expectFailure(forge(1, 0, meta, theta));
      assertEquals(Kind.CORRUPT_METADATA, e.kind(), new String(meta, StandardCharsets.UTF_8) + " -> " + e);
    }
  }

  @Test
  void preprocessorThatDisagreesWithTheSpecDimensionIsAShapeMismatch() throws IOException {
    ObjectNode meta = metadata(BYTES);
    ((ObjectNode) meta.get("preprocessor").get("features").get(1)).put("kept", true).put("std", 1.0)
        .remove("categories");
    assertEquals(Kind.SHAPE_MISMATCH, expectFailure(forge(meta, parameters(BYTES))).kind());
  }

  @Test
  void randomGarbageIsNotAModel() {
    SplittableRandom rng = new SplittableRandom(21);
    for (int t = 0; t < 200; t++) {
      byte[] b = new byte[8 + rng.nextInt(4096)];
      for (int i = 0; i < b.length; i++) {
        b[i] = (byte) rng.nextInt(256);
      }
      assertEquals(Kind.NOT_A_MODEL, expectFailure(b).kind());
    }
  }

  @Test
  void garbageAfterAValidMagicIsAFormatError() {
    SplittableRandom rng = new SplittableRandom(22);
    for (int t = 0; t < 200; t++) {
      byte[] b = new byte[rng.nextInt(4096)];
      for (int i = 0; i < b.length; i++) {
        b[i] = (byte) rng.nextInt(256);
      }
      System.arraycopy(BYTES, 0, b, 0, Math.min(8, b.length));
      expectFailure(b);
    }
  }

  @Test
  void resealedRandomEditsOfTheMetadataNeverEscapeAsAnotherException() {
    // A tool that rewrites the metadata and recomputes the checksum: the reader must still only ever
    // throw ModelFormatException (many edits land in numbers and are legitimately readable).
    SplittableRandom rng = new SplittableRandom(23);
    int l = metadataLength(BYTES);
    String alphabet = " {}[]\",:0123456789.-eEtrufalsn\u00ffx";
    for (int t = 0; t < 300; t++) {
      byte[] b = BYTES.clone();
      int edits = 1 + rng.nextInt(3);
      for (int k = 0; k < edits; k++) {
        b[24 + rng.nextInt(l)] = (byte) alphabet.charAt(rng.nextInt(alphabet.length()));
      }
      try {
        ModelFormat.read(reseal(b));
      } catch (ModelFormatException expected) {
        // fine: any kind
      } catch (RuntimeException e) {
        fail("edit " + t + " escaped as " + e, e);
      }
    }
  }

  @Test
  void appendedBytesAreRejected() {
    byte[] b = Arrays.copyOf(BYTES, BYTES.length + 3);
    assertEquals(Kind.NOT_A_MODEL, expectFailure(b).kind());
  }

  @Test
  void writerRefusesNonFiniteParameters() {
    FlowModel m = model(small(FlowSpec.NICE), 31);
    m.flow().parameters()[0] = Double.NaN;
    assertThrows(IllegalArgumentException.class, () -> ModelFormat.toBytes(m));
  }

  // --------------------------------------------------------- version 2: robust preprocessing fields

  /** A model whose preprocessor has a discrete column, an asinh-transformed one and a constant one. */
  private static FlowModel robustModel() {
    FlowModel base = model(small(FlowSpec.MAF), 21);
    Preprocessor pre = new Preprocessor(List.of(
        new Preprocessor.Feature("a", true, 0.1, 1.3, 0.0, 10.0, 2.5),
        new Preprocessor.Feature("constant", false, 42.0, 0.0),
        new Preprocessor.Feature("b", true, 3.0, 1.7, 1.0, 0.0, 0.0),
        new Preprocessor.Feature("c", true, -0.2, 0.9, 0.25, -5.0, 0.1)));
    return new FlowModel(base.name(), base.version(), pre, base.flow(), base.calibration(), base.provenance());
  }

  @Test
  void robustPreprocessingRoundTripsBitForBit() throws IOException {
    FlowModel m = robustModel();
    byte[] bytes = ModelFormat.toBytes(m);
    FlowModel back = ModelFormat.read(bytes);
    assertEquals(m.preprocessor(), back.preprocessor(), "cells and transforms survive exactly");
    assertArrayEquals(bytes, ModelFormat.toBytes(back), "re-encoding gives the same bytes");
    double[] raw = rawRows(64, 22);
    assertArrayEquals(m.logDensity(raw, 64), back.logDensity(raw, 64), 0.0);
    ObjectNode meta = metadata(bytes);
    assertEquals(ModelFormat.FORMAT_VERSION, meta.get("provenance").get("formatVersion").asInt());
    assertEquals("asinh", meta.at("/preprocessor/features/0/transform/kind").asText());
    assertEquals(1.0, meta.at("/preprocessor/features/2/cell").asDouble(), 0.0);
    assertTrue(meta.at("/preprocessor/features/2/transform").isMissingNode(), "absent where it does not apply");
  }

  @Test
  void aVersion1FileStillReadsAndScoresAsItDid() throws IOException {
    // Written by the version 1 writer (before discrete columns and marginal transforms existed), with the
    // scores that Flowguard computed for probe rows at the time.
    byte[] v1 = Files.readAllBytes(Path.of("src/test/resources/model-v1/model-v1.fgm"));
    assertEquals(1, v1[8]);
    FlowModel m = ModelFormat.read(v1);
    assertEquals(1, m.provenance().formatVersion());
    assertEquals(List.of("k"), m.preprocessor().droppedFeatures());
    assertEquals(List.of(), m.preprocessor().discreteFeatures());
    List<String> lines = Files.readAllLines(Path.of("src/test/resources/model-v1/probe-scored.csv"));
    assertEquals(9, lines.size());
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",");
      double[] raw = {Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]),
          Double.parseDouble(f[3])};
      // The recorded values are the shortest round-trip decimals of the same double computation.
      assertEquals(Double.parseDouble(f[4]), m.logDensity(raw, 1)[0], 0.0, line);
    }
    FlowModel again = ModelFormat.read(ModelFormat.toBytes(m));
    assertEquals(ModelFormat.FORMAT_VERSION, again.provenance().formatVersion(),
        "a version 1 model is written as the current version");
    assertEquals(m.preprocessor(), again.preprocessor());
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",");
      double[] raw = {Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]),
          Double.parseDouble(f[3])};
      assertEquals(m.logDensity(raw, 1)[0], again.logDensity(raw, 1)[0], 0.0, "rewritten, it scores the same: " + line);
    }
  }

  @Test
  void aVersion3FileStillReadsAndScoresAsItDid() throws IOException {
    // Written by the version 3 writer (before columns were modelled apart) from a table with a constant
    // column k and a nearly constant column rare, with the log-densities it computed for probe rows, some
    // with a value of k never seen in training: a version 3 model does not score k, and still must not.
    byte[] v3 = Files.readAllBytes(Path.of("src/test/resources/model-v3/model-v3.fgm"));
    assertEquals(3, v3[8]);
    FlowModel m = ModelFormat.read(v3);
    assertEquals(List.of("k"), m.preprocessor().droppedFeatures());
    assertEquals(List.of("a", "b", "rare"), m.preprocessor().keptFeatures());
    List<String> lines = Files.readAllLines(Path.of("src/test/resources/model-v3/probe-scored.csv"));
    assertEquals(7, lines.size());
    FlowModel again = ModelFormat.read(ModelFormat.toBytes(m));
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",");
      double[] raw = {Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]),
          Double.parseDouble(f[3])};
      // Bit for bit: the recorded values are the shortest round-trip decimals of the same double computation.
      assertEquals(Double.parseDouble(f[4]), m.logDensity(raw, 1)[0], 0.0, line);
      assertEquals(Double.parseDouble(f[4]), again.logDensity(raw, 1)[0], 0.0, "rewritten as version 4: " + line);
    }
  }

  @Test
  void columnsModelledApartRoundTripBitForBit() throws IOException {
    FlowModel m = model(small(FlowSpec.MAF), 35);
    assertTrue(m.preprocessor().features().stream().anyMatch(Preprocessor.Feature::apart), "the fixture has one");
    byte[] bytes = ModelFormat.toBytes(m);
    FlowModel back = ModelFormat.read(bytes);
    assertEquals(m.preprocessor(), back.preprocessor());
    assertArrayEquals(bytes, ModelFormat.toBytes(back));
    double[] raw = rawRows(32, 36);
    assertArrayEquals(m.logDensity(raw, 32), back.logDensity(raw, 32), 0.0);
  }

  @Test
  void malformedCategoriesAreCorruptMetadata() throws IOException {
    FlowModel m = model(small(FlowSpec.MAF), 37);
    byte[] bytes = ModelFormat.toBytes(m);
    int at = -1;
    for (int i = 0; i < m.preprocessor().features().size() && at < 0; i++) {
      at = m.preprocessor().features().get(i).apart() ? i : -1;
    }
    ObjectNode meta = metadata(bytes);
    ((ObjectNode) meta.at("/preprocessor/features/" + at + "/categories")).putArray("counts").add(0);
    ModelFormatException e = expectFailure(forge(meta, parameters(bytes)));
    assertEquals(Kind.CORRUPT_METADATA, e.kind());
    assertTrue(e.getMessage().contains("preprocessor.features[" + at + "].categories"), e.getMessage());
  }

  @Test
  void version1FilesIgnoreVersion2Fields() throws IOException {
    // A version 1 reader ignores unknown fields, so a version 1 file is read as it was specified even if
    // a tool added a cell to it.
    ObjectNode meta = metadata(BYTES);
    ((ObjectNode) meta.at("/preprocessor/features/0")).put("cell", 0.5);
    ((ObjectNode) meta.get("provenance")).put("formatVersion", 1);
    FlowModel m = ModelFormat.read(forge(1, 0, new ObjectMapper().writeValueAsBytes(meta), parameters(BYTES)));
    assertEquals(List.of(), m.preprocessor().discreteFeatures());
  }

  @Test
  void badVersion2PreprocessorFieldsAreCorruptMetadataNamingThePath() throws IOException {
    byte[] good = ModelFormat.toBytes(robustModel());
    String[][] cases = {
        {"/preprocessor/features/2", "cell", "-1.0", "preprocessor.features[2].cell"},
        {"/preprocessor/features/2", "cell", "0.0", "preprocessor.features[2].cell"},
        {"/preprocessor/features/0/transform", "kind", "\"log\"", "unknown marginal transform 'log'"},
        {"/preprocessor/features/0/transform", "scale", "0.0", "preprocessor.features[0].transform.scale"},
        {"/preprocessor/features/0/transform", "center", "\"x\"", "preprocessor.features[0].transform.center"},
        {"/preprocessor/features/1", "cell", "1.0", "dropped"},
    };
    for (String[] c : cases) {
      ObjectNode meta = metadata(good);
      ((ObjectNode) meta.at(c[0])).set(c[1], new ObjectMapper().readTree(c[2]));
      ModelFormatException e = expectFailure(forge(meta, parameters(good)));
      assertEquals(Kind.CORRUPT_METADATA, e.kind(), c[3]);
      assertTrue(e.getMessage().contains(c[3]), e.getMessage());
    }
  }

  // ------------------------------------------------------------------------------------- helpers

  /** Reads {@code b}, which must fail; anything but a ModelFormatException fails the test. */
  private static ModelFormatException expectFailure(byte[] b) {
    try {
      FlowModel m = ModelFormat.read(b);
      throw new AssertionError("read a model from bad bytes: " + m);
    } catch (ModelFormatException e) {
      return e;
    } catch (RuntimeException e) {
      throw new AssertionError("bad bytes escaped as " + e, e);
    }
  }

  private static byte[] flip(byte[] b, int index, int bit) {
    byte[] c = b.clone();
    c[index] ^= (byte) (1 << bit);
    return c;
  }

  private static int metadataLength(byte[] b) {
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt(12);
  }

  private static byte[] metadataBytes(byte[] b) {
    return Arrays.copyOfRange(b, 24, 24 + metadataLength(b));
  }

  private static ObjectNode metadata(byte[] b) throws IOException {
    return (ObjectNode) new ObjectMapper().readTree(metadataBytes(b));
  }

  private static double[] parameters(byte[] b) {
    int off = 24 + metadataLength(b);
    double[] theta = new double[(b.length - off - 32) / 8];
    ByteBuffer.wrap(b, off, 8 * theta.length).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(theta);
    return theta;
  }

  private static byte[] header(int version, int flags, long metadataLength, long parameterCount) {
    ByteBuffer buf = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    buf.put("FLOWGARD".getBytes(StandardCharsets.US_ASCII));
    buf.putShort((short) version).putShort((short) flags).putInt((int) metadataLength).putLong(parameterCount);
    return buf.array();
  }

  private static byte[] forge(ObjectNode meta, double[] theta) throws IOException {
    return forge(ModelFormat.FORMAT_VERSION, 0, new ObjectMapper().writeValueAsBytes(meta), theta);
  }

  /** An independently assembled model file (header, metadata, little-endian parameters, SHA-256). */
  private static byte[] forge(int version, int flags, byte[] meta, double[] theta) {
    ByteBuffer buf = ByteBuffer.allocate(24 + meta.length + 8 * theta.length + 32).order(ByteOrder.LITTLE_ENDIAN);
    buf.put(header(version, flags, meta.length, theta.length));
    buf.put(meta);
    for (double v : theta) {
      buf.putDouble(v);
    }
    return reseal(buf.array());
  }

  /** Recomputes the SHA-256 trailer over everything before it. */
  private static byte[] reseal(byte[] b) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(b, 0, b.length - 32);
      byte[] c = b.clone();
      System.arraycopy(sha.digest(), 0, c, b.length - 32, 32);
      return c;
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** A stream of the first 24 bytes of {@code b} that fails the test if asked for more. */
  private static InputStream headerOnlyStream(byte[] b) {
    byte[] head = Arrays.copyOf(b, 24);
    return new InputStream() {
      private int pos;

      @Override
      public int read() {
        if (pos < head.length) {
          return head[pos++] & 0xFF;
        }
        throw new AssertionError("the reader asked for data beyond the header");
      }

      @Override
      public int read(byte[] dst, int off, int len) {
        if (len == 0) {
          return 0;
        }
        if (pos >= head.length) {
          throw new AssertionError("the reader asked for data beyond the header");
        }
        int k = Math.min(len, head.length - pos);
        System.arraycopy(head, pos, dst, off, k);
        pos += k;
        return k;
      }
    };
  }

  @Test
  void aBoundedConditionerRoundTripsBitForBitAndScoresTheSame() throws IOException {
    FlowModel m = model(small(FlowSpec.MAF).withConditionerBound(4.0), 31);
    byte[] bytes = ModelFormat.toBytes(m);
    FlowModel back = ModelFormat.read(bytes);
    assertEquals(4.0, back.spec().conditionerBoundOrZero(), 0.0);
    assertArrayEquals(bytes, ModelFormat.toBytes(back));
    double[] raw = rawRows(64, 32);
    assertArrayEquals(m.logDensity(raw, 64), back.logDensity(raw, 64), 0.0);
    assertEquals(4.0, metadata(bytes).at("/spec/conditionerBound").asDouble(), 0.0);
    assertEquals(ModelFormat.FORMAT_VERSION, bytes[8], "written as the current format version");
    // Without a bound the field is absent, so such a spec reads in any version.
    assertTrue(metadata(BYTES).at("/spec/conditionerBound").isMissingNode());
  }

  @Test
  void version2FilesStillReadAndAConditionerBoundInThemIsCorrupt() throws IOException {
    FlowModel plain = model(small(FlowSpec.MAF), 33);
    byte[] current = ModelFormat.toBytes(plain);
    ObjectNode meta = metadata(current);
    ((ObjectNode) meta.get("provenance")).put("formatVersion", 2);
    FlowModel v2 = ModelFormat.read(forge(2, 0, new ObjectMapper().writeValueAsBytes(meta), parameters(current)));
    double[] raw = rawRows(16, 34);
    // A version 2 file has no categories (a version 4 field), so its constant columns are not scored: the
    // same model less the categorical terms, to the round-off of one subtraction.
    double[] expected = plain.logDensity(raw, 16);
    for (int r = 0; r < 16; r++) {
      expected[r] -= plain.preprocessor().apartLogProbability(raw, r * plain.rawDim());
    }
    assertArrayEquals(expected, v2.logDensity(raw, 16), 1e-12);
    assertEquals(2, v2.provenance().formatVersion());

    ((ObjectNode) meta.get("spec")).put("conditionerBound", 4.0);
    ModelFormatException e = expectFailure(forge(2, 0, new ObjectMapper().writeValueAsBytes(meta), parameters(current)));
    assertEquals(Kind.CORRUPT_METADATA, e.kind());
    assertTrue(e.getMessage().contains("spec.conditionerBound is a version 3 field"), e.getMessage());
  }

  @Test
  void aDeclaredSchemaChangeRoundTripsFromVersion4() throws IOException {
    FlowModel plain = model(small(FlowSpec.MAF), 35);
    Lineage declared = Lineage.retrained(java.util.OptionalInt.of(1), Lineage.Trigger.OFFLINE, "d", 10)
        .withSchemaChange(true);
    FlowModel m = new FlowModel(plain.name(), plain.version(), plain.preprocessor(), plain.flow(),
        plain.calibration(), plain.provenance().withLineage(declared));
    byte[] bytes = ModelFormat.toBytes(m);
    assertEquals(ModelFormat.FORMAT_VERSION, bytes[8]);
    assertTrue(metadata(bytes).at("/provenance/lineage/schemaChange").asBoolean());
    assertTrue(ModelFormat.read(bytes).provenance().lineage().orElseThrow().schemaChange());
    // Without a declaration the field is absent, so the lineage reads the same in any version.
    FlowModel undeclared = new FlowModel(plain.name(), plain.version(), plain.preprocessor(), plain.flow(),
        plain.calibration(), plain.provenance().withLineage(declared.withSchemaChange(false)));
    assertTrue(metadata(ModelFormat.toBytes(undeclared)).at("/provenance/lineage/schemaChange").isMissingNode());
  }

  @Test
  void aVersion3FileStillReadsScoresTheSameAndDeclaresNoSchemaChange() throws IOException {
    FlowModel plain = model(small(FlowSpec.MAF), 36);
    Lineage lineage = Lineage.retrained(java.util.OptionalInt.of(2), Lineage.Trigger.SCHEDULED, "d", 10);
    FlowModel m = new FlowModel(plain.name(), plain.version(), plain.preprocessor(), plain.flow(),
        plain.calibration(), plain.provenance().withLineage(lineage));
    byte[] current = ModelFormat.toBytes(m);
    ObjectNode meta = metadata(current);
    // A version 3 file has none of version 4's fields (here: the constant column's categories).
    for (com.fasterxml.jackson.databind.JsonNode f : meta.at("/preprocessor/features")) {
      ((ObjectNode) f).remove("categories");
    }
    ((ObjectNode) meta.get("provenance")).put("formatVersion", 4);
    FlowModel sameInV4 = ModelFormat.read(forge(4, 0, new ObjectMapper().writeValueAsBytes(meta),
        parameters(current)));
    ((ObjectNode) meta.get("provenance")).put("formatVersion", 3);
    // A version 3 reader ignored unknown lineage fields: a stray one means nothing there.
    ((ObjectNode) meta.at("/provenance/lineage")).put("schemaChange", true);
    FlowModel v3 = ModelFormat.read(forge(3, 0, new ObjectMapper().writeValueAsBytes(meta), parameters(current)));
    assertEquals(3, v3.provenance().formatVersion());
    assertFalse(v3.provenance().lineage().orElseThrow().schemaChange());
    double[] raw = rawRows(16, 37);
    assertArrayEquals(sameInV4.logDensity(raw, 16), v3.logDensity(raw, 16), 0.0, "bit-identical scores");
  }

  // ---- version 5: time-aware models

  private static FlowModel timeAware() {
    int n = 400;
    double[] v = new double[n * 2];
    long[] t = new long[n];
    java.util.SplittableRandom rng = new java.util.SplittableRandom(5);
    for (int i = 1; i < n; i++) {
      v[2 * i] = 0.8 * v[2 * i - 2] + rng.nextGaussian();
      v[2 * i + 1] = rng.nextGaussian();
      t[i] = 1000L * i;
    }
    io.flowguard.core.data.Dataset ds = new io.flowguard.core.data.Dataset("ta", List.of("a", "b"), v, n);
    ModelTrainer.Options o = new ModelTrainer.Options("ta", 1, small(FlowSpec.MAF),
        io.flowguard.core.train.TrainingConfig.defaults().withSteps(20).withSeed(1), 0.25);
    return ModelTrainer.trainInContext(io.flowguard.core.context.EventSequence.series(ds, t),
        io.flowguard.core.context.ContextSpec.ofWindow(3).withTimeFeatures(true).withMaxGapMillis(60_000L), o,
        io.flowguard.core.train.TrainingListener.NONE).model();
  }

  @Test
  void aTimeAwareModelKeepsItsContextInVersion5() throws IOException {
    FlowModel m = timeAware();
    byte[] bytes = ModelFormat.toBytes(m);
    assertEquals(5, bytes[8]);
    ObjectNode meta = metadata(bytes);
    assertEquals(3, meta.at("/context/window").asInt());
    assertTrue(meta.at("/context/timeFeatures").asBoolean());
    assertEquals(60_000L, meta.at("/context/maxGapMillis").asLong());
    assertEquals(3 * 2 + 3 + 4, meta.at("/spec/context").asInt());
    FlowModel back = ModelFormat.read(bytes);
    assertEquals(m.context(), back.context());
    byte[] again = ModelFormat.toBytes(back);
    assertArrayEquals(again, ModelFormat.toBytes(ModelFormat.read(again)), "re-encoding gives the same bytes");
  }

  @Test
  void aModelWithoutContextWritesNoContextField() throws IOException {
    ObjectNode meta = metadata(ModelFormat.toBytes(model(small(FlowSpec.MAF), 40)));
    assertFalse(meta.has("context"));
    assertFalse(meta.get("spec").has("context"));
  }

  @Test
  void aContextInAVersion4FileIsRefused() throws IOException {
    byte[] bytes = ModelFormat.toBytes(timeAware());
    ObjectNode meta = metadata(bytes);
    ((ObjectNode) meta.get("provenance")).put("formatVersion", 4);
    ModelFormatException e = assertThrows(ModelFormatException.class,
        () -> ModelFormat.read(forge(4, 0, new ObjectMapper().writeValueAsBytes(meta), parameters(bytes))));
    assertEquals(ModelFormatException.Kind.CORRUPT_METADATA, e.kind());
    assertTrue(e.getMessage().contains("spec.context is a version 5 field"), e.getMessage());
  }

  @Test
  void aContextThatDoesNotFitTheFlowIsRefused() throws IOException {
    byte[] bytes = ModelFormat.toBytes(timeAware());
    ObjectNode meta = metadata(bytes);
    ((ObjectNode) meta.get("context")).put("window", 2);
    ModelFormatException e = assertThrows(ModelFormatException.class,
        () -> ModelFormat.read(forge(meta, parameters(bytes))));
    assertEquals(ModelFormatException.Kind.CORRUPT_METADATA, e.kind());
    assertTrue(e.getMessage().contains("context"), e.getMessage());
    ObjectNode bad = metadata(bytes);
    ((ObjectNode) bad.get("context")).put("window", 0);
    assertEquals(ModelFormatException.Kind.CORRUPT_METADATA, assertThrows(ModelFormatException.class,
        () -> ModelFormat.read(forge(bad, parameters(bytes)))).kind());
  }
}
