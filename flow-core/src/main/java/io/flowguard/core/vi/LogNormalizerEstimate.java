package io.flowguard.core.vi;

/**
 * What {@link ReverseKl#estimateLogNormalizer} measured from {@code samples} draws of q.
 *
 * @param logZ the importance-sampling estimate {@code log mean(p~(x) / q(x))}
 * @param standardError the delta-method standard error of {@code logZ}, {@code sd(w) / (mean(w) sqrt(n))};
 *     trustworthy only when the effective sample size is a sizeable fraction of the samples
 * @param elbo the mean log weight, the Monte-Carlo ELBO ({@code <= log Z} in expectation)
 * @param elboStandardError its standard error, {@code sd(log w) / sqrt(n)}
 * @param effectiveSampleSize Kish's {@code (sum w)^2 / sum w^2}, between 1 and {@code samples}
 * @param samples the number of draws
 * @param nonFinite draws with a non-finite log weight (outside the target's support: weight 0, or a
 *     numerical failure); 0 in a healthy run
 */
public record LogNormalizerEstimate(double logZ, double standardError, double elbo, double elboStandardError,
                                    double effectiveSampleSize, int samples, int nonFinite) {

  /** The estimate from log importance weights; non-finite ones count as weight zero. */
  public static LogNormalizerEstimate fromLogWeights(double[] logWeights) {
    int n = logWeights.length;
    double max = Double.NEGATIVE_INFINITY;
    int bad = 0;
    for (double v : logWeights) {
      if (Double.isFinite(v)) {
        max = Math.max(max, v);
      } else {
        bad++;
      }
    }
    if (bad == n) {
      return new LogNormalizerEstimate(Double.NEGATIVE_INFINITY, Double.NaN, Double.NEGATIVE_INFINITY, Double.NaN,
          0, n, bad);
    }
    // Weights scaled by exp(-max) so the largest is 1: no overflow, and the scale cancels in every ratio.
    double sumW = 0.0;
    double sumW2 = 0.0;
    for (double v : logWeights) {
      if (Double.isFinite(v)) {
        double w = Math.exp(v - max);
        sumW += w;
        sumW2 += w * w;
      }
    }
    double meanW = sumW / n;
    double varW = 0.0;
    for (double v : logWeights) {
      double w = Double.isFinite(v) ? Math.exp(v - max) : 0.0;
      varW += (w - meanW) * (w - meanW);
    }
    varW /= n - 1;
    double se = Math.sqrt(Math.max(varW, 0.0) / n) / meanW;
    double elbo = Double.NEGATIVE_INFINITY;
    double elboVar = Double.NaN;
    if (bad == 0) {
      // Two passes: subtracting the mean first avoids the cancellation of E[v^2] - E[v]^2.
      double sum = 0.0;
      for (double v : logWeights) {
        sum += v;
      }
      elbo = sum / n;
      double ss = 0.0;
      for (double v : logWeights) {
        ss += (v - elbo) * (v - elbo);
      }
      elboVar = ss / (n - 1);
    }
    return new LogNormalizerEstimate(max + Math.log(meanW), se, elbo, Math.sqrt(Math.max(elboVar, 0.0) / n),
        sumW * sumW / sumW2, n, bad);
  }
}
