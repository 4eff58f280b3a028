package io.flowguard.core.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code flowguard} command. Subcommands are small classes of this package; this class wires them,
 * turns user errors into one clear line and a non-zero exit code, and prints stack traces only with
 * {@code --verbose}.
 */
@Command(
    name = "flowguard",
    mixinStandardHelpOptions = true,
    versionProvider = FlowguardCli.Version.class,
    subcommands = {TrainCommand.class, EvaluateCommand.class, ScoreCommand.class, InspectCommand.class,
        ReportCommand.class, BenchCommand.class, ExampleCommand.class, RollbackCommand.class,
        KeygenCommand.class, SignCommand.class,
        CommandLine.HelpCommand.class},
    description = {
        "Anomaly detection with normalizing flows: train a density model of normal events, score events by",
        "their exact log-density, and run the scoring inside Apache Flink.",
        "",
        "Start with a worked example that trains a flow and draws what it learned:",
        "  flowguard example moons --out out/moons",
        "",
        "Then train on your own normal events, look at the model, and score new events:",
        "  flowguard train --data normal.csv --out model.fgm",
        "  flowguard inspect model.fgm",
        "  flowguard score --model model.fgm --data new.csv --out scored.csv",
        ""},
    footer = {"", "Run 'flowguard help COMMAND' for the options of one command."})
public final class FlowguardCli implements Runnable {

  /** Exit code of a user error (bad arguments, unreadable file, bad data). */
  public static final int EXIT_USAGE = 2;
  /** Exit code of a failure while running (e.g. training diverged). */
  public static final int EXIT_FAILURE = 1;

  @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
      description = "Print stack traces of errors and the libraries' INFO log lines (for bug reports).")
  boolean verbose;

  @picocli.CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The slf4j-simple setting of the level below which log lines are not printed. */
  static final String LOG_LEVEL_PROPERTY = "org.slf4j.simpleLogger.defaultLogLevel";
  /** An environment variable that sets the CLI's log level (e.g. info, debug). */
  static final String LOG_LEVEL_ENV = "FLOWGUARD_LOG_LEVEL";

  public static void main(String[] args) {
    // Before any logger exists: the libraries' INFO lines (ND4J prints ~20 on start-up) would bury the
    // CLI's own output. Set here, not in a simplelogger.properties, so that no other program that has
    // flow-core on its class path (the Flink job, tests) loses its logging.
    System.setProperty(LOG_LEVEL_PROPERTY,
        logLevel(args, System.getProperty(LOG_LEVEL_PROPERTY), System.getenv(LOG_LEVEL_ENV)));
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /**
   * The CLI's log level: a level given with -Dorg.slf4j.simpleLogger.defaultLogLevel, else
   * {@value #LOG_LEVEL_ENV}, else info with --verbose, else warn.
   */
  static String logLevel(String[] args, String property, String environment) {
    if (property != null && !property.isBlank()) {
      return property;
    }
    if (environment != null && !environment.isBlank()) {
      return environment.trim().toLowerCase(java.util.Locale.ROOT);
    }
    return java.util.Arrays.asList(args).contains("--verbose") ? "info" : "warn";
  }

  /** Runs the CLI with the given streams and returns the exit code (for tests). */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    FlowguardCli root = new FlowguardCli();
    CommandLine cli = new CommandLine(root);
    for (CliExtension extension : java.util.ServiceLoader.load(CliExtension.class)) {
      extension.register(cli);
    }
    for (String kafkaCommand : new String[] {"publish", "retrain", "models"}) {
      if (!cli.getSubcommands().containsKey(kafkaCommand)) {
        cli.addSubcommand(kafkaCommand, new KafkaCommandMissing(kafkaCommand));
      }
    }
    cli.setUsageHelpWidth(110);
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
      boolean verbose = parseResult.hasMatchedOption("--verbose")
          || parseResult.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--verbose"));
      if (verbose) {
        ex.printStackTrace(err);
      }
      boolean userError = ex instanceof IllegalArgumentException || ex instanceof IOException
          || ex instanceof UncheckedIOException;
      err.println(commandLine.getCommandSpec().qualifiedName() + ": " + message(ex));
      if (!verbose) {
        err.println("(run with --verbose for details)");
      }
      err.flush();
      return userError ? EXIT_USAGE : EXIT_FAILURE;
    });
    cli.setParameterExceptionHandler((ex, a) -> {
      // A misspelt option also leaves a required one missing, and picocli reports the missing one first:
      // name the unknown option instead, which is the real mistake.
      java.util.Optional<String> unknown = ex instanceof CommandLine.UnmatchedArgumentException
          ? java.util.Optional.empty() : unknownOption(ex.getCommandLine(), a);
      if (unknown.isPresent()) {
        String name = ex.getCommandLine().getCommandSpec().qualifiedName();
        err.println(name + ": unknown option '" + unknown.get() + "'" + closestOption(ex.getCommandLine(), unknown.get())
            .map(o -> "; did you mean " + o + "?").orElse(""));
        err.println("Run '" + name + " --help' for usage.");
        err.flush();
        return EXIT_USAGE;
      }
      err.println(ex.getCommandLine().getCommandSpec().qualifiedName() + ": " + ex.getMessage());
      CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
      err.println("Run '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for usage.");
      err.flush();
      return EXIT_USAGE;
    });
    return cli.execute(args);
  }

  /** The first argument that looks like an option ({@code --name} or {@code -x}) and is none of {@code cli}'s. */
  static java.util.Optional<String> unknownOption(CommandLine cli, String[] args) {
    boolean afterCommand = cli.getParent() == null;
    for (String arg : args) {
      if (!afterCommand) {
        afterCommand = arg.equals(cli.getCommandName());
        continue;
      }
      if (arg.equals("--")) {
        break;
      }
      if (arg.matches("--?[A-Za-z][A-Za-z0-9-]*(=.*)?")) {
        String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
        if (cli.getCommandSpec().findOption(name) == null && !cli.getSubcommands().containsKey(name)) {
          return java.util.Optional.of(name);
        }
      }
    }
    return java.util.Optional.empty();
  }

  /** The option of {@code cli} closest to a misspelt one: a prefix of it, or within a few edits. */
  static java.util.Optional<String> closestOption(CommandLine cli, String wrong) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (CommandLine.Model.OptionSpec o : cli.getCommandSpec().options()) {
      if (o.hidden()) {
        continue;
      }
      for (String name : o.names()) {
        int distance = wrong.startsWith(name) || name.startsWith(wrong) ? 1 : editDistance(wrong, name);
        if (distance < bestDistance) {
          bestDistance = distance;
          best = name;
        }
      }
    }
    return best != null && bestDistance <= Math.max(2, wrong.length() / 3) ? java.util.Optional.of(best)
        : java.util.Optional.empty();
  }

  private static int editDistance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  /**
   * What an error says to the user. File-system errors carry only a path (or a bare reason such as
   * "Is a directory"), so they are spelled out here once: "PATH: no such file; check the path".
   */
  static String message(Throwable ex) {
    Throwable e = ex;
    while (e instanceof UncheckedIOException && e.getCause() != null) {
      e = e.getCause();
    }
    if (e instanceof FileSystemException f && f.getFile() != null) {
      String path = f.getFile() + (f.getOtherFile() != null ? " -> " + f.getOtherFile() : "");
      return path + ": " + fileProblem(f);
    }
    if (e instanceof CharacterCodingException) {
      return "the input is not UTF-8 text (is it a CSV or JSON-lines file?)";
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  private static String fileProblem(FileSystemException f) {
    String reason = f.getReason();
    if (f instanceof NoSuchFileException) {
      return "no such file; check the path";
    }
    if (f instanceof AccessDeniedException) {
      return "permission denied; check its permissions or choose another path";
    }
    if (f instanceof FileAlreadyExistsException) {
      return "exists and is not a directory; choose another path";
    }
    if (f instanceof NotDirectoryException) {
      return "is not a directory";
    }
    if (f instanceof DirectoryNotEmptyException) {
      return "is a directory (not empty); give a file path";
    }
    if (reason == null) {
      return f.getClass().getSimpleName();
    }
    if (reason.equals("Is a directory")) {
      return "is a directory; give a file path";
    }
    // The JDK's reasons are the C library's messages: "Read-only file system", "No space left on device".
    return Character.toLowerCase(reason.charAt(0)) + reason.substring(1);
  }

  /** Reads the version Maven wrote into the jar. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      Properties p = new Properties();
      try (InputStream in = FlowguardCli.class.getResourceAsStream("version.properties")) {
        if (in != null) {
          p.load(in);
        }
      }
      return new String[] {"flowguard " + p.getProperty("version", "development build")};
    }
  }
}
