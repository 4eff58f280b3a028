package io.flowguard.core.cli;

import io.flowguard.core.model.Calibration;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.Preprocessor;
import io.flowguard.core.model.Provenance;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code flowguard inspect MODEL}: what a model file holds. */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = {
        "Show what a model file holds: features, preprocessing, flow, calibration and provenance.",
        "",
        "Lists the feature schema and preprocessing, the flow spec, the calibration (entropy, tail fit, NLL",
        "thresholds, typicality thresholds), the provenance, and whether the checksum verifies. A corrupt,",
        "truncated or incompatible file is reported with the reason and a non-zero exit code.",
        ""})
final class InspectCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "MODEL", description = "A model file.")
  Path modelFile;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    byte[] bytes = ModelFormat.readFile(modelFile);
    FlowModel m = ModelFormat.read(bytes, modelFile);
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    out.printf("Model        %s v%d%n", m.name(), m.version());
    out.printf("File         %s (%d bytes), checksum verified; file SHA-256 %s%n", modelFile, bytes.length, sha);
    out.printf("Flow         %s%n", m.spec().toJson());
    out.printf("Parameters   %d%n", m.flow().parameters().length);
    m.context().ifPresent(c -> out.printf("Time-aware   log p(x_t | %s): %d context values per event%n", c.describe(),
        m.flow().contextDim()));
    Preprocessor pre = m.preprocessor();
    out.printf("%nFeatures     %d raw, %d modelled%n", pre.rawDim(), pre.dim());
    out.printf("  %-24s %-8s %14s %14s %12s %s%n", "name", "status", "mean", "std", "grid cell", "transform");
    for (Preprocessor.Feature f : pre.features()) {
      out.printf(Locale.ROOT, "  %-24s %-8s %14.6g %14.6g %12s %s%n", f.name(), f.kept() ? "kept" : f.apart() ? "apart" : "constant",
          f.mean(), f.std(), f.atomic() ? f.atoms().size() + " atoms" : f.discrete() ? String.format(Locale.ROOT, "%.6g", f.cell()) : "-",
          f.tailTransformed() ? String.format(Locale.ROOT, "asinh((x - %.6g) / %.6g)", f.tailCenter(), f.tailScale())
              : "-");
    }
    for (String note : pre.notes()) {
      out.println("  note: " + note);
    }
    printTrainingRanges(out, m);
    Calibration c = m.calibration();
    out.printf(Locale.ROOT, "%nCalibration  %d held-out rows; entropy estimate H = %.4f nats%n", c.count(), c.entropy());
    Calibration.Tail t = c.tail();
    out.printf(Locale.ROOT, "  tail       %s beyond NLL %.4f (P = %.3g): xi = %.4f, sigma = %.4f%n", t.kind(),
        t.threshold(), t.probability(), t.xi(), t.sigma());
    out.printf("  %-22s %s%n", "false-alarm rate", "NLL threshold");
    for (double rate : new double[] {1e-2, 1e-3, 1e-4}) {
      out.printf(Locale.ROOT, "  %-22s %.4f%n", Rates.format(rate), c.nllThreshold(rate));
    }
    out.printf("  typicality |mean NLL - H| thresholds:%n  %-8s", "M");
    for (double alpha : Calibration.DEFAULT_ALPHAS) {
      out.printf(Locale.ROOT, " %12s", "alpha " + alpha);
    }
    out.println();
    for (int window : Calibration.DEFAULT_WINDOWS) {
      out.printf("  %-8d", window);
      for (double alpha : Calibration.DEFAULT_ALPHAS) {
        out.printf(Locale.ROOT, " %12.4f", c.typicalityThreshold(window, alpha));
      }
      out.println();
    }
    Provenance p = m.provenance();
    out.printf("%nProvenance%n");
    out.printf("  created    %s by Flowguard %s (format %d)%n", p.createdAt(), p.flowguardVersion(), p.formatVersion());
    out.printf("  data       %d rows, SHA-256 %s%n", p.trainingRows(), p.dataSha256());
    out.printf(Locale.ROOT, "  training   seed %d, %d steps in %.1f s; train NLL %.4f, validation NLL %.4f%n", p.seed(),
        p.metrics().steps(), p.metrics().seconds(), p.metrics().trainNll(), p.metrics().validationNll());
    out.printf("  config     %s%n", p.trainingConfig());
    out.printf("  spec       %s%n", p.spec());
    p.lineage().ifPresent(l -> {
      out.printf("  lineage    %s%n", l.summary());
      out.printf("  trained on %s (%d rows)%n", l.data(), l.dataRows());
      if (!Double.isNaN(l.heldOutNll())) {
        out.printf(Locale.ROOT, "  validated  mean held-out NLL %.4f%s%n", l.heldOutNll(), Double.isNaN(l.parentHeldOutNll())
            ? "" : String.format(Locale.ROOT, " (parent %.4f on the same rows)", l.parentHeldOutNll()));
      }
    });
    return 0;
  }

  /** The training rows' per-feature ranges that explanations compare against (model format 4 and later). */
  private static void printTrainingRanges(java.io.PrintWriter out, FlowModel m) {
    if (m.featureStatistics().isEmpty()) {
      out.printf("%nTraining ranges  not stored (model format %d; written before format 4): explanations give"
          + " contributions but no z-scores or out-of-range flags. Retrain to store them.%n",
          m.provenance().formatVersion());
      return;
    }
    io.flowguard.core.model.FeatureStatistics st = m.featureStatistics().get();
    out.printf("%nTraining ranges  over %d rows (explanations' z-scores and out-of-range flags)%n", st.rows());
    out.printf("  %-24s %14s %14s %14s %14s%n", "name", "min", "max", "mean", "sd");
    java.util.List<String> names = m.preprocessor().featureNames();
    for (int i = 0; i < st.dim(); i++) {
      var r = st.feature(i);
      out.printf(Locale.ROOT, "  %-24s %14.6g %14.6g %14.6g %14.6g%n", names.get(i), r.min(), r.max(), r.mean(), r.sd());
    }
  }
}
