package io.flowguard.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.flowguard.core.transform.MaskedAutoregressive;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The inference kernel of {@link Mlp#forward} (row kernel below {@code BLAS_MIN_ROWS} rows, dense
 * products above) against {@link Mlp#forwardTrace}, the plain dense training pass, over shapes that
 * exercise every block path: widths below, at and just above the 8- and 16-column blocks, above 64
 * (several mask words), one and two outputs (the narrow output layer), dense and MADE-masked networks
 * in natural, reversed and random orders, every activation, zero and negative inputs. Tolerance 1e-12
 * relative to the output scale: the paths differ only in summation order and fused multiply-adds,
 * ~1e-16 per term on sums of at most a few hundred unit-scale terms.
 */
class MlpInferenceTest {

  private static final int[][] SHAPES = {
    {1, 64, 64, 2}, {1, 64, 64, 1}, {2, 3}, {3, 7, 5}, {5, 8, 9}, {4, 16, 17, 3}, {6, 15, 31, 33},
    {10, 128, 128, 20}, {7, 65, 130, 4}, {1, 1}, {3, 24, 2}, {9, 40},
  };

  private static double[] random(int size, SplittableRandom r, double scale) {
    double[] a = new double[size];
    for (int i = 0; i < size; i++) {
      a[i] = scale * (2 * r.nextDouble() - 1);
    }
    return a;
  }

  private static void assertSame(Mlp mlp, double[] theta, double[] x, int n, String what) {
    double[] expected = mlp.forwardTrace(theta, x.clone(), n).output();
    double[] actual = new double[n * mlp.outputs()];
    Workspace ws = new Workspace();
    // Twice through the same workspace: the second call reuses the first call's (stale) scratch.
    for (int rep = 0; rep < 2; rep++) {
      ws.reset();
      mlp.forward(theta, x, n, actual, ws);
      for (int i = 0; i < expected.length; i++) {
        double tol = 1e-12 * Math.max(1.0, Math.abs(expected[i]));
        assertEquals(expected[i], actual[i], tol, what + ", output " + i);
      }
    }
  }

  private static void check(int[] sizes, Activation act, double[][] masks, long seed) {
    ParameterLayout layout = new ParameterLayout();
    Mlp mlp = new Mlp(layout, "net", sizes, act, masks);
    SplittableRandom r = new SplittableRandom(seed);
    double[] theta = random(layout.size(), r, 0.6);
    mlp.enforceMasks(theta);
    for (int n : new int[] {1, 3, 300}) {
      double[] x = random(n * sizes[0], r, 2.0);
      // Exact zeros in the input and inputs of both signs: the row kernel must not skip real inputs.
      for (int i = 0; i < x.length; i += 5) {
        x[i] = 0.0;
      }
      assertSame(mlp, theta, x, n, java.util.Arrays.toString(sizes) + " " + act + " masked=" + (masks != null)
          + " n=" + n);
    }
  }

  @Test
  void denseNetworksMatchTheTrainingPass() {
    long seed = 1;
    for (int[] sizes : SHAPES) {
      for (Activation act : Activation.values()) {
        check(sizes, act, null, seed++);
      }
    }
  }

  @Test
  void madeNetworksMatchTheTrainingPass() {
    long seed = 100;
    for (int d : new int[] {1, 2, 3, 10, 70}) {
      int[][] orders = {
        MaskedAutoregressive.naturalOrder(d), MaskedAutoregressive.reversedOrder(d),
        MaskedAutoregressive.randomOrder(d, d)
      };
      for (int[] order : orders) {
        for (int[] hidden : new int[][] {{16}, {37, 20}, {128, 128}}) {
          for (int params : new int[] {1, 2, 23}) {
            for (Activation act : Activation.values()) {
              ParameterLayout layout = new ParameterLayout();
              Mlp mlp = Made.build(layout, "made", order, hidden, params, act);
              SplittableRandom r = new SplittableRandom(seed++);
              double[] theta = random(layout.size(), r, 0.6);
              mlp.enforceMasks(theta);
              double[] x = random(3 * d, r, 2.0);
              assertSame(mlp, theta, x, 3, "MADE d=" + d + " hidden=" + java.util.Arrays.toString(hidden)
                  + " params=" + params + " " + act);
            }
          }
        }
      }
    }
  }
}
