package io.flowguard.core.eval;

import io.flowguard.core.data.DataFormatException;
import io.flowguard.core.eval.nab.NabSeries;
import io.flowguard.core.eval.nab.NabWindows;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The series of one {@code evaluate} run that get a NAB score, each with its labelled windows. Resolved
 * before anything is trained, so that a series missing from the windows file, a malformed windows file or
 * a timestamp that cannot be parsed stops the run at once, naming every problem, instead of after hours
 * of training.
 *
 * <p>The windows come from {@code --nab-windows FILE} for every series, or else from a
 * {@value NabWindows#FILE_NAME} beside each series or in its parent folder (NAB's layout:
 * {@code corpus/combined_windows.json} and {@code corpus/category/series.csv}); a series with neither gets
 * no NAB score. A series is found in the windows file by its path ({@link NabWindows#keyOf}).
 */
public final class NabCorpus {

  private final Map<Path, NabSeries> series;
  private final List<Path> windowFiles;

  private NabCorpus(Map<Path, NabSeries> series, List<Path> windowFiles) {
    this.series = series;
    this.windowFiles = List.copyOf(windowFiles);
  }

  /** No series gets a NAB score. */
  public static NabCorpus none() {
    return new NabCorpus(Map.of(), List.of());
  }

  /**
   * Finds the windows of each series file and places them on its points.
   *
   * @param seriesFiles the run's {@code timestamp,value,label} files
   * @param windowsFile the windows of every series ({@code --nab-windows}); empty to look beside each series
   * @throws DataFormatException listing every problem: a windows file that cannot be read, a series it
   *     does not list, a timestamp that cannot be parsed, a window that holds no point of its series.
   *     A series file that cannot be read at all is left to the run, which reports it as failed.
   */
  public static NabCorpus resolve(List<Path> seriesFiles, Optional<Path> windowsFile) throws IOException {
    Map<Path, NabWindows> files = new LinkedHashMap<>();
    java.util.Set<Path> broken = new java.util.HashSet<>();
    Map<Path, NabSeries> out = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    for (Path file : seriesFiles) {
      Optional<Path> wf = windowsFile.isPresent() ? windowsFile : NabWindows.locate(file);
      if (wf.isEmpty() || broken.contains(wf.get())) {
        continue;
      }
      try {
        NabWindows windows = files.get(wf.get());
        if (windows == null) {
          try {
            windows = NabWindows.read(wf.get());
          } catch (DataFormatException e) {
            // One message for a broken windows file, not one per series.
            broken.add(wf.get());
            throw e;
          }
          files.put(wf.get(), windows);
        }
        String key = windows.keyOf(file);
        StreamingProtocol.Series s;
        try {
          s = StreamingProtocol.read(file);
        } catch (DataFormatException unreadable) {
          continue;
        }
        out.put(file, NabSeries.of(key, file.toString(), s.timestamps(), windows.windows(key)));
      } catch (DataFormatException e) {
        problems.add(e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      throw new DataFormatException(problems.size() == 1 ? problems.get(0)
          : "the NAB score cannot be computed (" + problems.size() + " problems):\n  - "
              + String.join("\n  - ", problems));
    }
    return new NabCorpus(out, List.copyOf(files.keySet()));
  }

  /** The NAB labelling of a series file, if it has one. */
  public Optional<NabSeries> of(Path seriesFile) {
    return Optional.ofNullable(series.get(seriesFile));
  }

  /** Whether any series gets a NAB score. */
  public boolean isEmpty() {
    return series.isEmpty();
  }

  /** The windows files read. */
  public List<Path> windowFiles() {
    return windowFiles;
  }
}
