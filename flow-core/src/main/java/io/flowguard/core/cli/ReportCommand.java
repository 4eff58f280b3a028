package io.flowguard.core.cli;

import io.flowguard.core.data.DataReader;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.diagnostics.Report;
import io.flowguard.core.diagnostics.ReportInput;
import io.flowguard.core.model.Calibration;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.Preprocessor;
import io.flowguard.core.model.Provenance;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code flowguard report}: an HTML report with figures of what a model learned. */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description = {
        "Write an HTML report on a model (report.html and PNGs) that shows what it learned.",
        "",
        "Figures: the training curve, the NLL histogram with the anomaly threshold, a chi-square QQ plot of",
        "squared latent norms (on the diagonal when the flow Gaussianizes the data), latent scatter plots,",
        "and for 2-D models the learned density and the forward map's deformation of a latent grid.",
        "",
        "With --data the figures show those events; without, events sampled from the model itself.",
        "With --data the report also explains the rows above the threshold: a table of the most anomalous rows",
        "with their top features, typical values and contributions, and a bar plot of the features that explain",
        "the alerts most often (docs/explanations.md).",
        "",
        "  flowguard report --model pump.fgm --data today.csv --out report/",
        ""})
final class ReportCommand implements Callable<Integer> {

  @Option(names = "--model", required = true, paramLabel = "MODEL", description = "A model file.")
  Path modelFile;

  @Option(names = "--data", paramLabel = "FILE", description = "Events to show (CSV or JSON lines; columns other than the model's features may hold anything);"
          + " default: events sampled from the model.")
  Path data;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory for report.html and the PNGs.")
  Path out;

  @Option(names = "--false-alarm-rate", defaultValue = "0.001", paramLabel = "RATE",
      description = "The false-alarm rate, in (0, 1), at which the threshold line is drawn (default: ${DEFAULT-VALUE}).")
  double rate;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    OptionChecks.falseAlarmRate(spec.commandLine(), rate);
    OutputPaths.checkDirectory(out, "--out");
    FlowModel model = ModelFormat.read(modelFile);
    if (model.context().isPresent()) {
      throw new IllegalArgumentException(modelFile + " is a time-aware model (" + model.context().get().describe()
          + "); the report does not cover time-aware models yet: score events with 'flowguard score', which"
          + " conditions each on its key's history, or inspect the model with 'flowguard inspect'");
    }
    List<String> features = model.preprocessor().featureNames();
    Dataset ds = data == null ? null : DataReader.read(data, features::contains).features();
    Path html = write(model, ds, out, rate);
    spec.commandLine().getOut().printf("Wrote %s%n", html);
    return 0;
  }

  /** The report directory written beside a model file: {@code model.fgm -> model-report/}. */
  static Path reportDirFor(Path modelFile) {
    String name = modelFile.getFileName().toString();
    int dot = name.lastIndexOf('.');
    String base = dot > 0 ? name.substring(0, dot) : name;
    Path parent = modelFile.toAbsolutePath().getParent();
    return parent.resolve(base + "-report");
  }

  /** The hook {@link TrainCommand} calls after writing a model. */
  static void writeBeside(FlowModel model, Dataset trainingData, Path modelFile, PrintWriter out) throws IOException {
    Path html = write(model, trainingData, reportDirFor(modelFile), 1e-3);
    out.printf("Wrote %s%n", html);
  }

  static Path write(FlowModel model, Dataset ds, Path dir, double rate) throws IOException {
    Preprocessor pre = model.preprocessor();
    int n;
    double[] standardized;
    double[] raw;
    if (ds != null) {
      n = ds.rows();
      raw = ds.project(ds.indicesOf(pre.featureNames(), "model '" + model.name() + "'"));
      standardized = pre.apply(raw, n);
    } else {
      n = 4000;
      standardized = model.flow().sample(n, 11);
      raw = pre.toRaw(standardized, n);
    }
    double[] logp = model.flow().logProb(standardized, n);
    double[] nll = new double[n];
    for (int i = 0; i < n; i++) {
      nll[i] = -(logp[i] + pre.logJacobian(raw, i * pre.rawDim()));
    }
    Calibration c = model.calibration();
    List<double[]> curve = new ArrayList<>();
    for (Provenance.CurvePoint p : model.provenance().metrics().curve()) {
      curve.add(new double[] {p.step(), p.trainNll(), p.validationNll()});
    }
    Map<String, String> facts = new LinkedHashMap<>();
    facts.put("model", model.name() + " v" + model.version());
    facts.put("flow", model.spec().toJson());
    facts.put("features", pre.rawDim() + " raw, " + pre.dim() + " modelled"
        + (pre.droppedFeatures().isEmpty() ? "" : "; constant, dropped: " + pre.droppedFeatures())
        + (pre.discreteFeatures().isEmpty() ? "" : "; discrete, dequantized in training: " + pre.discreteFeatures())
        + (pre.tailTransformedFeatures().isEmpty() ? "" : "; heavy-tailed, asinh-transformed: "
            + pre.tailTransformedFeatures()));
    facts.put("training config", String.valueOf(model.provenance().trainingConfig()));
    facts.put("shown", ds == null ? n + " events sampled from the model" : n + " events from " + ds.source());
    facts.put("entropy estimate H", String.format(Locale.ROOT, "%.4f nats", c.entropy()));
    facts.put("tail fit", String.format(Locale.ROOT, "%s beyond NLL %.4f: xi %.3f, sigma %.3f", c.tail().kind(),
        c.tail().threshold(), c.tail().xi(), c.tail().sigma()));
    facts.put("anomaly threshold", String.format(Locale.ROOT, "NLL > %.4f at false-alarm rate %s", c.nllThreshold(rate),
        Rates.format(rate)));
    Provenance p = model.provenance();
    facts.put("training", String.format(Locale.ROOT, "%d rows (SHA-256 %s), seed %d, %d steps, %.1f s",
        p.trainingRows(), p.dataSha256().substring(0, 16) + "...", p.seed(), p.metrics().steps(), p.metrics().seconds()));
    facts.put("created", p.createdAt() + " by Flowguard " + p.flowguardVersion());
    List<String> names = pre.keptFeatures();
    ReportInput input = new ReportInput(model.name() + " v" + model.version(), model.flow(), names, standardized, n,
        nll, c.nllThreshold(rate), "false-alarm rate " + Rates.format(rate), curve, c.entropy(), facts);
    Path html = Report.write(input, dir).get(0);
    if (ds != null) {
      String section = io.flowguard.core.diagnostics.ExplanationReport.write(model, raw, n, nll, c.nllThreshold(rate),
          rate, ds.source(), dir);
      String page = java.nio.file.Files.readString(html);
      int end = page.lastIndexOf("</body>");
      java.nio.file.Files.writeString(html, end < 0 ? page + section : page.substring(0, end) + section
          + page.substring(end));
    }
    return html;
  }
}
