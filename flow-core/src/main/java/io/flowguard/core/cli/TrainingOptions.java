package io.flowguard.core.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.data.DataReader;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.model.AutoConfig;
import io.flowguard.core.model.ModelTrainer;
import io.flowguard.core.model.Preprocessor;
import io.flowguard.core.train.TrainingConfig;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The training options shared by {@code train} and {@code evaluate} (a picocli mixin). Every option left
 * out takes {@link AutoConfig}'s choice for the data (see docs/defaults.md); an option given wins.
 */
final class TrainingOptions {

  @Option(names = "--spec", paramLabel = "SPEC",
      description = "The flow architecture: a JSON file, inline JSON, or a family name (realnvp, nice, maf, iaf, "
          + "spline-coupling, spline-autoregressive). 'dim' is taken from the data. Default: automatic, a MAF "
          + "sized by the data: 3 layers and hidden width 8 x columns within 32..64 below 1000 training rows, "
          + "5 layers and width within 32..128 from 1000 rows, on a base of "
              + io.flowguard.core.model.AutoConfig.MIXTURE_COMPONENTS + " Gaussians, conditioner inputs bounded by "
              + "b tanh(x / b) with b = " + (int) io.flowguard.core.model.AutoConfig.CONDITIONER_BOUND
              + " (docs/defaults.md).")
  String spec;

  @Option(names = "--epochs", paramLabel = "N",
      description = "Maximum passes over the training rows. Default: automatic, a step budget that bounds "
          + "training work (at most " + AutoConfig.MAX_STEPS + " steps); early stopping usually ends sooner.")
  Integer epochs;

  @Option(names = "--batch", paramLabel = "N",
      description = "Minibatch size. Default: automatic, training rows / 8 within 32..256.")
  Integer batch;

  @Option(names = "--lr", paramLabel = "RATE", description = "Adam learning rate (default: 1e-3).")
  Double lr;

  @Option(names = "--validation", paramLabel = "FRACTION",
      description = "Fraction of training rows held out for early stopping (default: 0.1).")
  Double validation;

  @Option(names = "--patience", paramLabel = "EVALUATIONS",
      description = "Validation evaluations without improvement before stopping. Default: automatic, " +
          AutoConfig.PATIENCE + " evaluations, which come once an epoch but at least " + AutoConfig.MIN_EVAL_EVERY
              + " steps apart and at least " + AutoConfig.MIN_EVALUATIONS + " times in the step budget; with"
              + " --epochs, evaluations are one epoch apart.")
  Integer patience;

  @Option(names = "--weight-decay", paramLabel = "W",
      description = "Decoupled weight decay on weight matrices (default: 0).")
  Double weightDecay;

  @Option(names = "--clip", paramLabel = "NORM",
      description = "Gradient-norm clip (default: 5.0; 0 disables).")
  Double clip;

  @Option(names = "--noise", paramLabel = "SIGMA",
      description = "Standard deviation of Gaussian smoothing noise added to every training row, in "
          + "standardized units; 0 disables. Default: automatic, " + AutoConfig.NOISE_FACTOR
              + " x n^(-1/(d+4)) (Scott's KDE bandwidth rule, scaled).")
  Double noise;

  @Option(names = "--noise-schedule", paramLabel = "SCHEDULE",
      description = "How the smoothing noise changes during training: constant, or annealed from "
          + "its start value to zero over the step budget (linear or cosine in the step); "
          + "early stopping on clean validation rows then keeps the best noise level's fit. "
          + "Default: automatic, " + AutoConfig.NOISE_SCHEDULE + ".")
  String noiseSchedule;

  @Option(names = "--averaging", paramLabel = "DECAY",
      description = "Decay of the moving average of the parameters that validation judges and training keeps "
          + "(Polyak averaging); 0 disables. Default: automatic, " + AutoConfig.AVERAGING + ".")
  Double averaging;

  @Option(names = "--dequantize", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Detect discrete columns (values on a grid, most rows tied) and dequantize them during "
          + "training with uniform noise over the grid cell (default: on; --no-dequantize turns it off).")
  boolean dequantize;

  @Option(names = "--dequantize-atoms", negatable = true, defaultValue = "false", fallbackValue = "true",
      description = "Also dequantize tied columns off a regular grid (or on a grid finer than 1e-3 std) "
          + "over the Voronoi cells of their distinct values, at most " + Preprocessor.MAX_ATOMS + " of them "
          + "(default: off; an experiment, see docs/defaults.md).")
  boolean dequantizeAtoms;

  @Option(names = "--tail-transform", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Give heavy-tailed columns the monotone marginal transform asinh((x - median) / spread), "
          + "its log-Jacobian included in the density (default: on; --no-tail-transform turns it off).")
  boolean tailTransform;

  @Option(names = "--calibration", defaultValue = "0.2", paramLabel = "FRACTION",
      description = "Fraction of rows held out (never trained on) to calibrate tail probabilities (default: ${DEFAULT-VALUE}).")
  double calibration;

  /**
   * Checks every given option against its range before any data is read or trained on, so that a bad
   * value is a usage error naming the option rather than a failure deep in training.
   */
  void validate(CommandLine cli) {
    if (epochs != null) {
      OptionChecks.atLeast(cli, "--epochs", epochs, 1);
    }
    if (batch != null) {
      OptionChecks.atLeast(cli, "--batch", batch, 1);
    }
    if (lr != null) {
      OptionChecks.positive(cli, "--lr", lr);
    }
    if (validation != null) {
      OptionChecks.fractionBelowOne(cli, "--validation", validation, " (0 trains on every row)");
    }
    if (patience != null) {
      OptionChecks.atLeast(cli, "--patience", patience, 1);
    }
    if (weightDecay != null) {
      OptionChecks.nonNegative(cli, "--weight-decay", weightDecay, "");
    }
    if (clip != null) {
      OptionChecks.nonNegative(cli, "--clip", clip, " (0 disables clipping)");
    }
    if (noise != null) {
      OptionChecks.nonNegative(cli, "--noise", noise, " (0 disables the noise)");
    }
    if (averaging != null) {
      OptionChecks.fractionBelowOne(cli, "--averaging", averaging, " (0 disables averaging)");
    }
    if (noiseSchedule != null && !TrainingConfig.NOISE_SCHEDULES.contains(noiseSchedule)) {
      throw new ParameterException(cli, "--noise-schedule must be one of "
          + String.join(", ", TrainingConfig.NOISE_SCHEDULES) + ", got " + noiseSchedule);
    }
    OptionChecks.openFraction(cli, "--calibration", calibration);
  }

  /** The preprocessing the flags ask for. */
  Preprocessor.Options preprocessing() {
    return new Preprocessor.Options(dequantize, tailTransform, dequantizeAtoms);
  }

  /** The default configuration for {@code data} with every given option applied over it. */
  AutoConfig.Choice resolve(Dataset data, long trainingSeed) throws IOException {
    AutoConfig.Choice auto = ModelTrainer.automatic(data, calibration, trainingSeed, preprocessing());
    int dim = auto.spec().dim();
    List<String> why = new ArrayList<>(auto.rationale());
    FlowSpec chosenSpec = auto.spec();
    if (spec != null && !spec.isBlank()) {
      chosenSpec = parseSpec(dim);
      why.set(0, "flow: given by --spec: " + chosenSpec.toJson());
    }
    TrainingConfig c = auto.training().withSeed(trainingSeed);
    if (validation != null) {
      c = c.withValidationFraction(validation);
    }
    int fitRows = ModelTrainer.fitRows(data.rows(), calibration);
    int trainRows = Math.max(1, (int) Math.round(fitRows * (1 - c.validationFraction())));
    if (batch != null || epochs != null) {
      int b = batch != null ? batch : c.batchSize();
      int stepsPerEpoch = Math.max(1, trainRows / Math.max(1, Math.min(b, trainRows)));
      c = c.withBatchSize(b);
      if (epochs != null) {
        c = c.withSteps(stepsPerEpoch * epochs).withEvalEvery(stepsPerEpoch);
      } else {
        int evalEvery = Math.max(AutoConfig.MIN_EVAL_EVERY, stepsPerEpoch);
        c = c.withEvalEvery(evalEvery).withSteps(Math.max(evalEvery, c.steps()));
      }
    }
    if (lr != null) {
      c = c.withLearningRate(lr);
    }
    if (patience != null) {
      c = c.withPatience(patience);
    }
    if (weightDecay != null) {
      c = c.withWeightDecay(weightDecay);
    }
    if (clip != null) {
      c = c.withGradClip(clip);
    }
    if (noise != null) {
      c = c.withNoise(noise);
    }
    if (averaging != null) {
      c = c.withAveraging(averaging);
    }
    if (noiseSchedule != null) {
      c = c.withNoiseSchedule(noiseSchedule);
    }
    if (!c.equals(auto.training().withSeed(trainingSeed))) {
      why.add("training options given on the command line: " + c);
    }
    return new AutoConfig.Choice(chosenSpec, c, why);
  }

  /** The model-trainer options for {@code data}: {@link #resolve} plus the calibration and preprocessing flags. */
  ModelTrainer.Options options(String name, int version, Dataset data, long trainingSeed) throws IOException {
    AutoConfig.Choice c = resolve(data, trainingSeed);
    return new ModelTrainer.Options(name, version, c.spec(), c.training(), calibration, preprocessing());
  }

  /** The --spec value for data of {@code dim} modelled features. */
  private FlowSpec parseSpec(int dim) throws IOException {
    String json;
    String where;
    String s = spec.trim();
    if (s.startsWith("{")) {
      json = s;
      where = "--spec";
    } else if (Files.isRegularFile(Path.of(s))) {
      where = "--spec " + s;
      try {
        json = Files.readString(Path.of(s));
      } catch (CharacterCodingException e) {
        throw new IllegalArgumentException(where + " is not UTF-8 text; give a JSON file, inline JSON or a family name");
      }
    } else if (s.matches("[a-z-]+")) {
      return ModelTrainer.withDim(FlowSpec.of(s, Math.max(dim, 2)), dim);
    } else {
      throw new IllegalArgumentException("--spec '" + s + "' is neither a file, inline JSON, nor a family name");
    }
    JsonNode node;
    try {
      node = SPEC_JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(where + ": not valid JSON (" + DataReader.jsonProblem(e) + " at line "
          + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
    }
    if (!(node instanceof ObjectNode object)) {
      throw new IllegalArgumentException(where + ": expected a JSON object such as {\"family\": \"maf\", \"layers\": 5}");
    }
    object.put("dim", dim);
    try {
      return FlowSpec.fromJson(object.toString());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
  }

  private static final ObjectMapper SPEC_JSON = new ObjectMapper()
      .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
}
