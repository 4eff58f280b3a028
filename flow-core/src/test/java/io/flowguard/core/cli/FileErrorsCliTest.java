package io.flowguard.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.flowguard.core.model.ModelFormat;
import java.nio.charset.MalformedInputException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A file that cannot be read or written is one line naming the path and the problem: no such file, a
 * directory, permission denied, not UTF-8 text; and an --out that cannot be written fails before any work.
 */
class FileErrorsCliTest {

  @TempDir
  static Path dir;

  static Path model;
  static Path data;

  @BeforeAll
  static void fixture() throws Exception {
    model = dir.resolve("m.fgm");
    ModelFormat.write(CliRun.model("m"), model);
    StringBuilder b = new StringBuilder("a,b\n");
    java.util.SplittableRandom rng = new java.util.SplittableRandom(2);
    for (int i = 0; i < 300; i++) {
      b.append(rng.nextGaussian()).append(',').append(rng.nextGaussian()).append('\n');
    }
    data = Files.writeString(dir.resolve("normal.csv"), b);
  }

  @Test
  void missingModelFileSaysNoSuchFile() {
    String nope = dir.resolve("nope.fgm").toString();
    CliRun.of("inspect", nope).assertUserError("flowguard inspect: " + nope + ": no such file; check the path");
    CliRun.of("bench", "--model", nope).assertUserError(nope + ": no such file");
    CliRun.of("report", "--model", nope, "--out", dir.resolve("r").toString()).assertUserError(nope + ": no such file");
    CliRun.of("score", "--model", nope, "--data", data.toString(), "--out", dir.resolve("s.csv").toString())
        .assertUserError(nope + ": no such file");
  }

  @Test
  void aDirectoryGivenAsAModelFileIsNamed() {
    CliRun.of("inspect", dir.toString()).assertUserError(dir + ": is a directory, not a model file");
  }

  @Test
  void aDirectoryGivenAsDataIsNamed() {
    CliRun.of("score", "--model", model.toString(), "--data", dir.toString(), "--out", dir.resolve("s.csv").toString())
        .assertUserError(dir + ": is a directory; expected a CSV or JSON-lines file");
  }

  @ParameterizedTest
  @ValueSource(strings = {"score", "train"})
  void aModelFileGivenAsDataIsNotUtf8Text(String command) {
    String[] args = command.equals("score")
        ? new String[] {"score", "--model", model.toString(), "--data", model.toString(), "--out", dir.resolve("s.csv").toString()}
        : new String[] {"train", "--data", model.toString(), "--out", dir.resolve("t.fgm").toString()};
    CliRun.of(args).assertUserError(model + " is not UTF-8 text (is it a CSV or JSON-lines file?)");
  }

  @Test
  void fileSystemErrorsNameThePathAndTheProblem() {
    assertEquals("x.fgm: no such file; check the path", FlowguardCli.message(new NoSuchFileException("x.fgm")));
    assertEquals("out/m.fgm: permission denied; check its permissions or choose another path",
        FlowguardCli.message(new AccessDeniedException("out/m.fgm")));
    assertEquals("out: is a directory; give a file path",
        FlowguardCli.message(new FileSystemException("out", null, "Is a directory")));
    assertEquals("/mnt/ro/m.fgm: read-only file system",
        FlowguardCli.message(new FileSystemException("/mnt/ro/m.fgm", null, "Read-only file system")));
    assertEquals("the input is not UTF-8 text (is it a CSV or JSON-lines file?)",
        FlowguardCli.message(new java.io.UncheckedIOException(new MalformedInputException(1))));
  }

  @Test
  void trainRefusesADirectoryAsOutBeforeTraining() {
    CliRun r = CliRun.of("train", "--data", data.toString(), "--out", dir.toString());
    r.assertUserError("--out " + dir + " is a directory; give the path of the file to write, e.g. " + dir.resolve("model.fgm"));
    assertFalse(r.err().contains("Config:"), "nothing was trained: " + r.err());
  }

  @Test
  void trainRefusesAnOutUnderAFileBeforeTraining() {
    Path out = data.resolve("m.fgm");
    CliRun r = CliRun.of("train", "--data", data.toString(), "--out", out.toString());
    r.assertUserError("--out " + out + ": " + data + " is a file, not a directory");
    assertFalse(r.err().contains("Config:"), r.err());
  }

  @Test
  void trainRefusesAReportDirectoryThatIsAFile() throws Exception {
    Path out = dir.resolve("blocked.fgm");
    Files.writeString(dir.resolve("blocked-report"), "in the way");
    CliRun.of("train", "--data", data.toString(), "--out", out.toString())
        .assertUserError("the report directory " + dir.resolve("blocked-report") + " is a file, not a directory;"
            + " move that file away or pass --no-report");
    assertFalse(Files.exists(out));
  }

  @Test
  void trainRefusesAnUnwritableDirectoryBeforeTraining() throws Exception {
    assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX permissions only");
    Path locked = Files.createDirectory(dir.resolve("locked"));
    Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
    try {
      assumeFalse(Files.isWritable(locked), "permissions do not bind this user (root)");
      CliRun r = CliRun.of("train", "--data", data.toString(), "--out", locked.resolve("m.fgm").toString());
      r.assertUserError("cannot write in " + locked + " (permission denied)");
      assertFalse(r.err().contains("Config:"), r.err());
    } finally {
      Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
  }

  @Test
  void evaluateRefusesAFileAsItsOutDirectory() {
    CliRun.of("evaluate", "--data", data.toString(), "--out", data.toString())
        .assertUserError("--out " + data + " is a file, not a directory");
  }

  @Test
  void scoreRefusesADirectoryAsOut() {
    CliRun.of("score", "--model", model.toString(), "--data", data.toString(), "--out", dir.toString())
        .assertUserError("--out " + dir + " is a directory");
  }
}
