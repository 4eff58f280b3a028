package io.flowguard.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.ModelSignature;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code flowguard keygen} and {@code flowguard sign}: keys a user can actually use. */
class KeygenAndSignCommandTest {

  @TempDir
  Path dir;

  @Test
  void keygenWritesAUsablePairWithAnOwnerOnlyPrivateKey() throws Exception {
    CliRun r = CliRun.of("keygen", "--out", dir.resolve("keys/publisher").toString());
    assertEquals(0, r.code(), r.err());
    Path priv = dir.resolve("keys/publisher.key");
    Path pub = dir.resolve("keys/publisher.pub");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(priv)));
    byte[] data = {1, 2, 3};
    byte[] sig = ModelSignature.sign(ModelSignature.readPrivateKey(priv), data);
    assertTrue(ModelSignature.verify(List.of(ModelSignature.readPublicKey(pub)), data, sig));
  }

  @Test
  void keygenNeverOverwritesAKey() throws Exception {
    String out = dir.resolve("k").toString();
    assertEquals(0, CliRun.of("keygen", "--out", out).code());
    String before = Files.readString(dir.resolve("k.key"));
    CliRun again = CliRun.of("keygen", "--out", out);
    assertEquals(FlowguardCli.EXIT_USAGE, again.code());
    assertTrue(again.err().contains("exists"), again.err());
    assertEquals(before, Files.readString(dir.resolve("k.key")));
  }

  @Test
  void signWritesASignatureFileThatVerifiesTheModelFile() throws Exception {
    assertEquals(0, CliRun.of("keygen", "--out", dir.resolve("k").toString()).code());
    Path model = dir.resolve("pump.fgm");
    ModelFormat.write(CliRun.model("pump", 1, 1), model);
    CliRun r = CliRun.of("sign", model.toString(), "--key", dir.resolve("k.key").toString());
    assertEquals(0, r.code(), r.err());
    byte[] sig = ModelSignature.parseSignatureFile(
        Files.readString(dir.resolve("pump.fgm.sig"), StandardCharsets.US_ASCII));
    assertTrue(ModelSignature.verify(List.of(ModelSignature.readPublicKey(dir.resolve("k.pub"))),
        Files.readAllBytes(model), sig));
  }

  @Test
  void signRefusesAFileThatIsNotAModel() throws Exception {
    assertEquals(0, CliRun.of("keygen", "--out", dir.resolve("k").toString()).code());
    Path junk = dir.resolve("junk.fgm");
    Files.writeString(junk, "not a model");
    CliRun r = CliRun.of("sign", junk.toString(), "--key", dir.resolve("k.key").toString());
    assertEquals(FlowguardCli.EXIT_USAGE, r.code());
    assertTrue(!Files.exists(dir.resolve("junk.fgm.sig")));
  }
}
