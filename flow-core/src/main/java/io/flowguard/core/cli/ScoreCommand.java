package io.flowguard.core.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.flowguard.core.data.DataReader;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.data.Table;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.score.Scorer;
import java.io.BufferedWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
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
        "  flowguard score --model pump.fgm --data today.csv --out today-scored.csv",
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

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter stdout = spec.commandLine().getOut();
    OptionChecks.falseAlarmRate(spec.commandLine(), rate);
    OutputPaths.checkFile(out, "--out", "scored.csv");
    FlowModel model = ModelFormat.read(modelFile);
    List<String> features = model.preprocessor().featureNames();
    Table table = DataReader.read(data, features::contains);
    Dataset ds = table.features();
    int[] columns = table.featureIndices(features, "model '" + model.name() + "'");
    // Every column of the file in its order: a feature as the number scored, any other as the file had it.
    List<String> names = table.columns();
    int[] featureAt = new int[names.size()];
    int[] carriedAt = new int[names.size()];
    for (int c = 0; c < names.size(); c++) {
      featureAt[c] = ds.columns().indexOf(names.get(c));
      carriedAt[c] = table.carriedColumns().indexOf(names.get(c));
    }
    Scorer scorer = new Scorer(model, rate);
    Scorer.Score score = new Scorer.Score();
    double[] raw = new double[columns.length];
    boolean json = out.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.(jsonl|json|ndjson)$");
    ObjectMapper mapper = new ObjectMapper();
    int anomalies = 0;
    if (out.toAbsolutePath().getParent() != null) {
      Files.createDirectories(out.toAbsolutePath().getParent());
    }
    try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
      if (!json) {
        StringBuilder header = new StringBuilder();
        for (String name : names) {
          header.append(csvField(name)).append(',');
        }
        w.write(header + "log_density,nll,tail_probability,anomaly\n");
      }
      int d = ds.dim();
      for (int r = 0; r < ds.rows(); r++) {
        for (int i = 0; i < columns.length; i++) {
          raw[i] = ds.values()[r * d + columns[i]];
        }
        scorer.score(raw, score);
        anomalies += score.anomaly ? 1 : 0;
        if (json) {
          ObjectNode node = mapper.createObjectNode();
          for (int c = 0; c < names.size(); c++) {
            if (featureAt[c] >= 0) {
              node.put(names.get(c), ds.values()[r * d + featureAt[c]]);
            } else {
              putCell(node, names.get(c), table.carried(r, carriedAt[c]));
            }
          }
          node.put("log_density", score.logDensity);
          node.put("nll", score.nll);
          node.put("tail_probability", score.tailProbability);
          node.put("anomaly", score.anomaly);
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
              .append(',').append(score.anomaly ? 1 : 0).append('\n');
          w.write(line.toString());
        }
      }
    }
    stdout.printf(Locale.ROOT, "Scored %d events with %s v%d: %d anomalies at false-alarm rate %s (%.2f %%)%n",
        ds.rows(), model.name(), model.version(), anomalies, Rates.format(rate), 100.0 * anomalies / ds.rows());
    stdout.printf("Wrote %s%n", out);
    return 0;
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
