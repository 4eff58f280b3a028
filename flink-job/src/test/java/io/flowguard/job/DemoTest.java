package io.flowguard.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The README's demo runs to completion: a short bounded replay (10 s) with its hot swap. */
class DemoTest {

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void aShortDemoRunsToCompletionWithAHotSwapAndGoodDetection() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    Demo.Result r = Demo.run(Demo.Options.parse(new String[] {"--seconds", "10", "--rate", "300"}),
        out);
    String text = bytes.toString(StandardCharsets.UTF_8);
    System.out.println(text);

    assertTrue(r.sent() > 2_000, text);
    assertEquals(r.sent(), r.scored(), "every valid event is scored once\n" + text);
    assertTrue(r.scoredByVersion().getOrDefault("v1", 0L) > 0, text);
    assertTrue(r.scoredByVersion().getOrDefault("v2", 0L) > 0, "the hot swap happened\n" + text);
    assertTrue(r.deadLetters() > 0, "malformed records are dead-lettered\n" + text);
    assertTrue(r.precision() > 0.8 && r.recall() > 0.8, text);
    assertTrue(text.contains("published shuttle v2: hot swap"), text);
    assertTrue(text.contains("Precision "), text);
  }
}
