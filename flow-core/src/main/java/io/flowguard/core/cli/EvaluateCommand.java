package io.flowguard.core.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.flowguard.core.data.DataReader;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.eval.TabularProtocol;
import io.flowguard.core.model.ModelTrainer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code flowguard evaluate}: the tabular novelty-detection protocol on a labelled CSV. */
@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    description = {
        "Measure detection quality on a labelled data set with the project's evaluation protocol.",
        "",
        "For each seed: shuffle the normal rows (label 0); train on the first 60 %; test on the other",
        "40 % plus every anomaly (label 1). Features are standardized with training statistics only.",
        "Reports AUROC and average precision of the NLL score, the mean test NLL of normal test rows",
        "(nats/row, standardized space), fit seconds and scoring events/s, per seed and their mean.",
        "",
        "  flowguard evaluate --data thyroid.csv --label-column label --out eval/thyroid",
        ""})
final class EvaluateCommand implements Callable<Integer> {

  @Option(names = "--data", required = true, paramLabel = "FILE", description = "Labelled CSV (or .jsonl).")
  Path data;

  @Option(names = "--label-column", defaultValue = "label", paramLabel = "NAME",
      description = "0/1 label column, 1 = anomaly (default: ${DEFAULT-VALUE}).")
  String labelColumn;

  @Option(names = "--seeds", defaultValue = "0,1,2", split = ",", paramLabel = "N",
      description = "Seeds of the splits (default: ${DEFAULT-VALUE}).")
  List<Long> seeds;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory for evaluation.json.")
  Path out;

  @Mixin
  TrainingOptions training;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter stdout = spec.commandLine().getOut();
    Dataset ds = DataReader.read(data);
    double[] labelValues = ds.column(labelColumn);
    Dataset features = ds.without(labelColumn);
    int[] labels = TabularProtocol.labels(labelValues, data.toString(), labelColumn);
    List<TabularProtocol.SeedResult> results = new ArrayList<>();
    List<io.flowguard.core.flow.FlowSpec> specs = new ArrayList<>();
    stdout.printf("%-6s %8s %8s %10s %9s %12s%n", "seed", "auroc", "ap", "test_nll", "fit_s", "events/s");
    for (long seed : seeds) {
      err.printf(Locale.ROOT, "seed %d: training...%n", seed);
      TabularProtocol.SeedResult r = TabularProtocol.run(features, labels, seed, trainSet -> {
        try {
          ModelTrainer.Options o = training.options("evaluate", 1, trainSet, seed);
          specs.add(o.spec());
          return o;
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      results.add(r);
      stdout.printf(Locale.ROOT, "%-6d %8.4f %8.4f %10.4f %9.2f %12.0f%n", seed, r.auroc(), r.ap(), r.testNll(),
          r.fitSeconds(), r.scoreEventsPerSecond());
    }
    TabularProtocol.SeedResult mean = TabularProtocol.mean(results);
    stdout.printf(Locale.ROOT, "%-6s %8.4f %8.4f %10.4f %9.2f %12.0f%n", "mean", mean.auroc(), mean.ap(), mean.testNll(),
        mean.fitSeconds(), mean.scoreEventsPerSecond());

    Map<String, Object> json = new LinkedHashMap<>();
    json.put("data", data.toString());
    json.put("label_column", labelColumn);
    json.put("rows", ds.rows());
    json.put("features", features.dim());
    json.put("anomalies", java.util.Arrays.stream(labels).sum());
    json.put("protocol", "tabular novelty detection: 60% of shuffled normal rows train, rest + all anomalies test");
    json.put("spec", new ObjectMapper().readTree(specs.get(0).toJson()));
    List<Map<String, Object>> perSeed = new ArrayList<>();
    for (TabularProtocol.SeedResult r : results) {
      perSeed.add(r.toJson());
    }
    json.put("seeds", perSeed);
    json.put("mean", mean.toJson());
    Files.createDirectories(out);
    Path file = out.resolve("evaluation.json");
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), json);
    stdout.printf("Wrote %s%n", file);
    return 0;
  }
}
