package io.flowguard.core.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A file as {@link DataReader} read it: the feature columns as numbers ({@link #features()}), and every
 * other column ({@link #carriedColumns()}: ids, labels, timestamps, free text) as the values the file
 * held, so that a tool can copy them through unchanged.
 */
public final class Table {

  /** A value of a carried column, as the file held it. */
  public record Cell(String text, Kind kind) {

    /** What a carried value was in the file. */
    public enum Kind {
      /** A CSV field or a JSON string: {@link #text()} is the text itself. */
      TEXT,
      /** A JSON number: {@link #text()} is its digits exactly as written. */
      NUMBER,
      /** A JSON true or false. */
      BOOLEAN,
      /** A JSON null. */
      NULL,
      /** A JSON object or array: {@link #text()} is its JSON. */
      JSON,
      /** Absent from this row (a JSON-lines field that other rows have). */
      MISSING
    }

    /** The value of a row that lacks the field. */
    public static final Cell MISSING = new Cell("", Kind.MISSING);

    public Cell {
      Objects.requireNonNull(text, "text");
      Objects.requireNonNull(kind, "kind");
    }

    /** A CSV field or JSON string. */
    public static Cell text(String text) {
      return new Cell(text, Kind.TEXT);
    }
  }

  private final List<String> columns;
  private final Dataset features;
  private final List<String> carriedColumns;
  private final List<Cell[]> carried;

  /**
   * @param columns every column, in the file's order
   * @param features the feature columns, in the file's order
   * @param carriedColumns the other columns, in the file's order
   * @param carried per row, the carried values in the order of {@code carriedColumns}; a shorter row lacks
   *     the last ones ({@link Cell#MISSING})
   */
  Table(List<String> columns, Dataset features, List<String> carriedColumns, List<Cell[]> carried) {
    this.columns = List.copyOf(columns);
    this.features = features;
    this.carriedColumns = List.copyOf(carriedColumns);
    this.carried = new ArrayList<>(carried);
    if (carried.size() != features.rows()) {
      throw new IllegalArgumentException(carried.size() + " rows of carried values for " + features.rows() + " rows");
    }
  }

  /** Every column, features and carried ones, in the file's order. */
  public List<String> columns() {
    return columns;
  }

  /** The feature columns, parsed as finite numbers. */
  public Dataset features() {
    return features;
  }

  /** The columns that are not features, in the file's order. */
  public List<String> carriedColumns() {
    return carriedColumns;
  }

  public int rows() {
    return features.rows();
  }

  /** The value of carried column {@code k} (an index into {@link #carriedColumns()}) in {@code row}. */
  public Cell carried(int row, int k) {
    Cell[] r = carried.get(row);
    return k < r.length ? r[k] : Cell.MISSING;
  }

  /**
   * The positions of {@code names} among the feature columns, as {@link Dataset#indicesOf}; a name that
   * is a carried column of this file is named as such (e.g. {@code ts} in JSON lines, which is event
   * metadata and never a feature).
   */
  public int[] featureIndices(List<String> names, String whoNeedsIt) {
    return featureIndices(features, carriedColumns, names, whoNeedsIt);
  }

  /** {@link #featureIndices(List, String)} of a file with these feature and carried columns. */
  static int[] featureIndices(Dataset features, List<String> carriedColumns, List<String> names, String whoNeedsIt) {
    for (String name : names) {
      if (carriedColumns.contains(name)) {
        throw new DataFormatException(features.source() + ": column '" + name + "', which " + whoNeedsIt
            + " needs, is not a feature in this file: in JSON lines, key, ts and model are event metadata, and in"
            + " the shape {\"features\": {...}} only the fields inside features are features");
      }
    }
    return features.indicesOf(names, whoNeedsIt);
  }
}
