package io.flowguard.core.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.flowguard.core.data.DataReader;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.eval.Evaluation;
import io.flowguard.core.eval.NabCorpus;
import io.flowguard.core.eval.NabReport;
import io.flowguard.core.eval.TimeAwareDetector;
import io.flowguard.core.eval.StreamingProtocol;
import io.flowguard.core.eval.Suite;
import io.flowguard.core.eval.TabularProtocol;
import io.flowguard.core.eval.baseline.Baselines;
import io.flowguard.core.eval.nab.NabSeries;
import io.flowguard.core.eval.nab.NabWindows;
import io.flowguard.core.model.ModelTrainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code flowguard evaluate}: the evaluation protocols on one labelled data set ({@code --data}) or on
 * every data set under a folder ({@code --suite}), for the flow and optional classical baselines.
 */
@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    description = {
        "Measure detection quality on labelled data with the project's evaluation protocols.",
        "",
        "Tabular data (CSV or JSON lines with a 0/1 --label-column anywhere, every other column a feature;",
        "under --suite the label must be a data set's last column): for each seed, shuffle the normal rows",
        "(label 0); train on the first 60 %%; test on the other 40 %% plus every anomaly (label 1). Features",
        "are standardized with training statistics only. Series (CSV with header timestamp,value,label): the",
        "first 15 %% trains, the rest is scored in order, on windows of 8 standardized values and their",
        "differences. Reports AUROC and average precision of the NLL score, the mean test NLL of normal test",
        "rows (nats/row, standardized space), fit seconds and scoring events/s, per seed and their mean.",
        "",
        "After the table, the flow's threshold report: precision, recall and F1 at the false-alarm rate 0.001,",
        "the rate that maximizes F1 and the recall at rates 0.001, 0.01, 0.05 and 0.1 (evaluation.json: thresholds).",
        "",
        "NAB score: on series in NAB's layout (a combined_windows.json beside the series or in the folder above,",
        "or given with --nab-windows), the flow's NAB score for the profiles standard, reward_low_FP_rate and",
        "reward_low_FN_rate, per series and for the suite, with one threshold per profile optimized over all the",
        "series as NAB does (and, for information, each series at its own best threshold). The anomaly score is",
        "min(1, -log10(p) / 300) of the calibrated tail probability p; NAB's probationary period (the first",
        "min(15 %%, 750) points) is ignored. Series without anomalies are then scored too (their false positives",
        "count). See docs/evaluation.md.",
        "",
        "  flowguard evaluate --suite nab/ --out eval/nab          # nab/combined_windows.json, nab/<category>/*.csv",
        "",
        "--baselines kde,gmm fits classical density estimators on the same split, beside the flow:",
        "kde = Gaussian kernel density (Scott's bandwidth, isotropic in the standardized space, as scikit-learn),",
        "gmm = Gaussian mixture (full covariances, components by BIC), kde-full = Gaussian KDE with Scott's",
        "factor times the data covariance (as scipy.stats.gaussian_kde).",
        "",
        "  flowguard evaluate --data thyroid.csv --out eval/thyroid --baselines kde,gmm",
        "  flowguard evaluate --suite data/ --out eval/suite --baselines kde,gmm",
        "  flowguard evaluate --suite data/ --out eval/base --baselines kde,gmm --no-flow --only glass,wine",
        "",
        "--explain runs the explanation benchmark instead (no --data or --suite): anomalies with a known cause",
        "(a: one feature shifted 3-8 sd, b: two features shifted, c: a correlation broken within the marginal",
        "ranges) injected into correlated Gaussians, a Gaussian mixture and samples of flows trained on",
        "--explain-dev-sets; top-1 and top-2 hit rates of Flowguard's explanation, marginal z-scores and (when",
        "randomcutforest-core is on the class path, see bench/explain.sh) Random Cut Forest attribution, and",
        "the explanation latency per event. Writes explanations.md and explanations.json into --out.",
        "",
        "  flowguard evaluate --explain --out eval/explain --explain-dims 5,10,20,50",
        ""})
final class EvaluateCommand implements Callable<Integer> {

  @Option(names = "--data", paramLabel = "FILE",
      description = "One labelled data set: a CSV or JSON-lines file (the label column anywhere), or a series"
          + " whose header is timestamp,value,label. Give --data or --suite.")
  Path data;

  @Option(names = "--suite", paramLabel = "DIR",
      description = "Evaluate every labelled data set under DIR (recursively): writes summary.md, summary.json"
          + " and DATASET/evaluation.json into --out. Files that are not data sets are listed as skipped.")
  Path suite;

  @Option(names = "--only", split = ",", paramLabel = "NAME",
      description = "With --suite: only these data sets (by name as the summary shows it, or its last part).")
  List<String> only = new ArrayList<>();

  @Option(names = "--label-column", defaultValue = "label", paramLabel = "NAME",
      description = "The 0/1 label column, 1 = anomaly (default: ${DEFAULT-VALUE}); under --suite, the last column"
          + " of each data set.")
  String labelColumn;

  @Option(names = "--seeds", defaultValue = "0,1,2", split = ",", paramLabel = "N",
      description = "Seeds of the splits, each also the seed of that split's training (default: ${DEFAULT-VALUE}).")
  List<Long> seeds;

  @Option(names = "--baselines", split = ",", paramLabel = "NAME",
      description = "Classical baselines to run beside the flow: kde, gmm, kde-full, iforest (isolation forest: an"
          + " anomaly score, not a density) (default: none).")
  List<String> baselines = new ArrayList<>();

  @Option(names = "--no-flow", description = "Do not train the flow; run only the --baselines.")
  boolean noFlow;

  @Option(names = "--context-window", paramLabel = "K",
      description = "Series: also run the time-aware flow (docs/time-aware.md), each point's density given the"
          + " series' K previous points, trained on TRAIN and run over the series in order; reported as"
          + " flow-context (its NLL and calibrated tail probability, what the job computes) and"
          + " flow-context-likelihood (the same NLLs as NAB's anomaly likelihood). 16 is the usual choice.")
  Integer contextWindow;

  @Option(names = "--time-features", description = "With --context-window: condition on the time of day and week too.")
  boolean timeFeatures;

  @Option(names = "--refresh",
      description = "With --context-window: learn as the stream goes: retrain every TRAIN-length points on the points"
          + " seen so far that the model did not flag (the job's admission rule), continuing the same history.")
  boolean refresh;

  @Option(names = "--nab-windows", paramLabel = "FILE",
      description = "NAB's labelled windows (combined_windows.json) for every series of --data or --suite; each"
          + " series must be listed, by its path relative to the file's folder (category/name.csv). Default: a "
          + NabWindows.FILE_NAME + " beside each series or in the folder above, if there is one.")
  Path nabWindows;

  @Option(names = "--no-nab", description = "Leave the NAB score out even where a windows file is found.")
  boolean noNab;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory for the results.")
  Path out;

  @Option(names = "--explain", description = "Run the explanation benchmark (see above) instead of --data/--suite.")
  boolean explain;

  @Option(names = "--explain-dims", split = ",", defaultValue = "5,10,20,50", paramLabel = "D",
      description = "With --explain: dimensions of the synthetic normal sets (default: ${DEFAULT-VALUE}).")
  List<Integer> explainDims;

  @Option(names = "--explain-events", defaultValue = "200", paramLabel = "N",
      description = "With --explain: anomalies per case and set (default: ${DEFAULT-VALUE}).")
  int explainEvents;

  @Option(names = "--explain-train-rows", defaultValue = "5000", paramLabel = "N",
      description = "With --explain: normal rows each model is fitted to (default: ${DEFAULT-VALUE}).")
  int explainTrainRows;

  @Option(names = "--explain-dev-sets", split = ",", paramLabel = "FILE",
      description = "With --explain: development data sets (CSV, 0/1 column 'label') to train sampling flows on"
          + " (default: none).")
  List<Path> explainDevSets = new ArrayList<>();

  @Option(names = "--explain-model-cache", paramLabel = "DIR",
      description = "With --explain: write every trained model (and sampling flow) to DIR and read it back instead"
          + " of training when a later run asks for the same one, so runs comparing explainers explain the same"
          + " models (default: none, train every time).")
  Path explainModelCache;

  @Mixin
  TrainingOptions training;

  /**
   * Refused rather than left out: without it, {@code --seed} would read as an unknown option; the seeds of
   * evaluate's splits, training included, are {@code --seeds}.
   */
  @Option(names = "--seed", hidden = true, paramLabel = "N")
  void refuseSeed(String value) {
    throw new ParameterException(spec.commandLine(), "evaluate takes the seed of each split (and of its training)"
        + " from --seeds, e.g. --seeds " + value + " or --seeds 0,1,2; --seed is train's option");
  }

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter stdout = spec.commandLine().getOut();
    training.validate(spec.commandLine());
    if (explain) {
      return runExplain(stdout, err);
    }
    if ((data == null) == (suite == null)) {
      throw new IllegalArgumentException("give exactly one of --data FILE and --suite DIR");
    }
    if (!only.isEmpty() && suite == null) {
      throw new IllegalArgumentException("--only selects data sets of --suite; with --data there is one data set");
    }
    if (noNab && nabWindows != null) {
      throw new IllegalArgumentException("--no-nab leaves the NAB score out, --nab-windows asks for it: give one");
    }
    OutputPaths.checkDirectory(out, "--out");
    if (contextWindow == null && (timeFeatures || refresh)) {
      throw new IllegalArgumentException("--time-features and --refresh configure the time-aware flow: add"
          + " --context-window K");
    }
    if (contextWindow != null && (contextWindow < 1 || contextWindow > io.flowguard.core.context.ContextSpec.MAX_WINDOW)) {
      throw new IllegalArgumentException("--context-window must be between 1 and "
          + io.flowguard.core.context.ContextSpec.MAX_WINDOW + ", got " + contextWindow);
    }
    Evaluation.Plan plan = new Evaluation.Plan(flowSettings(), Baselines.parse(baselines), seeds,
        Optional.ofNullable(contextWindow).map(k -> new TimeAwareDetector.Settings(k, timeFeatures, refresh)));
    if (suite != null) {
      return runSuite(plan, err, stdout);
    }

    Dataset ds;
    List<Evaluation.MethodResult> results;
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("data", data.toString());
    Evaluation.Listener print = printer(stdout, err);
    header(stdout);
    int dim;
    Optional<NabSeries> nab = Optional.empty();
    Optional<StreamingProtocol.Series> series = Optional.empty();
    if (isSeries(data)) {
      StreamingProtocol.Series s = StreamingProtocol.read(data);
      series = Optional.of(s);
      nab = nabCorpus(List.of(data)).of(data);
      StreamingProtocol.Features f = StreamingProtocol.features(s);
      int testAnomalies = StreamingProtocol.testAnomalies(f);
      if (testAnomalies == 0 && nab.isEmpty()) {
        throw new IllegalArgumentException(data + ": no anomalies (label 1) after the first 15 % of the series;"
            + " AUROC is undefined");
      }
      nab.ifPresent(n -> err.printf(Locale.ROOT, "NAB score: %s as '%s', %d windows%n", data, n.name(),
          n.windowCount()));
      dim = StreamingProtocol.DIM;
      results = Evaluation.streaming(s, plan, false, print);
      json.put("kind", "series");
      json.put("rows", s.length());
      json.put("features", dim);
      json.put("train_points", f.trainPoints());
      json.put("test_points", f.testLabels().length);
      json.put("test_anomalies", testAnomalies);
      json.put("protocol", "streaming series: first 15% train (windows of 8 standardized values + 7 differences),"
          + " the rest scored in order");
    } else {
      if (nabWindows != null) {
        throw new IllegalArgumentException("--nab-windows applies to series (timestamp,value,label); " + data
            + " is not one");
      }
      ds = DataReader.read(data);
      double[] labelValues = ds.column(labelColumn);
      Dataset features = ds.without(labelColumn);
      int[] labels = TabularProtocol.labels(labelValues, data.toString(), labelColumn);
      dim = features.dim();
      results = Evaluation.tabular(features, labels, plan, false, print);
      json.put("label_column", labelColumn);
      json.put("rows", ds.rows());
      json.put("features", features.dim());
      json.put("anomalies", java.util.Arrays.stream(labels).sum());
      json.put("protocol", "tabular novelty detection: 60% of shuffled normal rows train, rest + all anomalies test");
    }
    for (Evaluation.MethodResult r : results) {
      TabularProtocol.SeedResult mean = r.mean().orElseThrow();
      stdout.printf(Locale.ROOT, "%-8s %-6s %8.4f %8.4f %10.4f %9.2f %12.0f%n", r.method(), "mean", mean.auroc(),
          mean.ap(), mean.testNll(), mean.fitSeconds(), mean.scoreEventsPerSecond());
    }
    if (!noFlow) {
      results.get(0).mean().flatMap(TabularProtocol.SeedResult::thresholds)
          .ifPresent(t -> printThresholds(stdout, t, results.get(0).seeds().size()));
    }
    // The flow's figures stay at the top level (the format before baselines existed); every method,
    // the flow included, is under "methods".
    if (!noFlow) {
      Evaluation.MethodResult flow = results.get(0);
      json.put("spec", flow.fitted().get(0).get("spec"));
      List<Map<String, Object>> perSeed = new ArrayList<>();
      for (TabularProtocol.SeedResult r : flow.seeds()) {
        perSeed.add(r.toJson());
      }
      json.put("seeds", perSeed);
      json.put("mean", flow.mean().orElseThrow().toJson());
    }
    json.put("methods", Evaluation.methodsJson(results));
    Files.createDirectories(out);
    if (nab.isPresent()) {
      // One series is the whole suite: its threshold is optimized on it alone.
      List<Map<String, Object>> nabJson = new ArrayList<>();
      for (Evaluation.MethodResult r : results) {
        Optional<NabReport.MethodNab> n = NabReport.of(r.method(), seeds,
            List.of(new NabReport.Member(nab.get().name(), nab.get(), r)), List.of());
        if (n.isPresent()) {
          stdout.print(NabReport.markdown(n.get()));
          nabJson.add(NabReport.json(n.get()));
        }
      }
      json.put("nab", nabJson);
      Suite.writeNabResultFiles(out, series.orElseThrow(), results, seeds);
    }
    Path file = out.resolve("evaluation.json");
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), json);
    stdout.printf("Wrote %s%n", file);
    return 0;
  }

  private int runExplain(PrintWriter stdout, PrintWriter err) throws IOException {
    if (data != null || suite != null) {
      throw new IllegalArgumentException("--explain makes its own data: leave out --data and --suite");
    }
    if (explainEvents < 1 || explainTrainRows < 100 || explainDims.stream().anyMatch(d -> d < 2)) {
      throw new IllegalArgumentException("--explain-events must be at least 1, --explain-train-rows at least 100"
          + " and every --explain-dims at least 2");
    }
    OutputPaths.checkDirectory(out, "--out");
    io.flowguard.core.eval.ExplanationBenchmark.Result r = io.flowguard.core.eval.ExplanationBenchmark.run(
        new io.flowguard.core.eval.ExplanationBenchmark.Settings(explainDims, explainEvents, explainTrainRows,
            seeds.get(0), explainDevSets, Optional.ofNullable(explainModelCache)), err);
    String table = io.flowguard.core.eval.ExplanationBenchmark.markdown(r);
    stdout.print(table);
    Files.createDirectories(out);
    Files.writeString(out.resolve("explanations.md"), table);
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("rows", r.rows());
    json.put("latencies", r.latencies());
    json.put("rcf", r.rcf());
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("explanations.json").toFile(),
        json);
    stdout.printf("Wrote %s and %s%n", out.resolve("explanations.md"), out.resolve("explanations.json"));
    return 0;
  }

  private int runSuite(Evaluation.Plan plan, PrintWriter err, PrintWriter stdout) throws IOException {
    Suite.Discovery found = Suite.discover(suite, labelColumn).only(only);
    if (found.datasets().isEmpty()) {
      throw new IllegalArgumentException(suite + ": no labelled data set found (a CSV whose last column is '"
          + labelColumn + "', or a timestamp,value,label series); " + found.skipped().size() + " files skipped");
    }
    err.printf(Locale.ROOT, "%d data sets under %s (%d other files skipped); methods %s; seeds %s%n", found.datasets().size(),
        suite, found.skipped().size(), String.join(",", plan.methods()), seeds);
    List<Path> series = found.datasets().stream().filter(e -> e.kind() == Suite.Kind.SERIES).map(Suite.Entry::file)
        .toList();
    NabCorpus nab = nabCorpus(series);
    if (!nab.isEmpty()) {
      long labelled = series.stream().filter(p -> nab.of(p).isPresent()).count();
      err.printf(Locale.ROOT, "NAB score for %d of %d series (windows: %s)%n", labelled, series.size(),
          String.join(", ", nab.windowFiles().stream().map(Path::toString).toList()));
    }
    Suite.Result r = Suite.run(found, plan, labelColumn, out, err, nab);
    long ok = r.outcomes().stream().filter(Suite.Outcome::ok).count();
    long failed = r.outcomes().stream().filter(o -> o.status() == Suite.Status.FAILED).count();
    String summary = Files.readString(out.resolve("summary.md"));
    int cut = summary.indexOf("\n## Skipped");
    stdout.print(cut < 0 ? summary : summary.substring(0, cut + 1));
    stdout.printf(Locale.ROOT, "%d evaluated, %d failed, %d skipped. Wrote %s and %s%n", ok, failed,
        r.outcomes().size() - ok - failed + found.skipped().size(), out.resolve("summary.md"), out.resolve("summary.json"));
    if (r.allFailed()) {
      err.println("flowguard evaluate: every data set failed; see " + out.resolve("summary.md"));
      return FlowguardCli.EXIT_FAILURE;
    }
    return 0;
  }

  /**
   * The NAB labelling of the series, resolved before anything trains: with --nab-windows every series must
   * be in that file; otherwise a series gets one where a windows file lies beside it or a folder up.
   */
  private NabCorpus nabCorpus(List<Path> series) throws IOException {
    if (noNab) {
      return NabCorpus.none();
    }
    if (nabWindows != null && series.isEmpty()) {
      throw new IllegalArgumentException("--nab-windows: there is no timestamp,value,label series to score");
    }
    return NabCorpus.resolve(series, Optional.ofNullable(nabWindows));
  }

  private Optional<Evaluation.FlowSettings> flowSettings() {
    if (noFlow) {
      return Optional.empty();
    }
    return Optional.of(new Evaluation.FlowSettings(this::trainerOptions));
  }

  /** What {@code flowguard train} would resolve for a seed's TRAIN rows: the automatic choice plus any flags. */
  private ModelTrainer.Options trainerOptions(Dataset train, long seed) {
    try {
      return training.options("evaluate", 1, train, seed);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean isSeries(Path file) throws IOException {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".jsonl") || name.endsWith(".json") || name.endsWith(".ndjson") || !Files.isRegularFile(file)) {
      return false;
    }
    try (var in = Files.newBufferedReader(file)) {
      String h = in.readLine();
      return h != null && StreamingProtocol.isSeriesHeader(List.of(h.replace("\uFEFF", "").split(",", -1)));
    } catch (java.nio.charset.CharacterCodingException e) {
      return false; // not text: the table reader says so, naming the file
    }
  }

  /** Where to cut: precision, recall and F1 at the configured rate, the F1-best rate, recall at standard rates. */
  static void printThresholds(PrintWriter stdout, io.flowguard.core.eval.ThresholdReport t, int seeds) {
    stdout.printf(Locale.ROOT, "Threshold (flow, mean over %d seed%s; flagged = tail probability below the rate):%n",
        seeds, seeds == 1 ? "" : "s");
    stdout.printf(Locale.ROOT, "  at false-alarm rate %s: precision %s, recall %.3f, F1 %.3f%n", Rates.format(t.rate()),
        Double.isNaN(t.precision()) ? "- (nothing flagged)" : String.format(Locale.ROOT, "%.3f", t.precision()),
        t.recall(), t.f1());
    stdout.printf(Locale.ROOT, "  best F1 %.3f at rate %.3g (precision %.3f, recall %.3f)%n", t.bestF1(), t.bestRate(),
        t.bestPrecision(), t.bestRecall());
    StringBuilder at = new StringBuilder("  recall at rate");
    for (int i = 0; i < t.recallAt().length; i++) {
      at.append(String.format(Locale.ROOT, "%s %s: %.3f", i == 0 ? "" : ",",
          Rates.format(io.flowguard.core.eval.ThresholdReport.STANDARD_RATES.get(i)), t.recallAt()[i]));
    }
    stdout.println(at);
    stdout.printf(Locale.ROOT, "  (the best rate is fitted to these test labels, an optimistic choice; to store a rate"
        + " in a model: flowguard train ... --recommend-rate %.3g)%n", t.bestRate());
  }

  private static void header(PrintWriter stdout) {
    stdout.printf("%-8s %-6s %8s %8s %10s %9s %12s%n", "method", "seed", "auroc", "ap", "test_nll", "fit_s", "events/s");
  }

  private static Evaluation.Listener printer(PrintWriter stdout, PrintWriter err) {
    return new Evaluation.Listener() {
      @Override
      public void seedStarted(String method, long seed) {
        err.printf(Locale.ROOT, "%s seed %d: %s...%n", method, seed,
            method.equals(Evaluation.FLOW) ? "training" : "fitting");
        err.flush();
      }

      @Override
      public void seedDone(String method, TabularProtocol.SeedResult r) {
        stdout.printf(Locale.ROOT, "%-8s %-6d %8.4f %8.4f %10.4f %9.2f %12.0f%n", method, r.seed(), r.auroc(), r.ap(),
            r.testNll(), r.fitSeconds(), r.scoreEventsPerSecond());
        stdout.flush();
      }
    };
  }
}
