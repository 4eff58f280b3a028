import io.flowguard.core.data.*;
import io.flowguard.core.eval.*;
import io.flowguard.core.flow.*;
import io.flowguard.core.model.*;
import io.flowguard.core.train.*;
import java.nio.file.*;
import java.util.*;

/**
 * Quality experiment behind bench/quality-log.md's "Marginal Gaussianization": each kept column goes
 * through {@code u = Phi^-1(F(x))} before the default flow (AutoConfig's spec and training), where F is
 * the column's kernel-smoothed empirical CDF (Gaussian kernel, bandwidth {@code BW * s * n^(-1/5)} with s
 * the smaller of the dequantized standard deviation and IQR / 1.349; a discrete column's atoms are
 * spread over their grid cell before smoothing, and training dequantizes them afresh every minibatch,
 * in raw units, as the product does). The map is tabulated on a uniform grid from 10 bandwidths below
 * the smallest training value to 10 above the largest (at most h / 4 apart) and interpolated linearly
 * (extrapolated linearly outside), so the raw-space density {@code p_flow(u) * prod du/dx} is exact for
 * the map used. Prints the AUROC / mean test NLL of normal rows (raw units) of that model, the AUROC of
 * the independence model (product of the smoothed marginals), the seconds of the marginal fit and of
 * the flow's training, and steps run / allowed (E = stopped early). Same rows as ModelTrainer fits on
 * (ModelTrainer.fitted). Not a product path.
 *
 * <p>With {@code -Dfg.mixture=true} it also fits the default model on the same rows and prints its AUROC /
 * test NLL and the AUROC of the equal-weight mixture of the two densities (a line "def=... mix=...").
 *
 * <p>System properties: {@code fg.bw} (bandwidth factor, 1), {@code fg.asinh} (the product's asinh
 * rule for heavy-tailed columns before the marginal, false), {@code fg.noise} (factor on the smoothing
 * noise, 1), {@code fg.nodeq} (no dequantization, false), {@code fg.nodes} (grid nodes, 4096).
 *
 *   mvn -B -q -pl flow-core -am package -DskipTests
 *   java -Dfg.bw=1 -cp "flow-core/target/flowguard.jar:flow-core/target/lib/*" \
 *       bench/experiments/MarginalGaussianizationExperiment.java ../shared/data/landsat/landsat.csv 0,1,2
 */
public class MarginalGaussianizationExperiment {
  static double BW = Double.parseDouble(System.getProperty("fg.bw", "1.0"));
  static int NODES = Integer.parseInt(System.getProperty("fg.nodes", "4096"));
  static boolean DEQ = !Boolean.getBoolean("fg.nodeq");
  static boolean ASINH = Boolean.getBoolean("fg.asinh");

  // ---- normal functions ----
  static double erfc(double x) { // W. J. Cody-like via Numerical Recipes Chebyshev (rel err ~1.2e-7)
    double z = Math.abs(x);
    double t = 1.0 / (1.0 + 0.5 * z);
    double ans = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
        + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
        + t * (-0.82215223 + t * 0.17087277)))))))));
    return x >= 0 ? ans : 2.0 - ans;
  }
  static double Phi(double z) { return 0.5 * erfc(-z / Math.sqrt(2)); }
  static double phi(double z) { return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI); }
  /** integral of Phi: Psi(z) = z Phi(z) + phi(z), accurate for z << 0. */
  static double Psi(double z) {
    if (z < -10) {
      double t = -z, t2 = t * t;
      return phi(z) * (1 / t2 - 3 / (t2 * t2) + 15 / (t2 * t2 * t2) - 105 / (t2 * t2 * t2 * t2));
    }
    return z * Phi(z) + phi(z);
  }
  static double probit(double p) { // Acklam + Halley, p in (0, 0.5]
    double[] a = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
    double[] b = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01};
    double[] c = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549671034141028e+00, 4.374664141464968e+00, 2.938163982698783e+00};
    double[] d = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00};
    double x;
    if (p < 0.02425) {
      double q = Math.sqrt(-2 * Math.log(p));
      x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else {
      double q = p - 0.5, r = q * q;
      x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
    for (int it = 0; it < 2; it++) { // Newton in log space
      double lp = Math.log(Phi(x));
      double ratio = phi(x) / Phi(x);
      x -= (lp - Math.log(p)) / ratio;
    }
    return x;
  }

  static double Preprocessor_asinh(double t) {
    double a = Math.abs(t);
    double r = a > 1e8 ? Math.log(a) + Math.log(2.0) : Math.log1p(a + a * a / (1.0 + Math.sqrt(1.0 + a * a)));
    return Math.copySign(r, t);
  }
  // ---- one column ----
  static final class Col {
    double cell, h;
    double[] a, w; // distinct values and weights
    double[] gx, gu;
    double lo, hi;

    double center, scale; // asinh pre-transform (scale 0: none)
    double[] lo_, hi_; // per-atom dequantization interval in t space (null: points)
    double t(double x) { return scale > 0 ? Preprocessor_asinh((x - center) / scale) : x; }
    double tinv(double t) { return scale > 0 ? center + scale * Math.sinh(t) : t; }
    double logdt(double x) { if (scale <= 0) return 0; double z = (x - center) / scale; return -Math.log(scale) - 0.5 * Math.log1p(z * z); }
    double kernelLower(int j, double x) { // P(X_j <= x) of the smoothed atom j
      if (lo_ != null) {
        double wd = hi_[j] - lo_[j];
        return h / wd * (Psi((x - lo_[j]) / h) - Psi((x - hi_[j]) / h));
      }
      return Phi((x - a[j]) / h);
    }
    double kernelUpper(int j, double x) {
      if (lo_ != null) {
        double wd = hi_[j] - lo_[j];
        return h / wd * (Psi((hi_[j] - x) / h) - Psi((lo_[j] - x) / h));
      }
      return Phi((a[j] - x) / h);
    }

    void build() {
      double maxw = 0;
      if (lo_ != null) for (int j = 0; j < a.length; j++) maxw = Math.max(maxw, hi_[j] - lo_[j]);
      double reach = 12 * h + maxw;
      lo = (lo_ != null ? lo_[0] : a[0]) - 10 * h;
      hi = (hi_ != null ? hi_[a.length - 1] : a[a.length - 1]) + 10 * h;
      int m = NODES;
      double step = Math.min((hi - lo) / (m - 1), h / 4);
      m = (int) Math.min(65536, Math.ceil((hi - lo) / step) + 1);
      step = (hi - lo) / (m - 1);
      gx = new double[m];
      gu = new double[m];
      double[] prefix = new double[a.length + 1];
      for (int j = 0; j < a.length; j++) prefix[j + 1] = prefix[j] + w[j];
      double total = prefix[a.length];
      int left = 0, right = 0;
      for (int k = 0; k < m; k++) {
        double x = lo + k * step;
        gx[k] = x;
        while (left < a.length && a[left] < x - reach) left++;
        while (right < a.length && a[right] <= x + reach) right++;
        double F = prefix[left], S = total - prefix[right];
        for (int j = left; j < right; j++) {
          F += w[j] * kernelLower(j, x);
          S += w[j] * kernelUpper(j, x);
        }
        F /= total; S /= total;
        gu[k] = F < S ? probit(Math.max(F, 1e-300)) : -probit(Math.max(S, 1e-300));
      }
      for (int k = 1; k < m; k++) {
        if (!(gu[k] > gu[k - 1])) gu[k] = gu[k - 1] + 1e-9 * step; // guard
      }
    }

    /** The segment k of sorted knots with knots[k] <= v < knots[k + 1], the end segments beyond them. */
    static int segment(double[] knots, double v) {
      int m = knots.length;
      if (v <= knots[0]) return 0;
      if (v >= knots[m - 1]) return m - 2;
      int k = Arrays.binarySearch(knots, v);
      if (k < 0) k = -k - 2;
      return Math.min(k, m - 2);
    }

    /** u and writes log slope into out[0]. */
    double forward(double xr, double[] ls) {
      double x = t(xr);
      int k = segment(gx, x);
      double s = (gu[k + 1] - gu[k]) / (gx[k + 1] - gx[k]);
      if (ls != null) ls[0] = Math.log(s) + logdt(xr);
      return gu[k] + s * (x - gx[k]);
    }

    double inverse(double u) {
      int k = segment(gu, u);
      double s = (gu[k + 1] - gu[k]) / (gx[k + 1] - gx[k]);
      return tinv(gx[k] + (u - gu[k]) / s);
    }
  }

  static Col fitCol(double[] v) {
    int n = v.length;
    double[] s = v.clone();
    Arrays.sort(s);
    double mu = 0; for (double x : s) mu += x; mu /= n;
    double ss = 0; for (double x : s) ss += (x - mu) * (x - mu);
    double sd = Math.sqrt(ss / n);
    if (s[0] == s[n - 1] || sd < 1e-12 * Math.max(Math.abs(s[0]), Math.abs(s[n - 1]))) return null;
    List<Double> av = new ArrayList<>(); List<Double> wv = new ArrayList<>();
    double gap = Double.POSITIVE_INFINITY;
    for (int r = 0; r < n; r++) {
      if (r == 0 || s[r] != s[r - 1]) {
        if (r > 0) gap = Math.min(gap, s[r] - s[r - 1]);
        av.add(s[r]); wv.add(1.0);
      } else wv.set(wv.size() - 1, wv.get(wv.size() - 1) + 1);
    }
    Col c = new Col();
    boolean tied = av.size() <= 0.5 * n;
    c.cell = DEQ && tied && av.size() > 1 && gap >= 1e-3 * sd ? gap : 0;
    c.a = av.stream().mapToDouble(Double::doubleValue).toArray();
    c.w = wv.stream().mapToDouble(Double::doubleValue).toArray();
    double q1 = s[(int) (0.25 * (n - 1))], q3 = s[(int) (0.75 * (n - 1))];
    double rs0 = (q3 - q1) / 1.349;
    if (ASINH && rs0 > 0 && (s[(int) (0.99 * (n - 1))] - s[(int) (0.01 * (n - 1))]) > 7 * rs0) {
      c.center = s[(int) (0.5 * (n - 1))]; c.scale = rs0;
    }
    double[] tv = new double[n];
    for (int r = 0; r < n; r++) tv[r] = c.t(s[r]);
    double tm = 0; for (double x : tv) tm += x; tm /= n;
    double ts = 0; for (double x : tv) ts += (x - tm) * (x - tm);
    sd = Math.sqrt(ts / n);
    q1 = tv[(int) (0.25 * (n - 1))]; q3 = tv[(int) (0.75 * (n - 1))];
    if (c.cell > 0) {
      c.lo_ = new double[c.a.length]; c.hi_ = new double[c.a.length];
      for (int j = 0; j < c.a.length; j++) { c.lo_[j] = c.t(c.a[j] - c.cell / 2); c.hi_[j] = c.t(c.a[j] + c.cell / 2); }
    }
    for (int j = 0; j < c.a.length; j++) c.a[j] = c.t(c.a[j]);
    double meanW = 0;
    if (c.lo_ != null) { for (int j = 0; j < c.a.length; j++) meanW += c.w[j] * (c.hi_[j] - c.lo_[j]); meanW /= n; }
    double sdDeq = Math.sqrt(sd * sd + meanW * meanW / 12);
    double robust = (q3 - q1) / 1.349;
    double spread = robust > 0 ? Math.min(sdDeq, robust) : sdDeq;
    c.h = BW * spread * Math.pow(n, -0.2);
    c.build();
    return c;
  }

  public static void main(String[] args) throws Exception {
    Path file = Path.of(args[0]);
    long[] seeds = Arrays.stream(args[1].split(",")).mapToLong(Long::parseLong).toArray();
    Dataset ds = DataReader.read(file);
    Dataset features = ds.without("label");
    int[] labels = TabularProtocol.labels(ds.column("label"), file.toString(), "label");
    for (long seed : seeds) {
      TabularProtocol.Split sp = TabularProtocol.split(labels, seed);
      Dataset train = features.rows(sp.train());
      Dataset test = features.rows(sp.test());
      ModelTrainer.Options o = ModelTrainer.Options.automatic("e", 1, train, seed, 0.2);
      Dataset fit = ModelTrainer.fitted(train, 0.2, seed);
      long t0 = System.nanoTime();
      int D = fit.dim(), nf = fit.rows();
      double[] fv = fit.values();
      List<Col> cols = new ArrayList<>();
      List<Integer> idx = new ArrayList<>();
      for (int c = 0; c < D; c++) {
        double[] v = new double[nf];
        for (int r = 0; r < nf; r++) v[r] = fv[r * D + c];
        Col col = fitCol(v);
        if (col != null) { cols.add(col); idx.add(c); }
      }
      int d = cols.size();
      double[] mean = new double[d], std = new double[d];
      double[] x = new double[nf * d];
      SplittableRandom jr = new SplittableRandom(seed);
      for (int k = 0; k < d; k++) {
        Col col = cols.get(k);
        double s1 = 0, s2 = 0;
        for (int r = 0; r < nf; r++) {
          double raw = fv[r * D + idx.get(k)];
          x[r * d + k] = col.forward(raw, null);
          double uj = col.forward(raw + col.cell * (jr.nextDouble() - 0.5), null);
          s1 += uj; s2 += uj * uj;
        }
        mean[k] = s1 / nf; std[k] = Math.sqrt(Math.max(s2 / nf - mean[k] * mean[k], 1e-12));
        for (int r = 0; r < nf; r++) x[r * d + k] = (x[r * d + k] - mean[k]) / std[k];
      }
      double prepSec = (System.nanoTime() - t0) / 1e9;
      int[] disc = java.util.stream.IntStream.range(0, d).filter(k -> cols.get(k).cell > 0).toArray();
      InputNoise noise = disc.length == 0 ? InputNoise.NONE : (rows, nn, rng) -> {
        for (int r = 0; r < nn; r++) {
          for (int k : disc) {
            Col col = cols.get(k);
            int i = r * d + k;
            double raw = col.inverse(rows[i] * std[k] + mean[k]);
            double tt = col.t(raw);
            int j = Arrays.binarySearch(col.a, tt);
            if (j < 0) { int ab = -j - 1; j = ab == 0 ? 0 : ab == col.a.length ? ab - 1 : (tt - col.a[ab - 1] <= col.a[ab] - tt ? ab - 1 : ab); }
            raw = col.tinv(col.a[j]);
            rows[i] = (col.forward(raw + col.cell * (rng.nextDouble() - 0.5), null) - mean[k]) / std[k];
          }
        }
      };
      FlowSpec spec = ModelTrainer.withDim(o.spec(), d);
      Flow flow = FlowFactory.create(spec, seed);
      long t1 = System.nanoTime();
      TrainingConfig tcfg = o.training();
      if (System.getProperty("fg.noise") != null) tcfg = tcfg.withNoise(tcfg.noise() * Double.parseDouble(System.getProperty("fg.noise")));
      TrainingResult res = new Trainer(tcfg, TrainingListener.NONE).fit(flow, x, nf, true, noise);
      double sec = (System.nanoTime() - t1) / 1e9;
      int m = test.rows();
      double[] tv = test.values();
      double[] xt = new double[m * d];
      double[] jac = new double[m];
      double[] ls = new double[1];
      for (int r = 0; r < m; r++) {
        for (int k = 0; k < d; k++) {
          double u = cols.get(k).forward(tv[r * D + idx.get(k)], ls);
          xt[r * d + k] = (u - mean[k]) / std[k];
          jac[r] += ls[0] - Math.log(std[k]);
        }
      }
      double[] lp = flow.logProb(xt, m);
      double[] nll = new double[m];
      double tn = 0;
      for (int i = 0; i < m; i++) { nll[i] = -(lp[i] + jac[i]); if (i < sp.normalTest()) tn += nll[i]; }
      // a marginal-only (independence) model for reference
      double[] nllInd = new double[m];
      for (int i = 0; i < m; i++) {
        double s = -jac[i];
        for (int k = 0; k < d; k++) { double u = xt[i * d + k] * std[k] + mean[k]; s += 0.5 * u * u + 0.5 * Math.log(2 * Math.PI); }
        nllInd[i] = s;
      }
      if (Boolean.getBoolean("fg.mixture")) {
        // the default pipeline on the same rows (as MemberExperiment, K = 1), and the equal-weight mixture
        Preprocessor pre = Preprocessor.fit(train.columns(), fit.values(), fit.rows(), o.preprocessing());
        FlowSpec dspec = ModelTrainer.withDim(o.spec(), pre.dim());
        double[] dx = pre.apply(fit.values(), fit.rows());
        double[] dxt = pre.apply(test.values(), test.rows());
        Flow dflow = FlowFactory.create(dspec, seed);
        TrainingConfig dtc = o.training();
        new Trainer(dtc, TrainingListener.NONE).fit(dflow, dx, fit.rows(), true, pre.dequantization());
        double[] dlp = dflow.logProb(dxt, m);
        double[] dn = new double[m], mx = new double[m];
        double dtn = 0;
        for (int i = 0; i < m; i++) {
          double a1 = dlp[i] + pre.logJacobian(test.values(), i * test.dim());
          double b1 = -nll[i];
          dn[i] = -a1;
          if (i < sp.normalTest()) dtn += dn[i];
          double hi = Math.max(a1, b1);
          mx[i] = -(hi + Math.log(0.5 * Math.exp(a1 - hi) + 0.5 * Math.exp(b1 - hi)));
      }
      System.out.printf(Locale.ROOT, "%s seed %d def=%.4f/%.2f mix=%.4f%n", file.getFileName(), seed,
          Metrics.auroc(dn, sp.testLabels()), dtn / sp.normalTest(), Metrics.auroc(mx, sp.testLabels()));
      }
      System.out.printf(Locale.ROOT, "%s seed %d marg=%.4f/%.2f ind=%.4f (%.1fs+%.1fs,%d/%d%s)%n", file.getFileName(), seed,
          Metrics.auroc(nll, sp.testLabels()), tn / sp.normalTest(), Metrics.auroc(nllInd, sp.testLabels()),
          prepSec, sec, res.steps(), o.training().steps(), res.stoppedEarly() ? "E" : "");
    }
  }
}
