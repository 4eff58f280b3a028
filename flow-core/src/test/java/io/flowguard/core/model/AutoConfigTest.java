package io.flowguard.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.train.TrainingConfig;
import org.junit.jupiter.api.Test;

/** The default-model rule: capacity, batch, step budget and smoothing noise as functions of n and d. */
class AutoConfigTest {

  @Test
  void smallDataSetsGetAShallowNarrowMaf() {
    AutoConfig.Choice c = AutoConfig.choose(100, 13, 0);
    assertEquals(FlowSpec.MAF, c.spec().family());
    assertEquals(FlowSpec.BaseSpec.mixture(AutoConfig.MIXTURE_COMPONENTS), c.spec().base());
    assertEquals(13, c.spec().dim());
    assertEquals(3, c.spec().layers());
    assertEquals(64, c.spec().hidden()[0], "8 x 13 = 104, capped at 64 below 1000 rows");
    assertEquals(32, c.training().batchSize(), "n / 8 = 11, raised to the minimum of 32");
    assertEquals(AutoConfig.MIN_EVAL_EVERY, c.training().evalEvery(), "epochs of 2 steps: evaluate every 25");
  }

  @Test
  void largeDataSetsGetFiveLayersAndFullBatches() {
    AutoConfig.Choice c = AutoConfig.choose(30_000, 9, 0);
    assertEquals(5, c.spec().layers());
    assertEquals(72, c.spec().hidden()[0], "8 x 9 columns");
    assertEquals(256, c.training().batchSize());
    // An epoch of the 90 % training split is 27 000 / 256 = 105 steps, more than 1/20 of the budget.
    assertEquals(c.training().steps() / AutoConfig.MIN_EVALUATIONS, c.training().evalEvery());
    assertTrue(c.training().evalEvery() < 27_000 / 256);
    assertEquals(AutoConfig.PATIENCE, c.training().patience());
  }

  /**
   * On large data one epoch is longer than the step budget. Validation still comes often enough for early
   * stopping to act (at least MIN_EVALUATIONS > PATIENCE evaluations), the floor of MIN_STEPS holds, the budget
   * is kept to within one validation interval where the floor does not bind, and the validation split stops
   * growing at MAX_VALIDATION_ROWS.
   */
  @Test
  void onLargeDataEarlyStoppingActsWithinTheBudget() {
    for (int rows : new int[] {100_000, 1_000_000}) {
      for (int d : new int[] {10, 36}) {
        AutoConfig.Choice c = AutoConfig.choose(rows, d, 0);
        TrainingConfig t = c.training();
        String at = rows + " x " + d + ": " + t.steps() + " steps, validation every " + t.evalEvery();
        assertTrue(t.steps() >= AutoConfig.MIN_STEPS, at);
        assertTrue(t.steps() / t.evalEvery() >= AutoConfig.MIN_EVALUATIONS, at);
        assertEquals(0, t.steps() % t.evalEvery(), at);
        long params = AutoConfig.approximateParameters(d, c.spec().layers(), c.spec().hidden()[0]);
        double seconds = (t.steps() - t.evalEvery()) * AutoConfig.stepSeconds(t.batchSize(), params);
        // The step floor binds for wide data (as in theStepBudgetBoundsTrainingWork); otherwise the budget holds.
        assertTrue(t.steps() == AutoConfig.MIN_STEPS || seconds <= AutoConfig.TIME_BUDGET_SECONDS, at + ": " + seconds + " s");
        assertEquals(AutoConfig.MAX_VALIDATION_ROWS, Math.round(rows * t.validationFraction()), at);
      }
    }
    assertTrue(AutoConfig.MIN_EVALUATIONS > AutoConfig.PATIENCE);
    assertEquals(AutoConfig.MIN_STEPS, AutoConfig.MIN_EVALUATIONS * AutoConfig.MIN_EVAL_EVERY,
        "the step floor validated at the shortest interval is the fewest evaluations");
    // Below the cap the split is 10 %.
    assertEquals(0.1, AutoConfig.choose(50_000, 10, 0).training().validationFraction());
  }

  @Test
  void widthIsClampedForFewAndManyColumns() {
    assertEquals(32, AutoConfig.choose(5000, 2, 0).spec().hidden()[0]);
    assertEquals(128, AutoConfig.choose(5000, 57, 0).spec().hidden()[0]);
  }

  @Test
  void theStepBudgetBoundsTrainingWork() {
    for (int d : new int[] {1, 6, 36, 200}) {
      AutoConfig.Choice c = AutoConfig.choose(50_000, d, 0);
      long params = AutoConfig.approximateParameters(d, c.spec().layers(), c.spec().hidden()[0]);
      double seconds = c.training().steps() * AutoConfig.stepSeconds(c.training().batchSize(), params);
      assertTrue(c.training().steps() <= AutoConfig.MAX_STEPS, "d = " + d);
      // The step floor may exceed the budget only for very wide data.
      assertTrue(seconds <= AutoConfig.TIME_BUDGET_SECONDS
          || c.training().steps() <= AutoConfig.MIN_STEPS + c.training().evalEvery(), "d = " + d + ": " + seconds + " s");
      assertEquals(0, c.training().steps() % c.training().evalEvery(), "the last step is an evaluation");
    }
  }

  @Test
  void smoothingNoiseIsScottsBandwidthScaledAndShrinksWithN() {
    AutoConfig.Choice small = AutoConfig.choose(100, 6, 0);
    AutoConfig.Choice large = AutoConfig.choose(100_000, 6, 0);
    assertEquals(AutoConfig.NOISE_FACTOR * Math.pow(100, -0.1), small.training().noise(), 1e-15);
    assertTrue(large.training().noise() < small.training().noise());
    assertTrue(AutoConfig.choose(1000, 40, 0).training().noise() > AutoConfig.choose(1000, 4, 0).training().noise(),
        "more columns, wider bandwidth (n^(-1/(d+4)))");
  }

  @Test
  void theSeedIsPassedThroughAndTheRationaleNamesEveryChoice() {
    AutoConfig.Choice c = AutoConfig.choose(2000, 5, 42);
    assertEquals(42, c.training().seed());
    assertEquals(5, c.rationale().size());
    assertTrue(c.rationale().get(0).startsWith("flow: MAF"));
    assertEquals(AutoConfig.CONDITIONER_BOUND, c.spec().conditionerBoundOrZero(), 0.0);
    assertTrue(c.rationale().get(1).startsWith("conditioners: inputs bounded"), c.rationale().get(1));
  }

  @Test
  void rejectsDegenerateSizes() {
    assertThrows(IllegalArgumentException.class, () -> AutoConfig.choose(1, 3, 0));
    assertThrows(IllegalArgumentException.class, () -> AutoConfig.choose(100, 0, 0));
  }
}
