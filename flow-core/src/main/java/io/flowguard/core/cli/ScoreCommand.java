package io.flowguard.core.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.flowguard.core.context.ContextSpec;
import io.flowguard.core.context.EventTimes;
import io.flowguard.core.context.KeyHistory;
import io.flowguard.core.data.DataFormatException;
import io.flowguard.core.data.DataReader;
import io.flowguard.core.data.ReplacingFile;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.data.Table;
import io.flowguard.core.data.TableReader;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.score.Scorer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code flowguard score}: batch scoring of a file with a model. */
@Command(
    name = "score",
    mixinStandardHelpOptions = true,
    description = {
        "Score every row of a file with a model: log_density, nll, tail_probability and anomaly.",
        "",
        "Rows are matched to the model's features by column name, in any order. Every other column (ids,",
        "labels, timestamps, free text) is copied through as the file has it, and so are, in JSON lines, the",
        "event metadata key, ts and model and the fields beside an event's \"features\"; feature columns are",
        "written as the numbers scored. Output is CSV or JSON lines, chosen by the --out extension.",
        "",
        "The file is read, scored and written a chunk of rows at a time: memory does not grow with the file",
        "(JSON lines to CSV reads it twice: first for the columns of the header). --out appears only once",
        "every row is scored: a bad row fails the run and leaves no partial output, nor changes an earlier one.",
        "",
        "  flowguard score --model pump.fgm --data today.csv --out today-scored.csv",
        "",
        "--explain [K] adds, for each anomaly (every row with --explain-all), its top K features (default 3):",
        "name, value, typical value, contribution in nats, z-score, out-of-range flag; whether it is a joint",
        "anomaly and the pair that explains it (docs/explanations.md says what each number means).",
        "",
        "  flowguard score --model pump.fgm --data today.csv --out today-scored.jsonl --explain",
        ""})
final class ScoreCommand implements Callable<Integer> {

  @Option(names = "--model", required = true, paramLabel = "MODEL", description = "A model file written by 'train'.")
  Path modelFile;

  @Option(names = "--data", required = true, paramLabel = "FILE", description = "Events: a CSV file with a header, or JSON lines (.jsonl, .ndjson, .json).")
  Path data;

  @Option(names = "--out", required = true, paramLabel = "FILE", description = "Output .csv or .jsonl.")
  Path out;

  @Option(names = "--false-alarm-rate", defaultValue = "0.001", paramLabel = "RATE",
      description = "An event is an anomaly when its tail probability is below this rate, in (0, 1)"
          + " (default: ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--skip-invalid", paramLabel = "REJECTS_FILE",
      description = "Leave out rows with bad content (a value that is not a finite number, a wrong field count, a bad"
          + " JSON line) instead of failing, and write them to this CSV file as line,reason; the rest is scored."
          + " Without it, one bad row fails the run.")
  Path rejectsFile;

  @Option(names = "--explain", arity = "0..1", fallbackValue = "3", defaultValue = "0", paramLabel = "K",
      description = "Explain anomalies: add their top K features (default K: 3) as explanation columns.")
  int explainTop;

  @Option(names = "--explain-all", description = "With --explain: explain every row, not only the anomalies.")
  boolean explainAll;

  @Option(names = "--time-column", paramLabel = "COLUMN",
      description = "A time-aware model's event-time column (default: 'timestamp', or 'ts' if there is none).")
  String timeColumn;

  @Option(names = "--key-column", paramLabel = "COLUMN",
      description = "A time-aware model's key column: each key has its own history (default: 'key' if the data has"
          + " one, else the file is one series).")
  String keyColumn;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  /**
   * How a time-aware model's events are sequenced: the event-time and key columns (null: the defaults,
   * 'timestamp' or 'ts', and 'key' if present).
   */
  record Sequencing(String timeColumn, String keyColumn) {
    static final Sequencing DEFAULT = new Sequencing(null, null);

    String time(List<String> carried) {
      return timeColumn != null ? timeColumn : carried.contains("timestamp") || !carried.contains("ts") ? "timestamp" : "ts";
    }

    String key(List<String> carried) {
      return keyColumn != null ? keyColumn : carried.contains("key") ? "key" : null;
    }
  }

  /** What {@code --explain} asked for: the top k (0: no explanations) of anomalies only or of every row. */
  record Explain(int top, boolean all) {
    static final Explain NONE = new Explain(0, false);
  }

  /**
   * Rows scored and written at a time: memory is bounded by this chunk (its rows and their output), not by
   * the file. Package-private so that tests can use small chunks.
   */
  static final int CHUNK_ROWS = 4096;

  /** What a run scored: events and anomalies among them, and rows left out by --skip-invalid. */
  record Tally(long events, long anomalies, long rejected) {
    Tally(long events, long anomalies) {
      this(events, anomalies, 0);
    }
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter stdout = spec.commandLine().getOut();
    OptionChecks.falseAlarmRate(spec.commandLine(), rate);
    OutputPaths.checkFile(out, "--out", "scored.csv");
    if (explainTop < 0 || (explainAll && explainTop == 0)) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), explainTop < 0
          ? "--explain K must be at least 1, got " + explainTop : "--explain-all needs --explain");
    }
    checkOutputFormat(out);
    FlowModel model = ModelFormat.read(modelFile);
    if (rejectsFile != null) {
      OutputPaths.checkFile(rejectsFile, "--skip-invalid", "rejects.csv");
      if (rejectsFile.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())
          || rejectsFile.toAbsolutePath().normalize().equals(data.toAbsolutePath().normalize())) {
        throw new IllegalArgumentException("--skip-invalid " + rejectsFile + " must be another file than --data and --out");
      }
    }
    if (explainTop > 0 && model.featureStatistics().isEmpty()) {
      spec.commandLine().getErr().println("note: " + modelFile + " has no training statistics (written before model"
          + " format 4): explanations have contributions but no z-scores or range flags; retrain to get them");
    }
    if (model.context().isEmpty() && (timeColumn != null || keyColumn != null)) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--time-column and --key-column are for"
          + " time-aware models; " + modelFile + " scores every event alone");
    }
    model.context().ifPresent(c -> spec.commandLine().getErr().println("Time-aware model: " + c.describe()
        + "; each key's events are scored in file order given its previous ones (columns history_events,"
        + " warming_up)"));
    Tally tally = score(model, rate, data, out, CHUNK_ROWS, Optional.ofNullable(rejectsFile),
        new Explain(explainTop, explainAll), new Sequencing(timeColumn, keyColumn));
    stdout.printf(Locale.ROOT, "Scored %d events with %s v%d: %d anomalies at false-alarm rate %s (%.2f %%)%n",
        tally.events(), model.name(), model.version(), tally.anomalies(), Rates.format(rate),
        100.0 * tally.anomalies() / tally.events());
    stdout.printf("Wrote %s%n", out);
    if (rejectsFile != null) {
      stdout.printf(Locale.ROOT, "Left out %d invalid row%s: %s%n", tally.rejected(), tally.rejected() == 1 ? "" : "s",
          rejectsFile);
    }
    return 0;
  }

  /**
   * Scores every row of {@code data} into {@code out}, {@code chunkRows} rows at a time. The output is
   * written to a temporary file beside {@code out} and moved over it only once every row is scored: a bad
   * row anywhere fails the run with the reader's message, leaving no partial output and any earlier
   * {@code out} as it was.
   */
  static Tally score(FlowModel model, double rate, Path data, Path out, int chunkRows) throws IOException {
    return score(model, rate, data, out, chunkRows, Optional.empty(), Explain.NONE);
  }

  /**
   * As {@link #score(FlowModel, double, Path, Path, int)}, with explanation columns when {@code explain.top() > 0};
   * with {@code rejects}, rows with bad content are left out and written there ({@code line,reason}, CSV with a
   * header) instead of failing the run. Both files appear only once every row is read.
   */
  static Tally score(FlowModel model, double rate, Path data, Path out, int chunkRows, Optional<Path> rejects,
                    Explain explain) throws IOException {
    return score(model, rate, data, out, chunkRows, rejects, explain, Sequencing.DEFAULT);
  }

  /** As above, a time-aware model's events sequenced by {@code sequencing}'s columns. */
  static Tally score(FlowModel model, double rate, Path data, Path out, int chunkRows, Optional<Path> rejects,
                    Explain explain, Sequencing sequencing) throws IOException {
    ReplacingFile rejectFile = rejects.isPresent() ? ReplacingFile.create(rejects.get()) : null;
    long[] rejected = {0};
    try {
      if (rejectFile != null) {
        rejectFile.writer().write("line,reason\n");
      }
      TableReader.Rejects sink = (line, reason) -> {
        rejected[0]++;
        rejectFile.writer().write(line + "," + csvField(reason) + "\n");
      };
      Tally t = score(model, rate, data, out, chunkRows, rejectFile == null ? null : sink, explain, sequencing);
      if (rejectFile != null) {
        rejectFile.commit();
      }
      return new Tally(t.events(), t.anomalies(), rejected[0]);
    } finally {
      if (rejectFile != null) {
        rejectFile.close();
      }
    }
  }

  private static Tally score(FlowModel model, double rate, Path data, Path out, int chunkRows,
                             TableReader.Rejects rejects, Explain explain, Sequencing sequencing) throws IOException {
    List<String> features = model.preprocessor().featureNames();
    ContextSpec context = model.context().orElse(null);
    List<String> fields = context == null ? List.of() : context.fields();
    Predicate<String> isFeature = c -> features.contains(c) || fields.contains(c);
    Map<String, KeyHistory> histories = new HashMap<>();
    String whoNeedsIt = "model '" + model.name() + "'";
    boolean json = JSON_OUT.matcher(out.getFileName().toString().toLowerCase(Locale.ROOT)).matches();
    List<String> header = null;
    List<String> headerCarried = null;
    if (!json) {
      // A CSV header names every column before the first row, but a JSON-lines row may carry a field that
      // no earlier row had. So for JSON lines a first pass reads the file for its columns alone (parsed and
      // validated, nothing kept or scored), and the second streams; a CSV's header is known at once.
      try (TableReader pass = DataReader.open(data, isFeature)) {
        if (rejects != null) {
          pass.skipInvalid((line, reason) -> { }); // told in the scoring pass
        }
        if (pass.columnsMayGrow()) {
          pass.skipRemaining();
        }
        header = pass.columns();
        headerCarried = pass.carriedColumns();
      }
    }
    Scorer scorer = new Scorer(model, rate);
    Scorer.Score score = new Scorer.Score();
    io.flowguard.core.explain.Explainer explainer = explain.top() > 0
        ? new io.flowguard.core.explain.Explainer(model, rate) : null;
    ObjectMapper mapper = new ObjectMapper();
    long events = 0;
    long anomalies = 0;
    try (TableReader reader = DataReader.open(data, isFeature)) {
      if (rejects != null) {
        reader.skipInvalid(rejects);
      }
      // Never empty: a file without rows is an error of the reader.
      Table first = reader.next(chunkRows).orElseThrow();
      int[] columns = featureIndices(reader, first, features, whoNeedsIt);
      int[] fieldColumns = featureIndices(reader, first, fields, whoNeedsIt + "'s context");
      double[] raw = new double[columns.length];
      double[] fieldValues = new double[fieldColumns.length];
      try (ReplacingFile file = ReplacingFile.create(out)) {
        Writer w = file.writer();
        if (!json) {
          StringBuilder line = new StringBuilder();
          for (String name : header) {
            line.append(csvField(name)).append(',');
          }
          line.append("log_density,nll,tail_probability,anomaly");
          if (context != null) {
            line.append(",history_events,warming_up");
          }
          if (explainer != null) {
            for (String h : ExplanationColumns.header(explain.top())) {
              line.append(',').append(h);
            }
          }
          w.write(line + "\n");
        }
        for (Optional<Table> chunk = Optional.of(first); chunk.isPresent(); chunk = reader.next(chunkRows)) {
          Table table = chunk.get();
          // Every column of the file in its order: a feature as the number scored, any other as the file
          // had it. A CSV row has every column of the header (MISSING where a JSON-lines row lacked one); a
          // JSON object only the fields of its row, all among the columns seen up to this chunk (columns are
          // only appended, so their order is the whole file's order).
          List<String> names = json ? table.columns() : header;
          List<String> carriedNames = json ? table.carriedColumns() : headerCarried;
          Dataset ds = table.features();
          int[] featureAt = new int[names.size()];
          int[] carriedAt = new int[names.size()];
          for (int c = 0; c < names.size(); c++) {
            featureAt[c] = ds.columns().indexOf(names.get(c));
            carriedAt[c] = carriedNames.indexOf(names.get(c));
          }
          int d = ds.dim();
          int timeAt = -1;
          int keyAt = -1;
          if (context != null) {
            String timeName = sequencing.time(carriedNames);
            timeAt = carriedNames.indexOf(timeName);
            if (timeAt < 0) {
              throw new DataFormatException(data + ": no event-time column '" + timeName + "', which time-aware model '"
                  + model.name() + "' needs; name it with --time-column (the columns are " + names + ")");
            }
            String keyName = sequencing.key(carriedNames);
            keyAt = keyName == null ? -1 : carriedNames.indexOf(keyName);
            if (keyName != null && keyAt < 0) {
              throw new DataFormatException(data + ": no key column '" + keyName + "' (the columns are " + names + ")");
            }
          }
          for (int r = 0; r < ds.rows(); r++) {
            for (int i = 0; i < columns.length; i++) {
              raw[i] = ds.values()[r * d + columns[i]];
            }
            if (context == null) {
              scorer.score(raw, score);
            } else {
              for (int i = 0; i < fieldColumns.length; i++) {
                fieldValues[i] = ds.values()[r * d + fieldColumns[i]];
              }
              Table.Cell t = table.carried(r, timeAt);
              long row = events + r + 1;
              long time = EventTimes.parse(t.text()).orElseThrow(() -> new DataFormatException(data + " row " + row
                  + ": '" + t.text() + "' is not an event time; use epoch milliseconds, ISO-8601 or"
                  + " 'yyyy-MM-dd HH:mm:ss' (UTC)"));
              String key = keyAt < 0 ? "" : table.carried(r, keyAt).text();
              KeyHistory history = histories.computeIfAbsent(key, k -> scorer.newHistory());
              scorer.scoreInContext(raw, 0, raw.length, history, time, fieldValues, 0, score);
            }
            anomalies += score.anomaly ? 1 : 0;
            Optional<io.flowguard.core.explain.Explanation> explanation = explainer != null
                && (score.anomaly || explain.all())
                ? Optional.of(context == null ? explainer.explain(raw, explain.top())
                    : explainer.explainInContext(raw, 0, raw.length, explain.top(), scorer.lastContext()))
                : Optional.empty();
            if (json) {
              ObjectNode node = mapper.createObjectNode();
              for (int c = 0; c < names.size(); c++) {
                if (featureAt[c] >= 0) {
                  putScore(node, names.get(c), ds.values()[r * d + featureAt[c]]);
                } else {
                  putCell(node, names.get(c), table.carried(r, carriedAt[c]));
                }
              }
              putScore(node, "log_density", score.logDensity);
              putScore(node, "nll", score.nll);
              putScore(node, "tail_probability", score.tailProbability);
              node.put("anomaly", score.anomaly);
              if (context != null) {
                node.put("history_events", score.historyEvents);
                node.put("warming_up", score.warmingUp);
              }
              explanation.ifPresent(e -> ExplanationColumns.json(node, e));
              w.write(mapper.writeValueAsString(node));
              w.write('\n');
            } else {
              StringBuilder line = new StringBuilder();
              for (int c = 0; c < names.size(); c++) {
                if (featureAt[c] >= 0) {
                  line.append(ds.values()[r * d + featureAt[c]]);
                } else {
                  Table.Cell cell = table.carried(r, carriedAt[c]);
                  boolean empty = cell.kind() == Table.Cell.Kind.NULL || cell.kind() == Table.Cell.Kind.MISSING;
                  line.append(empty ? "" : csvField(cell.text()));
                }
                line.append(',');
              }
              line.append(score.logDensity).append(',').append(score.nll).append(',').append(score.tailProbability)
                  .append(',').append(score.anomaly ? 1 : 0);
              if (context != null) {
                line.append(',').append(score.historyEvents).append(',').append(score.warmingUp ? 1 : 0);
              }
              if (explainer != null) {
                ExplanationColumns.csv(line, explanation, explain.top());
              }
              line.append('\n');
              w.write(line.toString());
            }
          }
          events += ds.rows();
        }
        file.commit();
      }
    }
    return new Tally(events, anomalies);
  }

  /** Output formats by extension: CSV, or JSON lines. */
  static final java.util.regex.Pattern JSON_OUT = java.util.regex.Pattern.compile(".*\\.(jsonl|json|ndjson)$");
  static final java.util.regex.Pattern CSV_OUT = java.util.regex.Pattern.compile(".*\\.csv$");

  /** --out must name a format score writes: refuse anything else rather than write CSV under another name. */
  static void checkOutputFormat(Path out) {
    String name = out.getFileName() == null ? "" : out.getFileName().toString().toLowerCase(Locale.ROOT);
    if (!CSV_OUT.matcher(name).matches() && !JSON_OUT.matcher(name).matches()) {
      int dot = name.lastIndexOf('.');
      throw new IllegalArgumentException("--out " + out + ": " + (dot < 0 ? "no extension" : "unknown output format '"
          + name.substring(dot) + "'") + "; score writes CSV (.csv) or JSON lines (.jsonl, .ndjson, .json), chosen by"
          + " the extension, e.g. --out scored.csv");
    }
  }

  /**
   * A score in a JSON-lines row: JSON has no NaN or infinity, so a non-finite value is written as null and
   * the field {@code NAME_nonfinite} says which it was ({@code "+inf"}, {@code "-inf"} or {@code "nan"}).
   */
  static void putScore(ObjectNode node, String name, double v) {
    if (Double.isFinite(v)) {
      node.put(name, v);
      return;
    }
    node.putNull(name);
    node.put(name + "_nonfinite", Double.isNaN(v) ? "nan" : v > 0 ? "+inf" : "-inf");
  }

  /**
   * The positions of the model's features among the file's. Where one is missing, the rest of the file is
   * read first, as when the whole file was read before this check: a malformed later row is still the
   * error reported, and a column that only a later row carries is named as carried, not as absent.
   */
  private static int[] featureIndices(TableReader reader, Table first, List<String> features, String whoNeedsIt)
      throws IOException {
    try {
      return first.featureIndices(features, whoNeedsIt);
    } catch (DataFormatException missing) {
      reader.skipRemaining();
      reader.featureIndices(features, whoNeedsIt);
      throw missing;
    }
  }

  /** A carried value in a JSON object: a string stays a string, a number keeps its digits as written. */
  private static void putCell(ObjectNode node, String name, Table.Cell cell) {
    switch (cell.kind()) {
      case TEXT -> node.put(name, cell.text());
      case NUMBER, BOOLEAN, JSON -> node.putRawValue(name, new RawValue(cell.text()));
      case NULL -> node.putNull(name);
      case MISSING -> { }
    }
  }

  /** A CSV field, quoted (RFC 4180) when it holds a comma, a quote or a line break. */
  static String csvField(String text) {
    if (text.indexOf(',') < 0 && text.indexOf('"') < 0 && text.indexOf('\n') < 0 && text.indexOf('\r') < 0) {
      return text;
    }
    return '"' + text.replace("\"", "\"\"") + '"';
  }
}
