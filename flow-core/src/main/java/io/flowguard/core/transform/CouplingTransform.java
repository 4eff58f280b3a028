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
 */
public final class CouplingTransform implements Transform {

  private final int dim;
  private final int[] identity;
  private final int[] transformed;
  private final Mlp conditioner;
  private final ElementwiseBijection element;
  private final int paramsPerDim;

  private record CouplingTrace(double[] input, double[] params, Mlp.Trace mlp) implements Trace {}

  /**
   * @param mask {@code mask[i]} true: dimension i passes through and conditions the others
   * @param hidden hidden layer widths of the conditioner
   */
  public CouplingTransform(ParameterLayout layout, String name, boolean[] mask, int[] hidden,
                           Activation activation, ElementwiseBijection element) {
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
    int[] sizes = new int[hidden.length + 2];
    sizes[0] = nId;
    System.arraycopy(hidden, 0, sizes, 1, hidden.length);
    sizes[sizes.length - 1] = transformed.length * paramsPerDim;
    this.conditioner = new Mlp(layout, name + ".net", sizes, activation, null);
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
    apply(theta, z, x, logDet, n, ws, true);
  }

  @Override
  public void inverse(double[] theta, double[] x, double[] z, double[] logDet, int n, Workspace ws) {
    apply(theta, x, z, logDet, n, ws, false);
  }

  private void apply(double[] theta, double[] in, double[] out, double[] logDet, int n, Workspace ws,
                     boolean forward) {
    double[] cond = ws.take(n * identity.length);
    gather(in, cond, n);
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

  private void gather(double[] in, double[] cond, int n) {
    int nId = identity.length;
    for (int r = 0; r < n; r++) {
      for (int a = 0; a < nId; a++) {
        cond[r * nId + a] = in[r * dim + identity[a]];
      }
    }
  }

  @Override
  public Trace inverseTrace(double[] theta, double[] x, double[] z, double[] logDet, int n) {
    return trace(theta, x, z, logDet, n, false);
  }

  @Override
  public Trace forwardTrace(double[] theta, double[] z, double[] x, double[] logDet, int n) {
    return trace(theta, z, x, logDet, n, true);
  }

  private Trace trace(double[] theta, double[] in, double[] out, double[] logDet, int n, boolean forward) {
    double[] cond = new double[n * identity.length];
    gather(in, cond, n);
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
    double[] gCond = new double[n * nId];
    conditioner.backward(theta, t.mlp(), gParams, gCond, gTheta);
    for (int r = 0; r < n; r++) {
      int ro = r * dim;
      for (int a = 0; a < nId; a++) {
        gIn[ro + identity[a]] = gOut[ro + identity[a]] + gCond[r * nId + a];
      }
    }
  }
}
