package io.flowguard.core.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.ModelTrainer;
import io.flowguard.core.train.TrainingConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The streaming protocol carried over to a multivariate series (SKAB's layout), every method on it. */
class MultivariateSeriesTest {

  @TempDir
  Path dir;

  @Test
  void everyMethodRunsOnTheTrainPrefixAndScoresTheRestInOrder() throws Exception {
    SplittableRandom rng = new SplittableRandom(4);
    StringBuilder csv = new StringBuilder("datetime,s1,s2,label\n");
    int n = 800;
    for (int t = 0; t < n; t++) {
      boolean anomalous = t >= 600 && t < 700;
      double a = rng.nextGaussian();
      double b = a + 0.1 * rng.nextGaussian() + (anomalous ? 3 : 0);
      csv.append(String.format(Locale.ROOT, "2020-03-09 10:%02d:%02d,%.5f,%.5f,%d%n", t / 60, t % 60, a, b,
          anomalous ? 1 : 0));
    }
    Path file = dir.resolve("0.csv");
    Files.writeString(file, csv);
    MultivariateSeries s = MultivariateSeries.read(file, "datetime", "label");
    assertEquals(n, s.rows());
    assertEquals(List.of("s1", "s2"), s.features().columns());
    assertEquals(120, s.trainRows());
    Evaluation.FlowSettings flow = new Evaluation.FlowSettings((train, seed) -> new ModelTrainer.Options("t", 1,
        FlowSpec.of(FlowSpec.MAF, 2).withLayers(2).withHidden(16, 16),
        TrainingConfig.defaults().withSteps(300).withSeed(seed), 0.25));
    Evaluation.Plan plan = new Evaluation.Plan(Optional.of(flow), List.of("kde"), List.of(0L),
        Optional.of(new TimeAwareDetector.Settings(2, false, false)));
    List<Evaluation.MethodResult> results = Evaluation.multivariateSeries(s, plan, false, Evaluation.Listener.NONE);
    assertEquals(List.of("flow", "flow-context", "flow-context-likelihood", "kde"),
        results.stream().map(Evaluation.MethodResult::method).toList());
    for (Evaluation.MethodResult r : results) {
      assertTrue(r.ok(), r.method() + ": " + r.error());
      assertEquals(n - 120, r.seeds().get(0).testRows());
    }
    // The shift breaks the sensors' joint relation: each row alone shows it.
    assertTrue(results.get(0).seeds().get(0).auroc() > 0.95, "flow AUROC " + results.get(0).seeds().get(0).auroc());
    assertTrue(results.get(1).seeds().get(0).auroc() > 0.95, "flow-context AUROC " + results.get(1).seeds().get(0).auroc());
  }
}
