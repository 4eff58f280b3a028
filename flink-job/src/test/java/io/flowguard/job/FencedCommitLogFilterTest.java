package io.flowguard.job;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FencedCommitLogFilterTest {

  static final String FENCED = "12:00:00.000 [committer] ERROR " + FencedCommitLogFilter.COMMITTER
      + " - Unable to commit transaction (t-1) because its producer is already fenced. This means"
      + " ... data loss";
  static final String LOSS = "12:00:00.000 [committer] ERROR " + FencedCommitLogFilter.COMMITTER
      + " - Transaction (t-2) encountered error and data has been potentially lost.";

  static String through(boolean showWarnings, String... lines) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new FencedCommitLogFilter(
        new PrintStream(bytes, true, StandardCharsets.UTF_8), showWarnings);
    for (String l : lines) {
      out.println(l);
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void theFencedCommitMessageBecomesAWarningAndOtherErrorsStay() {
    assertEquals(FENCED.replace(" ERROR ", " WARN ") + System.lineSeparator()
        + LOSS + System.lineSeparator(), through(true, FENCED, LOSS));
  }

  @Test
  void whenOnlyErrorsAreShownTheFencedMessageIsLeftOut() {
    assertEquals(LOSS + System.lineSeparator(), through(false, FENCED, LOSS));
  }
}
