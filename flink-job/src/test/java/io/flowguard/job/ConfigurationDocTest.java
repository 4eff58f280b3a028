package io.flowguard.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md's table of options is generated from the options: this test fails when they
 * disagree. After adding or changing an option, regenerate the table with
 * {@code mvn -pl flink-job -am test -Dtest=ConfigurationDocTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dflowguard.docs.update=true} and commit the doc.
 */
class ConfigurationDocTest {

  private static final Path DOC = Path.of("..", "docs", "configuration.md");

  @Test
  void theOptionsTableOfTheDocsIsTheOneGeneratedFromTheOptions() throws Exception {
    String text = Files.readString(DOC, StandardCharsets.UTF_8);
    int start = text.indexOf(OptionDocs.TABLE_START);
    int end = text.indexOf(OptionDocs.TABLE_END);
    assertTrue(start >= 0 && end > start, DOC + " has the generated table's markers");
    String documented = text.substring(start, end + OptionDocs.TABLE_END.length() + 1);
    String generated = OptionDocs.markdownTable();
    if (Boolean.getBoolean("flowguard.docs.update") && !documented.equals(generated)) {
      Files.writeString(DOC, text.substring(0, start) + generated
          + text.substring(end + OptionDocs.TABLE_END.length() + 1), StandardCharsets.UTF_8);
      return;
    }
    assertEquals(generated, documented, DOC + " is out of date: regenerate it (see this test's"
        + " Javadoc)");
  }
}
