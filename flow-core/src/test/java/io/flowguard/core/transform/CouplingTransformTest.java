package io.flowguard.core.transform;

import static io.flowguard.core.transform.TransformContract.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.nn.Activation;
import io.flowguard.core.nn.ParameterLayout;
import io.flowguard.core.nn.Workspace;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CouplingTransformTest {

  private static final int D = 5;

  private static CouplingTransform affine(ParameterLayout layout, int layer) {
    return new CouplingTransform(layout, "c", CouplingTransform.alternatingMask(D, layer), new int[] {16, 16},
        Activation.TANH, new AffineElement(AffineElement.DEFAULT_SCALE_BOUND));
  }

  private static CouplingTransform additive(ParameterLayout layout) {
    return new CouplingTransform(layout, "c", CouplingTransform.alternatingMask(D, 1), new int[] {16},
        Activation.ELU, new ShiftElement());
  }

  @Test
  void affineCouplingRoundTripsTo1e9() {
    ParameterLayout layout = new ParameterLayout();
    CouplingTransform t = affine(layout, 0);
    double[] theta = randomParameters(t, layout, 1, 0.5);
    assertRoundTrip(t, theta, randomBatch(64, D, 2, 1.5), 64, 1e-9);
  }

  @Test
  void additiveCouplingRoundTripsTo1e9AndPreservesVolume() {
    ParameterLayout layout = new ParameterLayout();
    CouplingTransform t = additive(layout);
    double[] theta = randomParameters(t, layout, 1, 0.5);
    double[] x = randomBatch(32, D, 2, 1.5);
    assertRoundTrip(t, theta, x, 32, 1e-9);
    double[] z = new double[x.length];
    double[] ld = new double[32];
    t.inverse(theta, x, z, ld, 32, new Workspace());
    assertArrayEquals(new double[32], ld, 0.0);
  }

  @Test
  void affineLogDetMatchesNumericalJacobianBothDirections() {
    ParameterLayout layout = new ParameterLayout();
    CouplingTransform t = affine(layout, 1);
    double[] theta = randomParameters(t, layout, 3, 0.5);
    assertLogDetMatchesJacobian(t, theta, randomBatch(8, D, 4, 1.0), 8);
  }

  @Test
  void additiveLogDetMatchesNumericalJacobian() {
    ParameterLayout layout = new ParameterLayout();
    CouplingTransform t = additive(layout);
    double[] theta = randomParameters(t, layout, 3, 0.5);
    assertLogDetMatchesJacobian(t, theta, randomBatch(4, D, 4, 1.0), 4);
  }

  @Test
  void affineGradientsMatchFiniteDifferencesInBothDirections() {
    ParameterLayout layout = new ParameterLayout();
    CouplingTransform t = affine(layout, 0);
    double[] theta = randomParameters(t, layout, 5, 0.5);
    double[] x = randomBatch(6, D, 6, 1.0);
    assertGradientsMatchFiniteDifferences(t, layout, theta, x, 6, false, 80);
    assertGradientsMatchFiniteDifferences(t, layout, theta, x, 6, true, 80);
  }

  @Test
  void additiveGradientsMatchFiniteDifferences() {
    ParameterLayout layout = new ParameterLayout();
    CouplingTransform t = additive(layout);
    double[] theta = randomParameters(t, layout, 5, 0.5);
    double[] x = randomBatch(6, D, 6, 1.0);
    assertGradientsMatchFiniteDifferences(t, layout, theta, x, 6, false, 60);
    assertGradientsMatchFiniteDifferences(t, layout, theta, x, 6, true, 60);
  }

  @Test
  void freshlyInitializedCouplingIsTheIdentity() {
    ParameterLayout layout = new ParameterLayout();
    CouplingTransform t = affine(layout, 0);
    double[] theta = new double[layout.size()];
    t.initialize(theta, new SplittableRandom(1));
    double[] x = randomBatch(10, D, 2, 2.0);
    double[] z = new double[x.length];
    double[] ld = new double[10];
    t.inverse(theta, x, z, ld, 10, new Workspace());
    assertArrayEquals(x, z, 0.0);
    assertArrayEquals(new double[10], ld, 0.0);
  }

  @Test
  void logScaleStaysInsideItsBound() {
    AffineElement e = new AffineElement(3.0);
    double[] out = new double[1];
    double ld = e.forward(1.0, new double[] {0.0, 1e6}, 0, out, 0);
    assertTrue(ld <= 3.0 && ld > 2.99, "log-scale " + ld);
    assertEquals(Math.exp(ld), out[0], 1e-12);
  }

  @Test
  void largeBatchesThroughTheMatrixBackendMatchRowByRowScoring() {
    // 512 rows run dense products on the matrix backend; one row at a time runs the row kernel. Tolerance
    // 1e-12: the two differ only in summation order over 64-term sums of unit-scale values.
    ParameterLayout layout = new ParameterLayout();
    CouplingTransform t = new CouplingTransform(layout, "c", CouplingTransform.alternatingMask(8, 0),
        new int[] {64, 64}, Activation.TANH, new AffineElement(3.0));
    double[] theta = randomParameters(t, layout, 8, 0.3);
    int n = 512;
    double[] x = randomBatch(n, 8, 9, 1.0);
    double[] zBatch = new double[x.length];
    double[] ldBatch = new double[n];
    t.inverse(theta, x, zBatch, ldBatch, n, new Workspace());
    double[] zRows = new double[x.length];
    double[] ldRows = new double[n];
    Workspace ws = new Workspace();
    double[] row = new double[8];
    double[] z = new double[8];
    double[] ld = new double[1];
    for (int i = 0; i < n; i++) {
      System.arraycopy(x, i * 8, row, 0, 8);
      ws.reset();
      ld[0] = 0.0;
      t.inverse(theta, row, z, ld, 1, ws);
      System.arraycopy(z, 0, zRows, i * 8, 8);
      ldRows[i] = ld[0];
    }
    assertArrayEquals(zRows, zBatch, 1e-12);
    assertArrayEquals(ldRows, ldBatch, 1e-12);
  }
}
