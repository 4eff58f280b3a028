package io.flowguard.core.cli;

import io.flowguard.core.data.ReplacingFile;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.ModelFormatException;
import io.flowguard.core.model.Retraining;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flowguard rollback --model OLD --current CURRENT --out FILE}: a rollback for jobs that read a model
 * directory. A job replaces its model only with a higher version, so copying an old file back changes
 * nothing; this writes the old file's parameters, preprocessing and calibration as the current version + 1
 * (with a rollback lineage), atomically, which every job then switches to at its next rescan. Jobs on a
 * model topic use {@code flowguard models rollback}, which finds the old version in the topic's history.
 */
@Command(
    name = "rollback",
    mixinStandardHelpOptions = true,
    description = {
        "Re-issue an old model file as the newest version, for jobs that read a model directory.",
        "",
        "A job reading a model directory (model.directory) only replaces its model with a higher version, so",
        "copying the old file back is ignored; this writes the old parameters as the current version + 1,",
        "atomically.",
        "",
        "  flowguard rollback --model archive/pump-v3.fgm --current models/pump.fgm --out models/pump.fgm",
        "",
        "--out may be the current file itself: it is replaced in one rename, so a job never reads half a",
        "file (on object stores such as S3, write it locally and upload it in one PUT). Jobs on a model",
        "topic: use 'flowguard models rollback', which takes the old version from the topic's history.",
        "",
        "Jobs that verify signatures (model.verification-keys) need --sign KEY: it writes OUT.sig before",
        "OUT, as 'flowguard sign' would.",
        ""})
final class RollbackCommand implements Callable<Integer> {

  @Option(names = "--model", required = true, paramLabel = "OLD.fgm",
      description = "The model file to go back to (a version the jobs ran before).")
  Path oldFile;

  @Option(names = "--current", required = true, paramLabel = "CURRENT.fgm",
      description = "The model file the jobs run now (or the newest version of that model you have).")
  Path currentFile;

  @Option(names = "--out", required = true, paramLabel = "FILE",
      description = "Where to write the re-issued model; may be the current file.")
  Path out;

  @Option(names = "--sign", paramLabel = "KEY",
      description = "Sign the re-issued model with this Ed25519 private key (PEM, from 'flowguard keygen'):"
          + " writes OUT.sig first, then OUT, for jobs with model.verification-keys.")
  Path signingKey;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    OutputPaths.checkFile(out, "--out", currentFile.getFileName().toString());
    FlowModel old = read(oldFile, "--model");
    FlowModel current = read(currentFile, "--current");
    if (!old.name().equals(current.name())) {
      throw new IllegalArgumentException("--model is model '" + old.name() + "' but --current is model '"
          + current.name() + "': both must be versions of the same model");
    }
    if (old.version() > current.version()) {
      throw new IllegalArgumentException("--model is v" + old.version() + ", newer than --current (v"
          + current.version() + "): nothing to roll back; to run v" + old.version()
          + ", put that file in the model directory");
    }
    if (old.version() == current.version()) {
      throw new IllegalArgumentException("--model and --current are both v" + old.version()
          + ": give the file of an earlier version as --model");
    }
    FlowModel back = Retraining.rollback(old, current.version());
    PrintWriter o = spec.commandLine().getOut();
    byte[] bytes = ModelFormat.toBytes(back);
    if (signingKey != null) {
      // The signature first: a job meeting the new model file before its signature would refuse it.
      Path sig = SignatureFiles.writeBeside(out, bytes, signingKey);
      o.printf("Wrote %s%n", sig);
    }
    try (ReplacingFile file = ReplacingFile.create(out)) {
      file.write(bytes);
      file.commit();
    }
    o.printf("Wrote %s v%d (the parameters of v%d) to %s: jobs reading its directory switch to it at their next"
        + " rescan.%n", back.name(), back.version(), old.version(), out);
    String expected = back.name() + ".fgm";
    if (!out.getFileName().toString().equals(expected)) {
      o.println("Note: a job reads model '" + back.name() + "' from the file " + expected + " of its model"
          + " directory; move this file there under that name (one rename, so no job reads half a file).");
    }
    return 0;
  }

  private static FlowModel read(Path file, String option) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new FileNotFoundException(option + " " + file + ": no such file");
    }
    try {
      return ModelFormat.read(file);
    } catch (ModelFormatException e) {
      throw new IllegalArgumentException(option + " " + file + ": " + e.getMessage(), e);
    }
  }
}
