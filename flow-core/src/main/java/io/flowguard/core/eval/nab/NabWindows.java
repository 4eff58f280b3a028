package io.flowguard.core.eval.nab;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowguard.core.data.DataFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * NAB's labelled anomaly windows ({@code labels/combined_windows.json}): for each series, keyed by its path
 * relative to the corpus folder ({@code "realKnownCause/nyc_taxi.csv"}), a list of
 * {@code [start, end]} timestamp pairs, both ends inclusive; an empty list for a series without anomalies.
 * Windows are kept sorted by start and must not overlap.
 */
public final class NabWindows {

  /** The name NAB gives the windows file, looked for beside a series and in its parent folder. */
  public static final String FILE_NAME = "combined_windows.json";

  /**
   * One labelled window.
   *
   * @param start its first instant (inclusive)
   * @param end its last instant (inclusive), not before {@code start}
   */
  public record Window(LocalDateTime start, LocalDateTime end) {
    public Window {
      if (end.isBefore(start)) {
        throw new IllegalArgumentException("window ends (" + end + ") before it starts (" + start + ")");
      }
    }
  }

  private static final String FORMAT = "{\"category/series.csv\": [[\"2014-04-10 16:15:00.000000\","
      + " \"2014-04-12 01:45:00.000000\"], ...], \"category/quiet.csv\": [], ...}";

  private final Path file;
  private final Map<String, List<Window>> windows;

  private NabWindows(Path file, Map<String, List<Window>> windows) {
    this.file = file;
    this.windows = windows;
  }

  /** The windows file next to a series: {@value #FILE_NAME} in its folder, else in the folder above. */
  public static Optional<Path> locate(Path seriesFile) {
    Path dir = seriesFile.toAbsolutePath().normalize().getParent();
    for (int up = 0; up < 2 && dir != null; up++, dir = dir.getParent()) {
      Path candidate = dir.resolve(FILE_NAME);
      if (Files.isRegularFile(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /**
   * Reads a windows file.
   *
   * @throws DataFormatException naming the file and the place for malformed JSON, a value that is not a list
   *     of {@code [start, end]} pairs, a timestamp that cannot be parsed, or overlapping windows
   */
  public static NabWindows read(Path file) throws IOException {
    String src = file.toString();
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(Files.readString(file));
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(src, null, "no such windows file; check the path given to --nab-windows");
    } catch (JsonProcessingException e) {
      throw new DataFormatException(src + ": not valid JSON (line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage() + "); a NAB windows file looks like "
          + FORMAT);
    } catch (java.nio.charset.MalformedInputException e) {
      throw DataFormatException.notUtf8(src);
    }
    if (root == null || !root.isObject()) {
      throw new DataFormatException(src + ": expected a JSON object mapping series paths to window lists, like "
          + FORMAT);
    }
    Map<String, List<Window>> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = e.getKey().replace('\\', '/');
      out.put(key, windows(src, key, e.getValue()));
    }
    return new NabWindows(file, out);
  }

  private static List<Window> windows(String src, String key, JsonNode list) {
    String where = src + ", \"" + key + "\"";
    if (!list.isArray()) {
      throw new DataFormatException(where + ": expected a list of [start, end] pairs (or [] for no anomaly), got "
          + list.getNodeType().toString().toLowerCase(java.util.Locale.ROOT));
    }
    List<Window> ws = new ArrayList<>();
    for (int k = 0; k < list.size(); k++) {
      JsonNode pair = list.get(k);
      if (!pair.isArray() || pair.size() != 2 || !pair.get(0).isTextual() || !pair.get(1).isTextual()) {
        throw new DataFormatException(where + ", window " + (k + 1) + ": expected a pair of timestamps"
            + " [\"start\", \"end\"], got " + pair);
      }
      LocalDateTime start = timestamp(where, k, pair.get(0).asText());
      LocalDateTime end = timestamp(where, k, pair.get(1).asText());
      if (end.isBefore(start)) {
        throw new DataFormatException(where + ", window " + (k + 1) + ": ends at " + pair.get(1).asText()
            + ", before its start " + pair.get(0).asText());
      }
      ws.add(new Window(start, end));
    }
    ws.sort(java.util.Comparator.comparing(Window::start));
    for (int k = 1; k < ws.size(); k++) {
      if (!ws.get(k).start().isAfter(ws.get(k - 1).end())) {
        throw new DataFormatException(where + ": windows " + ws.get(k - 1) + " and " + ws.get(k) + " overlap;"
            + " NAB's windows are disjoint (merge them into one)");
      }
    }
    return List.copyOf(ws);
  }

  private static LocalDateTime timestamp(String where, int k, String text) {
    try {
      return NabTimestamps.parse(text);
    } catch (DateTimeParseException e) {
      throw new DataFormatException(where + ", window " + (k + 1) + ": '" + text + "' is not a timestamp like "
          + NabTimestamps.EXAMPLE + ".000000");
    }
  }

  /** The file these windows were read from. */
  public Path file() {
    return file;
  }

  /** Every series key, in the file's order. */
  public List<String> keys() {
    return List.copyOf(windows.keySet());
  }

  /** The windows of a key, sorted by start. */
  public List<Window> windows(String key) {
    List<Window> w = windows.get(key);
    if (w == null) {
      throw new IllegalArgumentException(file + " has no key '" + key + "'");
    }
    return w;
  }

  /**
   * The key of a series file: the longest key whose path segments end the file's path
   * ({@code realKnownCause/nyc_taxi.csv} for {@code .../nab/realKnownCause/nyc_taxi.csv}).
   *
   * @throws DataFormatException naming both files and what to do if no key matches
   */
  public String keyOf(Path seriesFile) {
    List<String> path = new ArrayList<>();
    for (Path part : seriesFile.toAbsolutePath().normalize()) {
      path.add(part.toString());
    }
    String best = null;
    int bestLength = 0;
    for (String key : windows.keySet()) {
      String[] parts = key.split("/");
      if (parts.length <= path.size() && parts.length > bestLength) {
        boolean match = true;
        for (int i = 0; i < parts.length && match; i++) {
          match = parts[parts.length - 1 - i].equals(path.get(path.size() - 1 - i));
        }
        if (match) {
          best = key;
          bestLength = parts.length;
        }
      }
    }
    if (best == null) {
      String expected = path.size() >= 2 ? path.get(path.size() - 2) + "/" + path.get(path.size() - 1)
          : path.get(path.size() - 1);
      throw new DataFormatException(seriesFile + ": not listed in the NAB windows file " + file + " (its keys are"
          + " series paths relative to its folder, such as '" + expected + "'). Add the series with its windows"
          + " (\"" + expected + "\": [] if it has no anomaly), point --nab-windows at the right file, or leave"
          + " the NAB score out with --no-nab");
    }
    return best;
  }
}
