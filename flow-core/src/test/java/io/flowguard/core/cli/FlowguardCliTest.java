package io.flowguard.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlowguardCliTest {

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }

  @Test
  void helpListsTheCommandsAndExitsZero() {
    CliRun r = run("--help");
    assertEquals(0, r.code());
    assertTrue(r.out().contains("example"), r.out());
  }

  @Test
  void unknownCommandExitsNonZeroWithASuggestion() {
    CliRun r = run("exampel");
    assertEquals(FlowguardCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("Did you mean"), r.err());
  }

  @Test
  void unknownExampleNameIsAUserErrorWithoutStackTrace() {
    CliRun r = run("example", "spiral", "--out", "unused");
    assertEquals(FlowguardCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("unknown example 'spiral': use bimodal, moons, banana, modes, digits or sweep"), r.err());
    assertTrue(!r.err().contains("\tat "), "no stack trace without --verbose: " + r.err());
  }

  @Test
  void missingOutOptionIsAUsageError() {
    CliRun r = run("example", "moons");
    assertEquals(FlowguardCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("--out"), r.err());
  }

  /**
   * The bimodal example end to end: result.json carries the required fields and the flow lands within
   * 0.05 nats of the Monte Carlo entropy floor (the target; deterministic for seed 0). The
   * floor estimate itself has a standard error of ~0.001 nats (10^6 samples), the test NLL ~0.008
   * (8192 samples), so 0.05 is not at the mercy of sampling noise.
   */
  @Test
  void bimodalExampleWritesResultJsonAndPngNearTheEntropyFloor(@TempDir Path dir) throws Exception {
    CliRun r = run("example", "bimodal", "--out", dir.toString(), "--seed", "0");
    assertEquals(0, r.code(), r.err());
    JsonNode json = new ObjectMapper().readTree(dir.resolve("result.json").toFile());
    for (String field : new String[] {"test_nll", "train_seconds", "seed", "spec", "entropy_floor"}) {
      assertTrue(json.has(field), "result.json lacks " + field + ": " + json);
    }
    assertEquals(0, json.get("seed").asLong());
    assertEquals("realnvp", json.get("spec").get("family").asText());
    double gap = json.get("test_nll").asDouble() - json.get("entropy_floor").asDouble();
    assertTrue(Math.abs(gap) < 0.05, "test NLL is " + gap + " nats from the entropy floor");
    assertEquals(2.15, json.get("entropy_floor").asDouble(), 0.02, "the analytic-MC entropy of the bimodal mixture");
    BufferedImage png = ImageIO.read(dir.resolve("result.png").toFile());
    assertTrue(png.getWidth() >= 800 && png.getHeight() >= 800, "a four-panel figure");
    assertTrue(Files.size(dir.resolve("result.png")) > 20_000, "the figure has content");
    assertTrue(r.out().contains("entropy floor"), r.out());
  }
}
