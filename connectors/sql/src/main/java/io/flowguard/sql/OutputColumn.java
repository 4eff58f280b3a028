package io.flowguard.sql;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeRoot;

/**
 * The columns a Flowguard model can produce, by name. {@code CREATE MODEL ... OUTPUT (...)} lists any
 * subset in any order. Every column is nullable: a row that could not be scored has NULL scores and a
 * {@code reason}. {@code explanation} is a JSON array of the top features of an anomaly (null for rows
 * that are not anomalies; see docs/explanations.md).
 */
enum OutputColumn {
  LOG_DENSITY("log_density", "DOUBLE", LogicalTypeRoot.DOUBLE),
  NLL("nll", "DOUBLE", LogicalTypeRoot.DOUBLE),
  TAIL_PROBABILITY("tail_probability", "DOUBLE", LogicalTypeRoot.DOUBLE),
  ANOMALY("anomaly", "BOOLEAN", LogicalTypeRoot.BOOLEAN),
  REASON("reason", "STRING", LogicalTypeRoot.VARCHAR),
  MODEL_NAME("model_name", "STRING", LogicalTypeRoot.VARCHAR),
  MODEL_VERSION("model_version", "INT", LogicalTypeRoot.INTEGER),
  EXPLANATION("explanation", "STRING", LogicalTypeRoot.VARCHAR);

  final String sqlName;
  final String sqlType;
  private final LogicalTypeRoot root;

  OutputColumn(String sqlName, String sqlType, LogicalTypeRoot root) {
    this.sqlName = sqlName;
    this.sqlType = sqlType;
    this.root = root;
  }

  boolean accepts(LogicalType type) {
    if (type.getTypeRoot() != root || !type.isNullable()) {
      return false;
    }
    // Strings may be cut to a VARCHAR(n) by the user; STRING is VARCHAR(MAX).
    return true;
  }

  static Optional<OutputColumn> named(String name) {
    return Arrays.stream(values()).filter(c -> c.sqlName.equals(name)).findFirst();
  }

  /** "log_density DOUBLE, nll DOUBLE, ..." for error messages. */
  static String catalogue() {
    return Arrays.stream(values())
        .map(c -> c.sqlName + " " + c.sqlType)
        .collect(Collectors.joining(", "));
  }
}
