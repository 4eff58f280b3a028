package io.flowguard.core.eval.baseline;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Gaussian mixture with full covariances fitted by EM, the number of components chosen by BIC, in the
 * way scikit-learn's {@code GaussianMixture} does it: k-means (k-means++ seeding, then Lloyd iterations)
 * gives the initial hard responsibilities (greedy k-means++: 2 + ln k candidates per centre, the best kept); each M-step adds {@code regCovar} to every covariance's
 * diagonal; EM stops when the mean log-likelihood per row changes by less than {@code tolerance} or after
 * {@code maxIterations}. Each {@code k = 1..K} is fitted and the one with the lowest
 * {@code BIC = -2 log L + p ln n}, {@code p = k d (d + 1) / 2 + k d + k - 1}, is kept.
 *
 * <p>{@code K = min(maxComponents, floor(n / (d + 1)))} (at least 1): a component needs more than
 * {@code d} rows for a non-degenerate covariance, so larger {@code k} could only fit by the ridge.
 *
 * <p>Deterministic: the k-means++ seeding of each {@code k} draws from a {@link SplittableRandom} seeded
 * from the fit's seed and {@code k}. Numerics: covariances are used through their Cholesky factors,
 * responsibilities and densities through log-sum-exp. A {@code k} whose covariance cannot be factored
 * (scikit-learn raises there) is recorded as failed and not chosen.
 */
public final class GaussianMixtureBic implements DensityBaseline {

  /**
   * EM settings.
   *
   * @param maxComponents the largest {@code k} tried (before the rows-per-component limit)
   * @param regCovar added to each covariance's diagonal in every M-step
   * @param tolerance convergence threshold on the change of the mean log-likelihood per row
   * @param maxIterations EM iterations per {@code k}
   */
  public record Settings(int maxComponents, double regCovar, double tolerance, int maxIterations) {
    /** scikit-learn's defaults, {@code k} up to 10. */
    public static final Settings DEFAULT = new Settings(10, 1e-6, 1e-3, 100);

    public Settings {
      if (maxComponents < 1 || regCovar < 0 || !(tolerance >= 0) || maxIterations < 1) {
        throw new IllegalArgumentException("bad GMM settings: " + maxComponents + " components, reg " + regCovar
            + ", tolerance " + tolerance + ", " + maxIterations + " iterations");
      }
    }
  }

  /**
   * One EM fit.
   *
   * @param components {@code k}
   * @param bic its BIC ({@code +Infinity} if the fit failed)
   * @param meanLogLikelihood the final mean log-likelihood per row (NaN if it failed)
   * @param iterations EM iterations run
   * @param converged whether the tolerance was reached within the iteration limit
   * @param history the mean log-likelihood after the initial M-step and after each EM iteration
   * @param failure why the fit failed, empty if it did not
   */
  public record Candidate(int components, double bic, double meanLogLikelihood, int iterations, boolean converged,
                          List<Double> history, String failure) {
    public Candidate {
      history = List.copyOf(history);
    }

    boolean failed() {
      return !failure.isEmpty();
    }
  }

  private static final double LOG_2PI = Math.log(2 * Math.PI);
  /** scikit-learn adds 10 machine epsilons to each component's weight so that an empty one divides safely. */
  private static final double WEIGHT_EPS = 10 * Math.ulp(1.0);

  private final int d;
  private final int k;
  private final double[] weights;
  private final double[] means;
  private final double[] cholesky;
  private final double[] logConst;
  private final List<Candidate> candidates;

  private GaussianMixtureBic(int d, Components c, List<Candidate> candidates) {
    this.d = d;
    this.k = c.k;
    this.weights = c.weights;
    this.means = c.means;
    this.cholesky = c.chol;
    this.logConst = c.logConst(d);
    this.candidates = List.copyOf(candidates);
  }

  /** {@code K}: the largest number of components tried for {@code n} rows of {@code d} columns. */
  public static int maxComponents(int n, int d, Settings settings) {
    return Math.max(1, Math.min(settings.maxComponents(), n / (d + 1)));
  }

  /** Fits {@code k = 1..K} with the default settings and keeps the lowest BIC. */
  public static GaussianMixtureBic fit(double[] rows, int n, int d, long seed) {
    return fit(rows, n, d, seed, Settings.DEFAULT);
  }

  /**
   * Fits {@code k = 1..K} and keeps the lowest BIC.
   *
   * @throws IllegalArgumentException on a bad shape, fewer than 2 rows, non-finite values, or if no
   *     {@code k} could be fitted
   */
  public static GaussianMixtureBic fit(double[] rows, int n, int d, long seed, Settings settings) {
    GaussianKde.check(rows, n, d);
    if (n < 2) {
      throw new IllegalArgumentException("a Gaussian mixture needs at least 2 rows, got " + n);
    }
    List<Candidate> all = new ArrayList<>();
    Components best = null;
    double bestBic = Double.POSITIVE_INFINITY;
    for (int k = 1; k <= maxComponents(n, d, settings); k++) {
      Fitted f = em(rows, n, d, k, seed, settings);
      all.add(f.candidate);
      if (!f.candidate.failed() && f.candidate.bic() < bestBic) {
        bestBic = f.candidate.bic();
        best = f.components;
      }
    }
    if (best == null) {
      throw new IllegalArgumentException("no Gaussian mixture could be fitted to " + n + " rows x " + d + " columns: "
          + all.get(0).failure());
    }
    return new GaussianMixtureBic(d, best, all);
  }

  /**
   * Fits exactly {@code k} components (no BIC selection).
   *
   * @throws IllegalArgumentException as {@link #fit(double[], int, int, long, Settings)}, or if the fit failed
   */
  public static GaussianMixtureBic fitComponents(double[] rows, int n, int d, int k, long seed, Settings settings) {
    GaussianKde.check(rows, n, d);
    if (k < 1 || k > n) {
      throw new IllegalArgumentException("cannot fit " + k + " components to " + n + " rows");
    }
    Fitted f = em(rows, n, d, k, seed, settings);
    if (f.candidate.failed()) {
      throw new IllegalArgumentException("the " + k + "-component fit failed: " + f.candidate.failure());
    }
    return new GaussianMixtureBic(d, f.components, List.of(f.candidate));
  }

  @Override
  public int dim() {
    return d;
  }

  /** The chosen number of components. */
  public int components() {
    return k;
  }

  /** The mixing weight of component {@code c}. */
  public double weight(int c) {
    return weights[c];
  }

  /** The mean of component {@code c} (a copy). */
  public double[] mean(int c) {
    return java.util.Arrays.copyOfRange(means, c * d, (c + 1) * d);
  }

  /** Every {@code k} tried, in order, with its BIC and EM trace. */
  public List<Candidate> candidates() {
    return candidates;
  }

  @Override
  public double[] logDensity(double[] rows, int m) {
    GaussianKde.check(rows, m, d);
    double[] out = new double[m];
    double[] y = new double[d];
    double[] lp = new double[k];
    for (int r = 0; r < m; r++) {
      out[r] = logSumExp(componentLogProbs(rows, r * d, means, cholesky, logConst, k, d, y, lp), k);
    }
    return out;
  }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", "gaussian_mixture");
    m.put("covariance", "full");
    m.put("components", k);
    m.put("weights", weights.clone());
    List<Map<String, Object>> tried = new ArrayList<>();
    for (Candidate c : candidates) {
      Map<String, Object> t = new LinkedHashMap<>();
      t.put("components", c.components());
      t.put("bic", Double.isFinite(c.bic()) ? c.bic() : null);
      t.put("mean_log_likelihood", Double.isFinite(c.meanLogLikelihood()) ? c.meanLogLikelihood() : null);
      t.put("iterations", c.iterations());
      t.put("converged", c.converged());
      if (c.failed()) {
        t.put("failure", c.failure());
      }
      tried.add(t);
    }
    m.put("bic", tried);
    return m;
  }

  // ---------------------------------------------------------------------------------------------------

  /** Mutable parameters during EM. */
  private static final class Components {
    final int k;
    final double[] weights;
    final double[] means;
    final double[] chol;

    Components(int k, int d) {
      this.k = k;
      weights = new double[k];
      means = new double[k * d];
      chol = new double[k * d * d];
    }

    /** {@code log w_c - (d/2) log 2 pi - log det L_c} per component. */
    double[] logConst(int d) {
      double[] c = new double[k];
      for (int j = 0; j < k; j++) {
        double half = 0;
        for (int i = 0; i < d; i++) {
          half += Math.log(chol[j * d * d + i * d + i]);
        }
        c[j] = Math.log(weights[j]) - 0.5 * d * LOG_2PI - half;
      }
      return c;
    }
  }

  private record Fitted(Candidate candidate, Components components) {}

  /** Thrown inside EM when a covariance cannot be factored. */
  private static final class IllDefinedCovariance extends Exception {
    IllDefinedCovariance(String message) {
      super(message, null, false, false);
    }
  }

  private static Fitted em(double[] x, int n, int d, int k, long seed, Settings s) {
    double[] resp = new double[n * k];
    int[] labels = kMeans(x, n, d, k, new SplittableRandom(seed * 0x9E3779B97F4A7C15L + k));
    for (int r = 0; r < n; r++) {
      resp[r * k + labels[r]] = 1.0;
    }
    Components c = new Components(k, d);
    List<Double> history = new ArrayList<>();
    int iterations = 0;
    boolean converged = false;
    try {
      mStep(x, n, d, resp, c, s.regCovar());
      double previous = eStep(x, n, d, c, resp);
      history.add(previous);
      while (iterations < s.maxIterations()) {
        iterations++;
        mStep(x, n, d, resp, c, s.regCovar());
        double ll = eStep(x, n, d, c, resp);
        history.add(ll);
        if (Math.abs(ll - previous) < s.tolerance()) {
          converged = true;
          break;
        }
        previous = ll;
      }
    } catch (IllDefinedCovariance e) {
      return new Fitted(new Candidate(k, Double.POSITIVE_INFINITY, Double.NaN, iterations, false, history,
          e.getMessage()), null);
    }
    double ll = history.get(history.size() - 1);
    double params = k * d * (d + 1) / 2.0 + k * d + (k - 1);
    double bic = -2.0 * n * ll + params * Math.log(n);
    return new Fitted(new Candidate(k, bic, ll, iterations, converged, history, ""), c);
  }

  /** Weights, means and regularized covariances from the responsibilities. */
  private static void mStep(double[] x, int n, int d, double[] resp, Components c, double reg)
      throws IllDefinedCovariance {
    int k = c.k;
    double[] nk = new double[k];
    for (int r = 0; r < n; r++) {
      for (int j = 0; j < k; j++) {
        nk[j] += resp[r * k + j];
      }
    }
    double total = 0;
    for (int j = 0; j < k; j++) {
      nk[j] += WEIGHT_EPS;
      total += nk[j];
    }
    java.util.Arrays.fill(c.means, 0.0);
    for (int r = 0; r < n; r++) {
      for (int j = 0; j < k; j++) {
        double w = resp[r * k + j];
        if (w != 0) {
          for (int i = 0; i < d; i++) {
            c.means[j * d + i] += w * x[r * d + i];
          }
        }
      }
    }
    double[] cov = new double[d * d];
    double[] dev = new double[d];
    for (int j = 0; j < k; j++) {
      c.weights[j] = nk[j] / total;
      for (int i = 0; i < d; i++) {
        c.means[j * d + i] /= nk[j];
      }
      java.util.Arrays.fill(cov, 0.0);
      for (int r = 0; r < n; r++) {
        double w = resp[r * k + j];
        if (w == 0) {
          continue;
        }
        for (int i = 0; i < d; i++) {
          dev[i] = x[r * d + i] - c.means[j * d + i];
        }
        for (int a = 0; a < d; a++) {
          double wa = w * dev[a];
          for (int b = 0; b <= a; b++) {
            cov[a * d + b] += wa * dev[b];
          }
        }
      }
      for (int a = 0; a < d; a++) {
        for (int b = 0; b <= a; b++) {
          double v = cov[a * d + b] / nk[j];
          cov[a * d + b] = v;
          cov[b * d + a] = v;
        }
        cov[a * d + a] += reg;
      }
      double[] l = Cholesky.factor(cov, d);
      if (l == null) {
        throw new IllDefinedCovariance("component " + (j + 1) + " of " + k + " has an ill-defined covariance ("
            + String.format(java.util.Locale.ROOT, "%.1f", nk[j]) + " rows); too many components for the data,"
            + " or a larger reg_covar is needed");
      }
      System.arraycopy(l, 0, c.chol, j * d * d, d * d);
    }
  }

  /** Responsibilities (in {@code resp}) and the mean log-likelihood per row. */
  private static double eStep(double[] x, int n, int d, Components c, double[] resp) {
    int k = c.k;
    double[] logConst = c.logConst(d);
    double[] y = new double[d];
    double[] lp = new double[k];
    double sum = 0;
    for (int r = 0; r < n; r++) {
      componentLogProbs(x, r * d, c.means, c.chol, logConst, k, d, y, lp);
      double lse = logSumExp(lp, k);
      sum += lse;
      for (int j = 0; j < k; j++) {
        resp[r * k + j] = Math.exp(lp[j] - lse);
      }
    }
    return sum / n;
  }

  /** {@code log w_c + log N(x; mu_c, Sigma_c)} for every component, into {@code lp}. */
  private static double[] componentLogProbs(double[] x, int off, double[] means, double[] chol, double[] logConst,
                                            int k, int d, double[] y, double[] lp) {
    for (int j = 0; j < k; j++) {
      int lOff = j * d * d;
      int mOff = j * d;
      double q = 0;
      for (int i = 0; i < d; i++) {
        double s = x[off + i] - means[mOff + i];
        for (int t = 0; t < i; t++) {
          s -= chol[lOff + i * d + t] * y[t];
        }
        s /= chol[lOff + i * d + i];
        y[i] = s;
        q += s * s;
      }
      lp[j] = logConst[j] - 0.5 * q;
    }
    return lp;
  }

  private static double logSumExp(double[] v, int k) {
    double max = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < k; j++) {
      max = Math.max(max, v[j]);
    }
    if (max == Double.NEGATIVE_INFINITY) {
      return max;
    }
    double s = 0;
    for (int j = 0; j < k; j++) {
      s += Math.exp(v[j] - max);
    }
    return max + Math.log(s);
  }

  /**
   * Hard k-means labels: greedy k-means++ seeding (scikit-learn's), then Lloyd iterations until no label
   * changes (at most 300, scikit-learn's limit). An emptied cluster keeps its previous centre.
   */
  static int[] kMeans(double[] x, int n, int d, int k, SplittableRandom rng) {
    double[] centres = new double[k * d];
    int first = rng.nextInt(n);
    System.arraycopy(x, first * d, centres, 0, d);
    double[] nearest = new double[n];
    for (int r = 0; r < n; r++) {
      nearest[r] = sq(x, r * d, centres, 0, d);
    }
    // Greedy k-means++ as scikit-learn does it: each step draws 2 + floor(ln k) candidates with
    // probability proportional to the squared distance to the nearest chosen centre and keeps the one
    // that lowers the total squared distance most.
    int trials = 2 + (int) Math.log(k);
    double[] candidate = new double[n];
    double[] bestNearest = new double[n];
    for (int j = 1; j < k; j++) {
      double total = 0;
      for (int r = 0; r < n; r++) {
        total += nearest[r];
      }
      int pick = -1;
      double bestPotential = Double.POSITIVE_INFINITY;
      for (int t = 0; t < trials; t++) {
        int c = total > 0 ? drawProportional(nearest, total, rng) : rng.nextInt(n);
        double potential = 0;
        for (int r = 0; r < n; r++) {
          candidate[r] = Math.min(nearest[r], sq(x, r * d, x, c * d, d));
          potential += candidate[r];
        }
        if (potential < bestPotential) {
          bestPotential = potential;
          pick = c;
          System.arraycopy(candidate, 0, bestNearest, 0, n);
        }
      }
      System.arraycopy(x, pick * d, centres, j * d, d);
      System.arraycopy(bestNearest, 0, nearest, 0, n);
    }
    int[] labels = new int[n];
    java.util.Arrays.fill(labels, -1);
    double[] sums = new double[k * d];
    int[] counts = new int[k];
    for (int iter = 0; iter < 300; iter++) {
      boolean changed = false;
      for (int r = 0; r < n; r++) {
        int best = 0;
        double bestD = Double.POSITIVE_INFINITY;
        for (int j = 0; j < k; j++) {
          double dist = sq(x, r * d, centres, j * d, d);
          if (dist < bestD) {
            bestD = dist;
            best = j;
          }
        }
        if (labels[r] != best) {
          labels[r] = best;
          changed = true;
        }
      }
      if (!changed) {
        break;
      }
      java.util.Arrays.fill(sums, 0.0);
      java.util.Arrays.fill(counts, 0);
      for (int r = 0; r < n; r++) {
        counts[labels[r]]++;
        for (int i = 0; i < d; i++) {
          sums[labels[r] * d + i] += x[r * d + i];
        }
      }
      for (int j = 0; j < k; j++) {
        if (counts[j] > 0) {
          for (int i = 0; i < d; i++) {
            centres[j * d + i] = sums[j * d + i] / counts[j];
          }
        }
      }
    }
    return labels;
  }

  /** An index drawn with probability {@code weights[i] / total}. */
  private static int drawProportional(double[] weights, double total, SplittableRandom rng) {
    double u = rng.nextDouble() * total;
    double acc = 0;
    for (int r = 0; r < weights.length; r++) {
      acc += weights[r];
      if (acc > u) {
        return r;
      }
    }
    return weights.length - 1;
  }

  private static double sq(double[] a, int aOff, double[] b, int bOff, int d) {
    double s = 0;
    for (int i = 0; i < d; i++) {
      double t = a[aOff + i] - b[bOff + i];
      s += t * t;
    }
    return s;
  }
}
