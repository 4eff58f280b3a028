package io.flowguard.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI logs WARN and above by default, so that the libraries' INFO lines (the matrix backend's choice;
 * ND4J's start-up banner when it is on the classpath) do not
 * bury its own output; --verbose, FLOWGUARD_LOG_LEVEL or the slf4j-simple property bring them back.
 */
class CliLoggingTest {

  @Test
  void theDefaultLevelIsWarn() {
    assertEquals("warn", FlowguardCli.logLevel(new String[] {"train", "--data", "x.csv"}, null, null));
  }

  @Test
  void verboseTurnsInfoOn() {
    assertEquals("info", FlowguardCli.logLevel(new String[] {"train", "--verbose"}, null, null));
  }

  @Test
  void theEnvironmentVariableWinsOverVerbose() {
    assertEquals("debug", FlowguardCli.logLevel(new String[] {"--verbose"}, null, " DEBUG"));
  }

  @Test
  void anExplicitSystemPropertyWinsOverEverything() {
    assertEquals("error", FlowguardCli.logLevel(new String[] {"--verbose"}, "error", "debug"));
  }

  /** The real main in a fresh JVM (the level is read once, when the first logger is made). */
  @Test
  void trainPrintsNoLibraryInfoLinesButVerboseDoes(@TempDir Path dir) throws Exception {
    SplittableRandom rng = new SplittableRandom(4);
    StringBuilder b = new StringBuilder("a,b\n");
    for (int i = 0; i < 200; i++) {
      b.append(String.format(Locale.ROOT, "%.5f,%.5f%n", rng.nextGaussian(), rng.nextGaussian()));
    }
    Path data = Files.writeString(dir.resolve("d.csv"), b);
    String[] train = {"train", "--data", data.toString(), "--out", dir.resolve("m.fgm").toString(), "--no-report",
        "--epochs", "1", "--spec", "maf"}; // wide enough layers that training reaches the matrix backend
    String quiet = stderrOf(dir, train);
    assertTrue(quiet.contains("Config: flow: given by --spec"), quiet);
    assertFalse(quiet.contains(" INFO "), "no INFO lines by default:\n" + quiet);
    List<String> verbose = new ArrayList<>(List.of(train));
    verbose.add("--verbose");
    String loud = stderrOf(dir, verbose.toArray(String[]::new));
    assertTrue(loud.contains(" INFO io.flowguard.core.nn.Linalg - Matrix backend"),
        "--verbose shows the libraries' INFO lines:\n" + loud);
  }

  private static String stderrOf(Path dir, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), FlowguardCli.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(dir.resolve("stderr.txt").toFile());
    pb.environment().remove(FlowguardCli.LOG_LEVEL_ENV);
    Process p = pb.start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the CLI finishes");
    String err = Files.readString(dir.resolve("stderr.txt"), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), err);
    return err;
  }
}
