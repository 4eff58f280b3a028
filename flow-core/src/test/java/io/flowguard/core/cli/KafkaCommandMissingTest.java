package io.flowguard.core.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Without the Kafka-enabled CLI on the class path, publish, retrain and models say where they live,
 * whatever arguments they get: their own documented options and --help included.
 */
class KafkaCommandMissingTest {

  private static final String WHERE = "lives in the Kafka-enabled CLI: run 'java -jar connectors/target/flowguard-kafka.jar";

  @ParameterizedTest
  @ValueSource(strings = {"publish", "retrain", "models"})
  void bareCommandSaysWhereItLives(String command) {
    CliRun.of(command).assertUserError(WHERE + " " + command);
  }

  @ParameterizedTest
  @ValueSource(strings = {"publish", "retrain", "models"})
  void helpSaysWhereItLives(String command) {
    CliRun.of(command, "--help").assertUserError(WHERE);
  }

  @ParameterizedTest
  @ValueSource(strings = {"publish", "retrain", "models"})
  void theRealCommandsOptionsAreAcceptedAndIgnored(String command) {
    CliRun.of(command, "model.fgm", "--bootstrap-servers", "localhost:9092", "--model-topic=flowguard-models", "-x")
        .assertUserError(WHERE);
  }
}
