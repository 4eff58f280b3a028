package io.flowguard.core.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.ModelTrainer;
import io.flowguard.core.train.TrainingConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The training options shared by {@code train} and {@code evaluate} (a picocli mixin). */
final class TrainingOptions {

  @Option(names = "--spec", paramLabel = "SPEC",
      description = {"The flow architecture: a JSON file, inline JSON, or a family name (realnvp, nice, maf, iaf,",
          "spline-coupling, spline-autoregressive). 'dim' is taken from the data. Default: a 5-layer MAF",
          "with ReLU, hidden width 8 x features (64..256)."})
  String spec;

  @Option(names = "--seed", defaultValue = "0", paramLabel = "N",
      description = "Seed of splits, initialization and minibatches (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--epochs", defaultValue = "100", paramLabel = "N",
      description = "Maximum passes over the training rows (default: ${DEFAULT-VALUE}); early stopping usually ends sooner.")
  int epochs;

  @Option(names = "--batch", defaultValue = "256", paramLabel = "N", description = "Minibatch size (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--lr", defaultValue = "1e-3", paramLabel = "RATE", description = "Adam learning rate (default: ${DEFAULT-VALUE}).")
  double lr;

  @Option(names = "--validation", defaultValue = "0.1", paramLabel = "FRACTION",
      description = "Fraction of training rows held out for early stopping (default: ${DEFAULT-VALUE}).")
  double validation;

  @Option(names = "--patience", defaultValue = "10", paramLabel = "EPOCHS",
      description = "Epochs without validation improvement before stopping (default: ${DEFAULT-VALUE}).")
  int patience;

  @Option(names = "--weight-decay", defaultValue = "0", paramLabel = "W",
      description = "Decoupled weight decay on weight matrices (default: ${DEFAULT-VALUE}).")
  double weightDecay;

  @Option(names = "--clip", defaultValue = "5.0", paramLabel = "NORM",
      description = "Gradient-norm clip (default: ${DEFAULT-VALUE}; 0 disables).")
  double clip;

  @Option(names = "--calibration", defaultValue = "0.2", paramLabel = "FRACTION",
      description = "Fraction of rows held out (never trained on) to calibrate tail probabilities (default: ${DEFAULT-VALUE}).")
  double calibration;

  /** The spec for data of {@code dim} features after preprocessing. */
  FlowSpec spec(int dim) throws IOException {
    if (spec == null || spec.isBlank()) {
      return ModelTrainer.defaultSpec(dim);
    }
    String json;
    String s = spec.trim();
    if (s.startsWith("{")) {
      json = s;
    } else if (Files.exists(Path.of(s))) {
      json = Files.readString(Path.of(s));
    } else if (s.matches("[a-z-]+")) {
      return ModelTrainer.withDim(FlowSpec.of(s, Math.max(dim, 2)), dim);
    } else {
      throw new IllegalArgumentException("--spec '" + s + "' is neither a file, inline JSON, nor a family name");
    }
    ObjectNode node;
    try {
      node = (ObjectNode) new ObjectMapper().readTree(json);
    } catch (IOException | ClassCastException e) {
      throw new IllegalArgumentException("--spec: not a JSON object (" + e.getMessage() + ")");
    }
    node.put("dim", dim);
    return FlowSpec.fromJson(node.toString());
  }

  /** The training configuration for {@code rows} training rows (before the validation split). */
  TrainingConfig config(int rows) {
    return config(rows, seed);
  }

  /** As {@link #config(int)}, with another seed (evaluate trains once per protocol seed). */
  TrainingConfig config(int rows, long trainingSeed) {
    if (epochs < 1) {
      throw new IllegalArgumentException("--epochs must be at least 1");
    }
    int trainRows = Math.max(1, (int) Math.round(rows * (1 - validation)));
    int stepsPerEpoch = Math.max(1, trainRows / Math.max(1, Math.min(batch, trainRows)));
    return TrainingConfig.defaults()
        .withSteps(stepsPerEpoch * epochs)
        .withBatchSize(batch)
        .withLearningRate(lr)
        .withValidationFraction(validation)
        .withEvalEvery(stepsPerEpoch)
        .withPatience(patience)
        .withWeightDecay(weightDecay)
        .withGradClip(clip)
        .withSeed(trainingSeed);
  }
}
