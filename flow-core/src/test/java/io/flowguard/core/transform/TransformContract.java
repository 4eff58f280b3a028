package io.flowguard.core.transform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.TestMath;
import io.flowguard.core.nn.ParamKind;
import io.flowguard.core.nn.ParameterLayout;
import io.flowguard.core.nn.Workspace;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The contract every {@link Transform} is held to, as reusable checks: invertibility, log-determinants
 * against a central-difference Jacobian in both directions, forward + inverse log-dets summing to zero,
 * and training gradients against finite differences.
 *
 * <p>Tolerances. Central differences with step h have truncation error O(h^2 f''') and round-off error
 * O(eps/h); with h = 1e-5 and unit-scale inputs both stay below ~1e-9 per Jacobian entry, so the
 * log|det| of a d x d Jacobian is accurate to ~1e-7; we assert 1e-6. Gradient checks use the same step
 * on a scalar loss and assert a relative error of 1e-5 (absolute 1e-7 near zero).
 *
 * <p>Every check has a form with a context batch {@code c} (row-major, one row per input row) for
 * conditional transforms: the same checks in x at fixed c. With {@code c = null} the checks call the
 * context-free methods, exactly as the forms without c.
 */
public final class TransformContract {

  public static final double JACOBIAN_STEP = 1e-5;
  public static final double LOGDET_TOL = 1e-6;
  public static final double GRAD_REL_TOL = 1e-5;

  private TransformContract() {}

  /** Initializes theta, then moves every parameter off its identity value (so tests are not trivial). */
  public static double[] randomParameters(Transform t, ParameterLayout layout, long seed, double scale) {
    double[] theta = new double[layout.size()];
    SplittableRandom rng = new SplittableRandom(seed);
    t.initialize(theta, rng);
    boolean[] trainable = layout.trainableMask();
    for (int i = 0; i < theta.length; i++) {
      if (trainable[i]) {
        theta[i] += scale * gaussian(rng);
      }
    }
    t.sanitize(theta);
    return theta;
  }

  public static double[] randomBatch(int n, int d, long seed, double scale) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] x = new double[n * d];
    for (int i = 0; i < x.length; i++) {
      x[i] = scale * gaussian(rng);
    }
    return x;
  }

  public static double gaussian(SplittableRandom rng) {
    double u1 = rng.nextDouble();
    double u2 = rng.nextDouble();
    return Math.sqrt(-2.0 * Math.log(1.0 - u1)) * Math.cos(2.0 * Math.PI * u2);
  }

  /** forward(inverse(x)) == x and inverse(forward(z)) == z within {@code tol} (max abs error). */
  public static void assertRoundTrip(Transform t, double[] theta, double[] x, int n, double tol) {
    assertRoundTrip(t, theta, x, null, n, tol);
  }

  /** {@link #assertRoundTrip(Transform, double[], double[], int, double)} at the fixed context c. */
  public static void assertRoundTrip(Transform t, double[] theta, double[] x, double[] c, int n, double tol) {
    int d = t.dim();
    Workspace ws = new Workspace();
    double[] z = new double[n * d];
    double[] back = new double[n * d];
    double[] ld = new double[n];
    run(t, theta, x, c, z, ld, n, false, ws);
    ws.reset();
    run(t, theta, z, c, back, new double[n], n, true, ws);
    for (int i = 0; i < x.length; i++) {
      assertEquals(x[i], back[i], tol * Math.max(1.0, Math.abs(x[i])), "forward(inverse(x)) at " + i);
    }
    ws.reset();
    double[] x2 = new double[n * d];
    run(t, theta, x, c, x2, new double[n], n, true, ws);
    ws.reset();
    double[] z2 = new double[n * d];
    run(t, theta, x2, c, z2, new double[n], n, false, ws);
    for (int i = 0; i < x.length; i++) {
      assertEquals(x[i], z2[i], tol * Math.max(1.0, Math.abs(x[i])), "inverse(forward(z)) at " + i);
    }
  }

  /**
   * The log|det| reported in each direction equals the log|det| of the numerical Jacobian, and
   * logdet_inverse(x) + logdet_forward(inverse(x)) = 0.
   */
  public static void assertLogDetMatchesJacobian(Transform t, double[] theta, double[] x, int n) {
    assertLogDetMatchesJacobian(t, theta, x, null, n);
  }

  /**
   * {@link #assertLogDetMatchesJacobian(Transform, double[], double[], int)} at the fixed context c: the
   * Jacobian is in x only, each row at its own context row.
   */
  public static void assertLogDetMatchesJacobian(Transform t, double[] theta, double[] x, double[] c, int n) {
    int d = t.dim();
    int m = t.contextDim();
    Workspace ws = new Workspace();
    for (int r = 0; r < n; r++) {
      double[] row = java.util.Arrays.copyOfRange(x, r * d, (r + 1) * d);
      double[] cRow = c == null ? null : java.util.Arrays.copyOfRange(c, r * m, (r + 1) * m);
      for (boolean forward : new boolean[] {false, true}) {
        double[] out = new double[d];
        double[] ld = new double[1];
        ws.reset();
        run(t, theta, row, cRow, out, ld, 1, forward, ws);
        double[] jac = numericalJacobian(t, theta, row, cRow, forward);
        double expected = TestMath.logAbsDet(jac, d);
        assertEquals(expected, ld[0], LOGDET_TOL * Math.max(1.0, Math.abs(expected)),
            (forward ? "forward" : "inverse") + " log|det J| of row " + r);
      }
      double[] z = new double[d];
      double[] ldInv = new double[1];
      ws.reset();
      run(t, theta, row, cRow, z, ldInv, 1, false, ws);
      double[] xBack = new double[d];
      double[] ldFwd = new double[1];
      ws.reset();
      run(t, theta, z, cRow, xBack, ldFwd, 1, true, ws);
      assertEquals(0.0, ldInv[0] + ldFwd[0], 1e-9 * Math.max(1.0, Math.abs(ldInv[0])),
          "inverse log-det + forward log-det of row " + r);
    }
  }

  public static double[] numericalJacobian(Transform t, double[] theta, double[] row, boolean forward) {
    return numericalJacobian(t, theta, row, null, forward);
  }

  /** The central-difference Jacobian in x of one row at its fixed context row {@code cRow} (null: none). */
  public static double[] numericalJacobian(Transform t, double[] theta, double[] row, double[] cRow, boolean forward) {
    int d = row.length;
    double[] jac = new double[d * d];
    Workspace ws = new Workspace();
    double[] plus = new double[d];
    double[] minus = new double[d];
    for (int c = 0; c < d; c++) {
      double[] xp = row.clone();
      double[] xm = row.clone();
      xp[c] += JACOBIAN_STEP;
      xm[c] -= JACOBIAN_STEP;
      ws.reset();
      run(t, theta, xp, cRow, plus, new double[1], 1, forward, ws);
      ws.reset();
      run(t, theta, xm, cRow, minus, new double[1], 1, forward, ws);
      for (int r = 0; r < d; r++) {
        jac[r * d + c] = (plus[r] - minus[r]) / (2 * JACOBIAN_STEP);
      }
    }
    return jac;
  }

  /** One pass in either direction; a null context calls the context-free method. */
  private static void run(Transform t, double[] theta, double[] in, double[] c, double[] out, double[] ld, int n,
                          boolean forward, Workspace ws) {
    if (c == null) {
      if (forward) {
        t.forward(theta, in, out, ld, n, ws);
      } else {
        t.inverse(theta, in, out, ld, n, ws);
      }
    } else if (forward) {
      t.forward(theta, in, c, out, ld, n, ws);
    } else {
      t.inverse(theta, in, c, out, ld, n, ws);
    }
  }

  /**
   * Gradients of L = sum(c * out) + sum(w * logdet), through the traced pass in the given direction, match
   * central finite differences, for every input and for up to {@code maxParams} parameters (spread over
   * the vector). Also checks the traced pass computes the same outputs as the untraced one.
   */
  public static void assertGradientsMatchFiniteDifferences(Transform t, ParameterLayout layout, double[] theta,
                                                           double[] x, int n, boolean forward, int maxParams) {
    assertGradientsMatchFiniteDifferences(t, layout, theta, x, null, n, forward, maxParams);
  }

  /**
   * {@link #assertGradientsMatchFiniteDifferences(Transform, ParameterLayout, double[], double[], int,
   * boolean, int)} at the fixed context {@code context} (null: the context-free methods): gradients in x
   * and in the parameters, the context weights among them.
   *
   * @return the parameter gradient of the traced pass, for further checks
   */
  public static double[] assertGradientsMatchFiniteDifferences(Transform t, ParameterLayout layout, double[] theta,
                                                               double[] x, double[] context, int n,
                                                               boolean forward, int maxParams) {
    int d = t.dim();
    SplittableRandom rng = new SplittableRandom(99);
    double[] c = randomBatch(n, d, 7, 1.0);
    double[] w = new double[n];
    for (int r = 0; r < n; r++) {
      w[r] = gaussian(rng);
    }
    double[] out = new double[n * d];
    double[] ld = new double[n];
    Transform.Trace trace;
    if (context == null) {
      trace = forward ? t.forwardTrace(theta, x, out, ld, n) : t.inverseTrace(theta, x, out, ld, n);
    } else {
      trace = forward ? t.forwardTrace(theta, x, context, out, ld, n) : t.inverseTrace(theta, x, context, out, ld, n);
    }
    double[] outPlain = new double[n * d];
    double[] ldPlain = new double[n];
    run(t, theta, x, context, outPlain, ldPlain, n, forward, new Workspace());
    for (int i = 0; i < out.length; i++) {
      assertEquals(outPlain[i], out[i], 1e-12 * Math.max(1, Math.abs(out[i])), "traced output " + i);
    }
    for (int r = 0; r < n; r++) {
      assertEquals(ldPlain[r], ld[r], 1e-12 * Math.max(1, Math.abs(ld[r])), "traced log-det " + r);
    }
    double[] gIn = new double[n * d];
    double[] gTheta = new double[theta.length];
    if (forward) {
      t.forwardBackward(theta, trace, c, w, gIn, gTheta);
    } else {
      t.inverseBackward(theta, trace, c, w, gIn, gTheta);
    }

    for (int i = 0; i < x.length; i++) {
      final int idx = i;
      double num = centralDifference(h -> {
        double[] xx = x.clone();
        xx[idx] += h;
        return loss(t, theta, xx, context, n, c, w, forward);
      });
      assertClose(num, gIn[i], "dL/dinput[" + i + "]");
    }
    boolean[] trainable = layout.trainableMask();
    int step = Math.max(1, theta.length / Math.max(1, maxParams));
    int checked = 0;
    for (int i = 0; i < theta.length; i += step) {
      if (!trainable[i]) {
        continue;
      }
      final int idx = i;
      double num = centralDifference(h -> {
        double[] th = theta.clone();
        th[idx] += h;
        return loss(t, th, x, context, n, c, w, forward);
      });
      assertClose(num, gTheta[i], "dL/dtheta[" + i + "] (" + blockName(layout, i) + ")");
      checked++;
    }
    assertTrue(checked > 0 || layout.size() == 0, "no parameter was checked");
    return gTheta;
  }

  private static String blockName(ParameterLayout layout, int index) {
    for (ParameterLayout.Block b : layout.blocks()) {
      if (index >= b.offset() && index < b.offset() + b.size()) {
        return b.name() + "[" + (index - b.offset()) + "]";
      }
    }
    return "?";
  }

  private static void assertClose(double expected, double actual, String what) {
    double tol = Math.max(1e-7, GRAD_REL_TOL * Math.max(Math.abs(expected), Math.abs(actual)));
    assertEquals(expected, actual, tol, what);
  }

  private static double centralDifference(IntToDoubleFunctionOfH f) {
    double h = JACOBIAN_STEP;
    return (f.at(h) - f.at(-h)) / (2 * h);
  }

  @FunctionalInterface
  private interface IntToDoubleFunctionOfH {
    double at(double h);
  }

  private static double loss(Transform t, double[] theta, double[] x, double[] context, int n, double[] c, double[] w,
                             boolean forward) {
    int d = t.dim();
    double[] out = new double[n * d];
    double[] ld = new double[n];
    run(t, theta, x, context, out, ld, n, forward, new Workspace());
    double l = 0.0;
    for (int i = 0; i < out.length; i++) {
      l += c[i] * out[i];
    }
    for (int r = 0; r < n; r++) {
      l += w[r] * ld[r];
    }
    return l;
  }

  /**
   * The same layout with every MADE-masked weight marked STATE, for the finite-difference checks: a masked
   * weight is held at zero (its gradient is masked by design), so perturbing it measures a network that
   * is no longer autoregressive, not the transform. Offsets are unchanged; block names keep the original
   * name so failures still say which block an index is in. Works on any transform (a whole flow's
   * composite included): only what {@link Transform#sanitize} zeroes is marked, so a layout without MADE
   * layers comes back with the same blocks and kinds.
   */
  public static ParameterLayout freeParameters(ParameterLayout layout, Transform t) {
    double[] ones = new double[layout.size()];
    Arrays.fill(ones, 1.0);
    t.sanitize(ones);
    ParameterLayout free = new ParameterLayout();
    for (ParameterLayout.Block b : layout.blocks()) {
      int start = b.offset();
      int end = b.offset() + b.size();
      if (b.size() == 0) {
        free.allocate(b.name(), 0, b.kind());
        continue;
      }
      int runStart = start;
      for (int i = start; i <= end; i++) {
        if (i == end || (i > runStart && (ones[i] == 0.0) != (ones[runStart] == 0.0))) {
          boolean masked = ones[runStart] == 0.0;
          free.allocate(b.name() + "@" + (runStart - start) + (masked ? "(masked)" : ""), i - runStart,
              masked ? ParamKind.STATE : b.kind());
          runStart = i;
        }
      }
    }
    assertEquals(layout.size(), free.size());
    return free;
  }
}
