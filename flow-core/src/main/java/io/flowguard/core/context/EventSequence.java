package io.flowguard.core.context;

import io.flowguard.core.data.DataFormatException;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.data.Table;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Events of one or more keys in time order, as time-aware training and scoring read them: the feature
 * table, each row's event time and key, and its declared context fields.
 *
 * <p>A file may interleave keys, but within a key the rows must come in strictly increasing event time:
 * a model of the past needs to know what the past was. A row whose time is not later than its key's
 * previous row is an error naming both rows ({@link #of}).
 *
 * @param features the modelled feature columns, one row per event
 * @param times epoch milliseconds per row
 * @param keys per row, an index into {@code keyNames}
 * @param keyNames the distinct keys in order of first appearance (one, {@code ""}, without a key column)
 * @param fields the declared context fields per row, row-major ({@code rows x fieldCount})
 * @param fieldCount values per row in {@code fields}
 */
public record EventSequence(Dataset features, long[] times, int[] keys, List<String> keyNames, double[] fields,
                            int fieldCount) {

  public EventSequence {
    int n = features.rows();
    if (times.length != n || keys.length != n || fields.length != (long) n * fieldCount) {
      throw new IllegalArgumentException("times, keys and fields must have one entry per row");
    }
    keyNames = List.copyOf(keyNames);
  }

  public int rows() {
    return features.rows();
  }

  /**
   * Reads a table's time, key and context-field columns.
   *
   * @param table the file as read, with {@code timeColumn} (and {@code keyColumn}, if any) carried, not features
   * @param featureNames the modelled columns, in model order
   * @param timeColumn the event-time column
   * @param keyColumn the key column, or null for one series
   * @param fieldNames declared context fields (numeric feature columns of the table), may be empty
   * @throws DataFormatException naming the row for a missing or unparseable time, or keys out of time order
   */
  public static EventSequence of(Table table, List<String> featureNames, String timeColumn, String keyColumn,
                                 List<String> fieldNames) {
    Dataset all = table.features();
    String src = all.source();
    int n = table.rows();
    int timeAt = carriedIndex(table, timeColumn, "the event time");
    int keyAt = keyColumn == null ? -1 : carriedIndex(table, keyColumn, "the key");
    Dataset features = new Dataset(src, featureNames, all.project(table.featureIndices(featureNames, "the model")), n);
    double[] fields = all.project(table.featureIndices(fieldNames, "the context"));
    long[] times = new long[n];
    int[] keys = new int[n];
    Map<String, Integer> keyIds = new HashMap<>();
    List<String> names = new ArrayList<>();
    List<Long> lastTime = new ArrayList<>();
    List<Integer> lastRow = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      Table.Cell t = table.carried(r, timeAt);
      String where = src + " row " + (r + 1) + " (of the data, after the header)";
      times[r] = EventTimes.parse(t.text()).orElseThrow(() -> new DataFormatException(where + ", column '"
          + timeColumn + "': '" + t.text() + "' is not an event time; use epoch milliseconds, an ISO-8601 time"
          + " such as 2014-04-01T00:00:00Z, or 2014-04-01 00:00:00 (read as UTC)"));
      String key = keyAt < 0 ? "" : table.carried(r, keyAt).text();
      Integer id = keyIds.get(key);
      if (id == null) {
        id = names.size();
        keyIds.put(key, id);
        names.add(key);
        lastTime.add(Long.MIN_VALUE);
        lastRow.add(-1);
      }
      keys[r] = id;
      long previous = lastTime.get(id);
      if (lastRow.get(id) >= 0 && times[r] <= previous) {
        String whose = keyAt < 0 ? "" : " of key '" + key + "'";
        throw new DataFormatException(where + ": event time " + t.text().trim() + (times[r] == previous
            ? " repeats the time of row " + (lastRow.get(id) + 1) : " is earlier than row " + (lastRow.get(id) + 1)
            + "'s " + EventTimes.format(previous)) + whose + "; a time-aware model needs each key's events in strictly"
            + " increasing time: sort the file by " + (keyAt < 0 ? "" : keyColumn + " and ") + timeColumn
            + " and drop or merge repeated events");
      }
      lastTime.set(id, times[r]);
      lastRow.set(id, r);
    }
    return new EventSequence(features, times, keys, names, fields, fieldNames.size());
  }

  private static int carriedIndex(Table table, String column, String what) {
    int k = table.carriedColumns().indexOf(column);
    if (k < 0) {
      throw new DataFormatException(table.features().source() + ": no column '" + column + "' for " + what
          + "; the columns are " + table.columns());
    }
    return k;
  }

  /** A single series (one key) with the given times and no context fields. */
  public static EventSequence series(Dataset features, long[] times) {
    return new EventSequence(features, times, new int[features.rows()], List.of(""), new double[0], 0);
  }
}
