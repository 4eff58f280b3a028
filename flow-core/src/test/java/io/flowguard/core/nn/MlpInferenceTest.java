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

  /**
   * The row kernel's SIMD products ({@link VectorProducts}, when this JVM has the Vector API) against its
   * scalar products: the same value for every output of every shape above, dense and MADE, every
   * activation, as the kernel's documentation promises (only the sign of an exact zero may differ, and
   * {@code ==} treats the two zeros as equal). Finite inputs only: a non-finite value times a masked
   * (zero) weight is NaN, and the two kernels visit masked weights in blocks of different widths.
   */
  @Test
  void simdProductsEqualTheScalarOnesExactly() {
    org.junit.jupiter.api.Assumptions.assumeTrue(Mlp.simd(),
        "the JVM runs without --add-modules jdk.incubator.vector: the scalar kernel is the only one");
    long seed = 500;
    int checked = 0;
    for (int[] sizes : SHAPES) {
      for (Activation act : Activation.values()) {
        ParameterLayout layout = new ParameterLayout();
        Mlp mlp = new Mlp(layout, "net", sizes, act, null);
        checked += compareKernels(mlp, layout.size(), sizes[0], seed++);
      }
    }
    for (int d : new int[] {1, 3, 10, 70}) {
      for (int[] order : new int[][] {MaskedAutoregressive.naturalOrder(d), MaskedAutoregressive.randomOrder(d, d)}) {
        for (int[] hidden : new int[][] {{16}, {37, 20}, {128, 128}, {64, 96}}) {
          for (int params : new int[] {1, 2, 23}) {
            for (Activation act : Activation.values()) {
              ParameterLayout layout = new ParameterLayout();
              Mlp mlp = Made.build(layout, "made", order, hidden, params, act);
              checked += compareKernels(mlp, layout.size(), d, seed++);
            }
          }
        }
      }
    }
    org.junit.jupiter.api.Assertions.assertTrue(checked > 50_000, "outputs compared: " + checked);
  }

  private static int compareKernels(Mlp mlp, int size, int inputs, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] theta = random(size, r, 0.6);
    mlp.enforceMasks(theta);
    int n = 7;
    double[] x = random(n * inputs, r, 2.0);
    for (int i = 0; i < x.length; i += 5) {
      x[i] = 0.0;
    }
    if (x.length > 3) {
      x[1] = -0.0;
    }
    double[] scalar = new double[n * mlp.outputs()];
    double[] simd = new double[n * mlp.outputs()];
    mlp.forward(theta, x, n, scalar, new Workspace(), false);
    mlp.forward(theta, x, n, simd, new Workspace(), true);
    for (int i = 0; i < scalar.length; i++) {
      if (!(scalar[i] == simd[i] || Double.isNaN(scalar[i]) && Double.isNaN(simd[i]))) {
        throw new AssertionError("output " + i + ": scalar " + scalar[i] + " vs SIMD " + simd[i] + " (inputs "
            + inputs + ", outputs " + mlp.outputs() + ")");
      }
    }
    return scalar.length;
  }
}
