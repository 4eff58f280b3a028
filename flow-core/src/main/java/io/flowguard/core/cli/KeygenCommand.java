package io.flowguard.core.cli;

import io.flowguard.core.model.ModelSignature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code flowguard keygen --out DIR/NAME}: an Ed25519 key pair for signing models. */
@Command(
    name = "keygen",
    mixinStandardHelpOptions = true,
    description = {
        "Write a new Ed25519 key pair for signing models.",
        "",
        "Writes NAME.key (private, PKCS#8 PEM, readable by its owner only) and NAME.pub (public, X.509 PEM).",
        "",
        "Publishers sign with the private key ('flowguard publish --sign NAME.key', or 'flowguard sign' for",
        "a model directory); a job configured with model.verification-keys=NAME.pub accepts only models",
        "signed by it. Keep NAME.key secret: whoever holds it can replace the model of every such job.",
        "",
        "  flowguard keygen --out keys/publisher",
        ""})
final class KeygenCommand implements Callable<Integer> {

  @Option(names = "--out", required = true, paramLabel = "DIR/NAME",
      description = "Path prefix of the two files: NAME.key and NAME.pub (never overwritten).")
  Path out;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    Path priv = Path.of(out + ".key");
    Path pub = Path.of(out + ".pub");
    for (Path p : new Path[] {priv, pub}) {
      if (Files.exists(p)) {
        throw new IllegalArgumentException(p + " exists; keygen never overwrites a key (choose another"
            + " --out or remove it)");
      }
    }
    if (out.toAbsolutePath().getParent() != null) {
      Files.createDirectories(out.toAbsolutePath().getParent());
    }
    KeyPair pair = ModelSignature.generate();
    writeOwnerOnly(priv, ModelSignature.privateKeyPem(pair.getPrivate()));
    Files.writeString(pub, ModelSignature.publicKeyPem(pair.getPublic()), StandardCharsets.US_ASCII,
        StandardOpenOption.CREATE_NEW);
    PrintWriter o = spec.commandLine().getOut();
    o.printf("Wrote %s (private: keep it secret) and %s (public: give it to the jobs as"
        + " model.verification-keys).%n", priv, pub);
    return 0;
  }

  private static void writeOwnerOnly(Path file, String text) throws IOException {
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(
          PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(file); // not a POSIX file system: the directory's own protection applies
    } catch (FileAlreadyExistsException e) {
      throw new IllegalArgumentException(file + " exists; keygen never overwrites a key", e);
    }
    Files.writeString(file, text, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
  }
}
