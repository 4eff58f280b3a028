package io.flowguard.connectors.event;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The CSV event codec: one record is one line (a trailing {@code \n} or {@code \r\n} is ignored) of
 * configured columns, RFC 4180 quoting ({@code "a,b"}, {@code ""} for a quote inside quotes).
 *
 * <p>The configuration names every column in line order, the key column, optionally a timestamp
 * column (integer epoch ms; empty means the Kafka record timestamp) and a model column (empty means
 * the default model), and the feature columns (default: all other columns). Feature columns are
 * features by name, so they are matched against the model's schema like JSON {@code features}; other
 * columns are ignored. Numbers are decimal ({@code -1.5}, {@code 2e-3}); surrounding spaces are
 * trimmed; an empty feature is {@link DeadLetterReason#MISSING_FEATURE}; NaN and infinities (any
 * spelling) are {@link DeadLetterReason#NON_FINITE_FEATURE}; anything else is {@link
 * DeadLetterReason#NON_NUMERIC_FEATURE}. A header line replayed as data is rejected by its first
 * non-numeric cell (the timestamp or a feature), like any other bad line.
 */
public final class CsvEventCodec extends EventDecoder {

  private static final long serialVersionUID = 1L;

  // Double.parseDouble alone is too lenient: it accepts "1d", "0x1p3" and surrounding control chars.
  private static final Pattern DECIMAL =
      Pattern.compile("[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?");
  private static final Pattern NON_FINITE = Pattern.compile("[+-]?(?:nan|inf|infinity)");
  private static final Pattern DIGITS = Pattern.compile("[0-9]+");

  private final String[] columns;
  private final char delimiter;
  private final int keyIndex;
  private final int timestampIndex;
  private final int modelIndex;
  private final String defaultModel;
  private final String[] featureNames;
  private final int[] featureIndex;

  private CsvEventCodec(Builder b, List<String> features) {
    super(b.maxRecordBytes, b.maxKeyBytes, b.ignoreUnknownFeatures, b.clock);
    this.columns = b.columns.toArray(new String[0]);
    this.delimiter = b.delimiter;
    this.keyIndex = b.columns.indexOf(b.key);
    this.timestampIndex = b.timestamp.map(b.columns::indexOf).orElse(-1);
    this.modelIndex = b.model.map(b.columns::indexOf).orElse(-1);
    this.defaultModel = b.defaultModel;
    this.featureNames = features.toArray(new String[0]);
    this.featureIndex = features.stream().mapToInt(b.columns::indexOf).toArray();
  }

  /**
   * Starts a configuration.
   *
   * @param columns every column of a line, in order; names must be unique
   */
  public static Builder builder(List<String> columns) {
    return new Builder(columns);
  }

  /** The columns of a line. */
  public List<String> columns() {
    return List.of(columns);
  }

  /** The feature columns, which are the feature names of decoded events. */
  public List<String> featureColumns() {
    return List.of(featureNames);
  }

  @Override
  protected Parsed<RawEvent> decodeWithinLimit(byte[] bytes, Origin origin, long recordTimestamp) {
    Optional<String> text = DeadLetterJson.utf8(bytes);
    if (text.isEmpty()) {
      return reject(bytes, origin, DeadLetterReason.MALFORMED_CSV, "the line is not valid UTF-8");
    }
    String line = stripLineEnd(text.get());
    List<String> fields = new ArrayList<>(columns.length);
    String syntax = split(line, fields);
    if (syntax != null) {
      return reject(bytes, origin, DeadLetterReason.MALFORMED_CSV, syntax);
    }
    if (fields.size() != columns.length) {
      return reject(bytes, origin, DeadLetterReason.CSV_FIELD_COUNT,
          fields.size() + " field(s), expected " + columns.length + " " + List.of(columns));
    }
    String key = fields.get(keyIndex);
    if (key.isEmpty()) {
      return reject(bytes, origin, DeadLetterReason.MISSING_KEY,
          "key column '" + columns[keyIndex] + "' is empty");
    }
    long ts = recordTimestamp;
    String tsText = timestampIndex < 0 ? "" : fields.get(timestampIndex).trim();
    if (!tsText.isEmpty()) {
      ts = parseTimestamp(tsText);
      if (ts < 0) {
        return reject(bytes, origin, DeadLetterReason.INVALID_TIMESTAMP,
            "timestamp column '" + columns[timestampIndex] + "' must be integer epoch milliseconds,"
                + " got \"" + tsText + "\"");
      }
    } else if (ts < 0) {
      return reject(bytes, origin, DeadLetterReason.INVALID_TIMESTAMP,
          "no timestamp in the line and the record has no timestamp");
    }
    String model = modelIndex < 0 ? "" : fields.get(modelIndex).trim();
    if (model.isEmpty()) {
      model = defaultModel;
    }
    double[] values = new double[featureNames.length];
    for (int j = 0; j < featureNames.length; j++) {
      String s = fields.get(featureIndex[j]).trim();
      String what = "feature '" + featureNames[j] + "'";
      if (s.isEmpty()) {
        return reject(bytes, origin, DeadLetterReason.MISSING_FEATURE, what + " is empty");
      }
      if (NON_FINITE.matcher(s.toLowerCase(Locale.ROOT)).matches()) {
        return reject(bytes, origin, DeadLetterReason.NON_FINITE_FEATURE,
            what + " is not finite: \"" + s + "\"");
      }
      if (!DECIMAL.matcher(s).matches()) {
        return reject(bytes, origin, DeadLetterReason.NON_NUMERIC_FEATURE,
            what + " must be a number, got \"" + abbreviate(s) + "\"");
      }
      double x = Double.parseDouble(s);
      if (!Double.isFinite(x)) {
        return reject(bytes, origin, DeadLetterReason.NON_FINITE_FEATURE,
            what + " is not finite: \"" + abbreviate(s) + "\"");
      }
      values[j] = x;
    }
    return Parsed.ok(RawEvent.named(key, model, ts, featureNames, values, bytes, origin));
  }

  private static String stripLineEnd(String s) {
    if (s.endsWith("\r\n")) {
      return s.substring(0, s.length() - 2);
    }
    if (s.endsWith("\n")) {
      return s.substring(0, s.length() - 1);
    }
    return s;
  }

  /** Splits an RFC 4180 line into fields; returns an error message, or null when well-formed. */
  private String split(String line, List<String> out) {
    StringBuilder field = new StringBuilder();
    int i = 0;
    int n = line.length();
    while (true) {
      field.setLength(0);
      if (i < n && line.charAt(i) == '"') {
        int start = i;
        i++;
        while (true) {
          if (i >= n) {
            return "unterminated quote starting at column " + (start + 1);
          }
          char c = line.charAt(i++);
          if (c == '"') {
            if (i < n && line.charAt(i) == '"') {
              field.append('"');
              i++;
            } else {
              break;
            }
          } else {
            field.append(c);
          }
        }
        if (i < n && line.charAt(i) != delimiter) {
          return "text after a closing quote at column " + (i + 1);
        }
      } else {
        while (i < n && line.charAt(i) != delimiter) {
          field.append(line.charAt(i++));
        }
      }
      out.add(field.toString());
      if (i >= n) {
        return null;
      }
      i++; // the delimiter
    }
  }

  private static long parseTimestamp(String s) {
    if (!DIGITS.matcher(s).matches()) {
      return -1;
    }
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException overflow) {
      return -1;
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }

  /** Configuration of a {@link CsvEventCodec}. */
  public static final class Builder {
    private final List<String> columns;
    private String key = "key";
    private Optional<String> timestamp = Optional.empty();
    private Optional<String> model = Optional.empty();
    private String defaultModel = Event.DEFAULT_MODEL;
    private Optional<List<String>> features = Optional.empty();
    private char delimiter = ',';
    private int maxRecordBytes = DEFAULT_MAX_RECORD_BYTES;
    private int maxKeyBytes = DEFAULT_MAX_KEY_BYTES;
    private boolean ignoreUnknownFeatures;
    private Clock clock = Clock.systemUTC();

    private Builder(List<String> columns) {
      this.columns = List.copyOf(columns);
      Set<String> unique = new HashSet<>(this.columns);
      if (unique.size() != this.columns.size()) {
        throw new IllegalArgumentException("column names must be unique: " + columns);
      }
    }

    /** The key column (default {@code "key"}). */
    public Builder key(String column) {
      this.key = Objects.requireNonNull(column);
      return this;
    }

    /** The event-time column (integer epoch ms); without one, the Kafka record timestamp is used. */
    public Builder timestamp(String column) {
      this.timestamp = Optional.of(column);
      return this;
    }

    /** A column naming each line's model; without one, every line uses the default model. */
    public Builder model(String column) {
      this.model = Optional.of(column);
      return this;
    }

    /** The model of lines that name none (default {@value Event#DEFAULT_MODEL}). */
    public Builder defaultModel(String name) {
      if (name.isEmpty()) {
        throw new IllegalArgumentException("the default model name must not be empty");
      }
      this.defaultModel = name;
      return this;
    }

    /** The feature columns; default: every column other than key, timestamp and model. */
    public Builder features(List<String> columns) {
      this.features = Optional.of(List.copyOf(columns));
      return this;
    }

    public Builder delimiter(char delimiter) {
      if (delimiter == '"' || delimiter == '\n' || delimiter == '\r') {
        throw new IllegalArgumentException("invalid delimiter " + (int) delimiter);
      }
      this.delimiter = delimiter;
      return this;
    }

    public Builder maxRecordBytes(int maxRecordBytes) {
      this.maxRecordBytes = maxRecordBytes;
      return this;
    }

    /** Longer keys (UTF-8 bytes) are rejected as KEY_TOO_LONG (default 1024). */
    public Builder maxKeyBytes(int maxKeyBytes) {
      this.maxKeyBytes = maxKeyBytes;
      return this;
    }

    /** Drop feature columns the model does not know instead of rejecting (default false). */
    public Builder ignoreUnknownFeatures(boolean ignore) {
      this.ignoreUnknownFeatures = ignore;
      return this;
    }

    /** The clock that stamps dead letters (default: system UTC). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    public CsvEventCodec build() {
      requireColumn("key", key);
      timestamp.ifPresent(c -> requireColumn("timestamp", c));
      model.ifPresent(c -> requireColumn("model", c));
      Set<String> special = new HashSet<>();
      special.add(key);
      timestamp.ifPresent(special::add);
      model.ifPresent(special::add);
      if (special.size() != 1 + timestamp.stream().count() + model.stream().count()) {
        throw new IllegalArgumentException("key, timestamp and model columns must differ");
      }
      List<String> f =
          features.orElseGet(() -> columns.stream().filter(c -> !special.contains(c)).toList());
      if (f.isEmpty()) {
        throw new IllegalArgumentException("no feature columns");
      }
      if (new HashSet<>(f).size() != f.size()) {
        throw new IllegalArgumentException("feature columns must be unique: " + f);
      }
      for (String c : f) {
        requireColumn("feature", c);
        if (special.contains(c)) {
          throw new IllegalArgumentException("column '" + c + "' cannot be a feature");
        }
      }
      return new CsvEventCodec(this, f);
    }

    private void requireColumn(String role, String column) {
      if (!columns.contains(column)) {
        throw new IllegalArgumentException(
            role + " column '" + column + "' is not among the columns " + columns);
      }
    }
  }
}
