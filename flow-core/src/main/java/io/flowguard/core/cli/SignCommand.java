package io.flowguard.core.cli;

import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.ModelFormatException;
import io.flowguard.core.model.ModelSignature;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flowguard sign MODEL --key KEY}: the signature file beside a model file. */
@Command(
    name = "sign",
    mixinStandardHelpOptions = true,
    description = {
        "Write the signature file of a model file (MODEL.sig).",
        "",
        "MODEL.sig holds the Ed25519 signature in base64, for jobs that read a model directory and verify",
        "signatures (model.verification-keys).",
        "",
        "Put MODEL.sig in the directory first and the model file second (each in one rename): a job",
        "meeting a model file without a valid signature refuses it until the model file is written again.",
        "For the model topic, use 'flowguard publish --sign KEY' instead.",
        "",
        "  flowguard sign models/pump.fgm --key keys/publisher.key",
        ""})
final class SignCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "MODEL", description = "The model file to sign.")
  Path model;

  @Option(names = "--key", required = true, paramLabel = "KEY",
      description = "The private key (PEM, from 'flowguard keygen').")
  Path key;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    if (!Files.isRegularFile(model)) {
      throw new FileNotFoundException(model + ": no such file");
    }
    if (!Files.isRegularFile(key)) {
      throw new FileNotFoundException("--key " + key + ": no such file");
    }
    byte[] bytes = Files.readAllBytes(model);
    try {
      ModelFormat.read(bytes); // never sign a file no job could use
    } catch (ModelFormatException e) {
      throw new IllegalArgumentException(model + ": " + e.getMessage(), e);
    }
    byte[] signature = ModelSignature.sign(ModelSignature.readPrivateKey(key), bytes);
    Path sig = Path.of(model + ModelSignature.FILE_SUFFIX);
    Files.writeString(sig, ModelSignature.signatureFileText(signature), StandardCharsets.US_ASCII);
    spec.commandLine().getOut().printf("Wrote %s%n", sig);
    return 0;
  }
}
