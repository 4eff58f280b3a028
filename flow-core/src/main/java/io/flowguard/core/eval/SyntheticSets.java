package io.flowguard.core.eval;

import io.flowguard.core.data.Dataset;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded synthetic data sets for the regimes the development sets lack (issue 16): hundreds of sparse
 * binary columns, one-hot blocks, tiny n, heavy ties and duplicate rows, mixed discrete and continuous
 * columns, a few informative columns among many irrelevant ones. Each set has feature columns
 * {@code x0, x1, ...} and a {@code label} column (0 normal, 1 anomaly), like the sets in
 * {@code ../shared/data}, so {@link TabularProtocol} runs on them unchanged. The same name and seed give
 * the same rows, bit for bit.
 *
 * <p>In every family the anomalies differ from the normal rows in a way a density of the normal rows
 * can see (a broken dependence, a value the normal rows never take, a region they do not reach), and in
 * no family does a single column's marginal give them away completely.
 */
public final class SyntheticSets {

  /** The family names {@link #generate} knows, in the order the bench prints them. */
  public static final List<String> NAMES = List.of("syn_sparse_binary_d500", "syn_sparse_binary_d1500",
      "syn_onehot_blocks", "syn_tiny_n", "syn_heavy_ties", "syn_few_informative_d200", "syn_mixed");

  private SyntheticSets() {}

  /**
   * The set {@code name} drawn with {@code seed} (the data's seed, not the protocol's split seed).
   *
   * @throws IllegalArgumentException for an unknown name
   */
  public static Dataset generate(String name, long seed) {
    SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + name.hashCode());
    return switch (name) {
      case "syn_sparse_binary_d500" -> sparseBinary(name, 500, 1000, 60, rng);
      case "syn_sparse_binary_d1500" -> sparseBinary(name, 1500, 1700, 80, rng);
      case "syn_onehot_blocks" -> oneHotBlocks(name, 2000, 100, rng);
      case "syn_tiny_n" -> tinyN(name, 200, 20, rng);
      case "syn_heavy_ties" -> heavyTies(name, 1500, 80, rng);
      case "syn_few_informative_d200" -> fewInformative(name, 1000, 60, rng);
      case "syn_mixed" -> mixed(name, 2000, 100, rng);
      default -> throw new IllegalArgumentException("unknown synthetic set '" + name + "'; known: " + NAMES);
    };
  }

  /**
   * Sparse binary rows (documents or event flags): each normal row comes from one of 4 topics, each
   * topic firing its own 20 columns with probability 0.3; every column also fires with probability
   * 0.002 in the background, and a third of the columns never fire in normal rows. An anomaly comes
   * from a fifth topic whose 20 columns half overlap the normal topics' and half are never-firing ones.
   */
  static Dataset sparseBinary(String name, int d, int normals, int anomalies, SplittableRandom rng) {
    int topics = 5;
    int perTopic = 20;
    int silentFrom = d - d / 3;
    int[][] active = new int[topics][perTopic];
    for (int t = 0; t < topics - 1; t++) {
      for (int j = 0; j < perTopic; j++) {
        active[t][j] = rng.nextInt(silentFrom);
      }
    }
    for (int j = 0; j < perTopic; j++) {
      active[topics - 1][j] = j % 2 == 0 ? rng.nextInt(silentFrom) : silentFrom + rng.nextInt(d - silentFrom);
    }
    Builder b = new Builder(name, d);
    for (int i = 0; i < normals + anomalies; i++) {
      boolean anomaly = i >= normals;
      int topic = anomaly ? topics - 1 : rng.nextInt(topics - 1);
      double[] row = new double[d];
      for (int c = 0; c < silentFrom; c++) {
        row[c] = rng.nextDouble() < 0.002 ? 1 : 0;
      }
      for (int c : active[topic]) {
        if (rng.nextDouble() < 0.3) {
          row[c] = 1;
        }
      }
      b.add(row, anomaly);
    }
    return b.build();
  }

  /**
   * Six categorical variables one-hot encoded (3 to 8 levels each) and four continuous columns. A
   * latent class (one of 3) sets each variable's level distribution (peaked on a class-specific level)
   * and the continuous columns' means. An anomaly draws each variable's level from a randomly chosen
   * class per variable, so its combination of levels is one no class produces, with continuous columns of
   * one of those classes.
   */
  static Dataset oneHotBlocks(String name, int normals, int anomalies, SplittableRandom rng) {
    int[] levels = {3, 4, 5, 6, 8, 4};
    int classes = 3;
    int d = 4;
    for (int l : levels) {
      d += l;
    }
    int[][] favourite = new int[classes][levels.length];
    double[][] means = new double[classes][4];
    for (int k = 0; k < classes; k++) {
      for (int v = 0; v < levels.length; v++) {
        favourite[k][v] = rng.nextInt(levels[v]);
      }
      for (int j = 0; j < 4; j++) {
        means[k][j] = 3 * rng.nextGaussian();
      }
    }
    Builder b = new Builder(name, d);
    for (int i = 0; i < normals + anomalies; i++) {
      boolean anomaly = i >= normals;
      int k = rng.nextInt(classes);
      double[] row = new double[d];
      int at = 0;
      for (int v = 0; v < levels.length; v++) {
        int from = anomaly ? rng.nextInt(classes) : k;
        int level = rng.nextDouble() < 0.85 ? favourite[from][v] : rng.nextInt(levels[v]);
        row[at + level] = 1;
        at += levels[v];
      }
      for (int j = 0; j < 4; j++) {
        row[at + j] = means[k][j] + rng.nextGaussian();
      }
      b.add(row, anomaly);
    }
    return b.build();
  }

  /**
   * Six correlated Gaussian columns (a random loading matrix) and very few rows (120 TRAIN rows under
   * the protocol); anomalies are drawn with the same mean and twice the spread.
   */
  static Dataset tinyN(String name, int normals, int anomalies, SplittableRandom rng) {
    int d = 6;
    double[][] loading = new double[d][d];
    for (int i = 0; i < d; i++) {
      for (int j = 0; j < d; j++) {
        loading[i][j] = rng.nextGaussian() / Math.sqrt(d);
      }
      loading[i][i] += 1;
    }
    Builder b = new Builder(name, d);
    for (int i = 0; i < normals + anomalies; i++) {
      boolean anomaly = i >= normals;
      double[] z = new double[d];
      for (int j = 0; j < d; j++) {
        z[j] = rng.nextGaussian() * (anomaly ? 2.0 : 1.0);
      }
      double[] row = new double[d];
      for (int r = 0; r < d; r++) {
        for (int j = 0; j < d; j++) {
          row[r] += loading[r][j] * z[j];
        }
      }
      b.add(row, anomaly);
    }
    return b.build();
  }

  /**
   * Eight count columns (Poisson with rates 0.5 to 4 driven by a shared gamma-distributed intensity),
   * each row repeated 1 to 4 times (duplicate rows, heavy ties). Anomalies: two columns' rates are
   * swapped to the opposite end of the range, breaking the shared-intensity dependence.
   */
  static Dataset heavyTies(String name, int normals, int anomalies, SplittableRandom rng) {
    int d = 8;
    double[] rate = new double[d];
    for (int j = 0; j < d; j++) {
      rate[j] = 0.5 + 3.5 * j / (d - 1);
    }
    Builder b = new Builder(name, d);
    int made = 0;
    while (made < normals + anomalies) {
      boolean anomaly = made >= normals;
      double intensity = gamma(2.0, rng) / 2.0;
      double[] row = new double[d];
      for (int j = 0; j < d; j++) {
        double r = rate[j] * intensity;
        if (anomaly && (j == 0 || j == d - 1)) {
          r = rate[d - 1 - j] / Math.max(intensity, 0.25);
        }
        row[j] = poisson(r, rng);
      }
      int copies = anomaly ? 1 : 1 + rng.nextInt(4);
      for (int c = 0; c < copies && made < normals + anomalies; c++, made++) {
        b.add(row.clone(), made >= normals);
      }
    }
    return b.build();
  }

  /**
   * 200 columns, of which 5 carry the structure (a two-cluster correlated Gaussian mixture) and 195 are
   * irrelevant (independent standard normal, uniform and binary columns, distributed alike in normal
   * rows and anomalies). Anomalies: the 5 informative columns uniform over [-3, 3]^5.
   */
  static Dataset fewInformative(String name, int normals, int anomalies, SplittableRandom rng) {
    int d = 200;
    int informative = 5;
    Builder b = new Builder(name, d);
    for (int i = 0; i < normals + anomalies; i++) {
      boolean anomaly = i >= normals;
      double[] row = new double[d];
      if (anomaly) {
        for (int j = 0; j < informative; j++) {
          row[j] = -3 + 6 * rng.nextDouble();
        }
      } else {
        double sign = rng.nextBoolean() ? 1.5 : -1.5;
        double shared = rng.nextGaussian();
        for (int j = 0; j < informative; j++) {
          row[j] = sign + 0.8 * shared + 0.3 * rng.nextGaussian();
        }
      }
      for (int j = informative; j < d; j++) {
        int kind = j % 3;
        row[j] = kind == 0 ? rng.nextGaussian() : kind == 1 ? rng.nextDouble() : (rng.nextDouble() < 0.3 ? 1 : 0);
      }
      b.add(row, anomaly);
    }
    return b.build();
  }

  /**
   * Four continuous, four small-integer (0..5) and four binary columns tied together by a latent class
   * (one of 4). An anomaly takes its discrete columns from one class and its continuous ones from
   * another.
   */
  static Dataset mixed(String name, int normals, int anomalies, SplittableRandom rng) {
    int classes = 4;
    double[][] mean = new double[classes][4];
    double[][] level = new double[classes][4];
    double[][] bit = new double[classes][4];
    for (int k = 0; k < classes; k++) {
      for (int j = 0; j < 4; j++) {
        mean[k][j] = 2.5 * rng.nextGaussian();
        level[k][j] = 0.5 + 4 * rng.nextDouble();
        bit[k][j] = rng.nextDouble() < 0.5 ? 0.1 : 0.9;
      }
    }
    Builder b = new Builder(name, 12);
    for (int i = 0; i < normals + anomalies; i++) {
      boolean anomaly = i >= normals;
      int k = rng.nextInt(classes);
      int other = anomaly ? (k + 1 + rng.nextInt(classes - 1)) % classes : k;
      double[] row = new double[12];
      for (int j = 0; j < 4; j++) {
        row[j] = mean[other][j] + rng.nextGaussian();
        row[4 + j] = Math.min(5, poisson(level[k][j], rng));
        row[8 + j] = rng.nextDouble() < bit[k][j] ? 1 : 0;
      }
      b.add(row, anomaly);
    }
    return b.build();
  }

  /** A Poisson draw by inversion (rates here are at most ~20). */
  static int poisson(double rate, SplittableRandom rng) {
    double u = rng.nextDouble();
    double p = Math.exp(-rate);
    double cdf = p;
    int k = 0;
    while (u > cdf && k < 1000) {
      k++;
      p *= rate / k;
      cdf += p;
    }
    return k;
  }

  /** A Gamma(shape, 1) draw for integer shape: a sum of exponentials. */
  static double gamma(double shape, SplittableRandom rng) {
    double s = 0;
    for (int i = 0; i < (int) shape; i++) {
      s -= Math.log(1.0 - rng.nextDouble());
    }
    return s;
  }

  /** Rows of {@code d} features plus the label, into a {@link Dataset}. */
  private static final class Builder {
    private final String name;
    private final int d;
    private final List<double[]> rows = new ArrayList<>();

    Builder(String name, int d) {
      this.name = name;
      this.d = d;
    }

    void add(double[] features, boolean anomaly) {
      double[] row = java.util.Arrays.copyOf(features, d + 1);
      row[d] = anomaly ? 1 : 0;
      rows.add(row);
    }

    Dataset build() {
      List<String> columns = new ArrayList<>();
      for (int j = 0; j < d; j++) {
        columns.add("x" + j);
      }
      columns.add("label");
      double[] values = new double[rows.size() * (d + 1)];
      for (int r = 0; r < rows.size(); r++) {
        System.arraycopy(rows.get(r), 0, values, r * (d + 1), d + 1);
      }
      return new Dataset(name, columns, values, rows.size());
    }
  }
}
