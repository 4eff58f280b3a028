package io.flowguard.core.cli;

import io.flowguard.core.context.ContextSpec;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The time-aware options of {@code train} (a picocli mixin): without {@code --context-window} a model scores
 * every event alone; with it, each event given its key's previous events ({@link ContextSpec}).
 */
final class ContextOptions {

  @Option(names = "--context-window", paramLabel = "K",
      description = "Train a time-aware model: each event's density given its key's K previous events"
          + " (log p(x_t | x_t-1 .. x_t-K)), so that what is normal after what counts. Needs an event-time column;"
          + " rows must be in time order per key. Default: none (every event scored alone).")
  Integer window;

  @Option(names = "--time-features",
      description = "With --context-window: also condition on the time of day and of week (UTC) of the event.")
  boolean timeFeatures;

  @Option(names = "--time-column", paramLabel = "COLUMN",
      description = "With --context-window: the event-time column (epoch milliseconds, ISO-8601, or"
          + " 'yyyy-MM-dd HH:mm:ss' read as UTC). Default: 'timestamp', or 'ts' if the data has no 'timestamp'.")
  String timeColumn;

  @Option(names = "--key-column", paramLabel = "COLUMN",
      description = "With --context-window: the column naming each event's key (a machine, an account); each"
          + " key has its own history. Default: 'key' if the data has one, else the file is one series.")
  String keyColumn;

  @Option(names = "--context-fields", split = ",", paramLabel = "COLUMN",
      description = "With --context-window: numeric columns to condition on without modelling them (e.g. a set"
          + " point), comma-separated.")
  List<String> fields = List.of();

  @Option(names = "--max-gap", paramLabel = "DURATION",
      description = "With --context-window: a key's history starts afresh after a gap longer than this (e.g."
          + " 30m, 2h, 1d or PT90S). Default: no limit.")
  String maxGap;

  @Option(names = "--max-out-of-order", paramLabel = "DURATION",
      description = "With --context-window: how much older than its key's newest event an event may be and still"
          + " join the history in the Flink job (older ones start it afresh). Default: 0.")
  String maxOutOfOrder;

  /** Whether a time-aware model was asked for. */
  boolean enabled() {
    return window != null;
  }

  /** The context spec, or empty; checks the options (ParameterException naming the option). */
  Optional<ContextSpec> resolve(CommandLine cmd) {
    if (window == null) {
      if (timeFeatures || timeColumn != null || keyColumn != null || !fields.isEmpty() || maxGap != null
          || maxOutOfOrder != null) {
        throw new ParameterException(cmd, "--time-features, --time-column, --key-column, --context-fields,"
            + " --max-gap and --max-out-of-order describe a time-aware model: add --context-window K");
      }
      return Optional.empty();
    }
    if (window < 1 || window > ContextSpec.MAX_WINDOW) {
      throw new ParameterException(cmd, "--context-window must be between 1 and " + ContextSpec.MAX_WINDOW
          + " previous events, got " + window + " (16 is a good start)");
    }
    Long gap = maxGap == null ? null : millis(cmd, "--max-gap", maxGap, false);
    Long late = maxOutOfOrder == null ? null : millis(cmd, "--max-out-of-order", maxOutOfOrder, true);
    return Optional.of(new ContextSpec(window, timeFeatures, fields, gap, late));
  }

  /** The time column for data with these columns. */
  String timeColumn(List<String> columns) {
    if (timeColumn != null) {
      return timeColumn;
    }
    return columns.contains("timestamp") || !columns.contains("ts") ? "timestamp" : "ts";
  }

  /** The key column for data with these columns, or null for one series. */
  String keyColumn(List<String> columns) {
    if (keyColumn != null) {
      return keyColumn;
    }
    return columns.contains("key") ? "key" : null;
  }

  /** A duration as 30s, 15m, 2h, 1d, 500ms or ISO-8601 (PT1H30M), in milliseconds. */
  static long millis(CommandLine cmd, String option, String text, boolean zeroAllowed) {
    String s = text.trim().toLowerCase(Locale.ROOT);
    long ms;
    try {
      if (s.startsWith("p")) {
        ms = Duration.parse(s.toUpperCase(Locale.ROOT)).toMillis();
      } else if (s.endsWith("ms")) {
        ms = Long.parseLong(s.substring(0, s.length() - 2).trim());
      } else if (!s.isEmpty() && "smhd".indexOf(s.charAt(s.length() - 1)) >= 0) {
        long n = Long.parseLong(s.substring(0, s.length() - 1).trim());
        ms = switch (s.charAt(s.length() - 1)) {
          case 's' -> n * 1_000L;
          case 'm' -> n * 60_000L;
          case 'h' -> n * 3_600_000L;
          default -> n * 86_400_000L;
        };
      } else {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException | DateTimeParseException | ArithmeticException e) {
      throw new ParameterException(cmd, option + " '" + text + "' is not a duration; write e.g. 500ms, 30s, 15m,"
          + " 2h, 1d or PT1H30M");
    }
    if (ms < 0 || (ms == 0 && !zeroAllowed)) {
      throw new ParameterException(cmd, option + " must be " + (zeroAllowed ? "zero or more" : "positive")
          + ", got " + text);
    }
    return ms;
  }
}
