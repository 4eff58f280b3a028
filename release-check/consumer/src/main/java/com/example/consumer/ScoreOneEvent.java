package com.example.consumer;

import io.flowguard.core.data.Dataset;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.ModelTrainer;
import io.flowguard.core.score.Scorer;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/** Trains a small model on synthetic normal data, writes and reads the model file, scores two events. */
public final class ScoreOneEvent {

  public static void main(String[] args) throws Exception {
    Random random = new Random(1);
    int rows = 400;
    double[] values = new double[rows * 2];
    for (int i = 0; i < rows; i++) {
      values[2 * i] = random.nextGaussian();
      values[2 * i + 1] = 0.5 * values[2 * i] + 0.3 * random.nextGaussian();
    }
    Dataset data = new Dataset("synthetic", List.of("temp", "pressure"), values, rows);
    FlowSpec spec = FlowSpec.of(FlowSpec.MAF, 2).withLayers(2).withHidden(16, 16);
    TrainingConfig training = TrainingConfig.defaults().withSteps(300).withSeed(7);
    ModelTrainer.Options options = new ModelTrainer.Options("pump", 1, spec, training, 0.2);
    FlowModel trained = ModelTrainer.train(data, options, TrainingListener.NONE).model();
    Path file = Files.createTempFile("pump", ".fgm");
    ModelFormat.write(trained, file);
    Scorer scorer = new Scorer(ModelFormat.read(file), 0.001);
    Scorer.Score normal = new Scorer.Score();
    Scorer.Score odd = new Scorer.Score();
    scorer.score(new double[] {0.1, 0.05}, normal);
    scorer.score(new double[] {3.0, -3.0}, odd);
    System.out.printf("normal event: nll %.3f anomaly %s%nodd event: nll %.3f anomaly %s%n",
        normal.nll, normal.anomaly, odd.nll, odd.anomaly);
    if (!(odd.nll > normal.nll) || !odd.anomaly || normal.anomaly) {
      throw new IllegalStateException("the odd event must score worse than the normal one and be an anomaly");
    }
    Files.delete(file);
  }
}
