package io.flowguard.core.cli;

import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.Preprocessor;
import io.flowguard.core.score.Scorer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code flowguard bench}: scoring throughput of a model on one thread. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
        "Measure a model's scoring throughput on one thread, and how long its file takes to load.",
        "",
        "Scores events sampled from the model itself with the Scorer that stream operators use, at batch 1",
        "and batch 256 (median of --rounds), and times loading the model file (parse, checksum, rebuild).",
        "For publication-grade figures use the JMH benchmarks (bench/run.sh).",
        ""})
final class BenchCommand implements Callable<Integer> {

  @Option(names = "--model", required = true, paramLabel = "MODEL", description = "A model file.")
  Path modelFile;

  @Option(names = "--events", defaultValue = "200000", paramLabel = "N",
      description = "Events per measured round, at least 1 (default: ${DEFAULT-VALUE}).")
  int events;

  @Option(names = "--rounds", defaultValue = "5", paramLabel = "N", description = "Measured rounds, at least 1 (default: ${DEFAULT-VALUE}).")
  int rounds;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    OptionChecks.atLeast(spec.commandLine(), "--events", events, 1);
    OptionChecks.atLeast(spec.commandLine(), "--rounds", rounds, 1);
    byte[] bytes = ModelFormat.readFile(modelFile);
    FlowModel model = ModelFormat.read(bytes, modelFile);
    double[] loads = new double[21];
    for (int i = 0; i < loads.length; i++) {
      long t0 = System.nanoTime();
      ModelFormat.read(bytes);
      loads[i] = (System.nanoTime() - t0) / 1e6;
    }
    Arrays.sort(loads);
    out.printf(Locale.ROOT, "Model file %d bytes; load (parse, verify, rebuild) %.2f ms median of %d%n", bytes.length,
        loads[loads.length / 2], loads.length);
    int pool = 4096;
    double[] raw = sampleRaw(model, pool);
    int d = model.rawDim();
    Scorer scorer = new Scorer(model, 1e-3);
    out.printf("Model %s v%d (%s, %d features), one thread, %s%n", model.name(), model.version(), model.spec().family(), d,
        io.flowguard.core.nn.Mlp.simd() ? "SIMD products (Vector API)"
            : "scalar products (add --add-modules=jdk.incubator.vector for SIMD)");
    for (int batch : new int[] {1, 256}) {
      double[] rates = new double[rounds];
      run(scorer, raw, pool, d, batch, Math.min(events, 50_000));
      for (int r = 0; r < rounds; r++) {
        long t0 = System.nanoTime();
        run(scorer, raw, pool, d, batch, events);
        rates[r] = events / ((System.nanoTime() - t0) / 1e9);
      }
      Arrays.sort(rates);
      out.printf(Locale.ROOT, "batch %-4d %12.0f events/s (median of %d rounds; min %.0f, max %.0f)%n", batch,
          rates[rounds / 2], rounds, rates[0], rates[rounds - 1]);
    }
    return 0;
  }

  private static void run(Scorer scorer, double[] raw, int pool, int d, int batch, int events) {
    Scorer.Score one = new Scorer.Score();
    Scorer.Score[] many = new Scorer.Score[batch];
    for (int i = 0; i < batch; i++) {
      many[i] = new Scorer.Score();
    }
    double[] chunk = new double[batch * d];
    double sink = 0;
    for (int done = 0, row = 0; done < events; done += batch) {
      if (batch == 1) {
        scorer.score(raw, row * d, d, one);
        sink += one.nll;
      } else {
        for (int i = 0; i < batch; i++) {
          System.arraycopy(raw, ((row + i) % pool) * d, chunk, i * d, d);
        }
        scorer.scoreBatch(chunk, batch, many);
        sink += many[0].nll;
      }
      row = (row + batch) % pool;
    }
    if (sink == 42.4242) {
      System.out.print("");
    }
  }

  /** Events drawn from the model, mapped back to raw feature space (constant columns at their value). */
  static double[] sampleRaw(FlowModel model, int n) {
    double[] z = model.flow().sample(n, 7);
    Preprocessor pre = model.preprocessor();
    int d = pre.rawDim();
    double[] raw = new double[n * d];
    for (int r = 0; r < n; r++) {
      int k = 0;
      for (int c = 0; c < d; c++) {
        Preprocessor.Feature f = pre.features().get(c);
        raw[r * d + c] = f.kept() ? f.mean() + f.std() * z[r * pre.dim() + k++] : f.mean();
      }
    }
    return raw;
  }
}
