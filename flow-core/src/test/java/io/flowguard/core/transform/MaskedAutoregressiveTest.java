package io.flowguard.core.transform;

import static io.flowguard.core.transform.TransformContract.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.nn.Activation;
import io.flowguard.core.nn.ParameterLayout;
import io.flowguard.core.nn.Workspace;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * MAF and IAF ({@link InverseTransform} of a MAF). Tolerances: round trips 1e-9 (a few element
 * evaluations and MADE passes of double round-off on unit-scale data, ~1e-15 each); log-dets and
 * gradients use {@link TransformContract}'s finite-difference tolerances. Exact structural zeros of
 * the Jacobian are asserted at 1e-12: a masked input cannot move an output at all, so its central
 * difference is exactly 0, and 1e-12 only allows for a future non-bitwise product path.
 */
class MaskedAutoregressiveTest {

  private static final int D = 5;
  private static final int[] HIDDEN = {16, 16};

  private static MaskedAutoregressive maf(ParameterLayout layout, int[] order) {
    return new MaskedAutoregressive(layout, "maf", order, HIDDEN, Activation.TANH,
        new AffineElement(AffineElement.DEFAULT_SCALE_BOUND));
  }

  private static int[] randomOrder() {
    return MaskedAutoregressive.randomOrder(D, 11);
  }

  @Test
  void mafRoundTripsTo1e9WithRandomParameters() {
    ParameterLayout layout = new ParameterLayout();
    MaskedAutoregressive t = maf(layout, randomOrder());
    double[] theta = randomParameters(t, layout, 1, 0.5);
    assertRoundTrip(t, theta, randomBatch(32, D, 2, 1.5), 32, 1e-9);
  }

  @Test
  void iafRoundTripsTo1e9WithRandomParameters() {
    ParameterLayout layout = new ParameterLayout();
    Transform iaf = new InverseTransform(maf(layout, randomOrder()));
    double[] theta = randomParameters(iaf, layout, 1, 0.5);
    assertRoundTrip(iaf, theta, randomBatch(32, D, 3, 1.5), 32, 1e-9);
  }

  @Test
  void additiveMadeRoundTripsAndPreservesVolume() {
    ParameterLayout layout = new ParameterLayout();
    MaskedAutoregressive t = new MaskedAutoregressive(layout, "maf", MaskedAutoregressive.reversedOrder(D),
        new int[] {12}, Activation.ELU, new ShiftElement());
    double[] theta = randomParameters(t, layout, 4, 0.5);
    double[] x = randomBatch(16, D, 5, 1.0);
    assertRoundTrip(t, theta, x, 16, 1e-9);
    double[] ld = new double[16];
    t.inverse(theta, x, new double[x.length], ld, 16, new Workspace());
    assertArrayEquals(new double[16], ld, 0.0);
  }

  @Test
  void mafLogDetMatchesNumericalJacobianBothDirections() {
    ParameterLayout layout = new ParameterLayout();
    MaskedAutoregressive t = maf(layout, randomOrder());
    double[] theta = randomParameters(t, layout, 3, 0.5);
    assertLogDetMatchesJacobian(t, theta, randomBatch(6, D, 4, 1.0), 6);
  }

  @Test
  void iafLogDetMatchesNumericalJacobianBothDirections() {
    ParameterLayout layout = new ParameterLayout();
    Transform iaf = new InverseTransform(maf(layout, MaskedAutoregressive.naturalOrder(D)));
    double[] theta = randomParameters(iaf, layout, 3, 0.5);
    assertLogDetMatchesJacobian(iaf, theta, randomBatch(6, D, 4, 1.0), 6);
  }

  @Test
  void densityJacobianIsTriangularInTheOrderingAndDenseBelowTheDiagonal() {
    ParameterLayout layout = new ParameterLayout();
    int[] order = randomOrder();
    MaskedAutoregressive t = maf(layout, order);
    double[] theta = randomParameters(t, layout, 7, 0.5);
    double[] x = randomBatch(3, D, 8, 1.0);
    for (int r = 0; r < 3; r++) {
      double[] jac = numericalJacobian(t, theta, Arrays.copyOfRange(x, r * D, (r + 1) * D), false);
      for (int i = 0; i < D; i++) {
        for (int j = 0; j < D; j++) {
          double v = Math.abs(jac[i * D + j]);
          if (order[j] < order[i]) {
            assertTrue(v > 1e-8, "z_" + i + " must depend on earlier x_" + j + ", |dz/dx| = " + v);
          } else if (i != j) {
            assertTrue(v < 1e-12, "z_" + i + " must not depend on x_" + j + ", |dz/dx| = " + v);
          } else {
            assertTrue(v > 0.0, "diagonal entry " + i);
          }
        }
      }
    }
  }

  @Test
  void madeMaskProductConnectsExactlyTheEarlierInputs() {
    ParameterLayout layout = new ParameterLayout();
    int[] order = randomOrder();
    MaskedAutoregressive t = maf(layout, order);
    // The masks, read back from the layout: set every parameter to 1, sanitize zeroes the masked ones.
    double[] ones = new double[layout.size()];
    Arrays.fill(ones, 1.0);
    t.sanitize(ones);
    int[] sizes = {D, HIDDEN[0], HIDDEN[1], 2 * D};
    double[] product = identity(D);
    for (int l = 0; l < sizes.length - 1; l++) {
      ParameterLayout.Block w = block(layout, "maf.made.w" + l);
      assertEquals(sizes[l] * sizes[l + 1], w.size());
      double[] mask = Arrays.copyOfRange(ones, w.offset(), w.offset() + w.size());
      product = multiply(product, mask, D, sizes[l], sizes[l + 1]);
    }
    for (int j = 0; j < D; j++) {
      for (int i = 0; i < D; i++) {
        for (int q = 0; q < 2; q++) {
          double paths = product[j * 2 * D + i * 2 + q];
          if (order[j] < order[i]) {
            assertTrue(paths > 0, "output (" + i + "," + q + ") must see input " + j);
          } else {
            assertEquals(0.0, paths, 0.0, "output (" + i + "," + q + ") must not see input " + j);
          }
        }
      }
    }
  }

  @Test
  void iafAndMafWithTheSameParametersAreExactInverses() {
    ParameterLayout layout = new ParameterLayout();
    MaskedAutoregressive maf = maf(layout, randomOrder());
    Transform iaf = new InverseTransform(maf);
    double[] theta = randomParameters(maf, layout, 9, 0.5);
    int n = 8;
    double[] x = randomBatch(n, D, 10, 1.2);

    double[] zMaf = new double[x.length];
    double[] ldMaf = new double[n];
    maf.inverse(theta, x, zMaf, ldMaf, n, new Workspace());
    double[] zIaf = new double[x.length];
    double[] ldIaf = new double[n];
    iaf.forward(theta, x, zIaf, ldIaf, n, new Workspace());
    assertArrayEquals(zMaf, zIaf, 0.0);
    assertArrayEquals(ldMaf, ldIaf, 0.0);

    // MAF then IAF in the density order: x -> MAF density -> IAF density (= MAF sampling) -> x. Only the
    // round-off of one element inversion and re-application (~1e-15 on unit-scale data) separates them.
    Transform both = new CompositeTransform(List.of(maf, iaf));
    double[] back = new double[x.length];
    double[] ld = new double[n];
    both.inverse(theta, x, back, ld, n, new Workspace());
    assertArrayEquals(x, back, 1e-12);
    assertArrayEquals(new double[n], ld, 1e-12);
    both.forward(theta, x, back, ld = new double[n], n, new Workspace());
    assertArrayEquals(x, back, 1e-12);
    assertArrayEquals(new double[n], ld, 1e-12);
  }

  @Test
  void mafGradientsMatchFiniteDifferencesInDensityDirection() {
    ParameterLayout layout = new ParameterLayout();
    MaskedAutoregressive t = maf(layout, randomOrder());
    double[] theta = randomParameters(t, layout, 5, 0.5);
    assertGradientsMatchFiniteDifferences(t, freeParameters(layout, t), theta, randomBatch(4, D, 6, 1.0), 4,
        false, 120);
  }

  @Test
  void mafGradientsMatchFiniteDifferencesInSamplingDirectionThroughImplicitDifferentiation() {
    ParameterLayout layout = new ParameterLayout();
    MaskedAutoregressive t = maf(layout, randomOrder());
    double[] theta = randomParameters(t, layout, 5, 0.5);
    assertGradientsMatchFiniteDifferences(t, freeParameters(layout, t), theta, randomBatch(4, D, 6, 1.0), 4,
        true, 120);
  }

  @Test
  void iafGradientsMatchFiniteDifferencesInBothDirections() {
    ParameterLayout layout = new ParameterLayout();
    Transform iaf = new InverseTransform(maf(layout, MaskedAutoregressive.randomOrder(D, 3)));
    double[] theta = randomParameters(iaf, layout, 12, 0.5);
    double[] x = randomBatch(4, D, 13, 1.0);
    // The density direction of an IAF is the MAF's sampling direction: the implicit-differentiation path.
    assertGradientsMatchFiniteDifferences(iaf, freeParameters(layout, iaf), theta, x, 4, false, 120);
    assertGradientsMatchFiniteDifferences(iaf, freeParameters(layout, iaf), theta, x, 4, true, 120);
  }

  @Test
  void samplingBackwardLeavesOnlyParameterGradientsOfTheFinalPass() {
    // Implicit differentiation runs d+1 density backward passes; only the last may touch gTheta. Running
    // it twice into the same gTheta must give exactly twice the gradient (nothing else leaks in).
    ParameterLayout layout = new ParameterLayout();
    MaskedAutoregressive t = maf(layout, randomOrder());
    double[] theta = randomParameters(t, layout, 14, 0.5);
    int n = 3;
    double[] z = randomBatch(n, D, 15, 1.0);
    double[] gx = randomBatch(n, D, 16, 1.0);
    double[] gLd = {0.3, -1.1, 0.7};
    Transform.Trace trace = t.forwardTrace(theta, z, new double[z.length], new double[n], n);
    double[] once = new double[theta.length];
    t.forwardBackward(theta, trace, gx, gLd, new double[z.length], once);
    double[] twice = new double[theta.length];
    t.forwardBackward(theta, trace, gx, gLd, new double[z.length], twice);
    t.forwardBackward(theta, trace, gx, gLd, new double[z.length], twice);
    for (int i = 0; i < theta.length; i++) {
      assertEquals(2 * once[i], twice[i], 1e-12 * Math.max(1, Math.abs(twice[i])), "gTheta[" + i + "]");
    }
  }

  @Test
  void freshlyInitializedMafIsTheIdentity() {
    ParameterLayout layout = new ParameterLayout();
    MaskedAutoregressive t = maf(layout, randomOrder());
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
  void orderingHelpersArePermutationsOfOneToD() {
    assertArrayEquals(new int[] {1, 2, 3, 4}, MaskedAutoregressive.naturalOrder(4));
    assertArrayEquals(new int[] {4, 3, 2, 1}, MaskedAutoregressive.reversedOrder(4));
    int[] r = MaskedAutoregressive.randomOrder(9, 42);
    assertArrayEquals(r, MaskedAutoregressive.randomOrder(9, 42), "same seed, same ordering");
    int[] sorted = r.clone();
    Arrays.sort(sorted);
    assertArrayEquals(MaskedAutoregressive.naturalOrder(9), sorted);
  }

  @Test
  void invalidOrderingIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> maf(new ParameterLayout(), new int[] {1, 1, 3}));
    assertThrows(IllegalArgumentException.class, () -> maf(new ParameterLayout(), new int[] {0, 1, 2}));
  }

  private static ParameterLayout.Block block(ParameterLayout layout, String name) {
    return layout.blocks().stream().filter(b -> b.name().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no parameter block " + name));
  }

  private static double[] identity(int d) {
    double[] m = new double[d * d];
    for (int i = 0; i < d; i++) {
      m[i * d + i] = 1.0;
    }
    return m;
  }

  /** (rows x k) times (k x m), row-major. */
  private static double[] multiply(double[] a, double[] b, int rows, int k, int m) {
    double[] c = new double[rows * m];
    for (int i = 0; i < rows; i++) {
      for (int p = 0; p < k; p++) {
        for (int j = 0; j < m; j++) {
          c[i * m + j] += a[i * k + p] * b[p * m + j];
        }
      }
    }
    return c;
  }

  private static MaskedAutoregressive boundedMaf(ParameterLayout layout, int[] order, double bound) {
    return new MaskedAutoregressive(layout, "maf", order, HIDDEN, Activation.TANH,
        new AffineElement(AffineElement.DEFAULT_SCALE_BOUND), bound);
  }

  @Test
  void boundedConditionerMafRoundTripsAndMatchesItsJacobianAndGradients() {
    ParameterLayout layout = new ParameterLayout();
    MaskedAutoregressive t = boundedMaf(layout, randomOrder(), 1.5);
    double[] theta = randomParameters(t, layout, 21, 0.5);
    // Scale 3: many inputs beyond the bound, where the squash is far from linear.
    assertRoundTrip(t, theta, randomBatch(32, D, 22, 3.0), 32, 1e-9);
    assertLogDetMatchesJacobian(t, theta, randomBatch(6, D, 23, 3.0), 6);
    double[] x = randomBatch(4, D, 24, 3.0);
    assertGradientsMatchFiniteDifferences(t, freeParameters(layout, t), theta, x, 4, false, 120);
    assertGradientsMatchFiniteDifferences(t, freeParameters(layout, t), theta, x, 4, true, 120);
    Transform iaf = new InverseTransform(t);
    assertGradientsMatchFiniteDifferences(iaf, freeParameters(layout, iaf), theta, x, 4, false, 120);
  }

  /**
   * With a bound the element parameters stop changing far from the data: moving the earlier dimensions
   * of a row from 40 to 80 leaves the last dimension's shift and log-scale (read off z and the log-det)
   * where they were, to tanh's saturation; without it the MADE's ReLU or tanh units keep responding.
   */
  @Test
  void boundedConditionerFreezesTheElementParametersFarOutside() {
    ParameterLayout layout = new ParameterLayout();
    MaskedAutoregressive t = boundedMaf(layout, MaskedAutoregressive.naturalOrder(D), 2.0);
    double[] theta = randomParameters(t, layout, 25, 0.5);
    double[] a = {40, -40, 40, -40, 0.3};
    double[] b = {80, -80, 80, -80, 0.3};
    double[] za = new double[D];
    double[] zb = new double[D];
    double[] lda = new double[1];
    double[] ldb = new double[1];
    t.inverse(theta, a, za, lda, 1, new Workspace());
    t.inverse(theta, b, zb, ldb, 1, new Workspace());
    assertEquals(za[D - 1], zb[D - 1], 1e-12);
    assertThrows(IllegalArgumentException.class, () -> boundedMaf(new ParameterLayout(), randomOrder(), -1));
    assertThrows(IllegalArgumentException.class,
        () -> boundedMaf(new ParameterLayout(), randomOrder(), Double.POSITIVE_INFINITY));
  }
}
