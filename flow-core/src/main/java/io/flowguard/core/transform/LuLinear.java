package io.flowguard.core.transform;

import io.flowguard.core.nn.ParamKind;
import io.flowguard.core.nn.ParameterLayout;
import io.flowguard.core.nn.Workspace;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * An invertible linear map in LU form (Kingma and Dhariwal 2018, Glow's 1x1 convolution; Durkan et al.
 * 2019): density direction {@code z = L U x + b}, with L unit lower-triangular and U upper-triangular
 * with diagonal {@code exp(logDiag)}. A learned generalization of a {@link Permutation}: it mixes all
 * dimensions between layers whose structure (coupling masks, autoregressive orders) is fixed.
 *
 * <p>Why LU: the map is invertible for every parameter value (a positive diagonal), the log-determinant
 * is just {@code sum(logDiag)}, and both directions cost {@code O(d^2)} per row: a triangular product
 * one way, forward and back substitution the other, with no general inverse or determinant anywhere.
 *
 * <p>Parameters: the strict lower entries of L and the strict upper entries of U are
 * {@link ParamKind#WEIGHT}s (row-major over their triangles); {@code logDiag} and {@code b} are
 * {@link ParamKind#BIAS}es (decaying them would pull towards a unit diagonal and a zero shift, which is
 * no more a prior than any other value). Zero parameters are the identity map.
 */
public final class LuLinear implements Transform {

  private final int dim;
  private final int lowerOffset;
  private final int upperOffset;
  private final int logDiagOffset;
  private final int biasOffset;
  /** Dense row-major positions of the k-th strict lower / strict upper parameter. */
  private final int[] lowerPos;
  private final int[] upperPos;

  /** The transform's input, the intermediate after the first triangular factor, and its output. */
  private record LuTrace(double[] input, double[] middle, double[] output, int n) implements Trace {}

  public LuLinear(ParameterLayout layout, String name, int dim) {
    if (dim < 1) {
      throw new IllegalArgumentException("LuLinear needs at least one dimension, got " + dim);
    }
    this.dim = dim;
    int tri = dim * (dim - 1) / 2;
    this.lowerPos = new int[tri];
    this.upperPos = new int[tri];
    for (int i = 0, kl = 0, ku = 0; i < dim; i++) {
      for (int j = 0; j < dim; j++) {
        if (j < i) {
          lowerPos[kl++] = i * dim + j;
        } else if (j > i) {
          upperPos[ku++] = i * dim + j;
        }
      }
    }
    this.lowerOffset = layout.allocate(name + ".lower", tri, ParamKind.WEIGHT);
    this.upperOffset = layout.allocate(name + ".upper", tri, ParamKind.WEIGHT);
    this.logDiagOffset = layout.allocate(name + ".logDiag", dim, ParamKind.BIAS);
    this.biasOffset = layout.allocate(name + ".bias", dim, ParamKind.BIAS);
  }

  @Override
  public int dim() {
    return dim;
  }

  /** The identity map. */
  @Override
  public void initialize(double[] theta, SplittableRandom rng) {
    int tri = lowerPos.length;
    Arrays.fill(theta, lowerOffset, lowerOffset + tri, 0.0);
    Arrays.fill(theta, upperOffset, upperOffset + tri, 0.0);
    Arrays.fill(theta, logDiagOffset, logDiagOffset + dim, 0.0);
    Arrays.fill(theta, biasOffset, biasOffset + dim, 0.0);
  }

  /** L as a dense row-major d x d matrix: unit diagonal, parameters below it, zeros above. */
  public double[] lower(double[] theta) {
    double[] l = new double[dim * dim];
    fillLower(theta, l);
    return l;
  }

  /** U as a dense row-major d x d matrix: {@code exp(logDiag)} on the diagonal, parameters above it. */
  public double[] upper(double[] theta) {
    double[] u = new double[dim * dim];
    fillUpper(theta, u);
    return u;
  }

  private void fillLower(double[] theta, double[] l) {
    Arrays.fill(l, 0, dim * dim, 0.0);
    for (int k = 0; k < lowerPos.length; k++) {
      l[lowerPos[k]] = theta[lowerOffset + k];
    }
    for (int i = 0; i < dim; i++) {
      l[i * dim + i] = 1.0;
    }
  }

  private void fillUpper(double[] theta, double[] u) {
    Arrays.fill(u, 0, dim * dim, 0.0);
    for (int k = 0; k < upperPos.length; k++) {
      u[upperPos[k]] = theta[upperOffset + k];
    }
    for (int i = 0; i < dim; i++) {
      u[i * dim + i] = Math.exp(theta[logDiagOffset + i]);
    }
  }

  private double sumLogDiag(double[] theta) {
    double s = 0.0;
    for (int i = 0; i < dim; i++) {
      s += theta[logDiagOffset + i];
    }
    return s;
  }

  @Override
  public void inverse(double[] theta, double[] x, double[] z, double[] logDet, int n, Workspace ws) {
    double[] l = ws.take(dim * dim);
    double[] u = ws.take(dim * dim);
    double[] mid = ws.take(dim);
    applyInverse(theta, x, z, logDet, n, l, u, mid, null);
  }

  @Override
  public void forward(double[] theta, double[] z, double[] x, double[] logDet, int n, Workspace ws) {
    double[] l = ws.take(dim * dim);
    double[] u = ws.take(dim * dim);
    double[] mid = ws.take(dim);
    applyForward(theta, z, x, logDet, n, l, u, mid, null);
  }

  /** z = L (U x) + b; keeps every row's U x in {@code middles} when it is not null. */
  private void applyInverse(double[] theta, double[] x, double[] z, double[] logDet, int n, double[] l,
                            double[] u, double[] mid, double[] middles) {
    fillLower(theta, l);
    fillUpper(theta, u);
    double ld = sumLogDiag(theta);
    for (int r = 0; r < n; r++) {
      int ro = r * dim;
      for (int i = 0; i < dim; i++) {
        double s = 0.0;
        for (int j = i; j < dim; j++) {
          s += u[i * dim + j] * x[ro + j];
        }
        mid[i] = s;
      }
      for (int i = 0; i < dim; i++) {
        double s = theta[biasOffset + i] + mid[i];
        for (int j = 0; j < i; j++) {
          s += l[i * dim + j] * mid[j];
        }
        z[ro + i] = s;
      }
      if (middles != null) {
        System.arraycopy(mid, 0, middles, ro, dim);
      }
      logDet[r] += ld;
    }
  }

  /** x = U^-1 (L^-1 (z - b)); keeps every row's L^-1 (z - b) in {@code middles} when it is not null. */
  private void applyForward(double[] theta, double[] z, double[] x, double[] logDet, int n, double[] l,
                            double[] u, double[] mid, double[] middles) {
    fillLower(theta, l);
    fillUpper(theta, u);
    double ld = -sumLogDiag(theta);
    for (int r = 0; r < n; r++) {
      int ro = r * dim;
      // Forward substitution, L y = z - b (unit diagonal: no division).
      for (int i = 0; i < dim; i++) {
        double s = z[ro + i] - theta[biasOffset + i];
        for (int j = 0; j < i; j++) {
          s -= l[i * dim + j] * mid[j];
        }
        mid[i] = s;
      }
      // Back substitution, U x = y.
      for (int i = dim - 1; i >= 0; i--) {
        double s = mid[i];
        for (int j = i + 1; j < dim; j++) {
          s -= u[i * dim + j] * x[ro + j];
        }
        x[ro + i] = s / u[i * dim + i];
      }
      if (middles != null) {
        System.arraycopy(mid, 0, middles, ro, dim);
      }
      logDet[r] += ld;
    }
  }

  @Override
  public Trace inverseTrace(double[] theta, double[] x, double[] z, double[] logDet, int n) {
    double[] middles = new double[n * dim];
    applyInverse(theta, x, z, logDet, n, new double[dim * dim], new double[dim * dim], new double[dim],
        middles);
    return new LuTrace(Arrays.copyOf(x, n * dim), middles, Arrays.copyOf(z, n * dim), n);
  }

  @Override
  public Trace forwardTrace(double[] theta, double[] z, double[] x, double[] logDet, int n) {
    double[] middles = new double[n * dim];
    applyForward(theta, z, x, logDet, n, new double[dim * dim], new double[dim * dim], new double[dim],
        middles);
    return new LuTrace(Arrays.copyOf(z, n * dim), middles, Arrays.copyOf(x, n * dim), n);
  }

  /**
   * z = L m + b, m = U x, logdet = sum(logDiag). Per row: dL/db = gz, dL/dL_ij = gz_i m_j (i > j),
   * gm = L^T gz, dL/dU_ij = gm_i x_j (i &lt;= j), dL/dx = U^T gm; the diagonal enters as
   * U_ii = exp(logDiag_i), so dL/dlogDiag_i = gm_i x_i U_ii + gLogDet.
   */
  @Override
  public void inverseBackward(double[] theta, Trace trace, double[] gz, double[] gLogDet, double[] gx,
                              double[] gTheta) {
    LuTrace t = (LuTrace) trace;
    double[] l = lower(theta);
    double[] u = upper(theta);
    double[] gL = new double[dim * dim];
    double[] gU = new double[dim * dim];
    double[] gm = new double[dim];
    double[] x = t.input();
    double[] m = t.middle();
    double gLdSum = 0.0;
    for (int r = 0; r < t.n(); r++) {
      int ro = r * dim;
      for (int i = 0; i < dim; i++) {
        double g = gz[ro + i];
        gTheta[biasOffset + i] += g;
        for (int j = 0; j < i; j++) {
          gL[i * dim + j] += g * m[ro + j];
        }
      }
      // gm = L^T gz: column j of L is 1 at row j and l_ij below.
      for (int j = 0; j < dim; j++) {
        double s = gz[ro + j];
        for (int i = j + 1; i < dim; i++) {
          s += l[i * dim + j] * gz[ro + i];
        }
        gm[j] = s;
      }
      for (int i = 0; i < dim; i++) {
        for (int j = i; j < dim; j++) {
          gU[i * dim + j] += gm[i] * x[ro + j];
        }
      }
      // gx = U^T gm.
      for (int j = 0; j < dim; j++) {
        double s = 0.0;
        for (int i = 0; i <= j; i++) {
          s += u[i * dim + j] * gm[i];
        }
        gx[ro + j] = s;
      }
      gLdSum += gLogDet[r];
    }
    accumulate(gTheta, gL, gU, u, gLdSum);
  }

  /**
   * x = U^-1 y, y = L^-1 (z - b), logdet = -sum(logDiag). For y = A^-1 c: dc = A^-T dy and
   * dA = -dc y^T on A's structural entries. So per row: gy = U^-T gx (forward substitution, U^T is
   * lower), dL/dU_ij = -gy_i x_j (i &lt;= j); gc = L^-T gy (back substitution, unit diagonal),
   * dL/dL_ij = -gc_i y_j (i > j); dL/dz = gc, dL/db = -gc; dL/dlogDiag_i = dL/dU_ii U_ii - gLogDet.
   */
  @Override
  public void forwardBackward(double[] theta, Trace trace, double[] gx, double[] gLogDet, double[] gz,
                              double[] gTheta) {
    LuTrace t = (LuTrace) trace;
    double[] l = lower(theta);
    double[] u = upper(theta);
    double[] gL = new double[dim * dim];
    double[] gU = new double[dim * dim];
    double[] gy = new double[dim];
    double[] y = t.middle();
    double[] x = t.output();
    double gLdSum = 0.0;
    for (int r = 0; r < t.n(); r++) {
      int ro = r * dim;
      // U^T gy = gx, U^T lower-triangular with (U^T)_ij = U_ji.
      for (int i = 0; i < dim; i++) {
        double s = gx[ro + i];
        for (int j = 0; j < i; j++) {
          s -= u[j * dim + i] * gy[j];
        }
        gy[i] = s / u[i * dim + i];
      }
      for (int i = 0; i < dim; i++) {
        for (int j = i; j < dim; j++) {
          gU[i * dim + j] -= gy[i] * x[ro + j];
        }
      }
      // L^T gc = gy, L^T upper-triangular with unit diagonal; gc written straight into gz.
      for (int i = dim - 1; i >= 0; i--) {
        double s = gy[i];
        for (int j = i + 1; j < dim; j++) {
          s -= l[j * dim + i] * gz[ro + j];
        }
        gz[ro + i] = s;
      }
      for (int i = 0; i < dim; i++) {
        double gc = gz[ro + i];
        gTheta[biasOffset + i] -= gc;
        for (int j = 0; j < i; j++) {
          gL[i * dim + j] -= gc * y[ro + j];
        }
      }
      gLdSum -= gLogDet[r];
    }
    accumulate(gTheta, gL, gU, u, gLdSum);
  }

  /**
   * Adds the dense-matrix gradients into the parameter blocks: structural entries only (L's unit
   * diagonal is not a parameter), and the diagonal of U through {@code U_ii = exp(logDiag_i)}.
   */
  private void accumulate(double[] gTheta, double[] gL, double[] gU, double[] u, double gLdSum) {
    for (int k = 0; k < lowerPos.length; k++) {
      gTheta[lowerOffset + k] += gL[lowerPos[k]];
    }
    for (int k = 0; k < upperPos.length; k++) {
      gTheta[upperOffset + k] += gU[upperPos[k]];
    }
    for (int i = 0; i < dim; i++) {
      int ii = i * dim + i;
      gTheta[logDiagOffset + i] += gU[ii] * u[ii] + gLdSum;
    }
  }
}
