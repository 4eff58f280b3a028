package io.flowguard.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The README's demo runs to completion: a short bounded replay (10 s) with its hot swap. What the
 * test asserts does not depend on how fast the machine runs the job.
 */
class DemoTest {

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void aShortDemoRunsToCompletionWithAHotSwapAndGoodDetection() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    Demo.Options options = Demo.Options.parse(new String[] {"--seconds", "10", "--rate", "300"});
    Demo.Result r = Demo.run(options, out);
    String text = bytes.toString(StandardCharsets.UTF_8);
    System.out.println(text);

    assertEquals(r.sent(), r.scored(), "every valid event is scored once\n" + text);
    // The demo publishes v2 only once v1 has scored this many, and replays until v2 has: both
    // hold however late the job starts.
    long swapEvents = Demo.swapEvents(options);
    assertEquals(500, swapEvents);
    assertTrue(r.scoredByVersion().getOrDefault("v1", 0L) >= swapEvents, text);
    assertTrue(r.scoredByVersion().getOrDefault("v2", 0L) >= swapEvents,
        "the hot swap happened\n" + text);
    // Those 1 000 valid events include records 500 and 1 000, malformed; the demo waits for their
    // dead letters before it returns.
    assertTrue(r.deadLetters() >= 2, "malformed records are dead-lettered\n" + text);
    assertTrue(r.precision() > 0.8 && r.recall() > 0.8, text);
    assertTrue(text.contains("published shuttle v2: hot swap"), text);
    assertTrue(text.contains("Precision "), text);
    // Alerts are explained: the live view names the feature behind its top alert.
    assertTrue(text.matches("(?s).*top alert: \\S+ nll=\\S+ p=\\S+, \\S+ \\S+ \\(typical .*"),
        "the top alert names its top feature\n" + text);
  }
}
