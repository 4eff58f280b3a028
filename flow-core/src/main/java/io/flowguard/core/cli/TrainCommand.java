package io.flowguard.core.cli;

import io.flowguard.core.context.ContextSpec;
import io.flowguard.core.context.EventSequence;
import io.flowguard.core.data.DataFormatException;
import io.flowguard.core.data.DataReader;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.data.Table;
import io.flowguard.core.model.AutoConfig;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.ModelTrainer;
import io.flowguard.core.model.Preprocessor;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code flowguard train}: a model file (and its report) from a table of normal events. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
        "Train a flow on normal events and write a model file, with an HTML report beside it.",
        "",
        "The data is a CSV with a header or JSON lines, one row per event: train on NORMAL events (the model",
        "learns what normal looks like; anomalies are what it then flags). Every column is a numeric feature",
        "except those --ignore names (ids, labels, free text: never parsed) and, in JSON lines, the event",
        "metadata key, ts and model and the fields beside an event's \"features\". Constant columns are",
        "dropped, discrete columns dequantized, heavy-tailed ones transformed, the rest standardized; a share",
        "of the rows is held out to calibrate tail probabilities and typicality thresholds. Without --spec",
        "and training options the model is configured from the data's size (docs/defaults.md); train prints",
        "what it chose, inspect shows it later. The report goes to MODEL-report/ beside the model. Example:",
        "",
        "  flowguard train --data normal.csv --out pump.fgm --name pump",
        "  flowguard inspect pump.fgm",
        ""})
final class TrainCommand implements Callable<Integer> {

  @Option(names = "--data", required = true, paramLabel = "FILE", description = "Normal events: a CSV file with a header, or JSON lines (.jsonl, .ndjson, .json).")
  Path data;

  @Option(names = "--out", required = true, paramLabel = "MODEL", description = "The model file to write (e.g. model.fgm).")
  Path out;

  @Option(names = "--name", defaultValue = "default", paramLabel = "NAME",
      description = "Model name events refer to (default: ${DEFAULT-VALUE}).")
  String name;

  @Option(names = "--model-version", defaultValue = "1", paramLabel = "N", description = "Model version (default: ${DEFAULT-VALUE}).")
  int version;

  @Option(names = "--ignore", split = ",", paramLabel = "COLUMN",
      description = "Columns that are not features (e.g. an id or a label), comma-separated: never parsed, so they"
          + " may hold any text.")
  List<String> ignore = List.of();

  @Option(names = "--no-report", description = "Do not write the HTML report.")
  boolean noReport;

  @Option(names = "--seed", defaultValue = "0", paramLabel = "N",
      description = "Seed of the calibration and validation splits, initialization and minibatches"
          + " (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--recommend-rate", paramLabel = "RATE",
      description = "Store this false-alarm rate in the model as its recommended rate, in (0, 1) (e.g. the best-F1"
          + " rate of 'evaluate'); the Flink job and the API may score the model at it instead of their configured"
          + " rate (default: none stored).")
  Double recommendRate;

  @Mixin
  TrainingOptions training;

  @Mixin
  ContextOptions context;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter stdout = spec.commandLine().getOut();
    training.validate(spec.commandLine());
    OptionChecks.atLeast(spec.commandLine(), "--model-version", version, 1);
    OutputPaths.checkFile(out, "--out", "model.fgm");
    if (recommendRate != null && !(recommendRate > 0 && recommendRate < 1)) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--recommend-rate must be a probability in"
          + " (0, 1), e.g. 0.01; got " + recommendRate);
    }
    if (!noReport) {
      OutputPaths.checkDirectory(ReportCommand.reportDirFor(out), "the report directory",
          "move that file away or pass --no-report");
    }
    java.util.Optional<ContextSpec> contextSpec = context.resolve(spec.commandLine());
    Table table = read();
    Dataset ds = table.features();
    EventSequence sequence = null;
    if (contextSpec.isPresent()) {
      String timeColumn = context.timeColumn(table.columns());
      String keyColumn = context.keyColumn(table.columns());
      List<String> modelled = ds.columns().stream().filter(c -> !contextSpec.get().fields().contains(c)).toList();
      sequence = EventSequence.of(table, modelled, timeColumn, keyColumn, contextSpec.get().fields());
      ds = sequence.features();
      err.printf(Locale.ROOT, "Time-aware: %s; %d key%s, event time from '%s'%n", contextSpec.get().describe(),
          sequence.keyNames().size(), sequence.keyNames().size() == 1 ? "" : "s", timeColumn);
    }
    if (ds.dim() == 0) {
      throw new IllegalArgumentException(data + ": no feature columns left; the columns are " + table.columns()
          + " and all of them are ignored or event metadata");
    }
    err.printf(Locale.ROOT, "Read %d rows x %d features from %s%s%n", ds.rows(), ds.dim(), data,
        table.carriedColumns().isEmpty() ? "" : " (not features: " + String.join(", ", table.carriedColumns()) + ")");
    for (String warning : DataGuards.columnWarnings(ds)) {
      err.println("Warning: " + warning);
    }
    AutoConfig.Choice choice = training.resolve(ds, seed);
    for (String line : choice.rationale()) {
      err.println("Config: " + line);
    }
    ModelTrainer.Options options = new ModelTrainer.Options(name, version, choice.spec(), choice.training(),
        training.calibration, training.preprocessing());
    ProgressBar bar = new ProgressBar(err, System.console() != null);
    ModelTrainer.Trained trained;
    try {
      trained = contextSpec.isPresent()
          ? ModelTrainer.trainInContext(sequence, contextSpec.get(), options, bar)
          : ModelTrainer.train(ds, options, bar);
    } finally {
      bar.close();
    }
    FlowModel model = trained.model();
    if (recommendRate != null) {
      model = model.withRecommendedFalseAlarmRate(java.util.OptionalDouble.of(recommendRate));
    }
    Preprocessor pre = model.preprocessor();
    List<String> unscored = pre.features().stream().filter(f -> !f.kept() && !f.apart()).map(Preprocessor.Feature::name)
        .toList();
    if (!unscored.isEmpty()) {
      err.println("Warning: Dropped constant columns: " + unscored + " (constant up to round-off in the training data,"
          + " they carry no density and do not affect the score; check them separately if a change matters)");
    }
    for (String warning : DataGuards.sizeWarnings(model, ModelTrainer.fitRows(ds.rows(), training.calibration),
        recommendRate != null ? recommendRate : 1e-3)) {
      err.println("Warning: " + warning);
    }
    for (Preprocessor.Feature f : pre.features()) {
      if (f.kept() || f.apart()) {
        for (String note : Preprocessor.notes(f)) {
          err.println("Note: " + note);
        }
      }
    }
    if (out.toAbsolutePath().getParent() != null) {
      Files.createDirectories(out.toAbsolutePath().getParent());
    }
    ModelFormat.write(model, out);
    double seconds = trained.training().seconds();
    stdout.printf(Locale.ROOT, "Trained %s v%d (%s) in %s s: %d steps%s, validation NLL %.4f, entropy H %.4f nats%n",
        model.name(), model.version(), model.spec().family(),
        String.format(Locale.ROOT, seconds < 1 ? "%.2f" : "%.1f", seconds), trained.training().steps(),
        trained.training().stoppedEarly() ? " (early stop)" : "", trained.training().validationNll(),
        model.calibration().entropy());
    stdout.printf("Wrote %s (%d bytes)%n", out, Files.size(out));
    if (!noReport && model.context().isPresent()) {
      err.println("Note: the HTML report does not cover time-aware models yet (its latent-space views need each row's"
          + " context); 'flowguard score' gives every event's conditional score, 'inspect' the model");
    } else if (!noReport) {
      ReportCommand.writeBeside(model, ds, out, stdout);
    }
    return 0;
  }

  /** The data, every column a feature but the --ignore'd ones (which must exist), which are read as text. */
  private Table read() throws java.io.IOException {
    Set<String> seen = new LinkedHashSet<>();
    Table table;
    try {
      table = DataReader.read(data, column -> {
        seen.add(column);
        return !ignore.contains(column) && !isContextColumn(column, seen);
      });
    } catch (DataFormatException e) {
      checkIgnored(seen);
      checkTimeColumn(seen);
      String column = e.nonNumericColumn().orElse(null);
      if (column != null && !ignore.contains(column)) {
        throw new IllegalArgumentException(e.getMessage() + ". If '" + column + "' is not a feature (an id, a label),"
            + " leave it out with --ignore " + column, e);
      }
      throw e;
    }
    checkIgnored(seen);
    checkTimeColumn(seen);
    return table;
  }

  /**
   * Whether a column is a time-aware model's event time or key (read as text). The defaults ('timestamp' or
   * 'ts', 'key') are decided on the header, which {@code seen} holds when the first column is asked about for
   * CSV; for JSON lines 'ts' and 'key' are event metadata anyway.
   */
  private boolean isContextColumn(String column, Set<String> seen) {
    if (!context.enabled()) {
      return false;
    }
    if (column.equals(context.timeColumn) || column.equals(context.keyColumn)) {
      return true;
    }
    return (context.timeColumn == null && (column.equals("timestamp") || column.equals("ts")))
        || (context.keyColumn == null && column.equals("key"));
  }

  /** A time-aware model needs its event-time column, named before any value of another column is judged. */
  private void checkTimeColumn(Set<String> columns) {
    if (!context.enabled() || columns.isEmpty()) {
      return;
    }
    String time = context.timeColumn(List.copyOf(columns));
    if (!columns.contains(time)) {
      throw new IllegalArgumentException(data + ": no column '" + time + "' for the event time of a time-aware model;"
          + " name the time column with --time-column (the columns are " + columns + ")");
    }
  }

  private void checkIgnored(Set<String> columns) {
    for (String c : ignore) {
      if (!columns.isEmpty() && !columns.contains(c)) {
        throw new IllegalArgumentException("--ignore " + c + ": " + data + " has no column '" + c + "'; its columns are "
            + columns);
      }
    }
  }
}
