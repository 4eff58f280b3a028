package io.flowguard.core.data;

import java.util.List;

/**
 * A numeric table: named columns and row-major values.
 *
 * @param source where the rows came from (a file name), for messages
 * @param columns column names in order
 * @param values row-major {@code rows x columns.size()} values, all finite
 * @param rows number of rows
 */
public record Dataset(String source, List<String> columns, double[] values, int rows) {

  public Dataset {
    columns = List.copyOf(columns);
    if (values.length != (long) rows * columns.size()) {
      throw new IllegalArgumentException("expected " + rows + " x " + columns.size() + " values, got " + values.length);
    }
  }

  public int dim() {
    return columns.size();
  }

  public int columnIndex(String name) {
    int i = columns.indexOf(name);
    if (i < 0) {
      throw new IllegalArgumentException(source + ": no column '" + name + "'; the columns are " + columns);
    }
    return i;
  }

  /**
   * The positions of {@code names} among the columns, in the order of {@code names} (columns may come
   * in any order; extra columns are ignored). A missing one is a {@link DataFormatException} naming it and
   * {@code whoNeedsIt}.
   */
  public int[] indicesOf(List<String> names, String whoNeedsIt) {
    int[] idx = new int[names.size()];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = columns.indexOf(names.get(i));
      if (idx[i] < 0) {
        throw new DataFormatException(source + ": no column '" + names.get(i) + "', which " + whoNeedsIt
            + " needs; it needs " + names);
      }
    }
    return idx;
  }

  /** The rows restricted to the given column positions, row-major. */
  public double[] project(int[] columnIndices) {
    double[] out = new double[rows * columnIndices.length];
    int d = dim();
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < columnIndices.length; i++) {
        out[r * columnIndices.length + i] = values[r * d + columnIndices[i]];
      }
    }
    return out;
  }

  /** The values of one column. */
  public double[] column(String name) {
    int c = columnIndex(name);
    double[] out = new double[rows];
    for (int r = 0; r < rows; r++) {
      out[r] = values[r * dim() + c];
    }
    return out;
  }

  /** The table without one column. */
  public Dataset without(String name) {
    int c = columnIndex(name);
    int d = dim();
    double[] out = new double[rows * (d - 1)];
    for (int r = 0; r < rows; r++) {
      for (int j = 0, k = 0; j < d; j++) {
        if (j != c) {
          out[r * (d - 1) + k++] = values[r * d + j];
        }
      }
    }
    List<String> cols = new java.util.ArrayList<>(columns);
    cols.remove(c);
    return new Dataset(source, cols, out, rows);
  }

  /** The given rows, in the given order. */
  public Dataset rows(int[] indices) {
    int d = dim();
    double[] out = new double[indices.length * d];
    for (int i = 0; i < indices.length; i++) {
      System.arraycopy(values, indices[i] * d, out, i * d, d);
    }
    return new Dataset(source, columns, out, indices.length);
  }
}
