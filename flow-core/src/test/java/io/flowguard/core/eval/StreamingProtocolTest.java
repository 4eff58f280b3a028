package io.flowguard.core.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.data.DataFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The streaming-series protocol's split, features and reader on hand-checkable series. */
class StreamingProtocolTest {

  @TempDir
  Path dir;

  /**
   * 60 points: TRAIN = the first floor(0.15 * 60) = 9, values 5,3,5,3,5,3,5,3,4 (mean 4, population
   * variance 8/9, so z = (v - 4) / s with s = sqrt(8)/3); then v[t] = 4 + t mod 3; labels 1 on t = 40..45.
   */
  private static StreamingProtocol.Series handSeries() {
    double[] v = new double[60];
    int[] labels = new int[60];
    double[] train = {5, 3, 5, 3, 5, 3, 5, 3, 4};
    for (int t = 0; t < 60; t++) {
      v[t] = t < 9 ? train[t] : 4 + t % 3;
      labels[t] = t >= 40 && t <= 45 ? 1 : 0;
    }
    return new StreamingProtocol.Series("hand", v, labels);
  }

  private static double[] scaled(double s, double... x) {
    double[] out = x.clone();
    for (int i = 0; i < out.length; i++) {
      out[i] /= s;
    }
    return out;
  }

  private static double[] row(io.flowguard.core.data.Dataset ds, int r) {
    return java.util.Arrays.copyOfRange(ds.values(), r * ds.dim(), (r + 1) * ds.dim());
  }

  @Test
  void featuresOfAHandSeriesAreTheWindowsAndTheirDifferences() {
    StreamingProtocol.Features f = StreamingProtocol.features(handSeries());
    double s = Math.sqrt(8.0) / 3;
    assertEquals(9, f.trainPoints());
    assertEquals(4.0, f.standardization().mean()[0], 1e-15);
    assertEquals(s, f.standardization().std()[0], 1e-15);
    assertEquals(15, f.train().dim());
    // The first w - 1 = 7 points have no full window: TRAIN yields the windows ending at t = 7 and 8.
    assertEquals(2, f.train().rows());
    assertArrayEquals(scaled(s, 1, -1, 1, -1, 1, -1, 1, -1, -2, 2, -2, 2, -2, 2, -2), row(f.train(), 0), 1e-12);
    assertArrayEquals(scaled(s, -1, 1, -1, 1, -1, 1, -1, 0, 2, -2, 2, -2, 2, -2, 1), row(f.train(), 1), 1e-12);
    // Every TEST point is scored; the first one's window reaches back into TRAIN (v[2..9], v[9] = 4).
    assertEquals(51, f.test().rows());
    assertArrayEquals(scaled(s, 1, -1, 1, -1, 1, -1, 0, 0, -2, 2, -2, 2, -2, 1, 0), row(f.test(), 0), 1e-12);
    // t = 10: v[3..10] = 3,5,3,5,3,4,4,5.
    assertArrayEquals(scaled(s, -1, 1, -1, 1, -1, 0, 0, 1, 2, -2, 2, -2, 1, 0, 1), row(f.test(), 1), 1e-12);
    assertEquals(1, f.testLabels()[40 - 9]);
    assertEquals(0, f.testLabels()[39 - 9]);
    assertEquals(6, StreamingProtocol.testAnomalies(f));
  }

  @Test
  void trainingPrefixIsFloorOf15Percent() {
    assertEquals(9, StreamingProtocol.trainPoints(60));
    assertEquals(150, StreamingProtocol.trainPoints(1000));
    assertEquals(169, StreamingProtocol.trainPoints(1127), "1127 x 0.15 = 169.05");
    assertEquals(3, StreamingProtocol.trainPoints(20), "exactly 3, not 2.9999...");
  }

  @Test
  void tooShortASeriesIsRejectedWithTheLengthNeeded() {
    double[] v = new double[40];
    StreamingProtocol.Series s = new StreamingProtocol.Series("short", v, new int[40]);
    DataFormatException e = assertThrows(DataFormatException.class, () -> StreamingProtocol.features(s));
    assertTrue(e.getMessage().contains("short") && e.getMessage().contains("at least"), e.getMessage());
  }

  @Test
  void readerKeepsFileOrderAndNamesBadLines() throws Exception {
    Path ok = dir.resolve("s.csv");
    Files.writeString(ok, "timestamp,value,label\n2020-01-01 00:00:00,1.5,0\n2020-01-01 00:05:00,2.5,1\n");
    StreamingProtocol.Series s = StreamingProtocol.read(ok);
    assertArrayEquals(new double[] {1.5, 2.5}, s.values(), 0.0);
    assertArrayEquals(new int[] {0, 1}, s.labels());
    Path bad = dir.resolve("bad.csv");
    Files.writeString(bad, "timestamp,value,label\n2020-01-01,1.5,0\n2020-01-02,2.5,2\n");
    DataFormatException e = assertThrows(DataFormatException.class, () -> StreamingProtocol.read(bad));
    assertTrue(e.getMessage().contains("line 3") && e.getMessage().contains("label 2"), e.getMessage());
  }
}
