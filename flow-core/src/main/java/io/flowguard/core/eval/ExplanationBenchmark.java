package io.flowguard.core.eval;

import io.flowguard.core.data.DataReader;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.explain.Explainer;
import io.flowguard.core.explain.Explanation;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.ModelTrainer;
import io.flowguard.core.train.TrainingListener;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * The explanation benchmark ({@code flowguard evaluate --explain}): anomalies with a known cause injected
 * into normal data whose density is known, and how often each method names the cause.
 *
 * <p><b>Normal data.</b> {@code gaussian}: features in pairs correlated at 0.9 (an odd last feature alone),
 * then each feature given its own mean and scale. {@code mixture}: three such Gaussians (pairs at 0.8)
 * with means 4 sd apart on average. {@code flow:NAME}: samples of a flow trained (with the default
 * configuration) on the normal rows of a development data set, so the truth is the sampling flow. A
 * Flowguard model (default configuration) and the baselines are fitted to {@link Settings#trainRows()}
 * normal rows; anomalies are made from fresh normal rows.
 *
 * <p><b>Anomalies.</b> (a) one random feature shifted by 3 to 8 of its training sd (either sign); (b)
 * two random features shifted so; (c) a correlation broken within the marginal ranges: a pair of
 * correlated features set to +1.5 and -1.5 sd (opposite to their correlation) around the row's
 * component mean, each alone ordinary.
 *
 * <p><b>Methods.</b> Flowguard's explanation order; marginal z-scores {@code |x - mean| / sd} of the
 * training rows; Random Cut Forest attribution (50 trees, sample size 256, no shingle; ranking by
 * {@code high + low}), when randomcutforest-core is on the class path; and, for the correlation breaks
 * (c), {@code truth}: the single contributions computed with the <em>true</em> density instead of the
 * fitted model (each feature's maximum over a grid of 0.05 training sd over +-8 sd), ranked by
 * contribution: what the explanation's definition gives with a perfect model (its values are in range by
 * construction, and a correlation break is rarely a joint anomaly), so a miss there is the definition's or
 * the case's, and the gap to Flowguard is the fitted model's and the search's. <b>Hits:</b> top-1: the
 * first feature is a cause; top-2: the causes are among the first two (for (a): the cause is).
 */
public final class ExplanationBenchmark {

  /**
   * @param dims the dimensions of the synthetic sets
   * @param events anomalies per case
   * @param trainRows normal rows each model is fitted to
   * @param devSets development data sets (CSV with a 0/1 label column {@code label}) to train sampling flows on
   * @param modelCache a directory where every trained model (and sampling flow) is written, and read back
   *     instead of trained when a later run asks for the same one (same set, dimension, rows and seed): runs
   *     that compare explainers then explain the same models and spend their time explaining
   */
  public record Settings(List<Integer> dims, int events, int trainRows, long seed, List<Path> devSets,
                         Optional<Path> modelCache) {}

  /** One method's hit rates on one case of one normal set. */
  public record Row(String normal, int dim, String anomalyCase, String method, int events, double top1, double top2) {}

  /**
   * Explanation latency per flagged event (explain(x, 3) of every anomaly of the set), one thread, and its
   * work: rows scored through the flow per explanation (median, p99, and the mean of each phase).
   */
  public record Latency(String normal, int dim, int events, double medianMicros, double p99Micros,
                        double cpuMedianMicros, double cpuP99Micros, double medianRows, double p99Rows,
                        double meanScreenRows, double meanSearchRows, double meanPairRows) {}

  public record Result(List<Row> rows, List<Latency> latencies, boolean rcf) {}

  static final String[] CASES = {"a", "b", "c"};

  private ExplanationBenchmark() {}

  /** A normal distribution to sample from, with what the correlation-break case needs. */
  interface Normal {
    String name();

    int dim();

    /** n rows; {@code component[r]} receives row r's component (0 for a single Gaussian). */
    double[] sample(int n, SplittableRandom rng, int[] component);

    /** Pairs (i, j, sign of the correlation) whose correlation can be broken. */
    List<int[]> correlatedPairs();

    /** Mean and sd of feature i within component c. */
    double componentMean(int c, int i);

    double componentSd(int c, int i);

    /** The true log-density of n raw rows. */
    double[] logDensity(double[] x, int n);
  }

  public static Result run(Settings s, PrintWriter progress) throws IOException {
    boolean rcf = RcfAttribution.available();
    if (!rcf) {
      progress.println("Random Cut Forest: randomcutforest-core is not on the class path, its column is left out"
          + " (bench/explain.sh runs the benchmark with it)");
    }
    List<Normal> normals = new ArrayList<>();
    for (int d : s.dims()) {
      normals.add(gaussian(d, s.seed() + d));
      normals.add(mixture(d, s.seed() + 100 + d));
    }
    for (Path p : s.devSets()) {
      progress.printf("training a sampling flow on %s...%n", p);
      progress.flush();
      normals.add(flowSampled(p, s.seed(), s.modelCache()));
    }
    List<Row> rows = new ArrayList<>();
    List<Latency> latencies = new ArrayList<>();
    for (Normal normal : normals) {
      progress.printf(Locale.ROOT, "%s d=%d: training the model on %d rows...%n", normal.name(), normal.dim(),
          s.trainRows());
      progress.flush();
      evaluate(normal, s, rcf, rows, latencies, progress);
    }
    return new Result(rows, latencies, rcf);
  }

  private static void evaluate(Normal normal, Settings s, boolean rcf, List<Row> rows, List<Latency> latencies,
                               PrintWriter progress) {
    int d = normal.dim();
    SplittableRandom rng = new SplittableRandom(s.seed() * 31 + d + normal.name().hashCode());
    int n = s.trainRows();
    double[] train = normal.sample(n, rng, new int[n]);
    List<String> names = new ArrayList<>();
    for (int i = 0; i < d; i++) {
      names.add("x" + i);
    }
    Dataset data = new Dataset(normal.name(), names, train, n);
    FlowModel model = cached(s.modelCache(), normal.name().replace(':', '-') + "-d" + d + "-rows" + n + "-seed" + s.seed(),
        () -> ModelTrainer.train(data, ModelTrainer.Options.automatic("bench", 1, data, s.seed(), 0.2),
            TrainingListener.NONE).model());
    double[] mean = new double[d];
    double[] sd = new double[d];
    double[] min = new double[d];
    double[] max = new double[d];
    for (int i = 0; i < d; i++) {
      var f = model.featureStatistics().orElseThrow().feature(i);
      mean[i] = f.mean();
      sd[i] = f.sd();
      min[i] = f.min();
      max[i] = f.max();
    }
    RcfAttribution forest = rcf ? new RcfAttribution(train, n, d, s.seed()) : null;
    double[] truthGrid = new double[d * TRUTH_GRID * d];
    Explainer explainer = new Explainer(model, 0.01);
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    List<Long> wall = new ArrayList<>();
    List<Long> cpu = new ArrayList<>();
    List<Explainer.Cost> costs = new ArrayList<>();
    // Warm-up: the JIT compiles the search before anything is timed, the pair search too (every other
    // warm-up event has a second shifted feature, a joint anomaly).
    double[] warm = normal.sample(100, rng, new int[100]);
    for (int r = 0; r < 100; r++) {
      double[] x = Arrays.copyOfRange(warm, r * d, (r + 1) * d);
      x[r % d] += 6 * sd[r % d];
      if (r % 2 == 1) {
        x[(r + 1) % d] -= 6 * sd[(r + 1) % d];
      }
      explainer.explain(x, 3);
    }
    for (String c : CASES) {
      int[] comp = new int[s.events()];
      double[] base = normal.sample(s.events(), rng, comp);
      int[][] hits = new int[4][2];
      int made = 0;
      List<double[]> events = new ArrayList<>();
      List<int[]> causes = new ArrayList<>();
      for (int e = 0; e < s.events(); e++) {
        double[] x = Arrays.copyOfRange(base, e * d, (e + 1) * d);
        int[] truth = inject(c, x, comp[e], normal, sd, min, max, rng);
        if (truth.length == 0) {
          continue;
        }
        made++;
        long w0 = System.nanoTime();
        long c0 = threads.getCurrentThreadCpuTime();
        Explanation ex = explainer.explain(x, 3);
        cpu.add(threads.getCurrentThreadCpuTime() - c0);
        wall.add(System.nanoTime() - w0);
        costs.add(explainer.lastCost());
        int[] flow = new int[2];
        for (int j = 0; j < 2; j++) {
          flow[j] = ex.present() && ex.features().size() > j ? names.indexOf(ex.features().get(j).feature()) : -1;
        }
        score(hits[0], flow, truth);
        double[] z = new double[d];
        for (int i = 0; i < d; i++) {
          z[i] = sd[i] > 0 ? Math.abs(x[i] - mean[i]) / sd[i] : 0;
        }
        score(hits[1], top2(z), truth);
        if (forest != null) {
          score(hits[2], top2(forest.attribution(x)), truth);
        }
        events.add(x);
        causes.add(truth);
      }
      // After the timed loop: the true density's grids would evict the model from the caches between
      // timed explanations.
      for (int e = 0; c.equals("c") && e < events.size(); e++) {
        score(hits[3], top2(trueContributions(normal, events.get(e), mean, sd, truthGrid)), causes.get(e));
      }
      if (made == 0) {
        progress.printf("  case %s: no pair to break, skipped%n", c);
        continue;
      }
      String[] methods = {"flowguard", "z-score", "rcf", "truth"};
      for (int m = 0; m < 4; m++) {
        if ((m == 2 && forest == null) || (m == 3 && !c.equals("c"))) {
          continue;
        }
        Row row = new Row(normal.name(), d, c, methods[m], made, (double) hits[m][0] / made, (double) hits[m][1] / made);
        rows.add(row);
        progress.printf(Locale.ROOT, "  case %s %-9s top-1 %.3f top-2 %.3f (%d events)%n", c, methods[m], row.top1(),
            row.top2(), made);
      }
      progress.flush();
    }
    latencies.add(latency(normal.name(), d, wall, cpu, costs));
    Latency l = latencies.get(latencies.size() - 1);
    progress.printf(Locale.ROOT, "  explanation latency: median %.0f us, p99 %.0f us (CPU %.0f / %.0f us);"
        + " rows scored: median %.0f, p99 %.0f (mean screen %.1f, search %.1f, pairs %.1f)%n",
        l.medianMicros(), l.p99Micros(), l.cpuMedianMicros(), l.cpuP99Micros(), l.medianRows(), l.p99Rows(),
        l.meanScreenRows(), l.meanSearchRows(), l.meanPairRows());
  }

  /** Points per feature of {@link #trueContributions}' grid: 0.05 training sd apart over +-8 sd. */
  static final int TRUTH_GRID = 321;

  /**
   * Each feature's single contribution under the true density: the largest log-density over the feature
   * set to {@code mean + sd g}, g on a grid of 0.05 over +-8 (the event's own value included), minus the
   * event's.
   */
  static double[] trueContributions(Normal normal, double[] x, double[] mean, double[] sd, double[] grid) {
    int d = x.length;
    for (int i = 0; i < d; i++) {
      for (int g = 0; g < TRUTH_GRID; g++) {
        int r = i * TRUTH_GRID + g;
        System.arraycopy(x, 0, grid, r * d, d);
        grid[r * d + i] = mean[i] + sd[i] * (-8 + 16.0 * g / (TRUTH_GRID - 1));
      }
    }
    double[] lp = normal.logDensity(grid, d * TRUTH_GRID);
    double base = normal.logDensity(x, 1)[0];
    double[] c = new double[d];
    for (int i = 0; i < d; i++) {
      double best = base;
      for (int g = 0; g < TRUTH_GRID; g++) {
        best = Math.max(best, lp[i * TRUTH_GRID + g]);
      }
      c[i] = best - base;
    }
    return c;
  }

  /** Modifies {@code x} for the case and returns the features that cause the anomaly (empty: impossible). */
  private static int[] inject(String c, double[] x, int component, Normal normal, double[] sd, double[] min,
                              double[] max, SplittableRandom rng) {
    int d = x.length;
    switch (c) {
      case "a" -> {
        int i = rng.nextInt(d);
        x[i] += (rng.nextBoolean() ? 1 : -1) * (3 + 5 * rng.nextDouble()) * sd[i];
        return new int[] {i};
      }
      case "b" -> {
        int i = rng.nextInt(d);
        int j = rng.nextInt(d - 1);
        j = j >= i ? j + 1 : j;
        x[i] += (rng.nextBoolean() ? 1 : -1) * (3 + 5 * rng.nextDouble()) * sd[i];
        x[j] += (rng.nextBoolean() ? 1 : -1) * (3 + 5 * rng.nextDouble()) * sd[j];
        return new int[] {i, j};
      }
      default -> {
        List<int[]> pairs = normal.correlatedPairs();
        if (pairs.isEmpty()) {
          return new int[0];
        }
        int[] p = pairs.get(rng.nextInt(pairs.size()));
        double u = rng.nextBoolean() ? 1 : -1;
        double xi = normal.componentMean(component, p[0]) + 1.5 * u * normal.componentSd(component, p[0]);
        double xj = normal.componentMean(component, p[1]) - 1.5 * u * p[2] * normal.componentSd(component, p[1]);
        if (xi < min[p[0]] || xi > max[p[0]] || xj < min[p[1]] || xj > max[p[1]]) {
          return new int[0];
        }
        x[p[0]] = xi;
        x[p[1]] = xj;
        return new int[] {p[0], p[1]};
      }
    }
  }

  private static void score(int[] hits, int[] ranked, int[] truth) {
    boolean first = contains(truth, ranked[0]);
    boolean both = truth.length == 1 ? contains(truth, ranked[0]) || contains(truth, ranked[1])
        : contains(truth, ranked[0]) && contains(truth, ranked[1]) && ranked[0] != ranked[1];
    hits[0] += first ? 1 : 0;
    hits[1] += both ? 1 : 0;
  }

  private static boolean contains(int[] a, int v) {
    for (int x : a) {
      if (x == v) {
        return true;
      }
    }
    return false;
  }

  /** The indices of the two largest values (ties: the lower index). */
  static int[] top2(double[] v) {
    int a = -1;
    int b = -1;
    for (int i = 0; i < v.length; i++) {
      if (a < 0 || v[i] > v[a]) {
        b = a;
        a = i;
      } else if (b < 0 || v[i] > v[b]) {
        b = i;
      }
    }
    return new int[] {a, b};
  }

  private static Latency latency(String name, int d, List<Long> wall, List<Long> cpu, List<Explainer.Cost> costs) {
    long[] w = wall.stream().mapToLong(Long::longValue).sorted().toArray();
    long[] c = cpu.stream().mapToLong(Long::longValue).sorted().toArray();
    long[] rows = costs.stream().mapToLong(Explainer.Cost::rows).sorted().toArray();
    double n = costs.size();
    return new Latency(name, d, w.length, w[w.length / 2] / 1e3, w[p99(w.length)] / 1e3, c[c.length / 2] / 1e3,
        c[p99(c.length)] / 1e3, rows[rows.length / 2], rows[p99(rows.length)],
        costs.stream().mapToInt(Explainer.Cost::screenRows).sum() / n,
        costs.stream().mapToInt(Explainer.Cost::searchRows).sum() / n,
        costs.stream().mapToInt(Explainer.Cost::pairRows).sum() / n);
  }

  /** The index of the 99th percentile of n sorted values (the nearest-rank definition). */
  private static int p99(int n) {
    return (int) Math.min(n - 1, Math.ceil(0.99 * n) - 1);
  }

  interface Training {
    FlowModel train();
  }

  /** The model of that key from the cache directory, or trained (and written there when there is one). */
  private static FlowModel cached(Optional<Path> cache, String key, Training training) {
    if (cache.isEmpty()) {
      return training.train();
    }
    Path file = cache.get().resolve(key + ".fgm");
    try {
      if (java.nio.file.Files.isRegularFile(file)) {
        return ModelFormat.read(file);
      }
      FlowModel model = training.train();
      java.nio.file.Files.createDirectories(cache.get());
      ModelFormat.write(model, file);
      return model;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("model cache " + file + ": " + e.getMessage(), e);
    }
  }

  // ------------------------------------------------------------------------------------- normal data

  /** Pairs (0,1), (2,3), ... correlated at rho within each of the components, features scaled afterwards. */
  private static Normal paired(String name, int d, int components, double rho, double spread, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] offset = new double[d];
    double[] scale = new double[d];
    for (int i = 0; i < d; i++) {
      offset[i] = -10 + 20 * rng.nextDouble();
      scale[i] = 0.5 + 4.5 * rng.nextDouble();
    }
    double[][] means = new double[components][d];
    for (int c = 0; c < components; c++) {
      for (int i = 0; i < d; i++) {
        means[c][i] = components == 1 ? 0 : spread * (rng.nextDouble() * 2 - 1);
      }
    }
    List<int[]> pairs = new ArrayList<>();
    for (int i = 0; i + 1 < d; i += 2) {
      pairs.add(new int[] {i, i + 1, 1});
    }
    double off = Math.sqrt(1 - rho * rho);
    return new Normal() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public int dim() {
        return d;
      }

      @Override
      public double[] sample(int n, SplittableRandom r, int[] component) {
        double[] x = new double[n * d];
        for (int row = 0; row < n; row++) {
          int c = r.nextInt(components);
          component[row] = c;
          for (int i = 0; i < d; i += 2) {
            double z = r.nextGaussian();
            x[row * d + i] = offset[i] + scale[i] * (means[c][i] + z);
            if (i + 1 < d) {
              x[row * d + i + 1] = offset[i + 1] + scale[i + 1] * (means[c][i + 1] + rho * z + off * r.nextGaussian());
            }
          }
        }
        return x;
      }

      @Override
      public List<int[]> correlatedPairs() {
        return pairs;
      }

      @Override
      public double componentMean(int c, int i) {
        return offset[i] + scale[i] * means[c][i];
      }

      @Override
      public double componentSd(int c, int i) {
        return scale[i];
      }

      @Override
      public double[] logDensity(double[] x, int n) {
        double[] out = new double[n];
        double[] byComponent = new double[components];
        for (int row = 0; row < n; row++) {
          double top = Double.NEGATIVE_INFINITY;
          for (int c = 0; c < components; c++) {
            double l = -Math.log(components);
            for (int i = 0; i < d; i += 2) {
              double z = (x[row * d + i] - offset[i]) / scale[i] - means[c][i];
              l -= 0.5 * z * z + HALF_LOG_2PI + Math.log(scale[i]);
              if (i + 1 < d) {
                double w = ((x[row * d + i + 1] - offset[i + 1]) / scale[i + 1] - means[c][i + 1] - rho * z) / off;
                l -= 0.5 * w * w + HALF_LOG_2PI + Math.log(scale[i + 1] * off);
              }
            }
            byComponent[c] = l;
            top = Math.max(top, l);
          }
          double sum = 0;
          for (double l : byComponent) {
            sum += Math.exp(l - top);
          }
          out[row] = top + Math.log(sum);
        }
        return out;
      }
    };
  }

  private static final double HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

  static Normal gaussian(int d, long seed) {
    return paired("gaussian", d, 1, 0.9, 0, seed);
  }

  static Normal mixture(int d, long seed) {
    return paired("mixture", d, 3, 0.8, 2.0, seed);
  }

  /** Samples of a flow trained on the normal rows (label 0) of a development set. */
  static Normal flowSampled(Path file, long seed, Optional<Path> modelCache) throws IOException {
    Dataset all = DataReader.read(file);
    double[] label = all.column("label");
    Dataset features = all.without("label");
    int[] normalRows = java.util.stream.IntStream.range(0, all.rows()).filter(r -> label[r] == 0).toArray();
    Dataset normal = features.rows(normalRows);
    String name = "flow:" + file.getFileName().toString().replaceFirst("\\.csv$", "");
    FlowModel sampler = cached(modelCache, "sampler-" + name.substring(5) + "-seed" + seed,
        () -> ModelTrainer.train(normal, ModelTrainer.Options.automatic("sampler", 1, normal, seed, 0.2),
            TrainingListener.NONE).model());
    int d = features.dim();
    // Correlated pairs and the marginal moments from a pilot sample.
    double[] pilot = draw(sampler, 20_000, seed + 1);
    double[] m = new double[d];
    double[] s = new double[d];
    int n = 20_000;
    for (int i = 0; i < d; i++) {
      for (int r = 0; r < n; r++) {
        m[i] += pilot[r * d + i] / n;
      }
      for (int r = 0; r < n; r++) {
        s[i] += (pilot[r * d + i] - m[i]) * (pilot[r * d + i] - m[i]) / n;
      }
      s[i] = Math.sqrt(s[i]);
    }
    List<int[]> pairs = new ArrayList<>();
    for (int i = 0; i < d; i++) {
      for (int j = i + 1; j < d; j++) {
        if (s[i] == 0 || s[j] == 0) {
          continue;
        }
        double cov = 0;
        for (int r = 0; r < n; r++) {
          cov += (pilot[r * d + i] - m[i]) * (pilot[r * d + j] - m[j]) / n;
        }
        double rho = cov / (s[i] * s[j]);
        if (Math.abs(rho) >= 0.7) {
          pairs.add(new int[] {i, j, rho > 0 ? 1 : -1});
        }
      }
    }
    long[] draws = {seed + 2};
    return new Normal() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public int dim() {
        return d;
      }

      @Override
      public double[] sample(int count, SplittableRandom r, int[] component) {
        return draw(sampler, count, r.nextLong() ^ draws[0]++);
      }

      @Override
      public List<int[]> correlatedPairs() {
        return pairs;
      }

      @Override
      public double componentMean(int c, int i) {
        return m[i];
      }

      @Override
      public double componentSd(int c, int i) {
        return s[i];
      }

      @Override
      public double[] logDensity(double[] x, int n) {
        return sampler.logDensity(x, n);
      }
    };
  }

  private static double[] draw(FlowModel sampler, int n, long seed) {
    return sampler.preprocessor().toRaw(sampler.flow().sample(n, seed), n);
  }

  // ------------------------------------------------------------------------------------------ output

  /** The hit-rate table: one line per normal set, dimension and case; methods side by side. */
  public static String markdown(Result r) {
    StringBuilder sb = new StringBuilder();
    sb.append("| normal data | d | case | events | Flowguard top-1 | Flowguard top-2 | z-score top-1 | z-score top-2 |");
    sb.append(r.rcf() ? " RCF top-1 | RCF top-2 |" : "").append(" true density top-1 | true density top-2 |\n");
    sb.append("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |").append(r.rcf() ? " ---: | ---: |" : "")
        .append(" ---: | ---: |\n");
    Map<String, List<Row>> grouped = new LinkedHashMap<>();
    for (Row row : r.rows()) {
      grouped.computeIfAbsent(row.normal() + "|" + row.dim() + "|" + row.anomalyCase(), k -> new ArrayList<>()).add(row);
    }
    List<String> methods = new ArrayList<>(List.of("flowguard", "z-score"));
    if (r.rcf()) {
      methods.add("rcf");
    }
    methods.add("truth");
    for (List<Row> g : grouped.values()) {
      Row f = g.get(0);
      sb.append(String.format(Locale.ROOT, "| %s | %d | %s | %d |", f.normal(), f.dim(), f.anomalyCase(), f.events()));
      for (String method : methods) {
        Row m = g.stream().filter(row -> row.method().equals(method)).findFirst().orElse(null);
        sb.append(m == null ? " - | - |" : String.format(Locale.ROOT, " %.3f | %.3f |", m.top1(), m.top2()));
      }
      sb.append('\n');
    }
    sb.append("\n| normal data | d | explained events | median us | p99 us | CPU median us | CPU p99 us"
        + " | rows median | rows p99 | mean rows screen / search / pairs |\n");
    sb.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (Latency l : r.latencies()) {
      sb.append(String.format(Locale.ROOT, "| %s | %d | %d | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.1f / %.1f / %.1f |%n",
          l.normal(), l.dim(), l.events(), l.medianMicros(), l.p99Micros(), l.cpuMedianMicros(), l.cpuP99Micros(),
          l.medianRows(), l.p99Rows(), l.meanScreenRows(), l.meanSearchRows(), l.meanPairRows()));
    }
    return sb.toString();
  }
}
