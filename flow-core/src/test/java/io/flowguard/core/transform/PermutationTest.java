package io.flowguard.core.transform;

import static io.flowguard.core.transform.TransformContract.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.nn.ParameterLayout;
import io.flowguard.core.nn.Workspace;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Permutation. A permutation only moves values, so round trips, outputs and gradients are exact (asserted
 * at 0 where the claim is exactness, 1e-9 where the shared contract helper is used).
 */
class PermutationTest {

  private static final int D = 6;

  @Test
  void roundTripsExactly() {
    Permutation t = Permutation.random(D, 3);
    assertRoundTrip(t, new double[0], randomBatch(16, D, 2, 1.5), 16, 1e-9);
  }

  @Test
  void densityDirectionGathersByThePermutation() {
    Permutation t = new Permutation(new int[] {2, 0, 1});
    double[] x = {10, 11, 12, 20, 21, 22};
    double[] z = new double[6];
    double[] ld = {0.5, -0.5};
    t.inverse(new double[0], x, z, ld, 2, new Workspace());
    assertArrayEquals(new double[] {12, 10, 11, 22, 20, 21}, z, 0.0);
    assertArrayEquals(new double[] {0.5, -0.5}, ld, 0.0, "log-det 0 is added, nothing overwritten");
    double[] back = new double[6];
    t.forward(new double[0], z, back, ld, 2, new Workspace());
    assertArrayEquals(x, back, 0.0);
  }

  @Test
  void logDetMatchesNumericalJacobianBothDirections() {
    assertLogDetMatchesJacobian(Permutation.random(D, 5), new double[0], randomBatch(3, D, 4, 1.0), 3);
  }

  @Test
  void gradientsMatchFiniteDifferencesInBothDirections() {
    Permutation t = Permutation.random(D, 7);
    ParameterLayout empty = new ParameterLayout();
    double[] x = randomBatch(3, D, 8, 1.0);
    assertGradientsMatchFiniteDifferences(t, empty, new double[0], x, 3, false, 0);
    assertGradientsMatchFiniteDifferences(t, empty, new double[0], x, 3, true, 0);
  }

  @Test
  void reverseFactoryReversesTheDimensions() {
    assertArrayEquals(new int[] {4, 3, 2, 1, 0}, Permutation.reverse(5).perm());
  }

  @Test
  void randomFactoryIsAReproduciblePermutation() {
    int[] p = Permutation.random(20, 42).perm();
    assertArrayEquals(p, Permutation.random(20, 42).perm());
    int[] sorted = p.clone();
    Arrays.sort(sorted);
    for (int i = 0; i < 20; i++) {
      assertEquals(i, sorted[i]);
    }
  }

  @Test
  void duplicateEntryIsRejectedWithAClearMessage() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Permutation(new int[] {0, 2, 2}));
    assertTrue(e.getMessage().contains("not a permutation of 0..2"), e.getMessage());
    assertTrue(e.getMessage().contains("2 appears at both 1 and 2"), e.getMessage());
  }

  @Test
  void outOfRangeEntryIsRejectedWithAClearMessage() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Permutation(new int[] {0, 3, 1}));
    assertTrue(e.getMessage().contains("entry 1 is 3"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Permutation(new int[] {-1, 0}));
    assertTrue(e.getMessage().contains("entry 0 is -1"), e.getMessage());
  }

  @Test
  void emptyPermutationIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> new Permutation(new int[0]));
    assertThrows(IllegalArgumentException.class, () -> new Permutation(null));
  }

  @Test
  void permutationIsCopiedNotShared() {
    int[] p = {1, 0, 2};
    Permutation t = new Permutation(p);
    p[0] = 2;
    assertArrayEquals(new int[] {1, 0, 2}, t.perm());
  }
}
