package io.flowguard.job;

import io.flowguard.core.data.Dataset;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The demo's bundled data (see {@code io/flowguard/job/demo/SOURCE.md}): 5 000 normal and 500
 * anomalous rows of the Statlog Shuttle set. The first {@link #TRAIN_ROWS} normal rows train the
 * models; the other normal rows and the anomalies are replayed.
 */
final class DemoData {

  static final String RESOURCE = "/io/flowguard/job/demo/shuttle-sample.csv";
  static final String SOURCE_NAME = "Statlog Shuttle sample (ODDS via ADBench)";
  static final int TRAIN_ROWS = 3000;

  final List<String> features;
  final Dataset train;
  final List<double[]> normal;
  final List<double[]> anomalies;

  private DemoData(List<String> features, Dataset train, List<double[]> normal,
      List<double[]> anomalies) {
    this.features = features;
    this.train = train;
    this.normal = normal;
    this.anomalies = anomalies;
  }

  static DemoData load() {
    try (InputStream in = DemoData.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("demo data " + RESOURCE + " is not on the classpath");
      }
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      List<String> header = Arrays.asList(r.readLine().split(","));
      int label = header.indexOf("label");
      List<String> features = new ArrayList<>(header.subList(0, label));
      List<double[]> normal = new ArrayList<>();
      List<double[]> anomalies = new ArrayList<>();
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (line.isBlank()) {
          continue;
        }
        String[] cells = line.split(",");
        double[] row = new double[features.size()];
        for (int i = 0; i < row.length; i++) {
          row[i] = Double.parseDouble(cells[i]);
        }
        (cells[label].equals("1") ? anomalies : normal).add(row);
      }
      double[] x = new double[TRAIN_ROWS * features.size()];
      for (int i = 0; i < TRAIN_ROWS; i++) {
        System.arraycopy(normal.get(i), 0, x, i * features.size(), features.size());
      }
      Dataset train = new Dataset(RESOURCE, features, x, TRAIN_ROWS);
      return new DemoData(List.copyOf(features), train,
          List.copyOf(normal.subList(TRAIN_ROWS, normal.size())), List.copyOf(anomalies));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
