package io.flowguard.core.eval.nab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.data.DataFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading NAB's windows file, finding a series in it, and placing its windows on the series' points. */
class NabWindowsTest {

  @TempDir
  Path dir;

  private static final String WINDOWS = """
      {
          "artificialNoAnomaly/quiet.csv": [],
          "realKnownCause/taxi.csv": [
              ["2014-07-01 02:00:00.000000", "2014-07-01 03:00:00.000000"],
              ["2014-07-01 00:30:00.000000", "2014-07-01 01:00:00.000000"]
          ]
      }
      """;

  private Path windowsFile(String text) throws Exception {
    Path f = dir.resolve("corpus").resolve(NabWindows.FILE_NAME);
    Files.createDirectories(f.getParent());
    Files.writeString(f, text);
    return f;
  }

  /** Half-hourly timestamps from 2014-07-01 00:00. */
  private static List<String> halfHours(int n) {
    List<String> t = new ArrayList<>();
    LocalDateTime start = LocalDateTime.of(2014, 7, 1, 0, 0);
    for (int i = 0; i < n; i++) {
      t.add(start.plusMinutes(30L * i).toString().replace('T', ' ') + ":00");
    }
    return t;
  }

  @Test
  void readsWindowsSortedByStart() throws Exception {
    NabWindows w = NabWindows.read(windowsFile(WINDOWS));
    assertEquals(List.of("artificialNoAnomaly/quiet.csv", "realKnownCause/taxi.csv"), w.keys());
    assertEquals(List.of(), w.windows("artificialNoAnomaly/quiet.csv"));
    List<NabWindows.Window> taxi = w.windows("realKnownCause/taxi.csv");
    assertEquals(LocalDateTime.of(2014, 7, 1, 0, 30), taxi.get(0).start());
    assertEquals(LocalDateTime.of(2014, 7, 1, 3, 0), taxi.get(1).end());
  }

  @Test
  void windowsCoverTheirLimitsInclusively() throws Exception {
    NabWindows w = NabWindows.read(windowsFile(WINDOWS));
    // Points 0 = 00:00, 1 = 00:30, 2 = 01:00, 3 = 01:30, 4 = 02:00, 5 = 02:30, 6 = 03:00.
    NabSeries s = NabSeries.of("realKnownCause/taxi.csv", "taxi.csv", halfHours(40),
        w.windows("realKnownCause/taxi.csv"));
    assertEquals(2, s.windowCount());
    assertArrayEquals(new int[] {1, 2, 4, 6}, new int[] {s.windowFirst(0), s.windowLast(0), s.windowFirst(1),
        s.windowLast(1)});
    assertEquals(-1, s.windowOf(3));
    assertEquals(1, s.windowOf(6));
  }

  @Test
  void limitsBetweenPointsTakeThePointsInside() {
    // [00:10, 01:10] holds 00:30 and 01:00 (points 1 and 2).
    NabSeries s = NabSeries.of("x", "x.csv", halfHours(20), List.of(new NabWindows.Window(
        LocalDateTime.of(2014, 7, 1, 0, 10), LocalDateTime.of(2014, 7, 1, 1, 10))));
    assertEquals(1, s.windowFirst(0));
    assertEquals(2, s.windowLast(0));
  }

  @Test
  void aWindowWithoutPointsIsAnError() {
    DataFormatException e = assertThrows(DataFormatException.class, () -> NabSeries.of("x", "x.csv", halfHours(20),
        List.of(new NabWindows.Window(LocalDateTime.of(2015, 1, 1, 0, 0), LocalDateTime.of(2015, 1, 2, 0, 0)))));
    assertTrue(e.getMessage().contains("x.csv") && e.getMessage().contains("holds no point"), e.getMessage());
  }

  @Test
  void anUnparseableTimestampNamesTheFileAndRow() {
    List<String> t = new ArrayList<>(halfHours(10));
    t.set(4, "yesterday");
    DataFormatException e = assertThrows(DataFormatException.class, () -> NabSeries.of("x", "data/x.csv", t,
        List.of()));
    assertTrue(e.getMessage().contains("data/x.csv, data row 5") && e.getMessage().contains("'yesterday'")
        && e.getMessage().contains("--no-nab"), e.getMessage());
  }

  @Test
  void windowsFollowTheFileOrderWhereTimestampsStepBack() {
    // As in NAB's machine_temperature_system_failure.csv: after 03:00 (point 6) the hour 02:00-03:00 comes
    // again (points 7..9 = 02:00, 02:30, 03:00), then 03:30 (point 10). A window [03:30, 04:30] is points
    // 10..12; a window [01:00, 02:00] is points 2..4, walked in file order up to the first 02:00.
    List<String> t = new ArrayList<>(halfHours(7));
    t.addAll(List.of("2014-07-01 02:00:00", "2014-07-01 02:30:00", "2014-07-01 03:00:00"));
    t.addAll(halfHours(20).subList(7, 20));
    NabSeries s = NabSeries.of("x", "x.csv", t, List.of(
        new NabWindows.Window(LocalDateTime.of(2014, 7, 1, 1, 0), LocalDateTime.of(2014, 7, 1, 2, 0)),
        new NabWindows.Window(LocalDateTime.of(2014, 7, 1, 3, 30), LocalDateTime.of(2014, 7, 1, 4, 30))));
    assertArrayEquals(new int[] {2, 4, 10, 12}, new int[] {s.windowFirst(0), s.windowLast(0), s.windowFirst(1),
        s.windowLast(1)});
  }

  @Test
  void timestampsAcceptNabsForms() {
    assertEquals(LocalDateTime.of(2014, 4, 10, 16, 15), NabTimestamps.parse("2014-04-10 16:15:00.000000"));
    assertEquals(LocalDateTime.of(2014, 4, 10, 16, 15), NabTimestamps.parse("2014-04-10 16:15:00"));
    assertEquals(LocalDateTime.of(2014, 4, 10, 16, 15, 1), NabTimestamps.parse("2014-04-10T16:15:01"));
  }

  @Test
  void malformedJsonNamesTheFileAndLine() throws Exception {
    Path f = windowsFile("{\n  \"a/b.csv\": [[\"2014-07-01 00:00:00\", \"2014-07-01 01:00:00\"]\n");
    DataFormatException e = assertThrows(DataFormatException.class, () -> NabWindows.read(f));
    assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("not valid JSON (line 3"),
        e.getMessage());
  }

  @Test
  void wrongShapesAreNamed() throws Exception {
    DataFormatException list = assertThrows(DataFormatException.class,
        () -> NabWindows.read(windowsFile("[1, 2]")));
    assertTrue(list.getMessage().contains("expected a JSON object"), list.getMessage());
    DataFormatException pair = assertThrows(DataFormatException.class,
        () -> NabWindows.read(windowsFile("{\"a/b.csv\": [[\"2014-07-01 00:00:00\"]]}")));
    assertTrue(pair.getMessage().contains("\"a/b.csv\", window 1: expected a pair"), pair.getMessage());
    DataFormatException time = assertThrows(DataFormatException.class,
        () -> NabWindows.read(windowsFile("{\"a/b.csv\": [[\"soon\", \"2014-07-01 00:00:00\"]]}")));
    assertTrue(time.getMessage().contains("'soon' is not a timestamp"), time.getMessage());
    DataFormatException overlap = assertThrows(DataFormatException.class, () -> NabWindows.read(windowsFile(
        "{\"a/b.csv\": [[\"2014-07-01 00:00:00\", \"2014-07-01 02:00:00\"],"
            + " [\"2014-07-01 02:00:00\", \"2014-07-01 03:00:00\"]]}")));
    assertTrue(overlap.getMessage().contains("overlap"), overlap.getMessage());
  }

  @Test
  void aSeriesIsFoundByItsPathRelativeToTheCorpus() throws Exception {
    NabWindows w = NabWindows.read(windowsFile(WINDOWS));
    assertEquals("realKnownCause/taxi.csv", w.keyOf(dir.resolve("corpus/realKnownCause/taxi.csv")));
    assertEquals("realKnownCause/taxi.csv", w.keyOf(dir.resolve("elsewhere/realKnownCause/taxi.csv")),
        "the key's segments end the path");
    DataFormatException e = assertThrows(DataFormatException.class,
        () -> w.keyOf(dir.resolve("corpus/realKnownCause/other.csv")));
    assertTrue(e.getMessage().contains("other.csv: not listed in the NAB windows file")
        && e.getMessage().contains("'realKnownCause/other.csv'") && e.getMessage().contains("--nab-windows")
        && e.getMessage().contains("--no-nab"), e.getMessage());
  }

  @Test
  void theWindowsFileIsLookedForBesideTheSeriesAndOneFolderUp() throws Exception {
    Path f = windowsFile(WINDOWS);
    assertEquals(Optional.of(f.toAbsolutePath()), NabWindows.locate(dir.resolve("corpus/realKnownCause/taxi.csv")));
    assertEquals(Optional.of(f.toAbsolutePath()), NabWindows.locate(dir.resolve("corpus/taxi.csv")));
    assertEquals(Optional.empty(), NabWindows.locate(dir.resolve("corpus/a/b/taxi.csv")));
  }

  @Test
  void tailProbabilitiesMapToScoresKeepingTheirOrder() {
    assertEquals(0.0, AnomalyScores.fromTailProbability(1.0), 0.0);
    assertEquals(1.0, AnomalyScores.fromTailProbability(1e-300), 1e-15);
    assertEquals(0.1, AnomalyScores.fromTailProbability(1e-30), 1e-15);
    assertEquals(1e-30, AnomalyScores.tailProbabilityOf(0.1), 1e-44);
    // 1 - p ties these two; the log scale keeps them apart and in order.
    assertEquals(1.0 - 1e-17, 1.0 - 1e-20, 0.0);
    assertTrue(AnomalyScores.fromTailProbability(1e-20) > AnomalyScores.fromTailProbability(1e-17));
  }
}
