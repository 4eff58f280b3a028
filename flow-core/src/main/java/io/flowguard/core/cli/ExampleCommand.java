package io.flowguard.core.cli;

import io.flowguard.core.examples.VariationalExamples;
import io.flowguard.core.examples.WorkedExample;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flowguard example bimodal|moons|banana|modes --out DIR [--seed N]}. */
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
        "",
        "Variational inference (a flow fitted to an unnormalized log-density, no data):",
        "  banana   an IAF (4 layers, hidden 32x32, tanh) fitted by reverse KL to a curved 2-D target",
        "           with a known normalizer: 3000 steps of 256 draws. Writes the ELBO curve, samples over",
        "           the target's contours, log Z by importance sampling (10^5 draws) with its standard",
        "           error against the truth, and the same run with the entropy sign flipped (collapse).",
        "  modes    two well-separated Gaussians fitted by reverse KL (mode seeking: one mode) and by",
        "           forward KL from 8192 samples (maximum likelihood, mass covering), side by side.",
        ""})
final class ExampleCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "NAME", description = "bimodal, moons, banana or modes")
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
    if (!java.util.List.of("bimodal", "moons", "banana", "modes").contains(name)) {
      throw new IllegalArgumentException("unknown example '" + name + "': use bimodal, moons, banana or modes");
    }
    OutputPaths.checkDirectory(out, "--out");
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter stdout = spec.commandLine().getOut();
    if (name.equals("banana") || name.equals("modes")) {
      return variational(err, stdout);
    }
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

  private int variational(PrintWriter err, PrintWriter stdout) throws java.io.IOException {
    err.printf(Locale.ROOT, "Fitting %s by reverse KL (seed %d): %s%n", name, seed,
        VariationalExamples.spec().toJson());
    ProgressBar bar = new ProgressBar(err, System.console() != null);
    try {
      if (name.equals("banana")) {
        VariationalExamples.BananaResult r = VariationalExamples.banana(seed, out, bar);
        stdout.printf(Locale.ROOT, "banana: ELBO %.4f +- %.4f, log Z^ %.4f +- %.4f (s.e.), true log Z %.4f%n",
            r.fitted().elbo(), r.fitted().elboStandardError(), r.fitted().logZ(), r.fitted().standardError(),
            r.trueLogZ());
        stdout.printf(Locale.ROOT, "KL(q||p) = log Z - ELBO = %.4f nats; log Z^ is %.2f standard errors from the truth%n",
            r.gap(), (r.fitted().logZ() - r.trueLogZ()) / r.fitted().standardError());
        stdout.printf(Locale.ROOT, "entropy sign flipped: true ELBO %.3f nats (collapsed)%n", r.flipped().elbo());
      } else {
        VariationalExamples.ModesResult r = VariationalExamples.modes(seed, out, bar);
        stdout.printf(Locale.ROOT, "reverse KL: mode shares %.3f / %.3f, log Z^ %.4f +- %.4f (true 0)%n",
            r.reverseModeShares()[0], r.reverseModeShares()[1], r.reverse().logZ(), r.reverse().standardError());
        stdout.printf(Locale.ROOT, "forward KL: mode shares %.3f / %.3f, log Z^ %.4f +- %.4f (true 0)%n",
            r.forwardModeShares()[0], r.forwardModeShares()[1], r.forward().logZ(), r.forward().standardError());
      }
    } finally {
      bar.close();
    }
    stdout.printf("wrote %s and %s%n", out.resolve("result.json"), out.resolve("result.png"));
    return 0;
  }
}
