package io.flowguard.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.flowguard.core.data.Dataset;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelTrainer;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingListener;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.SplittableRandom;

/** One run of the CLI with captured streams, and the fixtures the CLI tests share. */
record CliRun(int code, String out, String err) {

  static CliRun of(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = FlowguardCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new CliRun(code, out.toString(), err.toString());
  }

  /**
   * Asserts the product rule for a user error: exit 2, no stack trace, and on stderr one error line
   * ("flowguard COMMAND: ...") that says what is wrong: it contains {@code expected}.
   */
  CliRun assertUserError(String expected) {
    assertEquals(FlowguardCli.EXIT_USAGE, code, err);
    assertFalse(err.contains("\tat ") || err.contains("Exception"), "no stack trace or exception name: " + err);
    List<String> errors = err.lines().filter(l -> l.startsWith("flowguard")).toList();
    assertEquals(1, errors.size(), "one error line: " + err);
    assertEquals(true, errors.get(0).contains(expected), "the error line says what is wrong: expected '" + expected
        + "' in\n" + err);
    return this;
  }

  /** A small model of 2-D Gaussian data with features a and b (a second to train). */
  static FlowModel model(String name) {
    return model(name, 1, 1);
  }

  /** The same with a version and a data seed (other seeds, other parameters). */
  static FlowModel model(String name, int version, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] x = new double[400 * 2];
    for (int i = 0; i < x.length; i++) {
      x[i] = rng.nextGaussian();
    }
    return ModelTrainer.train(new Dataset("g", List.of("a", "b"), x, 400), new ModelTrainer.Options(name, version,
        FlowSpec.of(FlowSpec.MAF, 2).withLayers(1).withHidden(4), TrainingConfig.defaults().withSteps(20), 0.2),
        TrainingListener.NONE).model();
  }
}
