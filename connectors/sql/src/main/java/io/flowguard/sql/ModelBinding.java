package io.flowguard.sql;

import io.flowguard.core.model.FlowModel;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.types.logical.LogicalType;

/**
 * How a {@code CREATE MODEL} statement's INPUT and OUTPUT columns map onto a Flowguard model: INPUT
 * columns are matched to the model's features by name (any order), OUTPUT columns to {@link
 * OutputColumn}s by name. Built and checked at planning time; every mismatch is a {@link
 * ValidationException} that names both the SQL side and the model side.
 *
 * @param modelFeatures the model's feature names, in model order
 * @param featureOfInput for INPUT column i, the model's feature index it feeds
 * @param readers for INPUT column i, how to read it as a double
 * @param outputs the OUTPUT columns, in the statement's order
 */
record ModelBinding(
    String sqlModel,
    List<String> inputNames,
    List<String> modelFeatures,
    int[] featureOfInput,
    FeatureReader[] readers,
    OutputColumn[] outputs)
    implements Serializable {

  /** Binds the statement's schemas to {@code model}; {@code source} says where the model came from. */
  static ModelBinding bind(
      String sqlModel, ResolvedSchema input, ResolvedSchema output, FlowModel model, String source) {
    String modelSide = "Flowguard model '" + model.name() + "' v" + model.version() + " (" + source + ")";
    List<String> features = model.preprocessor().featureNames();
    if (model.context().isPresent()) {
      // ML_PREDICT scores each row alone: a time-aware model would see every row as a new key's first
      // event, a different density from the one the model was trained and calibrated for.
      throw new ValidationException(String.format("CREATE MODEL %s: %s is time-aware (%s): it scores each event"
          + " given its key's previous events, which ML_PREDICT, scoring rows one by one, cannot keep. Score it with"
          + " the DataStream API (FlowguardScoring) or the Kafka job, or use a model trained without"
          + " --context-window here.", sqlModel, modelSide, model.context().get().describe()));
    }
    List<Column> inputColumns = input.getColumns();
    List<String> inputNames = new ArrayList<>();
    for (Column c : inputColumns) {
      inputNames.add(c.getName());
    }

    List<String> nonNumeric = new ArrayList<>();
    FeatureReader[] readers = new FeatureReader[inputColumns.size()];
    for (int i = 0; i < inputColumns.size(); i++) {
      LogicalType type = inputColumns.get(i).getDataType().getLogicalType();
      readers[i] = FeatureReader.of(type);
      if (readers[i] == null) {
        nonNumeric.add(inputNames.get(i) + " " + type.asSummaryString());
      }
    }
    if (!nonNumeric.isEmpty()) {
      throw new ValidationException(String.format(
          "CREATE MODEL %s: INPUT column(s) %s are not numeric; %s scores numeric features %s. "
              + "Declare them as DOUBLE (or another numeric type) and CAST the table's columns.",
          sqlModel, nonNumeric, modelSide, features));
    }

    Map<String, Integer> featureIndex = new HashMap<>();
    for (int f = 0; f < features.size(); f++) {
      featureIndex.put(features.get(f), f);
    }
    Set<String> unknown = new LinkedHashSet<>();
    Set<String> duplicate = new LinkedHashSet<>();
    Set<String> seen = new LinkedHashSet<>();
    int[] featureOfInput = new int[inputNames.size()];
    for (int i = 0; i < inputNames.size(); i++) {
      String name = inputNames.get(i);
      Integer f = featureIndex.get(name);
      if (f == null) {
        unknown.add(name);
      } else if (!seen.add(name)) {
        duplicate.add(name);
      } else {
        featureOfInput[i] = f;
      }
    }
    List<String> missing = new ArrayList<>();
    for (String f : features) {
      if (!seen.contains(f)) {
        missing.add(f);
      }
    }
    if (!unknown.isEmpty() || !missing.isEmpty() || !duplicate.isEmpty()) {
      StringBuilder why = new StringBuilder();
      why.append(String.format(
          "CREATE MODEL %s: INPUT columns %s (%d) do not match the features of %s: %s (%d).",
          sqlModel, inputNames, inputNames.size(), modelSide, features, features.size()));
      if (!unknown.isEmpty()) {
        why.append(" Not features of the model: ").append(unknown).append(hints(unknown, features)).append('.');
      }
      if (!missing.isEmpty()) {
        why.append(" Missing from INPUT: ").append(missing).append('.');
      }
      if (!duplicate.isEmpty()) {
        why.append(" Listed twice: ").append(duplicate).append('.');
      }
      why.append(" Name each INPUT column after a model feature (any order); DESCRIPTOR(...) then"
          + " picks the table columns for them by position.");
      throw new ValidationException(why.toString());
    }

    List<Column> outputColumns = output.getColumns();
    OutputColumn[] outputs = new OutputColumn[outputColumns.size()];
    List<String> problems = new ArrayList<>();
    for (int o = 0; o < outputColumns.size(); o++) {
      Column c = outputColumns.get(o);
      LogicalType type = c.getDataType().getLogicalType();
      OutputColumn known = OutputColumn.named(c.getName()).orElse(null);
      if (known == null) {
        problems.add("unknown column " + c.getName());
      } else if (!known.accepts(type)) {
        problems.add(c.getName() + " " + type.asSummaryString() + " must be " + known.sqlType
            + " (nullable)");
      } else {
        outputs[o] = known;
      }
    }
    if (!problems.isEmpty()) {
      throw new ValidationException(String.format(
          "CREATE MODEL %s: OUTPUT %s: %s. %s can produce: %s (any subset, any order).",
          sqlModel, describe(outputColumns), String.join("; ", problems), modelSide,
          OutputColumn.catalogue()));
    }
    return new ModelBinding(sqlModel, List.copyOf(inputNames), List.copyOf(features), featureOfInput,
        readers, outputs);
  }

  /**
   * The same INPUT columns bound to another model (a refreshed one); the model's features must be the
   * same names, in any order.
   */
  ModelBinding rebind(FlowModel model, String source) {
    List<String> features = model.preprocessor().featureNames();
    if (!new LinkedHashSet<>(features).equals(new LinkedHashSet<>(modelFeatures))
        || features.size() != modelFeatures.size()) {
      throw new ValidationException(String.format(
          "model '%s' v%d (%s) has features %s, but CREATE MODEL %s has INPUT %s",
          model.name(), model.version(), source, features, sqlModel, inputNames));
    }
    int[] index = new int[featureOfInput.length];
    for (int i = 0; i < index.length; i++) {
      index[i] = features.indexOf(inputNames.get(i));
    }
    return new ModelBinding(sqlModel, inputNames, List.copyOf(features), index, readers, outputs);
  }

  private static String describe(List<Column> columns) {
    List<String> parts = new ArrayList<>();
    for (Column c : columns) {
      parts.add(c.getName() + " " + c.getDataType().getLogicalType().asSummaryString());
    }
    return "(" + String.join(", ", parts) + ")";
  }

  /** " (did you mean X?)" for names that differ from a feature only in case. */
  private static String hints(Set<String> unknown, List<String> features) {
    List<String> hints = new ArrayList<>();
    for (String u : unknown) {
      for (String f : features) {
        if (f.toLowerCase(Locale.ROOT).equals(u.toLowerCase(Locale.ROOT))) {
          hints.add(u + " -> " + f);
        }
      }
    }
    return hints.isEmpty() ? "" : " (did you mean " + String.join(", ", hints)
        + "? names are case-sensitive)";
  }
}
