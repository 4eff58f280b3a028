package io.flowguard.job.bench;

import java.util.HashMap;
import java.util.Map;

/** What the benchmark entry points share: {@code --name value} arguments and quiet logging. */
final class BenchArgs {

  private BenchArgs() {}

  /** {@code --name value} pairs (the leading dashes dropped); a trailing name without a value is ignored. */
  static Map<String, String> parse(String[] args) {
    Map<String, String> a = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    return a;
  }

  /**
   * Errors only, and not the Kafka committer's benign "fenced" lines after restarts: a benchmark prints
   * its figures, not the job's log.
   */
  static void quietLogging() {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
    System.setProperty("org.slf4j.simpleLogger.log.org.apache.flink.connector.kafka.sink.internal"
        + ".KafkaCommitter", "off");
  }
}
