package io.flowguard.core.cli;

import io.flowguard.core.data.ReplacingFile;
import io.flowguard.core.model.ModelSignature;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The signature file beside a model file ({@code NAME.fgm.sig}), as jobs reading a model directory with
 * {@code model.verification-keys} expect it: written in one rename, before the model file it signs.
 */
final class SignatureFiles {

  private SignatureFiles() {}

  /**
   * Signs {@code modelBytes} (the exact bytes that will be written to {@code modelFile}) with the private key
   * in {@code keyFile} and writes {@code modelFile.sig}; returns its path.
   */
  static Path writeBeside(Path modelFile, byte[] modelBytes, Path keyFile) throws IOException {
    if (!Files.isRegularFile(keyFile)) {
      throw new FileNotFoundException("--sign " + keyFile + ": no such file");
    }
    byte[] signature = ModelSignature.sign(ModelSignature.readPrivateKey(keyFile), modelBytes);
    Path sig = Path.of(modelFile + ModelSignature.FILE_SUFFIX);
    try (ReplacingFile file = ReplacingFile.create(sig)) {
      file.write(ModelSignature.signatureFileText(signature).getBytes(StandardCharsets.US_ASCII));
      file.commit();
    }
    return sig;
  }
}
