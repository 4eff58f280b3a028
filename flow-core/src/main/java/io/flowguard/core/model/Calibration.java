package io.flowguard.core.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * What "normal" looks like in NLL terms, learned from the negative log-likelihoods (nats, raw-feature
 * space, i.e. including the preprocessor's log-Jacobian) of held-out normal validation data.
 *
 * <p><b>Tail probability</b> ({@link #tailProbability}): the estimated {@code P(NLL >= t)} for a normal
 * event, built from two pieces joined at the threshold {@code u} (the empirical 0.9 quantile):
 * <ul>
 *   <li>below {@code u}, the empirical survival function of the sorted validation NLLs with Weibull
 *       plotting positions: the order statistic of 0-based rank {@code r} (ascending) gets
 *       {@code (n - r) / (n + 1)}, i.e. (number of validation NLLs at or above it) / (n + 1). That is
 *       never 0 nor 1, so the sample maximum is not called impossible. Between order statistics it is
 *       interpolated linearly; below the sample minimum it is 1.</li>
 *   <li>at and above {@code u}, a generalized Pareto tail
 *       {@code pTail * (1 + xi (t - u) / sigma)^(-1/xi)}, with {@code pTail} the plotting-position
 *       exceedance fraction at {@code u} (NLLs at or above {@code u}, over n + 1).</li>
 * </ul>
 * Because {@code pTail} is exactly the empirical value at {@code u}, the two pieces meet continuously
 * there; both are non-increasing, so the whole function is. Results are floored at
 * {@link #MIN_TAIL_PROBABILITY} (beyond the endpoint of a bounded tail, or where the GPD underflows), so
 * a probability is never 0 and its logarithm stays finite.
 *
 * <p><b>Tail fit.</b> With at least {@link #MIN_GPD_EXCEEDANCES} validation NLLs strictly above
 * {@code u}, the GPD is fitted to the exceedances by maximum likelihood ({@link GeneralizedPareto#fit}).
 * With fewer, a 3-parameter fit is not trustworthy and the tail is exponential ({@code xi = 0},
 * {@code sigma} = mean exceedance): the light-tailed limit that the NLL of a Gaussian-based flow
 * (chi-square-like) approaches. With no exceedance at all (every value from {@code u} up is tied),
 * {@code sigma} is the standard deviation of all validation NLLs, a deliberately wide guess.
 *
 * <p><b>Typicality</b> (Nalisnick et al. 2019, "Detecting out-of-distribution inputs to deep generative
 * models using typicality"): a window of M events is atypical when {@code |mean NLL - H| > eps(M, alpha)},
 * with {@code H} the mean validation NLL (an entropy estimate) and {@code eps} the alpha-quantile of
 * {@code |mean - H|} over bootstrap windows of M NLLs drawn from the calibration's fitted distribution
 * (validation NLLs drawn with replacement, those above {@code u} replaced by draws from the fitted tail),
 * with the estimation error of {@code H} added. The default of {@link #DEFAULT_BOOTSTRAP} windows keeps
 * the Monte Carlo error of eps small: with 5000 (before 2026-12-07) eps(32, 0.99) of one model came out 4.5 %
 * below its converged value and its windows alarmed at 1.55 % instead of 1 %. What remains is the
 * sampling error of the validation set itself (n NLLs): across independent validation sets of 6000, the
 * alarm rate at alpha 0.99 varies by about 0.0015 (bench/results-typicality-calibration-2026-12-07-v2.txt).
 *
 * <p>Immutable and thread-safe; {@link #tailProbability} allocates nothing.
 */
public final class Calibration {

  /** The empirical quantile whose value is the tail threshold {@code u}. */
  public static final double TAIL_QUANTILE = 0.9;
  /** Fewer exceedances than this and the tail is exponential instead of a GPD fit. */
  public static final int MIN_GPD_EXCEEDANCES = 20;
  /** At most this many order statistics are stored. */
  public static final int MAX_QUANTILES = 4096;
  /** Smallest validation set {@link #fit} accepts. */
  public static final int MIN_VALIDATION = 10;
  /** The floor of {@link #tailProbability}. */
  public static final double MIN_TAIL_PROBABILITY = 1e-300;
  /** Default window sizes for typicality thresholds. */
  public static final List<Integer> DEFAULT_WINDOWS = List.of(1, 8, 32, 128);
  /** Default confidence levels for typicality thresholds. */
  public static final List<Double> DEFAULT_ALPHAS = List.of(0.99, 0.999);
  /** Default number of bootstrap windows per window size. */
  public static final int DEFAULT_BOOTSTRAP = 100_000;

  /** How the tail above the threshold is modelled. */
  public enum TailKind {
    /** A maximum-likelihood generalized Pareto fit. */
    GPD,
    /** An exponential tail (too few exceedances for a GPD fit). */
    EXPONENTIAL
  }

  /**
   * The tail above the threshold.
   *
   * @param kind how it was fitted
   * @param threshold {@code u}, the empirical {@link #TAIL_QUANTILE} quantile of the validation NLLs
   * @param probability {@code pTail}: the estimated {@code P(NLL >= u)}, in (0, 1)
   * @param xi GPD shape (0 for {@link TailKind#EXPONENTIAL})
   * @param sigma GPD scale, positive
   * @param exceedances number of validation NLLs strictly above {@code u}
   */
  public record Tail(TailKind kind, double threshold, double probability, double xi, double sigma,
                     int exceedances) {
    public Tail {
      Objects.requireNonNull(kind, "tail kind");
      if (!Double.isFinite(threshold) || !(probability > 0 && probability < 1) || exceedances < 0) {
        throw new IllegalArgumentException("tail threshold " + threshold + " must be finite, probability "
            + probability + " in (0, 1), exceedances " + exceedances + " non-negative");
      }
      new GeneralizedPareto.Fit(xi, sigma); // validates the shape and scale
      if (kind == TailKind.EXPONENTIAL && xi != 0.0) {
        throw new IllegalArgumentException("an exponential tail has xi = 0, got " + xi);
      }
    }
  }

  /**
   * One typicality threshold.
   *
   * @param window the window size M
   * @param alpha the confidence level: a normal window is flagged with probability about 1 - alpha
   * @param epsilon the alarm threshold on {@code |mean NLL - H|}, nats
   */
  public record TypicalityThreshold(int window, double alpha, double epsilon) {
    public TypicalityThreshold {
      if (window < 1 || !(alpha > 0 && alpha < 1) || !(epsilon >= 0) || !Double.isFinite(epsilon)) {
        throw new IllegalArgumentException("typicality threshold needs window >= 1, alpha in (0, 1) and a finite"
            + " epsilon >= 0, got window " + window + ", alpha " + alpha + ", epsilon " + epsilon);
      }
    }
  }

  /**
   * The typicality thresholds and how they were bootstrapped.
   *
   * @param bootstrap resampled windows per window size
   * @param seed the seed of the resampling
   * @param thresholds one per (window, alpha), no duplicates
   */
  public record Typicality(int bootstrap, long seed, List<TypicalityThreshold> thresholds) {
    public Typicality {
      if (bootstrap < 1) {
        throw new IllegalArgumentException("bootstrap count must be positive, got " + bootstrap);
      }
      thresholds = List.copyOf(thresholds);
      for (int i = 0; i < thresholds.size(); i++) {
        for (int j = 0; j < i; j++) {
          if (thresholds.get(i).window() == thresholds.get(j).window()
              && Double.compare(thresholds.get(i).alpha(), thresholds.get(j).alpha()) == 0) {
            throw new IllegalArgumentException("duplicate typicality threshold for window "
                + thresholds.get(i).window() + ", alpha " + thresholds.get(i).alpha());
          }
        }
      }
    }
  }

  private final double entropy;
  private final long count;
  private final double[] quantiles;
  private final Tail tail;
  private final Typicality typicality;
  /** Knots of the empirical piece: NLL values below u (strictly increasing), then u itself. */
  private final double[] knotNll;
  /** Survival at each knot (strictly decreasing), ending with pTail. */
  private final double[] knotSurvival;
  private final GeneralizedPareto.Fit gpd;

  /**
   * Restores a calibration from its stored parts (e.g. from a model file). Use {@link #fit} to learn one.
   *
   * @param entropy {@code H}, the mean validation NLL
   * @param count the number of validation NLLs, n
   * @param quantiles the sorted validation NLLs if {@code n <= 4096}, else the 4096 order statistics of
   *     ranks {@code floor(j (n - 1) / 4095)}, j = 0..4095
   * @throws IllegalArgumentException if the parts are inconsistent
   */
  public Calibration(double entropy, long count, double[] quantiles, Tail tail, Typicality typicality) {
    this.entropy = entropy;
    this.count = count;
    this.quantiles = quantiles.clone();
    this.tail = Objects.requireNonNull(tail, "tail");
    this.typicality = Objects.requireNonNull(typicality, "typicality");
    if (!Double.isFinite(entropy)) {
      throw new IllegalArgumentException("entropy must be finite, got " + entropy);
    }
    if (count < 2 || count > Integer.MAX_VALUE) {
      // The upper bound is what fit can produce (one array) and keeps rank arithmetic in range.
      throw new IllegalArgumentException("calibration needs between 2 and " + Integer.MAX_VALUE
          + " validation NLLs, got " + count);
    }
    int m = this.quantiles.length;
    if (m != Math.min(count, MAX_QUANTILES)) {
      throw new IllegalArgumentException("expected " + Math.min(count, MAX_QUANTILES) + " order statistics for "
          + count + " validation NLLs, got " + m);
    }
    for (int j = 0; j < m; j++) {
      if (!Double.isFinite(this.quantiles[j]) || (j > 0 && this.quantiles[j] < this.quantiles[j - 1])) {
        throw new IllegalArgumentException("order statistics must be finite and sorted; entry " + j + " is "
            + this.quantiles[j]);
      }
    }
    double u = tail.threshold();
    if (u < this.quantiles[0] || u > this.quantiles[m - 1]) {
      throw new IllegalArgumentException("tail threshold " + u + " lies outside the validation NLLs ["
          + this.quantiles[0] + ", " + this.quantiles[m - 1] + "]");
    }
    // Knots: each distinct stored value below u with its plotting-position survival (for tied values the
    // first rank, i.e. the largest survival, since P(NLL >= v) counts every tie), then (u, pTail).
    double[] kx = new double[m + 1];
    double[] ks = new double[m + 1];
    int k = 0;
    for (int j = 0; j < m && this.quantiles[j] < u; j++) {
      if (k > 0 && this.quantiles[j] == kx[k - 1]) {
        continue;
      }
      kx[k] = this.quantiles[j];
      ks[k] = (count - rank(j, count, m)) / (count + 1.0);
      k++;
    }
    kx[k] = u;
    ks[k] = tail.probability();
    k++;
    if (k > 1 && !(ks[k - 1] < ks[k - 2])) {
      throw new IllegalArgumentException("tail probability " + tail.probability()
          + " at the threshold is not below the empirical survival " + ks[k - 2] + " of the order statistics under it");
    }
    knotNll = Arrays.copyOf(kx, k);
    knotSurvival = Arrays.copyOf(ks, k);
    gpd = new GeneralizedPareto.Fit(tail.xi(), tail.sigma());
  }

  /** Calibrates with the default windows {1, 8, 32, 128}, alphas {0.99, 0.999} and 100 000 resamples. */
  public static Calibration fit(double[] validationNll, long seed) {
    return fit(validationNll, seed, DEFAULT_WINDOWS, DEFAULT_ALPHAS, DEFAULT_BOOTSTRAP);
  }

  /**
   * Calibrates from held-out validation NLLs (nats, raw-feature space).
   *
   * @param validationNll at least {@link #MIN_VALIDATION} finite values
   * @param seed seeds the typicality bootstrap (the rest is deterministic)
   * @param windows typicality window sizes, each at least 1
   * @param alphas typicality confidence levels, each in (0, 1)
   * @param bootstrap resampled windows per window size
   */
  public static Calibration fit(double[] validationNll, long seed, List<Integer> windows, List<Double> alphas,
                                int bootstrap) {
    int n = validationNll.length;
    if (n < MIN_VALIDATION) {
      throw new IllegalArgumentException("calibration needs at least " + MIN_VALIDATION
          + " validation NLLs, got " + n + "; hold out more validation data");
    }
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
      if (!Double.isFinite(validationNll[i])) {
        throw new IllegalArgumentException("validation NLL " + i + " is " + validationNll[i]
            + ": the flow produced a non-finite density on normal data");
      }
      sum += validationNll[i];
    }
    double entropy = sum / n;
    double[] sorted = validationNll.clone();
    Arrays.sort(sorted);

    int m = Math.min(n, MAX_QUANTILES);
    double[] table = new double[m];
    for (int j = 0; j < m; j++) {
      table[j] = sorted[rank(j, n, m)];
    }

    // u is an order statistic; with ties, take the first rank so that pTail counts every tied value.
    int k = (int) Math.floor(TAIL_QUANTILE * (n - 1));
    while (k > 0 && sorted[k - 1] == sorted[k]) {
      k--;
    }
    double u = sorted[k];
    double pTail = (n - k) / (n + 1.0);
    int first = k;
    while (first < n && sorted[first] == u) {
      first++;
    }
    double[] excess = new double[n - first];
    for (int i = first; i < n; i++) {
      excess[i - first] = sorted[i] - u;
    }
    Tail tail;
    if (excess.length >= MIN_GPD_EXCEEDANCES) {
      GeneralizedPareto.Fit f = GeneralizedPareto.fit(excess);
      tail = new Tail(TailKind.GPD, u, pTail, f.xi(), f.sigma(), excess.length);
    } else if (excess.length > 0) {
      double mean = 0.0;
      for (double e : excess) {
        mean += e;
      }
      tail = new Tail(TailKind.EXPONENTIAL, u, pTail, 0.0, mean / excess.length, excess.length);
    } else {
      double ss = 0.0;
      for (double v : sorted) {
        ss += (v - entropy) * (v - entropy);
      }
      double sd = Math.max(Math.sqrt(ss / n), 1e-6 * Math.max(1.0, Math.abs(u)));
      tail = new Tail(TailKind.EXPONENTIAL, u, pTail, 0.0, sd, 0);
    }
    return new Calibration(entropy, n, table,
        tail, bootstrapTypicality(sorted, first, tail, entropy, seed, windows, alphas, bootstrap));
  }

  /**
   * For each window size M, draws {@code bootstrap} windows of M NLLs from the calibration's own fitted
   * distribution and takes the alpha-quantile of {@code |mean - H + e|}: the smallest resampled value with at
   * least a fraction alpha of the resamples at or below it (order statistic {@code ceil(alpha B)}).
   *
   * <p>One draw picks a validation NLL uniformly (with replacement); if it is a tail exceedance (strictly
   * above {@code u}), it is replaced by {@code u} plus a draw from the fitted tail (GPD or exponential). So
   * the body is the empirical distribution and the tail beyond {@code u} is the same model that
   * {@link #tailProbability} uses, with the same exceedance probability: a finite validation set's largest
   * values no longer cap the window means. {@code e ~ N(0, s^2 / n)} (s the validation NLLs' standard
   * deviation) is the estimation error of {@code H} itself, which a stream's windows are compared against
   * but a resample centred on the sample mean would not see.
   */
  private static Typicality bootstrapTypicality(double[] sorted, int firstExceedance, Tail tail, double entropy,
                                                long seed, List<Integer> windows, List<Double> alphas,
                                                int bootstrap) {
    if (bootstrap < 1) {
      throw new IllegalArgumentException("bootstrap count must be positive, got " + bootstrap);
    }
    int n = sorted.length;
    double ss = 0.0;
    for (double v : sorted) {
      ss += (v - entropy) * (v - entropy);
    }
    double entropyError = Math.sqrt(ss / (n - 1.0) / n);
    double u = tail.threshold();
    GeneralizedPareto.Fit fitted = new GeneralizedPareto.Fit(tail.xi(), tail.sigma());
    SplittableRandom rng = new SplittableRandom(seed);
    List<TypicalityThreshold> out = new ArrayList<>();
    double[] stat = new double[bootstrap];
    for (int window : windows) {
      if (window < 1) {
        throw new IllegalArgumentException("typicality window sizes must be at least 1, got " + window);
      }
      for (int b = 0; b < bootstrap; b++) {
        double s = 0.0;
        for (int i = 0; i < window; i++) {
          int r = rng.nextInt(n);
          // 1 - nextDouble() is in (0, 1], the domain of inverseSurvival.
          s += r < firstExceedance ? sorted[r] : u + fitted.inverseSurvival(1.0 - rng.nextDouble());
        }
        stat[b] = Math.abs(s / window - entropy + entropyError * rng.nextGaussian());
      }
      Arrays.sort(stat);
      for (double alpha : alphas) {
        if (!(alpha > 0 && alpha < 1)) {
          throw new IllegalArgumentException("typicality alpha must be in (0, 1), got " + alpha);
        }
        int idx = (int) Math.ceil(alpha * bootstrap) - 1;
        out.add(new TypicalityThreshold(window, alpha, stat[Math.max(0, Math.min(bootstrap - 1, idx))]));
      }
    }
    return new Typicality(bootstrap, seed, out);
  }

  /** 0-based rank (in the full sorted sample of n) of stored order statistic j out of m. */
  static int rank(int j, long n, int m) {
    return m == n ? j : (int) ((long) j * (n - 1) / (m - 1));
  }

  /**
   * The estimated probability that a normal event has an NLL of at least {@code nll} (see the class
   * comment): in [{@link #MIN_TAIL_PROBABILITY}, 1], non-increasing, continuous at the threshold.
   *
   * @throws IllegalArgumentException for NaN
   */
  public double tailProbability(double nll) {
    if (Double.isNaN(nll)) {
      throw new IllegalArgumentException("NLL is NaN: cannot compute a tail probability");
    }
    double u = tail.threshold();
    if (nll > u) {
      double p = tail.probability() * gpd.survival(nll - u);
      return Math.max(p, MIN_TAIL_PROBABILITY);
    }
    if (nll < knotNll[0]) {
      return 1.0;
    }
    // First knot at or above nll; knotNll ends with u >= nll, so it exists.
    int lo = 0;
    int hi = knotNll.length - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (knotNll[mid] < nll) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    if (knotNll[lo] == nll) {
      return knotSurvival[lo];
    }
    double x0 = knotNll[lo - 1];
    double x1 = knotNll[lo];
    double s0 = knotSurvival[lo - 1];
    double s1 = knotSurvival[lo];
    return s0 + (s1 - s0) * ((nll - x0) / (x1 - x0));
  }

  /**
   * The NLL above which a normal event is flagged at the given false-alarm rate: the smallest {@code t}
   * with {@code tailProbability(t) <= rate}. Inverts {@link #tailProbability} exactly on its continuous
   * range; a rate at or above the survival of the smallest validation NLL returns that NLL.
   *
   * @param rate in [{@link #MIN_TAIL_PROBABILITY}, 1)
   */
  public double nllThreshold(double rate) {
    if (!(rate >= MIN_TAIL_PROBABILITY && rate < 1)) {
      throw new IllegalArgumentException("false-alarm rate must be in [" + MIN_TAIL_PROBABILITY + ", 1), got "
          + rate);
    }
    if (rate < tail.probability()) {
      double t = tail.threshold() + gpd.inverseSurvival(rate / tail.probability());
      if (!Double.isFinite(t)) {
        throw new IllegalArgumentException("false-alarm rate " + rate + " is beyond what this tail can resolve");
      }
      return t;
    }
    if (rate >= knotSurvival[0]) {
      return knotNll[0];
    }
    // knotSurvival decreases; find the segment with s[i - 1] > rate >= s[i].
    int i = 1;
    while (knotSurvival[i] > rate) {
      i++;
    }
    double s0 = knotSurvival[i - 1];
    double s1 = knotSurvival[i];
    return knotNll[i - 1] + (knotNll[i] - knotNll[i - 1]) * ((s0 - rate) / (s0 - s1));
  }

  /**
   * The bootstrapped threshold on {@code |mean NLL - H|} for windows of {@code m} events.
   *
   * @throws IllegalArgumentException if ({@code m}, {@code alpha}) was not calibrated; the message lists
   *     the available pairs
   */
  public double typicalityThreshold(int m, double alpha) {
    for (TypicalityThreshold t : typicality.thresholds()) {
      if (t.window() == m && Double.compare(t.alpha(), alpha) == 0) {
        return t.epsilon();
      }
    }
    StringBuilder available = new StringBuilder();
    for (TypicalityThreshold t : typicality.thresholds()) {
      available.append(available.length() == 0 ? "" : ", ").append("(M=").append(t.window()).append(", alpha=")
          .append(t.alpha()).append(')');
    }
    throw new IllegalArgumentException("no typicality threshold for window " + m + " and alpha " + alpha
        + "; available: " + (available.length() == 0 ? "none" : available));
  }

  /** {@code H}: the mean validation NLL, an estimate of the entropy of normal data (nats). */
  public double entropy() {
    return entropy;
  }

  /** The number of validation NLLs the calibration was fitted on. */
  public long count() {
    return count;
  }

  /** The stored order statistics (a copy). */
  public double[] quantiles() {
    return quantiles.clone();
  }

  public Tail tail() {
    return tail;
  }

  public Typicality typicality() {
    return typicality;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Calibration c && Double.compare(entropy, c.entropy) == 0 && count == c.count
        && Arrays.equals(quantiles, c.quantiles) && tail.equals(c.tail) && typicality.equals(c.typicality);
  }

  @Override
  public int hashCode() {
    return Objects.hash(entropy, count, Arrays.hashCode(quantiles), tail, typicality);
  }

  @Override
  public String toString() {
    return "Calibration[H=" + entropy + ", n=" + count + ", " + tail + ", " + typicality.thresholds().size()
        + " typicality thresholds]";
  }
}
