package io.flowguard.connectors.cli;

import io.flowguard.core.cli.CliExtension;
import picocli.CommandLine;

/**
 * Registers the Kafka-enabled commands ({@code publish}, {@code retrain}, {@code models}) with the
 * {@code flowguard} command.
 */
public final class KafkaCliExtension implements CliExtension {

  @Override
  public void register(CommandLine root) {
    root.addSubcommand("publish", new PublishCommand());
    root.addSubcommand("retrain", new RetrainCommand());
    root.addSubcommand("models", new ModelsCommand());
  }
}
