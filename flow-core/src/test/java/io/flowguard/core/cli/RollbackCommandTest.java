package io.flowguard.core.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.Lineage;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.ModelSignature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code flowguard rollback}: the old file's parameters come back as the current version + 1 (which a job
 * reading a model directory takes, unlike a copy of the old file), with a rollback lineage, and misuse is a
 * usage error that writes nothing.
 */
class RollbackCommandTest {

  @TempDir
  Path dir;

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }

  private Path write(FlowModel m, String file) throws Exception {
    Path p = dir.resolve(file);
    ModelFormat.write(m, p);
    return p;
  }

  @Test
  void theOldParametersComeBackAsTheNextVersionInPlaceOfTheCurrentFile() throws Exception {
    FlowModel v1 = CliRun.model("pump", 1, 1);
    FlowModel v4 = CliRun.model("pump", 4, 2);
    Path old = write(v1, "pump-v1.fgm");
    Path current = write(v4, "pump.fgm");
    CliRun r = run("rollback", "--model", old.toString(), "--current", current.toString(), "--out", current.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("Wrote pump v5 (the parameters of v1)"), r.out());
    assertFalse(r.out().contains("Note:"), "the file already has the name a job reads: " + r.out());

    FlowModel back = ModelFormat.read(current);
    FlowModel v1File = ModelFormat.read(old);
    assertEquals("pump", back.name());
    assertEquals(5, back.version());
    assertArrayEquals(v1File.flow().parameters(), back.flow().parameters(), 0.0);
    double[] row = {0.3, -1.2};
    assertArrayEquals(v1File.logDensity(row, 1), back.logDensity(row, 1), 0.0, "same parameters and preprocessing: same density");
    assertEquals(v1File.calibration().nllThreshold(1e-3), back.calibration().nllThreshold(1e-3), 0.0);
    Lineage l = back.provenance().lineage().orElseThrow();
    assertEquals(Lineage.Trigger.ROLLBACK, l.trigger());
    assertEquals(1, l.rollbackOf().getAsInt());
    // No temporary file is left beside it (a job lists the directory).
    try (var files = Files.list(dir)) {
      assertEquals(List.of("pump-v1.fgm", "pump.fgm"), files.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }

  @Test
  void anOutputNotNamedAfterTheModelGetsANote() throws Exception {
    Path old = write(CliRun.model("pump", 1, 1), "a.fgm");
    Path current = write(CliRun.model("pump", 2, 2), "b.fgm");
    CliRun r = run("rollback", "--model", old.toString(), "--current", current.toString(), "--out",
        dir.resolve("staged.tmp").toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("from the file pump.fgm of its model directory"), r.out());
    assertEquals(3, ModelFormat.read(dir.resolve("staged.tmp")).version());
  }

  @Test
  void misuseIsAUsageErrorThatWritesNothing() throws Exception {
    Path v1 = write(CliRun.model("pump", 1, 1), "pump-v1.fgm");
    Path v2 = write(CliRun.model("pump", 2, 2), "pump-v2.fgm");
    Path other = write(CliRun.model("fan", 3, 3), "fan.fgm");
    Path corrupt = dir.resolve("corrupt.fgm");
    byte[] bytes = Files.readAllBytes(v2);
    bytes[bytes.length / 2] ^= 0x5a;
    Files.write(corrupt, bytes);
    Path out = dir.resolve("out.fgm");

    String[][] cases = {
        {v1.toString(), other.toString(), "both must be versions of the same model"},
        {v2.toString(), v1.toString(), "newer than --current"},
        {v2.toString(), v2.toString(), "both v2"},
        {dir.resolve("missing.fgm").toString(), v2.toString(), "no such file"},
        {v1.toString(), corrupt.toString(), "--current " + corrupt},
    };
    for (String[] c : cases) {
      CliRun r = run("rollback", "--model", c[0], "--current", c[1], "--out", out.toString());
      assertEquals(FlowguardCli.EXIT_USAGE, r.code(), r.err());
      assertTrue(r.err().contains(c[2]), r.err());
      assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
      assertFalse(Files.exists(out), "nothing written for " + c[2]);
    }
  }

  @Test
  void withSignTheSignatureFileBesideTheOutputVerifiesTheReissuedModel() throws Exception {
    Path old = write(CliRun.model("pump", 1, 1), "pump-v1.fgm");
    Path current = write(CliRun.model("pump", 2, 2), "pump.fgm");
    KeyPair keys = ModelSignature.generate();
    Path key = dir.resolve("publisher.key");
    Files.writeString(key, ModelSignature.privateKeyPem(keys.getPrivate()));
    CliRun r = run("rollback", "--model", old.toString(), "--current", current.toString(), "--out",
        current.toString(), "--sign", key.toString());
    assertEquals(0, r.code(), r.err());
    Path sig = dir.resolve("pump.fgm" + ModelSignature.FILE_SUFFIX);
    assertTrue(r.out().contains("Wrote " + sig), r.out());
    byte[] signature = ModelSignature.parseSignatureFile(Files.readString(sig));
    assertTrue(ModelSignature.verify(List.of(keys.getPublic()), Files.readAllBytes(current), signature),
        "the signature is of the bytes written to --out");
    assertEquals(3, ModelFormat.read(current).version());
  }

  @Test
  void aMissingSigningKeyIsAUsageErrorThatWritesNothing() throws Exception {
    Path old = write(CliRun.model("pump", 1, 1), "pump-v1.fgm");
    Path current = write(CliRun.model("pump", 2, 2), "pump-v2.fgm");
    Path out = dir.resolve("pump.fgm");
    CliRun r = run("rollback", "--model", old.toString(), "--current", current.toString(), "--out",
        out.toString(), "--sign", dir.resolve("missing.key").toString());
    assertEquals(FlowguardCli.EXIT_USAGE, r.code(), r.err());
    assertTrue(r.err().contains("missing.key: no such file"), r.err());
    assertFalse(Files.exists(out));
    assertFalse(Files.exists(Path.of(out + ModelSignature.FILE_SUFFIX)));
  }
}
