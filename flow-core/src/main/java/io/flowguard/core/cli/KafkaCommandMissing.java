package io.flowguard.core.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * Stands in for a Kafka command when the Kafka-enabled CLI is not on the class path, so that the user
 * learns where the command lives instead of reading "unknown command". It accepts any arguments, the real
 * command's options and {@code --help} included, so that this is the message whatever was typed.
 */
@Command(description = "Needs the Kafka-enabled CLI (java -jar connectors/target/flowguard-kafka.jar).")
final class KafkaCommandMissing implements Callable<Integer> {

  private final String name;

  @Unmatched
  List<String> ignored = new ArrayList<>();

  KafkaCommandMissing(String name) {
    this.name = name;
  }

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    err.println("flowguard " + name + ": '" + name + "' talks to Kafka and lives in the Kafka-enabled CLI: run"
        + " 'java -jar connectors/target/flowguard-kafka.jar " + name + " ...' (built by mvn package)");
    err.flush();
    return FlowguardCli.EXIT_USAGE;
  }
}
