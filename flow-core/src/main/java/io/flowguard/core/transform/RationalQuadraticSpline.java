package io.flowguard.core.transform;

/**
 * The monotone rational-quadratic spline element of Neural Spline Flows (Durkan et al. 2019), built on
 * the monotone rational-quadratic interpolant of Gregory &amp; Delbourgo (1982).
 *
 * <p><b>Domain and tails.</b> On {@code [-B, B]} the map is a spline of {@code K} bins whose knots run
 * from {@code (-B, -B)} to {@code (B, B)}; outside it is the identity with log-derivative exactly 0.
 * The two outermost knot derivatives are fixed at 1, so value and slope are continuous where the
 * spline meets the tails (the map is C1 everywhere). The tails are what make the element total: a
 * far outlier at scoring time passes through unchanged instead of producing NaN. An input exactly at
 * {@code -B} or {@code B} is treated as tail; the spline gives the same value and slope there, so the choice only
 * decides which code path runs.
 *
 * <p><b>Parameters.</b> {@code 3K - 1} raw values per element, laid out as {@code K} unnormalized bin
 * widths, {@code K} unnormalized bin heights and {@code K - 1} unnormalized interior knot derivatives.
 * Widths are {@code 2B * (minW + (1 - K minW) softmax(uw))}, heights likewise with {@code minH}: the
 * softmax makes them positive and sum to the interval, the floor keeps every bin from collapsing (a
 * zero-width bin has an infinite slope ratio). Interior derivatives are
 * {@code minD + softplus(ud + c)} with {@code c = log(expm1(1 - minD))}, so {@code softplus(c) = 1 - minD}
 * and raw zero means derivative 1 (to rounding). Without the shift, raw zero would give
 * {@code minD + log 2}, and the zero vector would not be the identity. With it, zero raw parameters give
 * uniform bins (widths and heights computed by the same arithmetic, so slope ratio exactly 1) with unit
 * knot slopes, where the rational-quadratic formula reduces to {@code y = x}: that is
 * {@link #identityParams()}.
 *
 * <p><b>Evaluation.</b> Knots are accumulated on the fly in one pass that also finds the bin, so forward
 * and inverse never allocate; the few per-bin values they hand each other go through a scratch array,
 * the caller's (from its workspace) on the inference path, else a per-thread one. The inverse solves the bin's quadratic with the cancellation-free root
 * {@code 2c / (-b - sqrt(b^2 - 4ac))}, polished by one Newton step on the forward map. Gradients are
 * written out by hand (the inverse through the implicit function theorem) and recomputed in the
 * backward methods, which keeps the element stateless.
 */
public final class RationalQuadraticSpline implements ElementwiseBijection {

  public static final double DEFAULT_MIN_BIN_WIDTH = 1e-3;
  public static final double DEFAULT_MIN_BIN_HEIGHT = 1e-3;
  public static final double DEFAULT_MIN_DERIVATIVE = 1e-3;

  // Slots of the per-thread scratch a bin search fills.
  private static final int BIN = 0;
  private static final int XK = 1;
  private static final int W = 2;
  private static final int YK = 3;
  private static final int H = 4;
  private static final int D0 = 5;
  private static final int D1 = 6;
  private static final int MAX_W = 7;
  private static final int SUM_W = 8;
  private static final int SIG_CUM_W = 9;
  private static final int SIG_W = 10;
  private static final int MAX_H = 11;
  private static final int SUM_H = 12;
  private static final int SIG_CUM_H = 13;
  private static final int SIG_H = 14;
  private static final int SCRATCH_SIZE = 15;
  // Backward passes also keep the bin's partial derivatives (of R and of the log-derivative L) there.
  private static final int R = 15;
  private static final int R_XI = 16;
  private static final int R_S = 17;
  private static final int R_D0 = 18;
  private static final int R_D1 = 19;
  private static final int L_XI = 20;
  private static final int L_S = 21;
  private static final int L_D0 = 22;
  private static final int L_D1 = 23;
  private static final int BACKWARD_SCRATCH_SIZE = 24;

  // For the methods without a scratch argument (training, direct callers); the inference loops pass
  // workspace scratch instead. Static is safe: no method holds it across a call to another one.
  private static final ThreadLocal<double[]> SCRATCH = ThreadLocal.withInitial(() -> new double[BACKWARD_SCRATCH_SIZE]);

  private final int bins;
  private final double bound;
  private final double minBinWidth;
  private final double minBinHeight;
  private final double minDerivative;
  private final double derivativeShift;

  /** A spline with the default minimum bin width, height and derivative (1e-3 each). */
  public RationalQuadraticSpline(int bins, double bound) {
    this(bins, bound, DEFAULT_MIN_BIN_WIDTH, DEFAULT_MIN_BIN_HEIGHT, DEFAULT_MIN_DERIVATIVE);
  }

  /**
   * @param bins number of bins K, at least 1
   * @param bound half-width B of the spline interval {@code [-B, B]}; identity outside
   * @param minBinWidth smallest bin width as a fraction of {@code 2B}; positive, {@code K * minBinWidth < 1}
   * @param minBinHeight smallest bin height as a fraction of {@code 2B}; positive, {@code K * minBinHeight < 1}
   * @param minDerivative smallest interior knot derivative; in {@code (0, 1)} so that 1 stays reachable
   */
  public RationalQuadraticSpline(int bins, double bound, double minBinWidth, double minBinHeight,
                                 double minDerivative) {
    if (bins < 1) {
      throw new IllegalArgumentException("a spline needs at least one bin, got " + bins);
    }
    if (!(bound > 0) || Double.isInfinite(bound)) {
      throw new IllegalArgumentException("the spline bound must be positive and finite, got " + bound);
    }
    if (!(minBinWidth > 0) || !(bins * minBinWidth < 1)) {
      throw new IllegalArgumentException("the minimum bin width must be positive with bins * minBinWidth < 1, got "
          + minBinWidth + " for " + bins + " bins");
    }
    if (!(minBinHeight > 0) || !(bins * minBinHeight < 1)) {
      throw new IllegalArgumentException("the minimum bin height must be positive with bins * minBinHeight < 1, got "
          + minBinHeight + " for " + bins + " bins");
    }
    if (!(minDerivative > 0) || !(minDerivative < 1)) {
      throw new IllegalArgumentException("the minimum derivative must lie in (0, 1), got " + minDerivative);
    }
    this.bins = bins;
    this.bound = bound;
    this.minBinWidth = minBinWidth;
    this.minBinHeight = minBinHeight;
    this.minDerivative = minDerivative;
    // softplus(c) = 1 - minD, so raw zero gives derivative 1 and the zero vector is the identity.
    this.derivativeShift = Math.log(Math.expm1(1.0 - minDerivative));
  }

  public int bins() {
    return bins;
  }

  public double bound() {
    return bound;
  }

  public double minBinWidth() {
    return minBinWidth;
  }

  public double minBinHeight() {
    return minBinHeight;
  }

  public double minDerivative() {
    return minDerivative;
  }

  @Override
  public int paramsPerDim() {
    return 3 * bins - 1;
  }

  @Override
  public double[] identityParams() {
    return new double[3 * bins - 1];
  }

  /** False also for NaN, which then passes through the tail unchanged rather than poisoning a search. */
  private boolean inside(double v) {
    return Math.abs(v) < bound;
  }

  @Override
  public int scratchSize() {
    return SCRATCH_SIZE;
  }

  @Override
  public double forward(double z, double[] p, int off, double[] out, int outIdx) {
    return forward(z, p, off, out, outIdx, SCRATCH.get());
  }

  @Override
  public double inverse(double x, double[] p, int off, double[] out, int outIdx) {
    return inverse(x, p, off, out, outIdx, SCRATCH.get());
  }

  @Override
  public double forward(double z, double[] p, int off, double[] out, int outIdx, double[] b) {
    if (!inside(z)) {
      out[outIdx] = z;
      return 0.0;
    }
    locate(z, p, off, false, b);
    double xk = b[XK];
    double w = b[W];
    double h = b[H];
    double d0 = b[D0];
    double d1 = b[D1];
    double s = h / w;
    double xi = (z - xk) / w;
    double q = xi * (1.0 - xi);
    double den = denominator(q, s, d0, d1);
    out[outIdx] = b[YK] + h * (s * xi * xi + d0 * q) / den;
    return logDerivative(xi, s, d0, d1, den);
  }

  @Override
  public double inverse(double x, double[] p, int off, double[] out, int outIdx, double[] b) {
    if (!inside(x)) {
      out[outIdx] = x;
      return 0.0;
    }
    locate(x, p, off, true, b);
    double w = b[W];
    double h = b[H];
    double d0 = b[D0];
    double d1 = b[D1];
    double s = h / w;
    double xi = solve(x - b[YK], h, s, d0, d1);
    double q = xi * (1.0 - xi);
    double den = denominator(q, s, d0, d1);
    out[outIdx] = b[XK] + xi * w;
    return -logDerivative(xi, s, d0, d1, den);
  }

  /**
   * log(dy/dx) = log(s^2 M / D^2). Written as (s/D)^2 M because D >= s/2 on [0, 1] (D is
   * s(1 - 2q) + (d0 + d1) q with q <= 1/4), so the ratio cannot overflow however small the bins are.
   */
  private static double logDerivative(double xi, double s, double d0, double d1, double den) {
    double om = 1.0 - xi;
    double m = d1 * xi * xi + 2.0 * s * xi * om + d0 * om * om;
    double r = s / den;
    return Math.log(r * r * m);
  }

  /**
   * The bin position xi in [0, 1] with y - y_k = rho. The quadratic is negative at 0 and non-negative at
   * 1, so it has a root there; the form 2c / (-b - sqrt(disc)) avoids the cancellation of the textbook
   * formula near xi = 0, and its denominator stays negative (b > 0 whenever c = 0).
   *
   * <p>The coefficients themselves cancel when knot derivatives are large next to the slope ratio
   * (h d0 against rho (d0 + d1 - 2s)), which costs up to d/s ulps in xi: 1e-11 with extreme parameters,
   * far above what the conditioning of the map allows. One Newton step on the forward map, whose
   * numerator and denominator are sums of non-negative terms and so evaluate to a few ulps, squares that
   * error away.
   */
  private static double solve(double rho, double h, double s, double d0, double d1) {
    double delta = d0 + d1 - 2.0 * s;
    double a = h * (s - d0) + rho * delta;
    double bq = h * d0 - rho * delta;
    double c = -s * rho;
    double disc = Math.max(0.0, bq * bq - 4.0 * a * c);
    double xi = clampUnit(2.0 * c / (-bq - Math.sqrt(disc)));
    double om = 1.0 - xi;
    double q = xi * om;
    double den = denominator(q, s, d0, d1);
    double m = d1 * xi * xi + 2.0 * s * q + d0 * om * om;
    double residual = h * (s * xi * xi + d0 * q) / den - rho;
    double slope = h * s * m / (den * den);
    // Rounding may leave the root a hair outside the bin; clamping keeps the output between its knots.
    return clampUnit(xi - residual / slope);
  }

  private static double clampUnit(double xi) {
    return Math.min(1.0, Math.max(0.0, xi));
  }

  /**
   * D = s + (d0 + d1 - 2s) q, written as s (1 - 2q) + (d0 + d1) q: with q <= 1/4 both terms are
   * non-negative, so nothing cancels when s is far from the knot derivatives.
   */
  private static double denominator(double q, double s, double d0, double d1) {
    return s * (1.0 - 2.0 * q) + (d0 + d1) * q;
  }

  /**
   * Finds the bin holding {@code v} (an input when {@code byOutput} is false, an output otherwise) and
   * writes its knots, sizes, end derivatives and the softmax statistics the backward pass needs.
   * Bin k holds {@code knot_k <= v < knot_{k+1}}; the forward and inverse searches use the very same
   * arithmetic for the knots, so a knot maps to a knot and both directions agree on the bin (up to a
   * value rounding onto the next knot, where the map is continuous). The last knot is set to B exactly
   * rather than summed, so the spline ends precisely where the tail begins. Requires {@code |v| < B}.
   */
  private void locate(double v, double[] p, int off, boolean byOutput, double[] out) {
    int k1 = off + bins;
    double maxW = Double.NEGATIVE_INFINITY;
    double maxH = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < bins; i++) {
      maxW = Math.max(maxW, p[off + i]);
      maxH = Math.max(maxH, p[k1 + i]);
    }
    double sumW = 0.0;
    double sumH = 0.0;
    for (int i = 0; i < bins; i++) {
      sumW += Math.exp(p[off + i] - maxW);
      sumH += Math.exp(p[k1 + i] - maxH);
    }
    double freeW = 1.0 - bins * minBinWidth;
    double freeH = 1.0 - bins * minBinHeight;
    double span = 2.0 * bound;
    double cumW = 0.0;
    double cumH = 0.0;
    double sigCumW = 0.0;
    double sigCumH = 0.0;
    double xl = -bound;
    double yl = -bound;
    int k = 0;
    double sigW;
    double sigH;
    double xr;
    double yr;
    while (true) {
      sigW = Math.exp(p[off + k] - maxW) / sumW;
      sigH = Math.exp(p[k1 + k] - maxH) / sumH;
      if (k == bins - 1) {
        xr = bound;
        yr = bound;
        break;
      }
      cumW += minBinWidth + freeW * sigW;
      cumH += minBinHeight + freeH * sigH;
      xr = -bound + span * cumW;
      yr = -bound + span * cumH;
      if (v < (byOutput ? yr : xr)) {
        break;
      }
      xl = xr;
      yl = yr;
      sigCumW += sigW;
      sigCumH += sigH;
      k++;
    }
    int ud = off + 2 * bins;
    out[BIN] = k;
    out[XK] = xl;
    out[W] = xr - xl;
    out[YK] = yl;
    out[H] = yr - yl;
    out[D0] = k == 0 ? 1.0 : minDerivative + softplus(p[ud + k - 1] + derivativeShift);
    out[D1] = k == bins - 1 ? 1.0 : minDerivative + softplus(p[ud + k] + derivativeShift);
    out[MAX_W] = maxW;
    out[SUM_W] = sumW;
    out[SIG_CUM_W] = sigCumW;
    out[SIG_W] = sigW;
    out[MAX_H] = maxH;
    out[SUM_H] = sumH;
    out[SIG_CUM_H] = sigCumH;
    out[SIG_H] = sigH;
  }

  @Override
  public double forwardBackward(double z, double[] p, int off, double gx, double gLogDet, double[] gp, int gpOff) {
    if (!inside(z)) {
      return gx;
    }
    double[] b = SCRATCH.get();
    locate(z, p, off, false, b);
    double w = b[W];
    double h = b[H];
    double d0 = b[D0];
    double d1 = b[D1];
    double s = h / w;
    double xi = (z - b[XK]) / w;
    partials(xi, s, d0, d1, b);
    double r = b[R];
    double rXi = b[R_XI];
    double rS = b[R_S];
    double rD0 = b[R_D0];
    double rD1 = b[R_D1];
    double lXi = b[L_XI];
    double lS = b[L_S];
    double lD0 = b[L_D0];
    double lD1 = b[L_D1];

    double gXi = gx * h * rXi + gLogDet * lXi;
    double gS = gx * h * rS + gLogDet * lS;
    double gD0 = gx * h * rD0 + gLogDet * lD0;
    double gD1 = gx * h * rD1 + gLogDet * lD1;
    // xi = (z - x_k) / w and s = h / w.
    double gXk = -gXi / w;
    double gW = -(gXi * xi + gS * s) / w;
    double gH = gx * r + gS / w;
    accumulateRaw(p, off, b, gXk, gW, gx, gH, gD0, gD1, gp, gpOff);
    return gXi / w;
  }

  @Override
  public double inverseBackward(double x, double[] p, int off, double gz, double gLogDet, double[] gp, int gpOff) {
    if (!inside(x)) {
      return gz;
    }
    double[] b = SCRATCH.get();
    locate(x, p, off, true, b);
    double w = b[W];
    double h = b[H];
    double d0 = b[D0];
    double d1 = b[D1];
    double s = h / w;
    double xi = solve(x - b[YK], h, s, d0, d1);
    partials(xi, s, d0, d1, b);
    double r = b[R];
    double rXi = b[R_XI];
    double rS = b[R_S];
    double rD0 = b[R_D0];
    double rD1 = b[R_D1];
    double lXi = b[L_XI];
    double lS = b[L_S];
    double lD0 = b[L_D0];
    double lD1 = b[L_D1];

    // z = x_k + xi w and log-det = -L(xi, s, d0, d1), with xi defined implicitly by
    // y_k + h R(xi, s, d0, d1) = x; lambda is dLoss/dxi divided by the bin slope h R_xi.
    double lambda = (gz * w - gLogDet * lXi) / (h * rXi);
    double gS = -gLogDet * lS - lambda * h * rS;
    double gD0 = -gLogDet * lD0 - lambda * h * rD0;
    double gD1 = -gLogDet * lD1 - lambda * h * rD1;
    double gW = gz * xi - gS * s / w;
    double gH = -lambda * r + gS / w;
    accumulateRaw(p, off, b, gz, gW, -lambda, gH, gD0, gD1, gp, gpOff);
    return lambda;
  }

  /**
   * The bin's value R(xi, s, d0, d1) (with y = y_k + h R) and the partial derivatives of R and of the
   * log-derivative L = log M + 2 log s - 2 log D at fixed (xi, s, h), into the scratch slots R .. L_D1:
   * what both backward passes chain through.
   */
  private static void partials(double xi, double s, double d0, double d1, double[] b) {
    double q = xi * (1.0 - xi);
    double om = 1.0 - xi;
    double delta = d0 + d1 - 2.0 * s;
    double den = denominator(q, s, d0, d1);
    double r = (s * xi * xi + d0 * q) / den;
    double m = d1 * xi * xi + 2.0 * s * q + d0 * om * om;
    b[R] = r;
    b[R_XI] = s * m / (den * den);
    b[R_S] = (xi * xi - r * (1.0 - 2.0 * q)) / den;
    b[R_D0] = q * (1.0 - r) / den;
    b[R_D1] = -r * q / den;
    b[L_XI] = (2.0 * d1 * xi + 2.0 * s * (1.0 - 2.0 * xi) - 2.0 * d0 * om) / m
        - 2.0 * delta * (1.0 - 2.0 * xi) / den;
    b[L_S] = 2.0 / s + 2.0 * q / m - 2.0 * (1.0 - 2.0 * q) / den;
    b[L_D0] = om * om / m - 2.0 * q / den;
    b[L_D1] = xi * xi / m - 2.0 * q / den;
  }

  /**
   * Carries gradients w.r.t. the located bin's left knots, width, height and end derivatives back to the
   * raw parameters, through the cumulative sums, the floored softmax and the shifted softplus.
   */
  private void accumulateRaw(double[] p, int off, double[] b, double gXk, double gW, double gYk, double gH,
                             double gD0, double gD1, double[] gp, int gpOff) {
    int k = (int) b[BIN];
    double span = 2.0 * bound;
    softmaxBackward(p, off, gpOff, k, span * gXk, span * gW, b[MAX_W], b[SUM_W], b[SIG_CUM_W], b[SIG_W],
        1.0 - bins * minBinWidth, gp);
    softmaxBackward(p, off + bins, gpOff + bins, k, span * gYk, span * gH, b[MAX_H], b[SUM_H], b[SIG_CUM_H],
        b[SIG_H], 1.0 - bins * minBinHeight, gp);
    int ud = 2 * bins;
    if (k > 0) {
      gp[gpOff + ud + k - 1] += gD0 * sigmoid(p[off + ud + k - 1] + derivativeShift);
    }
    if (k < bins - 1) {
      gp[gpOff + ud + k] += gD1 * sigmoid(p[off + ud + k] + derivativeShift);
    }
  }

  /**
   * The left knot is {@code -B + 2B sum_{i<k} f_i} and the bin size {@code 2B f_k}, with
   * {@code f = floor + free * softmax(u)}; so df carries {@code gLeft} on every i < k and {@code gSize} on
   * k. (The last bin's size is computed as B minus its left knot, which differs only along the all-ones
   * direction that the softmax Jacobian annihilates.)
   */
  private void softmaxBackward(double[] p, int pOff, int gOff, int k, double gLeft, double gSize, double max,
                               double sum, double sigCum, double sigK, double free, double[] gp) {
    double mean = gLeft * sigCum + gSize * sigK;
    for (int i = 0; i < bins; i++) {
      double gf = i < k ? gLeft : (i == k ? gSize : 0.0);
      double sig = Math.exp(p[pOff + i] - max) / sum;
      gp[gOff + i] += free * sig * (gf - mean);
    }
  }

  private static double softplus(double t) {
    return t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t));
  }

  private static double sigmoid(double t) {
    if (t >= 0) {
      return 1.0 / (1.0 + Math.exp(-t));
    }
    double e = Math.exp(t);
    return e / (1.0 + e);
  }
}
