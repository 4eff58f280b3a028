package io.flowguard.core.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.flowguard.core.data.DataReader;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.data.Table;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.score.Scorer;
import java.io.BufferedWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The reference for the streaming {@code score}: the whole-file implementation it replaced (commit
 * 4140d17, {@code ScoreCommand.call} after the option checks), kept verbatim so that tests can require
 * the streaming output to be byte for byte the same. Do not "improve" it.
 */
final class WholeFileScore {

  private WholeFileScore() {}

  /** Writes {@code out} as the whole-file score did and returns what it printed. */
  static String run(FlowModel model, double rate, Path data, Path out) throws Exception {
    StringWriter printed = new StringWriter();
    PrintWriter stdout = new PrintWriter(printed, true);
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
    return printed.toString();
  }

  private static void putCell(ObjectNode node, String name, Table.Cell cell) {
    switch (cell.kind()) {
      case TEXT -> node.put(name, cell.text());
      case NUMBER, BOOLEAN, JSON -> node.putRawValue(name, new RawValue(cell.text()));
      case NULL -> node.putNull(name);
      case MISSING -> { }
    }
  }

  private static String csvField(String text) {
    if (text.indexOf(',') < 0 && text.indexOf('"') < 0 && text.indexOf('\n') < 0 && text.indexOf('\r') < 0) {
      return text;
    }
    return '"' + text.replace("\"", "\"\"") + '"';
  }
}
