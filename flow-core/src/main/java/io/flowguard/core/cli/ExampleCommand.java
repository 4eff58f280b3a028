package io.flowguard.core.cli;

import io.flowguard.core.examples.WorkedExample;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flowguard example bimodal|moons --out DIR [--seed N]}. */
@Command(
    name = "example",
    mixinStandardHelpOptions = true,
    description = {
        "Train a RealNVP flow on a 2-D textbook density and show what it learned.",
        "",
        "  bimodal  0.5 N((-2,0), 0.25 I) + 0.5 N((2,0), 0.25 I); 4 coupling layers, hidden 32x32,",
        "           2000 steps. Also estimates the differential entropy (the best possible NLL) by",
        "           Monte Carlo with 10^6 samples.",
        "  moons    two interleaved half circles, noise 0.05; 6 coupling layers, hidden 64x64,",
        "           3000 steps.",
        "",
        "Both train on 8192 samples (Adam, learning rate 1e-3 with a cosine decay, batch 256, gradient",
        "clip 5.0) and evaluate on 8192 fresh ones. Writes DIR/result.json (test_nll in nats/sample, train_seconds, seed, spec, and for",
        "bimodal entropy_floor) and DIR/result.png (data, learned density, samples, latent codes with",
        "1- and 2-sigma rings).",
        ""})
final class ExampleCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "NAME", description = "bimodal or moons")
  String name;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory for result.json and result.png.")
  Path out;

  @Option(names = "--seed", defaultValue = "0", paramLabel = "N",
      description = "Seed of the data, initialization and minibatches (default: ${DEFAULT-VALUE}).")
  long seed;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (!name.equals("bimodal") && !name.equals("moons")) {
      throw new IllegalArgumentException("unknown example '" + name + "': use bimodal or moons");
    }
    OutputPaths.checkDirectory(out, "--out");
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter stdout = spec.commandLine().getOut();
    err.printf(Locale.ROOT, "Training %s (seed %d): %s%n", name, seed, WorkedExample.spec(name).toJson());
    ProgressBar bar = new ProgressBar(err, System.console() != null);
    WorkedExample.Result r;
    try {
      r = WorkedExample.run(name, seed, out, bar);
    } finally {
      bar.close();
    }
    stdout.printf(Locale.ROOT, "%s: test NLL %.4f nats/sample (train %.4f) in %.1f s of training%n",
        name, r.testNll(), r.trainNll(), r.trainSeconds());
    if (r.entropyFloor() != null) {
      stdout.printf(Locale.ROOT, "entropy floor %.4f nats: the model is %.4f nats above it%n",
          r.entropyFloor(), r.testNll() - r.entropyFloor());
    }
    stdout.printf("wrote %s and %s%n", out.resolve("result.json"), out.resolve("result.png"));
    return 0;
  }
}
