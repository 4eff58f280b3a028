package io.flowguard.job;

import java.io.PrintStream;

/**
 * The demo's stand-in for the logging rule docker/conf/log4j-console.properties ships (issue 19):
 * the demo logs through slf4j-simple, which writes one line per event to {@code System.err} and
 * cannot filter by message, so this stream does. A line of Flink's Kafka committer saying that a
 * producer "is already fenced" (benign after a restore: the transaction was committed by the previous
 * run) is written as WARN instead of ERROR, or left out when only errors are shown; every other line,
 * including the committer's other ERRORs, passes unchanged.
 */
final class FencedCommitLogFilter extends PrintStream {

  static final String COMMITTER = "org.apache.flink.connector.kafka.sink.internal.KafkaCommitter";
  static final String FENCED = "because its producer is already fenced";

  private final boolean showWarnings;

  /**
   * @param out where lines go
   * @param showWarnings whether the demoted message is shown (as WARN) or left out
   */
  FencedCommitLogFilter(PrintStream out, boolean showWarnings) {
    super(out, true);
    this.showWarnings = showWarnings;
  }

  @Override
  public void println(String line) {
    if (line != null && line.contains(COMMITTER) && line.contains(FENCED)) {
      if (showWarnings) {
        super.println(line.replaceFirst("\\bERROR\\b", "WARN"));
      }
      return;
    }
    super.println(line);
  }
}
