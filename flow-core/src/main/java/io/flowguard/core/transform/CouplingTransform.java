package io.flowguard.core.transform;

import io.flowguard.core.nn.Activation;
import io.flowguard.core.nn.Mlp;
import io.flowguard.core.nn.ParameterLayout;
import io.flowguard.core.nn.Workspace;
import java.util.SplittableRandom;

/**
 * A coupling layer (Dinh et al.): the dimensions where the binary mask is set pass through unchanged and
 * condition, through an MLP, an element-wise bijection of the others. With {@link AffineElement} it is
 * RealNVP, with {@link ShiftElement} NICE, with a rational-quadratic spline a Neural Spline Flow
 * coupling layer. Both directions cost one conditioner pass; the Jacobian is triangular, so the
 * log-determinant is the sum of the element log-derivatives.
 *
 * <p>Conditional coupling: with {@code contextDim = m > 0} the conditioner reads {@code [x_A, c]}, the
 * kept dimensions followed by the row's context, so the element parameters of the transformed
 * dimensions are functions of both; the Jacobian in x keeps its shape and its determinant.
 */
public final class CouplingTransform implements Transform {

  private final int dim;
  private final int[] identity;
  private final int[] transformed;
  private final Mlp conditioner;
  private final ElementwiseBijection element;
  private final int paramsPerDim;
  private final int contextDim;
  /** Conditioner inputs per row: the kept dimensions, then the context. */
  private final int condWidth;

  private record CouplingTrace(double[] input, double[] params, Mlp.Trace mlp) implements Trace {}

  /**
   * @param mask {@code mask[i]} true: dimension i passes through and conditions the others
   * @param hidden hidden layer widths of the conditioner
   */
  public CouplingTransform(ParameterLayout layout, String name, boolean[] mask, int[] hidden,
                           Activation activation, ElementwiseBijection element) {
    this(layout, name, mask, hidden, activation, element, 0);
  }

  /**
   * A conditional coupling layer: the conditioner also reads {@code contextDim} context values per row
   * (its first-layer weights of the context are the parameter block {@code name.net.w0.context}).
   *
   * @param contextDim context values per row; 0 for an unconditional layer
   */
  public CouplingTransform(ParameterLayout layout, String name, boolean[] mask, int[] hidden,
                           Activation activation, ElementwiseBijection element, int contextDim) {
    if (contextDim < 0) {
      throw new IllegalArgumentException("the context dimension must not be negative, got " + contextDim);
    }
    this.dim = mask.length;
    int nId = 0;
    for (boolean m : mask) {
      nId += m ? 1 : 0;
    }
    if (nId == 0 || nId == dim) {
      throw new IllegalArgumentException("a coupling mask must keep at least one and transform at least one of "
          + dim + " dimensions");
    }
    this.identity = new int[nId];
    this.transformed = new int[dim - nId];
    for (int i = 0, a = 0, b = 0; i < dim; i++) {
      if (mask[i]) {
        identity[a++] = i;
      } else {
        transformed[b++] = i;
      }
    }
    this.element = element;
    this.paramsPerDim = element.paramsPerDim();
    this.contextDim = contextDim;
    this.condWidth = nId + contextDim;
    int[] sizes = new int[hidden.length + 2];
    sizes[0] = condWidth;
    System.arraycopy(hidden, 0, sizes, 1, hidden.length);
    sizes[sizes.length - 1] = transformed.length * paramsPerDim;
    this.conditioner = new Mlp(layout, name + ".net", sizes, activation, null, contextDim);
  }

  /** The alternating checkerboard mask of layer {@code layer}: even layers keep the even dimensions. */
  public static boolean[] alternatingMask(int dim, int layer) {
    boolean[] mask = new boolean[dim];
    for (int i = 0; i < dim; i++) {
      mask[i] = (i % 2) == (layer % 2);
    }
    return mask;
  }

  public ElementwiseBijection element() {
    return element;
  }

  @Override
  public int dim() {
    return dim;
  }

  @Override
  public int contextDim() {
    return contextDim;
  }

  @Override
  public void initialize(double[] theta, SplittableRandom rng) {
    double[] id = element.identityParams();
    double[] bias = new double[transformed.length * paramsPerDim];
    for (int j = 0; j < transformed.length; j++) {
      System.arraycopy(id, 0, bias, j * paramsPerDim, paramsPerDim);
    }
    conditioner.initialize(theta, rng, bias);
  }

  @Override
  public void forward(double[] theta, double[] z, double[] x, double[] logDet, int n, Workspace ws) {
    apply(theta, z, null, x, logDet, n, ws, true);
  }

  @Override
  public void inverse(double[] theta, double[] x, double[] z, double[] logDet, int n, Workspace ws) {
    apply(theta, x, null, z, logDet, n, ws, false);
  }

  @Override
  public void forward(double[] theta, double[] z, double[] c, double[] x, double[] logDet, int n, Workspace ws) {
    apply(theta, z, c, x, logDet, n, ws, true);
  }

  @Override
  public void inverse(double[] theta, double[] x, double[] c, double[] z, double[] logDet, int n, Workspace ws) {
    apply(theta, x, c, z, logDet, n, ws, false);
  }

  private void apply(double[] theta, double[] in, double[] c, double[] out, double[] logDet, int n, Workspace ws,
                     boolean forward) {
    ContextRows.require(c, contextDim, "this coupling layer");
    double[] cond = ws.take(n * condWidth);
    gather(in, c, cond, n);
    double[] params = ws.take(n * transformed.length * paramsPerDim);
    conditioner.forward(theta, cond, n, params, ws);
    elementwise(in, params, out, logDet, n, forward, ws.take(element.scratchSize()));
  }

  private void elementwise(double[] in, double[] params, double[] out, double[] logDet, int n, boolean forward,
                           double[] scratch) {
    int nTr = transformed.length;
    for (int r = 0; r < n; r++) {
      int ro = r * dim;
      for (int i : identity) {
        out[ro + i] = in[ro + i];
      }
      double ld = 0.0;
      int po = r * nTr * paramsPerDim;
      for (int j = 0; j < nTr; j++) {
        int idx = ro + transformed[j];
        int off = po + j * paramsPerDim;
        ld += forward
            ? element.forward(in[idx], params, off, out, idx, scratch)
            : element.inverse(in[idx], params, off, out, idx, scratch);
      }
      logDet[r] += ld;
    }
  }

  /** The conditioner input of each row: the kept dimensions, then (when conditional) the context. */
  private void gather(double[] in, double[] c, double[] cond, int n) {
    int nId = identity.length;
    for (int r = 0; r < n; r++) {
      for (int a = 0; a < nId; a++) {
        cond[r * condWidth + a] = in[r * dim + identity[a]];
      }
    }
    if (contextDim > 0) {
      ContextRows.copyInto(c, contextDim, cond, condWidth, nId, n);
    }
  }

  @Override
  public Trace inverseTrace(double[] theta, double[] x, double[] z, double[] logDet, int n) {
    return trace(theta, x, null, z, logDet, n, false);
  }

  @Override
  public Trace forwardTrace(double[] theta, double[] z, double[] x, double[] logDet, int n) {
    return trace(theta, z, null, x, logDet, n, true);
  }

  @Override
  public Trace inverseTrace(double[] theta, double[] x, double[] c, double[] z, double[] logDet, int n) {
    return trace(theta, x, c, z, logDet, n, false);
  }

  @Override
  public Trace forwardTrace(double[] theta, double[] z, double[] c, double[] x, double[] logDet, int n) {
    return trace(theta, z, c, x, logDet, n, true);
  }

  private Trace trace(double[] theta, double[] in, double[] c, double[] out, double[] logDet, int n,
                      boolean forward) {
    ContextRows.require(c, contextDim, "this coupling layer");
    double[] cond = new double[n * condWidth];
    gather(in, c, cond, n);
    Mlp.Trace mt = conditioner.forwardTrace(theta, cond, n);
    double[] params = mt.output();
    elementwise(in, params, out, logDet, n, forward, new double[element.scratchSize()]);
    return new CouplingTrace(in.clone(), params, mt);
  }

  @Override
  public void inverseBackward(double[] theta, Trace trace, double[] gz, double[] gLogDet, double[] gx,
                              double[] gTheta) {
    backward(theta, (CouplingTrace) trace, gz, gLogDet, gx, gTheta, false);
  }

  @Override
  public void forwardBackward(double[] theta, Trace trace, double[] gx, double[] gLogDet, double[] gz,
                              double[] gTheta) {
    backward(theta, (CouplingTrace) trace, gx, gLogDet, gz, gTheta, true);
  }

  private void backward(double[] theta, CouplingTrace t, double[] gOut, double[] gLogDet, double[] gIn,
                        double[] gTheta, boolean forward) {
    double[] in = t.input();
    double[] params = t.params();
    int n = in.length / dim;
    int nTr = transformed.length;
    int nId = identity.length;
    double[] gParams = new double[params.length];
    for (int r = 0; r < n; r++) {
      int ro = r * dim;
      int po = r * nTr * paramsPerDim;
      for (int j = 0; j < nTr; j++) {
        int idx = ro + transformed[j];
        int off = po + j * paramsPerDim;
        gIn[idx] = forward
            ? element.forwardBackward(in[idx], params, off, gOut[idx], gLogDet[r], gParams, off)
            : element.inverseBackward(in[idx], params, off, gOut[idx], gLogDet[r], gParams, off);
      }
    }
    // The context columns of gCond (dL/dc) are computed and dropped: the context is not a variable.
    double[] gCond = new double[n * condWidth];
    conditioner.backward(theta, t.mlp(), gParams, gCond, gTheta);
    for (int r = 0; r < n; r++) {
      int ro = r * dim;
      for (int a = 0; a < nId; a++) {
        gIn[ro + identity[a]] = gOut[ro + identity[a]] + gCond[r * condWidth + a];
      }
    }
  }
}
