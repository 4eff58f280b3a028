package io.flowguard.core.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Reads tables from CSV with a header line, or from JSON lines. The format follows the extension
 * ({@code .csv}, {@code .jsonl}, {@code .json}, {@code .ndjson}); anything else is read as CSV.
 *
 * <p><b>Columns.</b> A CSV file's columns are its header's names; fields may be quoted as in RFC 4180
 * ({@code "a, b"}, {@code "say ""hi"""}, line breaks inside quotes). A JSON-lines row is one object per
 * line: either flat, every top-level field a column, or an event, {@code {"features": {...}}} or
 * {@code {"values": [...]}} (columns {@code x0, x1, ...}), whose columns are the fields inside followed
 * by the event's other top-level fields in place.
 *
 * <p><b>Features.</b> The caller says which columns are features; the rest are carried: read as the
 * file's text, never parsed ({@link Table#carried}). In JSON lines, {@code key}, {@code ts} and
 * {@code model} (the streaming format's event metadata) and the top-level fields beside an event's
 * {@code features}/{@code values} are always carried. A carried JSON field may be absent from some rows;
 * a feature must be in every row.
 *
 * <p>Every problem is a {@link DataFormatException} naming the file, the 1-based line and the column:
 * a feature value that is not a number (or is NaN or infinite), a wrong number of fields, a missing or
 * extra field, an unclosed quote, invalid JSON, an empty file, bytes that are not UTF-8. Nothing is
 * silently dropped or imputed.
 *
 * <p><b>Whole file or chunks.</b> {@link #read} holds the file in memory; {@link #open} reads it a chunk of
 * rows at a time ({@link TableReader}). They are one parser: {@code read} is {@code open} with a chunk as
 * large as the file.
 */
public final class DataReader {

  private static final ObjectMapper JSON = JsonMapper.builder()
      // NaN and Infinity are parsed so that the feature check can say "not finite" and name the column.
      .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .build();

  /** The carried values of a row of a file whose columns are all features (shared: a table holds many rows). */
  private static final Table.Cell[] NO_CELLS = new Table.Cell[0];

  /** The streaming format's event metadata: carried, never features. */
  private static final Set<String> EVENT_METADATA = Set.of("key", "ts", "model");

  private DataReader() {}

  /** Every column a feature (except JSON-lines event metadata, see the class comment). */
  public static Dataset read(Path file) throws IOException {
    return read(file, column -> true).features();
  }

  /** The columns {@code isFeature} accepts as numbers, every other one carried as text. */
  public static Table read(Path file, Predicate<String> isFeature) throws IOException {
    try (TableReader reader = open(file, isFeature)) {
      return reader.readAll();
    }
  }

  /**
   * The file as a {@link TableReader}, to read a chunk of rows at a time: the same columns, cells and
   * errors as {@link #read(Path, Predicate)}, with memory bounded by the chunk. The header (CSV) or the
   * first row (JSON lines) is read here.
   */
  public static TableReader open(Path file, Predicate<String> isFeature) throws IOException {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".gz")) {
      name = name.substring(0, name.length() - 3); // data.csv.gz is a CSV file, data.jsonl.gz JSON lines
    }
    if (name.endsWith(".jsonl") || name.endsWith(".json") || name.endsWith(".ndjson")) {
      return openJsonLines(file, isFeature);
    }
    return openCsv(file, isFeature);
  }

  public static Dataset readCsv(Path file) throws IOException {
    return readCsv(file, column -> true).features();
  }

  public static Dataset readJsonLines(Path file) throws IOException {
    return readJsonLines(file, column -> true).features();
  }

  private static BufferedReader newReader(Path file) throws IOException {
    if (Files.isDirectory(file)) {
      throw new FileSystemException(file.toString(), null, "is a directory; expected a CSV or JSON-lines file");
    }
    if (file.getFileName() != null && file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gz")) {
      // gzip-compressed input, decoded as strictly as an uncompressed file (malformed UTF-8 is an error).
      java.io.InputStream raw = Files.newInputStream(file);
      try {
        return new BufferedReader(new java.io.InputStreamReader(new java.util.zip.GZIPInputStream(raw, 1 << 16),
            StandardCharsets.UTF_8.newDecoder()));
      } catch (java.util.zip.ZipException e) {
        raw.close();
        throw new DataFormatException(file + ": the name ends in .gz but the file is not gzip-compressed ("
            + e.getMessage() + "); rename it or compress it with gzip");
      }
    }
    return Files.newBufferedReader(file, StandardCharsets.UTF_8);
  }

  /** A reader over {@code in} whose source the parser builds, closing {@code in} if the parser fails. */
  private static TableReader openWith(Path file, ParserFactory parser) throws IOException {
    String src = file.toString();
    BufferedReader in = newReader(file);
    try {
      return new TableReader(src, parser.open(in, src));
    } catch (CharacterCodingException e) {
      in.close();
      throw DataFormatException.notUtf8(src);
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
  }

  private interface ParserFactory {
    TableReader.Source open(BufferedReader in, String src) throws IOException;
  }

  // ------------------------------------------------------------------------------------------- CSV

  public static Table readCsv(Path file, Predicate<String> isFeature) throws IOException {
    try (TableReader reader = openCsv(file, isFeature)) {
      return reader.readAll();
    }
  }

  private static TableReader openCsv(Path file, Predicate<String> isFeature) throws IOException {
    return openWith(file, (in, src) -> new CsvRows(in, src, isFeature));
  }

  /** The rows of a CSV file: the header's columns, each record's fields checked against them. */
  private static final class CsvRows extends TableReader.Source {
    private final CsvRecords records;
    private final boolean[] feature;
    private int rows;

    CsvRows(BufferedReader in, String src, Predicate<String> isFeature) throws IOException {
      super(in, src);
      this.records = new CsvRecords(in, src);
      List<String> header = records.next();
      if (header == null) {
        throw new DataFormatException(src + ": the file is empty; expected a header line of column names");
      }
      if (header.size() == 1) {
        // One column: most likely another delimiter. Say so instead of reporting missing features later.
        for (String[] other : new String[][] {{";", "';'"}, {"\t", "tab"}}) {
          int parts = header.get(0).split(java.util.regex.Pattern.quote(other[0]), -1).length;
          if (parts > 1) {
            throw new DataFormatException(src + ": the header has no commas but " + parts + " " + other[1]
                + "-separated names; the file looks " + other[1] + "-separated. Flowguard reads comma-separated CSV:"
                + " convert it first (e.g. tr '" + (other[0].equals("\t") ? "\\t" : ";") + "' ',' < IN > OUT.csv, if"
                + " no value holds a comma), or write JSON lines");
          }
        }
      }
      for (String c : header) {
        columns.add(c.trim());
      }
      checkNames(columns, src);
      int d = columns.size();
      feature = new boolean[d];
      for (int c = 0; c < d; c++) {
        feature[c] = isFeature.test(columns.get(c));
        (feature[c] ? featureNames : carriedNames).add(columns.get(c));
      }
    }

    @Override
    boolean next(TableReader.DoubleBuffer values, List<Table.Cell[]> carried) throws IOException {
      List<String> fields = records.next();
      if (fields == null) {
        if (rows == 0) {
          throw new DataFormatException(src + ": no data rows after the header");
        }
        return false;
      }
      int d = columns.size();
      int lineNo = records.recordLine();
      if (fields.size() != d) {
        throw new DataFormatException(src + " line " + lineNo + ": " + fields.size() + " fields, the header has "
            + d + " (" + String.join(",", columns) + ")");
      }
      Table.Cell[] row = carriedNames.isEmpty() ? NO_CELLS : new Table.Cell[carriedNames.size()];
      for (int c = 0, k = 0; c < d; c++) {
        if (feature[c]) {
          values.add(parse(fields.get(c), src, lineNo, c, columns.get(c)));
        } else {
          row[k++] = Table.Cell.text(fields.get(c));
        }
      }
      // (A bad value throws before the row is counted; the reader drops the values it added.)
      carried.add(row);
      rows++;
      return true;
    }

    @Override
    boolean columnsMayGrow() {
      return false;
    }

    @Override
    int lastLine() {
      return records.recordLine();
    }
  }

  private static void checkNames(List<String> columns, String src) {
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < columns.size(); i++) {
      if (columns.get(i).isEmpty()) {
        throw new DataFormatException(src + " line 1: column " + (i + 1) + " has no name");
      }
      Integer before = seen.putIfAbsent(columns.get(i), i);
      if (before != null) {
        throw new DataFormatException(src + " line 1: columns " + (before + 1) + " and " + (i + 1) + " are both named '"
            + columns.get(i) + "'; column names must be unique");
      }
    }
  }

  /**
   * The records of a CSV file, RFC 4180: fields separated by commas; a field in double quotes may hold
   * commas, line breaks (read as \n) and doubled quotes. Spaces around a quoted field are allowed; an
   * unquoted field is taken as it is, quotes inside it included. Blank lines between records are skipped.
   */
  private static final class CsvRecords {
    private final BufferedReader in;
    private final String src;
    private int lineNo;
    private int recordLine;

    CsvRecords(BufferedReader in, String src) {
      this.in = in;
      this.src = src;
    }

    /** The line the last record started on (1-based). */
    int recordLine() {
      return recordLine;
    }

    /** The next record's fields, or null at the end of the file. */
    List<String> next() throws IOException {
      String line;
      do {
        line = in.readLine();
        lineNo++;
        if (line == null) {
          return null;
        }
        if (lineNo == 1 && line.startsWith("\uFEFF")) {
          line = line.substring(1);
        }
      } while (line.isBlank());
      recordLine = lineNo;
      List<String> fields = new ArrayList<>();
      int i = 0;
      while (true) {
        int j = i;
        while (j < line.length() && (line.charAt(j) == ' ' || line.charAt(j) == '\t')) {
          j++;
        }
        if (j < line.length() && line.charAt(j) == '"') {
          int column = fields.size() + 1;
          int openedOn = lineNo;
          StringBuilder field = new StringBuilder();
          j++;
          while (true) {
            if (j == line.length()) {
              line = in.readLine();
              lineNo++;
              if (line == null) {
                throw new DataFormatException(src + " line " + openedOn + ", column " + column + ": the quote"
                    + " that opens this field is never closed; end the field with \" (a quote inside a quoted"
                    + " field is written \"\")");
              }
              field.append('\n');
              j = 0;
              continue;
            }
            char ch = line.charAt(j);
            if (ch == '"') {
              if (j + 1 < line.length() && line.charAt(j + 1) == '"') {
                field.append('"');
                j += 2;
                continue;
              }
              j++;
              break;
            }
            field.append(ch);
            j++;
          }
          while (j < line.length() && (line.charAt(j) == ' ' || line.charAt(j) == '\t')) {
            j++;
          }
          fields.add(field.toString());
          if (j == line.length()) {
            return fields;
          }
          if (line.charAt(j) != ',') {
            throw new DataFormatException(src + " line " + lineNo + ", column " + column + ": text after the"
                + " closing quote of a quoted field; a quote inside a quoted field is written \"\"");
          }
          i = j + 1;
        } else {
          int comma = line.indexOf(',', i);
          if (comma < 0) {
            fields.add(line.substring(i));
            return fields;
          }
          fields.add(line.substring(i, comma));
          i = comma + 1;
        }
      }
    }
  }

  // ------------------------------------------------------------------------------------ JSON lines

  /** One field's value as the parser saw it: its token, its text as written (JSON for a container), its number. */
  private record Raw(JsonToken token, String text, double number) {

    Table.Cell cell() {
      return switch (token) {
        // NaN and Infinity are not JSON numbers: carried as the text they were.
        case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> text.matches("-?[0-9].*")
            ? new Table.Cell(text, Table.Cell.Kind.NUMBER) : Table.Cell.text(text);
        case VALUE_TRUE, VALUE_FALSE -> new Table.Cell(text, Table.Cell.Kind.BOOLEAN);
        case VALUE_NULL -> new Table.Cell("null", Table.Cell.Kind.NULL);
        case START_OBJECT, START_ARRAY -> new Table.Cell(text, Table.Cell.Kind.JSON);
        default -> Table.Cell.text(text);
      };
    }
  }

  /** A JSON-lines row: its columns in order, and which of them can be features. */
  private record Row(LinkedHashMap<String, Raw> fields, Set<String> metadata) {}

  public static Table readJsonLines(Path file, Predicate<String> isFeature) throws IOException {
    try (TableReader reader = openJsonLines(file, isFeature)) {
      return reader.readAll();
    }
  }

  private static TableReader openJsonLines(Path file, Predicate<String> isFeature) throws IOException {
    return openWith(file, (in, src) -> new JsonLinesRows(in, src, isFeature));
  }

  /**
   * The rows of a JSON-lines file. The first row fixes the features, which every later row must have; a
   * carried field is a column from the first row that has it on, and absent ({@link Table.Cell#MISSING})
   * from the rows that lack it.
   */
  private static final class JsonLinesRows extends TableReader.Source {
    private final Predicate<String> isFeature;
    private final Map<String, Integer> carriedIndex = new HashMap<>();
    private int lineNo;
    /** The first row, parsed when the file is opened (it defines the columns), until next() returns it. */
    private Row first;
    private int firstLine;

    JsonLinesRows(BufferedReader in, String src, Predicate<String> isFeature) throws IOException {
      super(in, src);
      this.isFeature = isFeature;
      first = nextRow();
      if (first == null) {
        throw new DataFormatException(src + ": the file is empty; expected one JSON object per line");
      }
      firstLine = lineNo;
      columns.addAll(first.fields().keySet());
      featureNames.addAll(features(first));
      addCarried(first);
    }

    /** The next non-blank line's row, or null at the end of the file. */
    private Row nextRow() throws IOException {
      String line;
      while ((line = in.readLine()) != null) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        if (lineNo == 1 && line.startsWith("\uFEFF")) {
          line = line.substring(1);
        }
        return parseRow(line, src, lineNo);
      }
      return null;
    }

    /** The row's fields that are features, in its order. */
    private List<String> features(Row row) {
      List<String> features = new ArrayList<>();
      for (String name : row.fields().keySet()) {
        if (isFeature.test(name) && !row.metadata().contains(name)) {
          features.add(name);
        }
      }
      return features;
    }

    private void addCarried(Row row) {
      for (String name : row.fields().keySet()) {
        if (!featureNames.contains(name) && !carriedIndex.containsKey(name)) {
          carriedIndex.put(name, carriedNames.size());
          carriedNames.add(name);
          if (!columns.contains(name)) {
            columns.add(name);
          }
        }
      }
    }

    @Override
    boolean next(TableReader.DoubleBuffer values, List<Table.Cell[]> carried) throws IOException {
      Row row;
      int rowLine;
      if (first != null) {
        row = first;
        rowLine = firstLine;
        first = null;
      } else {
        row = nextRow();
        if (row == null) {
          return false;
        }
        rowLine = lineNo;
        List<String> features = features(row);
        if (!new LinkedHashSet<>(features).equals(new LinkedHashSet<>(featureNames))) {
          List<String> missing = new ArrayList<>(featureNames);
          missing.removeAll(features);
          List<String> extra = new ArrayList<>(features);
          extra.removeAll(featureNames);
          throw new DataFormatException(src + " line " + rowLine + ": fields differ from the first line"
              + (missing.isEmpty() ? "" : "; missing " + missing) + (extra.isEmpty() ? "" : "; extra " + extra));
        }
        addCarried(row);
      }
      for (int c = 0; c < featureNames.size(); c++) {
        values.add(number(row.fields().get(featureNames.get(c)), src, rowLine, c, featureNames.get(c)));
      }
      Table.Cell[] cells = carriedNames.isEmpty() ? NO_CELLS : new Table.Cell[carriedNames.size()];
      Arrays.fill(cells, Table.Cell.MISSING);
      for (Map.Entry<String, Raw> e : row.fields().entrySet()) {
        Integer k = carriedIndex.get(e.getKey());
        if (k != null) {
          cells[k] = e.getValue().cell();
        }
      }
      carried.add(cells);
      return true;
    }

    @Override
    boolean columnsMayGrow() {
      return true;
    }

    @Override
    int lastLine() {
      return lineNo;
    }
  }

  private static Row parseRow(String line, String src, int lineNo) throws IOException {
    try (JsonParser p = JSON.createParser(line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new DataFormatException(src + " line " + lineNo + ": expected a JSON object per line");
      }
      LinkedHashMap<String, Raw> top = new LinkedHashMap<>();
      Map<String, LinkedHashMap<String, Raw>> inner = new HashMap<>();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken t = p.nextToken();
        if (name.equals("features") && t == JsonToken.START_OBJECT && !inner.containsKey("values")) {
          LinkedHashMap<String, Raw> f = new LinkedHashMap<>();
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String feature = p.currentName();
            p.nextToken();
            f.put(feature, raw(p));
          }
          inner.put(name, f);
          top.put(name, null);
        } else if (name.equals("values") && t == JsonToken.START_ARRAY && !inner.containsKey("features")) {
          LinkedHashMap<String, Raw> f = new LinkedHashMap<>();
          for (int i = 0; p.nextToken() != JsonToken.END_ARRAY; i++) {
            f.put("x" + i, raw(p));
          }
          inner.put(name, f);
          top.put(name, null);
        } else {
          top.put(name, raw(p));
        }
      }
      if (p.nextToken() != null) {
        throw new DataFormatException(src + " line " + lineNo + ": text after the JSON object; put one object per line");
      }
      if (inner.isEmpty()) {
        Set<String> metadata = new LinkedHashSet<>(top.keySet());
        metadata.retainAll(EVENT_METADATA);
        return new Row(top, metadata);
      }
      // An event: the fields inside features (or values) in its place, the other top-level fields carried.
      LinkedHashMap<String, Raw> fields = new LinkedHashMap<>();
      Set<String> metadata = new LinkedHashSet<>();
      for (Map.Entry<String, Raw> e : top.entrySet()) {
        LinkedHashMap<String, Raw> in = e.getValue() == null ? inner.get(e.getKey()) : null;
        if (in == null) {
          fields.put(e.getKey(), e.getValue());
          metadata.add(e.getKey());
          continue;
        }
        for (Map.Entry<String, Raw> f : in.entrySet()) {
          if (top.containsKey(f.getKey())) {
            throw new DataFormatException(src + " line " + lineNo + ": field '" + f.getKey() + "' is both in "
                + e.getKey() + " and at the top level; rename one of them");
          }
          fields.put(f.getKey(), f.getValue());
        }
      }
      return new Row(fields, metadata);
    } catch (JsonProcessingException e) {
      throw new DataFormatException(src + " line " + lineNo + ": not valid JSON (" + jsonProblem(e) + " at column "
          + e.getLocation().getColumnNr() + ")");
    }
  }

  private static Raw raw(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    return switch (t) {
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> new Raw(t, p.getText(), p.getDoubleValue());
      case START_OBJECT, START_ARRAY -> new Raw(t, JSON.writeValueAsString(p.readValueAsTree()), Double.NaN);
      default -> new Raw(t, p.getText(), Double.NaN);
    };
  }

  /**
   * What is wrong with a JSON text, for people: Jackson's message without its location (the caller says
   * where) and without the names of parser features to enable, which are not the user's to set.
   */
  public static String jsonProblem(JsonProcessingException e) {
    String m = e.getOriginalMessage();
    if (m == null) {
      return e.getClass().getSimpleName();
    }
    m = m.replaceAll(":? ?\\(?(enable|disable) `?[A-Za-z]+Feature\\.[A-Z_]+`?( to allow)?\\)?", "");
    return m.replace("JSON spec does not allow", "JSON does not allow").trim();
  }

  private static double number(Raw v, String src, int lineNo, int c, String name) {
    if (v == null || v.token() == JsonToken.VALUE_NULL) {
      throw new DataFormatException(src + " line " + lineNo + ", column " + (c + 1) + " ('" + name + "'): missing value");
    }
    if (v.token() == JsonToken.VALUE_NUMBER_INT || v.token() == JsonToken.VALUE_NUMBER_FLOAT) {
      return finite(v.number(), v.text(), src, lineNo, c, name);
    }
    return parse(v.text(), src, lineNo, c, name);
  }

  static double parse(String field, String src, int lineNo, int c, String name) {
    String s = field.trim();
    if (s.isEmpty()) {
      throw new DataFormatException(src + " line " + lineNo + ", column " + (c + 1) + " ('" + name
          + "'): empty value; impute or drop the row before training or scoring");
    }
    double v;
    try {
      v = Double.parseDouble(s);
    } catch (NumberFormatException e) {
      throw DataFormatException.notANumber(src + " line " + lineNo + ", column " + (c + 1) + " ('" + name + "'): '"
          + s + "' is not a number; Flowguard models numeric features only", name);
    }
    return finite(v, s, src, lineNo, c, name);
  }

  private static double finite(double v, String text, String src, int lineNo, int c, String name) {
    if (!Double.isFinite(v)) {
      throw new DataFormatException(src + " line " + lineNo + ", column " + (c + 1) + " ('" + name + "'): " + text
          + " is not finite; remove or impute non-finite values");
    }
    return v;
  }
}
