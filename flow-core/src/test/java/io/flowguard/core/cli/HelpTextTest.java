package io.flowguard.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The help reads well: whole-sentence command summaries, options that wrap as one paragraph, true claims. */
class HelpTextTest {

  @Test
  void everyCommandSummaryInTheRootHelpIsOneWholeSentence() {
    CliRun r = CliRun.of("--help");
    assertEquals(0, r.code());
    List<String> lines = r.out().lines().toList();
    int start = lines.indexOf("Commands:") + 1;
    int n = 0;
    for (String line : lines.subList(start, lines.size())) {
      if (line.isBlank()) {
        break;
      }
      n++;
      assertTrue(line.matches("  [a-z]+ +[A-Z].*\\."), "a summary on one line, ending a sentence: '" + line + "'");
    }
    assertTrue(n >= 12, "train ... rollback, help and the three Kafka stand-ins: " + r.out());
  }

  @Test
  void optionDescriptionsAreSingleParagraphsThatPicocliWraps() {
    for (Object command : new Object[] {new TrainCommand(), new EvaluateCommand(), new ScoreCommand(),
        new InspectCommand(), new ReportCommand(), new BenchCommand(), new ExampleCommand(), new RollbackCommand()}) {
      CommandLine cli = new CommandLine(command);
      for (CommandLine.Model.OptionSpec option : cli.getCommandSpec().options()) {
        if (option.hidden()) {
          continue;
        }
        assertEquals(1, option.description().length, cli.getCommandName() + " " + option.longestName()
            + ": pre-broken lines wrap oddly in the option column");
      }
    }
  }

  @Test
  void evaluateSaysTheLabelColumnMayBeAnywhereWithData() {
    String help = CliRun.of("evaluate", "--help").out();
    assertTrue(help.contains("--label-column anywhere"), help);
    assertFalse(help.contains("CSV whose last column is the label"), help);
  }

  @Test
  void scoreAndReportStateTheSameFalseAlarmRateRange() {
    assertTrue(CliRun.of("score", "--help").out().contains("in (0, 1)"));
    assertTrue(CliRun.of("report", "--help").out().contains("in (0, 1)"));
  }

  @Test
  void trainAndScoreSayWhichColumnsAreFeatures() {
    String train = CliRun.of("train", "--help").out();
    assertTrue(train.contains("except those --ignore names") && train.contains("metadata key, ts and model"), train);
    String score = CliRun.of("score", "--help").out();
    assertTrue(score.contains("is copied through as the file has it"), score);
  }
}
