package io.flowguard.core.flow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.distribution.StandardNormal;
import io.flowguard.core.nn.ParameterLayout;
import io.flowguard.core.transform.LuLinear;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The public entry points of {@link Flow} reject bad input with an {@link IllegalArgumentException} whose
 * message names the offending row and column (0-based), instead of returning NaN scores.
 */
class InputValidationTest {

  private static final Flow FLOW = FlowFactory.create(FlowSpec.of(FlowSpec.REALNVP, 3).withLayers(2).withHidden(4), 1);

  private static double[][] goodRows(int n) {
    double[][] rows = new double[n][3];
    for (int r = 0; r < n; r++) {
      for (int c = 0; c < 3; c++) {
        rows[r][c] = Math.sin(3 * r + c);
      }
    }
    return rows;
  }

  private static void assertRejected(Executable call, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' should contain '" + f + "'");
    }
  }

  @Test
  void logProbOfRowsRejectsNaNNamingRowAndColumn() {
    double[][] rows = goodRows(5);
    rows[3][1] = Double.NaN;
    assertRejected(() -> FLOW.logProb(rows), "row 3", "column 1", "NaN");
  }

  @Test
  void logProbOfRowsRejectsInfinityNamingRowAndColumn() {
    double[][] rows = goodRows(5);
    rows[4][0] = Double.POSITIVE_INFINITY;
    assertRejected(() -> FLOW.logProb(rows), "row 4", "column 0", "Infinity");
  }

  @Test
  void logProbOfRowsRejectsAShortRowNamingItAndItsLength() {
    double[][] rows = goodRows(5);
    rows[2] = new double[] {1.0, 2.0};
    assertRejected(() -> FLOW.logProb(rows), "row 2", "2 columns", "expects 3");
  }

  @Test
  void logProbOfRowsRejectsALongRow() {
    double[][] rows = goodRows(5);
    rows[1] = new double[] {1.0, 2.0, 3.0, 4.0};
    assertRejected(() -> FLOW.logProb(rows), "row 1", "4 columns");
  }

  @Test
  void logProbOfRowsRejectsANullRow() {
    double[][] rows = goodRows(5);
    rows[0] = null;
    assertRejected(() -> FLOW.logProb(rows), "row 0");
  }

  @Test
  void logProbOfRowsAgreesWithTheFlatBatch() {
    double[][] rows = goodRows(6);
    double[] flat = new double[18];
    for (int r = 0; r < 6; r++) {
      System.arraycopy(rows[r], 0, flat, 3 * r, 3);
    }
    assertArrayEquals(FLOW.logProb(flat, 6), FLOW.logProb(rows), 0.0);
    assertEquals(0, FLOW.logProb(new double[0][]).length, "an empty batch is fine");
  }

  @Test
  void flatLogProbRejectsNaNNamingRowAndColumn() {
    double[] x = new double[12];
    x[2 * 3 + 2] = Double.NaN;
    assertRejected(() -> FLOW.logProb(x, 4), "row 2", "column 2");
  }

  @Test
  void flatLogProbRejectsTooFewValues() {
    assertRejected(() -> FLOW.logProb(new double[11], 4), "4 rows of 3 values", "got 11");
  }

  @Test
  void flatLogProbRejectsANegativeRowCount() {
    assertRejected(() -> FLOW.logProb(new double[3], -1), "negative");
  }

  @Test
  void toLatentAndFromLatentRejectNonFiniteValues() {
    double[] x = new double[6];
    x[4] = Double.NaN;
    assertRejected(() -> FLOW.toLatent(x, 2), "row 1", "column 1");
    assertRejected(() -> FLOW.fromLatent(x, 2), "row 1", "column 1");
  }

  @Test
  void setParametersRejectsTheWrongCount() {
    int p = FLOW.parameters().length;
    assertRejected(() -> FLOW.copy().setParameters(new double[p + 1]), "expected " + p);
  }

  @Test
  void assemblingAFlowFromMismatchedPartsIsRejected() {
    ParameterLayout layout = new ParameterLayout();
    LuLinear lu = new LuLinear(layout, "lu", 3);
    assertRejected(() -> new Flow(null, lu, new StandardNormal(2), layout, new double[layout.size()]), "dimension");
    assertRejected(() -> new Flow(null, lu, new StandardNormal(3), layout, new double[1]), "parameters");
  }
}
