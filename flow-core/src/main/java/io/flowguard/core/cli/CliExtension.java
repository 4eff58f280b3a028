package io.flowguard.core.cli;

import picocli.CommandLine;

/**
 * Adds commands to {@code flowguard} from modules flow-core cannot depend on (the Kafka-enabled commands
 * such as {@code publish} live in connectors). Implementations are found with {@link java.util.ServiceLoader}
 * through {@code META-INF/services/io.flowguard.core.cli.CliExtension}.
 */
public interface CliExtension {

  /** Adds this module's subcommands to the root command. */
  void register(CommandLine root);
}
