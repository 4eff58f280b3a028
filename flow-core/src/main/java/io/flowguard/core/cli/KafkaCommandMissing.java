package io.flowguard.core.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * Stands in for a Kafka command when the Kafka-enabled CLI is not on the class path, so that the user
 * learns where the command lives instead of reading "unknown command".
 */
@Command(description = "Needs the Kafka-enabled CLI: java -jar connectors/target/flowguard-kafka.jar ...")
final class KafkaCommandMissing implements Callable<Integer> {

  private final String name;

  @Parameters(arity = "0..*", hidden = true)
  List<String> ignored;

  KafkaCommandMissing(String name) {
    this.name = name;
  }

  @Override
  public Integer call() {
    throw new IllegalArgumentException("'" + name + "' talks to Kafka and lives in the Kafka-enabled CLI: run"
        + " 'java -jar connectors/target/flowguard-kafka.jar " + name + " ...' (built by mvn package)");
  }
}
