package io.flowguard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.connectors.kafka.EmbeddedKafka;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI distribution's runtime classpath (what cli/target/flowguard.jar shades: flowguard-core,
 * flowguard-kafka and their dependencies, without Flink and without ND4J) runs the flow-core commands and
 * the Kafka commands in a fresh JVM: train (on the pure-Java backend), publish to a broker, list the
 * published versions. The child's home directory is empty and stays free of {@code .javacpp}: nothing
 * native is unpacked.
 */
class CliDistributionTest {

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void trainPublishAndListRunWithoutFlinkOrNd4j(@TempDir Path dir) throws Exception {
    String classpath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(entry -> !Path.of(entry).getFileName().toString().startsWith("flink-"))
        .collect(Collectors.joining(File.pathSeparator));
    assertFalse(classpath.contains("nd4j") || classpath.contains("javacpp"), classpath);
    Path home = Files.createDirectories(dir.resolve("home"));
    StringBuilder csv = new StringBuilder("a,b\n");
    SplittableRandom rng = new SplittableRandom(1);
    for (int i = 0; i < 300; i++) {
      csv.append(String.format(Locale.ROOT, "%.5f,%.5f%n", rng.nextGaussian(), rng.nextGaussian()));
    }
    Path data = Files.writeString(dir.resolve("normal.csv"), csv);
    Path model = dir.resolve("pump.fgm");
    run(dir, classpath, home, "train", "--data", data.toString(), "--out", model.toString(), "--name", "pump",
        "--no-report", "--epochs", "1");
    assertTrue(Files.size(model) > 0);
    try (EmbeddedKafka kafka = new EmbeddedKafka().start()) {
      run(dir, classpath, home, "publish", model.toString(), "--bootstrap-servers", kafka.bootstrapServers());
      String listed = run(dir, classpath, home, "models", "list", "--bootstrap-servers", kafka.bootstrapServers(),
          "--model", "pump");
      assertTrue(listed.lines().anyMatch(line -> line.matches("\\*\\s+1\\s.*trained.*")),
          "version 1 is listed as the active one:\n" + listed);
    }
    assertFalse(Files.exists(home.resolve(".javacpp")), "no native library was unpacked");
  }

  private static String run(Path dir, String classpath, Path home, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Duser.home=" + home, "-cp", classpath, "io.flowguard.core.cli.FlowguardCli"));
    command.addAll(List.of(args));
    Path out = dir.resolve("out.txt");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    assertTrue(p.waitFor(240, TimeUnit.SECONDS), "flowguard " + args[0] + " finished");
    String text = Files.readString(out, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), "flowguard " + String.join(" ", args) + ":\n" + text);
    return text;
  }
}
