package io.flowguard.core.data;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A CSV or JSON-lines file read a chunk of rows at a time, so that memory is bounded by the chunk, not by
 * the file. {@link DataReader#open} opens one; {@link DataReader#read} is this reader with a chunk as large
 * as the file, so the two parse and validate alike: same columns, same cells, same errors (a
 * {@link DataFormatException} naming the file, line and column).
 *
 * <pre>{@code
 * try (TableReader reader = DataReader.open(file, features::contains)) {
 *   for (Optional<Table> chunk; (chunk = reader.next(4096)).isPresent(); ) {
 *     ... chunk.get().rows() rows, at most 4096
 *   }
 * }
 * }</pre>
 *
 * <p><b>Columns.</b> A CSV file's header names every column, so {@link #columns()} is complete once the
 * reader is open. A JSON-lines row may carry a field that no earlier row had ({@link #columnsMayGrow()}):
 * such a column is appended to {@link #columns()} and {@link #carriedColumns()} when its first row is
 * read. Columns are only ever appended, so a carried column keeps its index, and a chunk's
 * {@link Table#carried} cells index the same columns as the reader's final lists; a row read before a
 * column appeared lacks it ({@link Table.Cell#MISSING}). The feature columns are fixed by the header or
 * the first row.
 *
 * <p>A file without data rows is an error, as for the whole-file reader: at {@link DataReader#open} for an
 * empty file, at the first {@link #next} for a CSV header without rows. After an exception the reader is
 * done; close it.
 */
public final class TableReader implements AutoCloseable {

  /** Where rows come from: one file format's parser. */
  abstract static class Source implements Closeable {
    /** The input, closed with the source. */
    final BufferedReader in;
    /** The file, as messages name it. */
    final String src;
    /** Every column so far, in the file's order; a parser only appends to it. */
    final List<String> columns = new ArrayList<>();
    /** The feature columns, fixed by the header or the first row. */
    final List<String> featureNames = new ArrayList<>();
    /** The carried columns so far, in the file's order; a parser only appends to it. */
    final List<String> carriedNames = new ArrayList<>();

    Source(BufferedReader in, String src) {
      this.in = in;
      this.src = src;
    }

    /**
     * Reads the next row and appends its feature values to {@code values} and its carried cells (in the
     * order of {@link #carriedNames}) to {@code carried}; false at the end of the file.
     */
    abstract boolean next(DoubleBuffer values, List<Table.Cell[]> carried) throws IOException;

    /** Whether a later row may add a carried column. */
    abstract boolean columnsMayGrow();

    /** The file line the last row read (or rejected) started on. */
    abstract int lastLine();

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  private final String source;
  private final Source rows;
  private final DoubleBuffer values = new DoubleBuffer();
  private boolean ended;
  private Rejects rejects;
  private long rejected;

  /** Told of each row {@link #skipInvalid} leaves out: its file line and what was wrong with it. */
  @FunctionalInterface
  public interface Rejects {
    void reject(int line, String reason) throws IOException;
  }

  /**
   * From now on a row with bad content (a value that is not a finite number, a wrong number of fields, a
   * JSON line that is not an object or lacks a feature) is left out and told to {@code sink} instead of
   * ending the read; a file that cannot be decoded at all still fails. Rows are counted by the rows kept.
   */
  public TableReader skipInvalid(Rejects sink) {
    this.rejects = java.util.Objects.requireNonNull(sink, "sink");
    return this;
  }

  TableReader(String source, Source rows) {
    this.source = source;
    this.rows = rows;
  }

  /** The file, as messages and {@link Dataset#source()} name it. */
  public String source() {
    return source;
  }

  /** Every column seen so far, features and carried ones, in the file's order. */
  public List<String> columns() {
    return List.copyOf(rows.columns);
  }

  /** The feature columns, in the file's order; fixed once the reader is open. */
  public List<String> featureColumns() {
    return List.copyOf(rows.featureNames);
  }

  /** The carried (non-feature) columns seen so far, in the file's order. */
  public List<String> carriedColumns() {
    return List.copyOf(rows.carriedNames);
  }

  /**
   * Whether a later row may add a column: true for JSON lines, false for CSV, whose header names them
   * all. Where it is true, {@link #columns()} is complete only after the last row.
   */
  public boolean columnsMayGrow() {
    return rows.columnsMayGrow();
  }

  /**
   * The positions of {@code names} among the feature columns, as {@link Table#featureIndices}, naming a
   * carried column seen so far as such.
   */
  public int[] featureIndices(List<String> names, String whoNeedsIt) {
    Dataset features = new Dataset(source, rows.featureNames, new double[0], 0);
    return Table.featureIndices(features, rows.carriedNames, names, whoNeedsIt);
  }

  /**
   * The next at most {@code maxRows} rows, or empty after the last one. The chunk's columns are those seen
   * up to its last row.
   */
  public Optional<Table> next(int maxRows) throws IOException {
    if (maxRows < 1) {
      throw new IllegalArgumentException("a chunk holds at least one row, got " + maxRows);
    }
    values.clear();
    List<Table.Cell[]> carried = new ArrayList<>();
    int n = 0;
    while (n < maxRows && !ended) {
      if (read(carried)) {
        n++;
      } else {
        ended = true;
      }
    }
    if (n == 0) {
      return Optional.empty();
    }
    Dataset features = new Dataset(source, rows.featureNames, values.toArray(), n);
    return Optional.of(new Table(rows.columns, features, rows.carriedNames, carried));
  }

  /**
   * Reads and validates the remaining rows, keeping none: afterwards {@link #columns()} and
   * {@link #carriedColumns()} list every column of the file. Memory stays that of one row.
   */
  public void skipRemaining() throws IOException {
    List<Table.Cell[]> discard = new ArrayList<>(1);
    while (!ended) {
      values.clear();
      discard.clear();
      ended = !read(discard);
    }
  }

  /** Every remaining row as one table (the whole-file reader). */
  Table readAll() throws IOException {
    return next(Integer.MAX_VALUE).orElseThrow(() -> new IllegalStateException(source + ": no rows left"));
  }

  private boolean read(List<Table.Cell[]> carried) throws IOException {
    while (true) {
      int mark = values.size();
      int cells = carried.size();
      try {
        return rows.next(values, carried);
      } catch (CharacterCodingException e) {
        throw DataFormatException.notUtf8(source);
      } catch (DataFormatException e) {
        if (rejects != null && rejected > 0 && e.getMessage().contains("no data rows")) {
          throw new DataFormatException(source + ": every data row is invalid (" + rejected + " left out); nothing"
              + " to score");
        }
        if (rejects == null || rows.lastLine() < 1 || e.getMessage().contains("no data rows")) {
          throw e;
        }
        rejected++;
        values.truncate(mark);
        while (carried.size() > cells) {
          carried.remove(carried.size() - 1);
        }
        rejects.reject(rows.lastLine(), e.getMessage());
      }
    }
  }

  @Override
  public void close() throws IOException {
    rows.close();
  }

  /** A growable double array, reused from chunk to chunk. */
  static final class DoubleBuffer {
    private double[] data = new double[1024];
    private int size;

    void add(double v) {
      if (size == data.length) {
        data = Arrays.copyOf(data, data.length * 2);
      }
      data[size++] = v;
    }

    void clear() {
      size = 0;
    }

    int size() {
      return size;
    }

    void truncate(int newSize) {
      size = newSize;
    }

    double[] toArray() {
      return Arrays.copyOf(data, size);
    }
  }
}
