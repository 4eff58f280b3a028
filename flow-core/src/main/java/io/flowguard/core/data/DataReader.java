package io.flowguard.core.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads numeric tables from CSV with a header line, or from JSON lines (one object per line whose
 * numeric fields are the columns, or {@code {"features": {...}}} / {@code {"values": [...]}} with a
 * header taken from the first line). The format follows the extension ({@code .csv}, {@code .jsonl},
 * {@code .json}, {@code .ndjson}); anything else is read as CSV.
 *
 * <p>Every problem is a {@link DataFormatException} naming the file, the 1-based line and the column:
 * a non-numeric, NaN or infinite value, a wrong number of fields, a missing or extra field, an empty
 * file. Nothing is silently dropped or imputed.
 */
public final class DataReader {

  private static final ObjectMapper JSON = new ObjectMapper();

  private DataReader() {}

  public static Dataset read(Path file) throws IOException {
    String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
    if (name.endsWith(".jsonl") || name.endsWith(".json") || name.endsWith(".ndjson")) {
      return readJsonLines(file);
    }
    return readCsv(file);
  }

  private static BufferedReader open(Path file) throws IOException {
    try {
      return Files.newBufferedReader(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(file.toString(), null, "no such file; check the path");
    }
  }

  public static Dataset readCsv(Path file) throws IOException {
    String src = file.toString();
    try (BufferedReader in = open(file)) {
      String header = in.readLine();
      while (header != null && header.isBlank()) {
        header = in.readLine();
      }
      if (header == null) {
        throw new DataFormatException(src + ": the file is empty; expected a header line of column names");
      }
      if (header.startsWith("\uFEFF")) {
        header = header.substring(1);
      }
      List<String> columns = new ArrayList<>();
      for (String c : header.split(",", -1)) {
        columns.add(unquote(c.trim()));
      }
      for (int i = 0; i < columns.size(); i++) {
        if (columns.get(i).isEmpty()) {
          throw new DataFormatException(src + " line 1: column " + (i + 1) + " has no name");
        }
      }
      int d = columns.size();
      DoubleBuffer values = new DoubleBuffer();
      int rows = 0;
      int lineNo = 1;
      String line;
      while ((line = in.readLine()) != null) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        String[] fields = line.split(",", -1);
        if (fields.length != d) {
          throw new DataFormatException(src + " line " + lineNo + ": " + fields.length + " fields, the header has "
              + d + " (" + String.join(",", columns) + ")");
        }
        for (int c = 0; c < d; c++) {
          values.add(parse(fields[c], src, lineNo, c, columns.get(c)));
        }
        rows++;
      }
      if (rows == 0) {
        throw new DataFormatException(src + ": no data rows after the header");
      }
      return new Dataset(src, columns, values.toArray(), rows);
    }
  }

  public static Dataset readJsonLines(Path file) throws IOException {
    String src = file.toString();
    try (BufferedReader in = open(file)) {
      List<String> columns = null;
      DoubleBuffer values = new DoubleBuffer();
      int rows = 0;
      int lineNo = 0;
      String line;
      while ((line = in.readLine()) != null) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        JsonNode node;
        try {
          node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
          throw new DataFormatException(src + " line " + lineNo + ": not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (node == null || !node.isObject()) {
          throw new DataFormatException(src + " line " + lineNo + ": expected a JSON object per line");
        }
        Map<String, JsonNode> fields = fields(node, src, lineNo);
        if (columns == null) {
          columns = new ArrayList<>(fields.keySet());
          if (columns.isEmpty()) {
            throw new DataFormatException(src + " line " + lineNo + ": the object has no numeric fields");
          }
        } else if (!fields.keySet().equals(new java.util.LinkedHashSet<>(columns))) {
          List<String> missing = new ArrayList<>(columns);
          missing.removeAll(fields.keySet());
          List<String> extra = new ArrayList<>(fields.keySet());
          extra.removeAll(columns);
          throw new DataFormatException(src + " line " + lineNo + ": fields differ from the first line"
              + (missing.isEmpty() ? "" : "; missing " + missing) + (extra.isEmpty() ? "" : "; extra " + extra));
        }
        for (int c = 0; c < columns.size(); c++) {
          JsonNode v = fields.get(columns.get(c));
          values.add(number(v, src, lineNo, c, columns.get(c)));
        }
        rows++;
      }
      if (columns == null) {
        throw new DataFormatException(src + ": the file is empty; expected one JSON object per line");
      }
      return new Dataset(src, columns, values.toArray(), rows);
    }
  }

  private static Map<String, JsonNode> fields(JsonNode node, String src, int lineNo) {
    Map<String, JsonNode> out = new LinkedHashMap<>();
    JsonNode features = node.get("features");
    JsonNode arr = node.get("values");
    if (features != null && features.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = features.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        out.put(e.getKey(), e.getValue());
      }
    } else if (arr != null && arr.isArray()) {
      for (int i = 0; i < arr.size(); i++) {
        out.put("x" + i, arr.get(i));
      }
    } else {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getValue().isNumber() || e.getValue().isTextual() && !isMetadata(e.getKey())) {
          out.put(e.getKey(), e.getValue());
        }
      }
    }
    return out;
  }

  /** Event metadata fields of the streaming format, which are not features. */
  private static boolean isMetadata(String key) {
    return key.equals("key") || key.equals("model") || key.equals("ts");
  }

  private static double number(JsonNode v, String src, int lineNo, int c, String name) {
    if (v == null || v.isNull()) {
      throw new DataFormatException(src + " line " + lineNo + ", column " + (c + 1) + " ('" + name + "'): missing value");
    }
    if (v.isNumber()) {
      return finite(v.asDouble(), v.asText(), src, lineNo, c, name);
    }
    return parse(v.asText(), src, lineNo, c, name);
  }

  static double parse(String field, String src, int lineNo, int c, String name) {
    String s = unquote(field.trim());
    if (s.isEmpty()) {
      throw new DataFormatException(src + " line " + lineNo + ", column " + (c + 1) + " ('" + name
          + "'): empty value; impute or drop the row before training or scoring");
    }
    double v;
    try {
      v = Double.parseDouble(s);
    } catch (NumberFormatException e) {
      throw new DataFormatException(src + " line " + lineNo + ", column " + (c + 1) + " ('" + name + "'): '" + s
          + "' is not a number; Flowguard models numeric features only");
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

  private static String unquote(String s) {
    if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")) {
      return s.substring(1, s.length() - 1);
    }
    return s;
  }

  /** A growable double array. */
  private static final class DoubleBuffer {
    private double[] data = new double[1024];
    private int size;

    void add(double v) {
      if (size == data.length) {
        data = java.util.Arrays.copyOf(data, data.length * 2);
      }
      data[size++] = v;
    }

    double[] toArray() {
      return java.util.Arrays.copyOf(data, size);
    }
  }
}
