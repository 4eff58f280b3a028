package io.flowguard.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.data.Dataset;
import io.flowguard.core.train.TrainingListener;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Constant and nearly constant columns are modelled apart by an add-one-smoothed categorical
 * distribution (issue 16), whose log-probability is part of the model's log-density: the rule of
 * succession for a constant column, probabilities that sum to one, the off-mode bound, and the score of
 * a trained model moving by exactly that log-probability.
 */
class ColumnsModelledApartTest {

  private static final List<String> NAMES = List.of("amount", "flag", "rare");

  /** amount ~ N(0, 1); flag = 5 in every row; rare = 0 except {@code offMode} rows holding 1. */
  private static double[] rows(int n, int offMode, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] x = new double[n * 3];
    for (int r = 0; r < n; r++) {
      x[r * 3] = rng.nextGaussian();
      x[r * 3 + 1] = 5.0;
      x[r * 3 + 2] = r < offMode ? 1.0 : 0.0;
    }
    return x;
  }

  @Test
  void aConstantColumnFollowsTheRuleOfSuccession() {
    int n = 200;
    Preprocessor p = Preprocessor.fit(NAMES, rows(n, 0, 1), n);
    Preprocessor.Categories flag = p.features().get(1).categories();
    assertTrue(p.features().get(1).apart());
    assertEquals(List.of(5.0), flag.values());
    // Exact up to the last bit of a log: (n + 1) / (n + 2) for the seen value, 1 / (n + 2) for any other.
    assertEquals(Math.log((n + 1.0) / (n + 2.0)), flag.logProbability(5.0), 1e-15);
    assertEquals(-Math.log(n + 2.0), flag.logProbability(6.0), 1e-15);
    assertEquals(-Math.log(n + 2.0), flag.logProbabilityOfOther(), 1e-15);
  }

  @Test
  void theSmoothedProbabilitiesSumToOne() {
    Preprocessor.Categories c = new Preprocessor.Categories(List.of(-1.0, 0.0, 2.5), List.of(3L, 190L, 1L));
    double sum = Math.exp(c.logProbabilityOfOther());
    for (double v : c.values()) {
      sum += Math.exp(c.logProbability(v));
    }
    // Four probabilities of about 1e-2..1: a sum of doubles is exact to a few ulps.
    assertEquals(1.0, sum, 1e-14);
    assertEquals(0.0, c.mode(), 0.0);
  }

  @Test
  void aColumnWithFewOffModeRowsIsModelledApartAndOneWithMoreIsKept() {
    int n = 500;
    int bound = Preprocessor.APART_MAX_OFF_MODE_ROWS;
    Preprocessor apart = Preprocessor.fit(NAMES, rows(n, bound, 2), n);
    assertTrue(apart.features().get(2).apart());
    assertEquals(List.of(0.0, 1.0), apart.features().get(2).categories().values());
    assertEquals(List.of((long) n - bound, (long) bound), apart.features().get(2).categories().counts());
    assertEquals(List.of("amount"), apart.keptFeatures());

    Preprocessor kept = Preprocessor.fit(NAMES, rows(n, bound + 1, 2), n);
    assertFalse(kept.features().get(2).apart());
    assertEquals(List.of("amount", "rare"), kept.keptFeatures());
  }

  @Test
  void fewOffModeRowsThatAreASizableShareStayInTheFlow() {
    // 2 rows of 100 are few in count but 2 % of the rows: a genuine (if rare) feature, not a nearly constant one.
    int n = 100;
    Preprocessor p = Preprocessor.fit(NAMES, rows(n, 2, 6), n);
    assertFalse(p.features().get(2).apart());
    assertTrue(p.features().get(1).apart(), "a constant column is always modelled apart");
  }

  @Test
  void theOldRuleDropsConstantColumnsWithoutScoringThem() {
    int n = 100;
    Preprocessor p = Preprocessor.fit(NAMES, rows(n, 3, 3), n, Preprocessor.Options.robust(), -1);
    assertFalse(p.features().get(1).apart());
    assertEquals(List.of("flag"), p.droppedFeatures());
    assertEquals(List.of("amount", "rare"), p.keptFeatures());
    double[] row = {0.3, 5.0, 0.0};
    double[] changed = {0.3, 7.0, 0.0};
    assertEquals(p.logJacobian(row, 0), p.logJacobian(changed, 0), 0.0);
  }

  @Test
  void theScoreOfATrainedModelMovesByExactlyTheCategoricalLogProbability() {
    int n = 400;
    Dataset data = new Dataset("apart", NAMES, rows(n, 2, 4), n);
    ModelTrainer.Options o = ModelTrainer.Options.automatic("apart", 1, data, 7, 0.2);
    ModelTrainer.Options quick = new ModelTrainer.Options("apart", 1, o.spec(), o.training().withSteps(50), 0.2,
        o.preprocessing());
    FlowModel model = ModelTrainer.train(data, quick, TrainingListener.NONE).model();
    Preprocessor p = model.preprocessor();
    long total = p.features().get(1).categories().total();
    double[] seen = {0.1, 5.0, 0.0};
    double[] unseenFlag = {0.1, 6.0, 0.0};
    double[] rareValue = {0.1, 5.0, 1.0};
    double base = model.logDensity(seen, 1)[0];
    // Same flow input (the kept column is equal), so the difference is the categorical terms alone:
    // exact up to the round-off of adding and subtracting one log.
    assertEquals(-Math.log(total + 2.0) - Math.log((total + 1.0) / (total + 2.0)),
        model.logDensity(unseenFlag, 1)[0] - base, 1e-12);
    Preprocessor.Categories rare = p.features().get(2).categories();
    assertTrue(rare.present(), "2 rows of about 320 fitted: modelled apart");
    assertEquals(rare.logProbability(1.0) - rare.logProbability(0.0), model.logDensity(rareValue, 1)[0] - base, 1e-12);
  }

  @Test
  void theScoringPathAndTheBatchPathAgree() {
    int n = 200;
    Preprocessor p = Preprocessor.fit(NAMES, rows(n, 3, 5), n);
    double[] probe = {0.5, 5.0, 1.0, -0.2, 4.0, 2.0};
    double[] out = new double[p.dim()];
    double[] batch = p.logJacobians(probe, 2);
    assertArrayEquals(new double[] {p.apply(probe, 0, out, 0), p.apply(probe, 3, out, 0)}, batch, 0.0);
  }

  @Test
  void invalidCategoriesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new Preprocessor.Categories(List.of(1.0, 1.0), List.of(1L, 1L)));
    assertThrows(IllegalArgumentException.class, () -> new Preprocessor.Categories(List.of(1.0), List.of(0L)));
    assertThrows(IllegalArgumentException.class, () -> new Preprocessor.Feature("k", true, 0, 1, 0, 0, 0, List.of(),
        new Preprocessor.Categories(List.of(1.0), List.of(3L))));
  }
}
