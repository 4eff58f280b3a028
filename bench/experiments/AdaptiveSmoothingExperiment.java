import io.flowguard.core.data.*;
import io.flowguard.core.eval.*;
import io.flowguard.core.flow.*;
import io.flowguard.core.model.*;
import io.flowguard.core.train.*;
import java.nio.file.*;
import java.util.*;

/**
 * Quality experiment behind bench/quality-log.md's "Adaptive smoothing from a pilot flow": a variable
 * bandwidth for the smoothing noise, as an adaptive kernel estimate chooses it (Breiman, Meisel and
 * Purcell 1977; Abramson 1982). Per seed of the PROTOCOL.md split, on the rows ModelTrainer fits on:
 * the default model (the pilot, "def"); the pilot trained on for a second step budget with the same
 * isotropic noise (the equal-compute control, "iso"); and the pilot trained on for a second budget
 * with noise {@code sigma_i = sigma (f_i / g)^(-alpha)} on fit row i, f_i the pilot's density of the
 * row, g their geometric mean, {@code alpha = ALPHA_D / d}, clamped to {@code [sigma / CLIP, sigma CLIP]}
 * ("ada"; dequantization as the product does it, then the per-row noise; validation rows clean). Prints
 * the AUROCs, steps run, sigma and the range of sigma_i. Not a product path.
 *
 * <p>System properties: {@code fg.alphad} (ALPHA_D, 1: the k-nearest-neighbour rate), {@code fg.alpha} (an
 * exponent independent of d instead, e.g. Abramson's 0.5), {@code fg.clip} (3), {@code fg.nocontrol}
 * (skip the control, false).
 *
 *   mvn -B -q -pl flow-core -am package -DskipTests
 *   java -cp "flow-core/target/flowguard.jar:flow-core/target/lib/*" \
 *       bench/experiments/AdaptiveSmoothingExperiment.java ../shared/data/fault/fault.csv 0,1,2
 */
public class AdaptiveSmoothingExperiment {
  static double ALPHA_D = Double.parseDouble(System.getProperty("fg.alphad", "1")); // alpha = ALPHA_D / d
  static double CLIP = Double.parseDouble(System.getProperty("fg.clip", "3"));
  static String ALPHA = System.getProperty("fg.alpha"); // an absolute exponent instead of ALPHA_D / d
  static boolean CONTROL = !Boolean.getBoolean("fg.nocontrol");

  static long key(double[] rows, int off, int d) {
    long h = 1125899906842597L;
    for (int i = 0; i < d; i++) h = 31 * h + Double.doubleToLongBits(rows[off + i]);
    return h;
  }

  public static void main(String[] a) throws Exception {
    Path file = Path.of(a[0]);
    long[] seeds = Arrays.stream(a[1].split(",")).mapToLong(Long::parseLong).toArray();
    Dataset ds = DataReader.read(file);
    Dataset features = ds.without("label");
    int[] labels = TabularProtocol.labels(ds.column("label"), file.toString(), "label");
    for (long seed : seeds) {
      TabularProtocol.Split sp = TabularProtocol.split(labels, seed);
      Dataset train = features.rows(sp.train());
      Dataset test = features.rows(sp.test());
      ModelTrainer.Options o = ModelTrainer.Options.automatic("e", 1, train, seed, 0.2);
      Dataset fit = ModelTrainer.fitted(train, 0.2, seed);
      Preprocessor pre = Preprocessor.fit(train.columns(), fit.values(), fit.rows(), o.preprocessing());
      FlowSpec spec = ModelTrainer.withDim(o.spec(), pre.dim());
      int d = pre.dim();
      int nf = fit.rows();
      double[] x = pre.apply(fit.values(), nf);
      double[] xt = pre.apply(test.values(), test.rows());
      int m = test.rows();
      double[] jac = new double[m];
      for (int i = 0; i < m; i++) jac[i] = pre.logJacobian(test.values(), i * test.dim());
      TrainingConfig tc = o.training();
      double sigma = tc.noise();
      StringBuilder sb = new StringBuilder();
      // pilot = the default model
      Flow pilot = FlowFactory.create(spec, seed);
      TrainingResult r0 = new Trainer(tc, TrainingListener.NONE).fit(pilot, x, nf, true, pre.dequantization());
      sb.append(String.format(Locale.ROOT, " def=%.4f(%d)", auroc(pilot, xt, jac, m, sp), r0.steps()));
      double[] theta0 = pilot.parameters().clone();
      if (CONTROL) { // continue with the same isotropic noise
        Flow ctl = FlowFactory.create(spec, seed);
        System.arraycopy(theta0, 0, ctl.parameters(), 0, theta0.length);
        TrainingResult r1 = new Trainer(tc.withSeed(seed + 1), TrainingListener.NONE).fit(ctl, x, nf, false, pre.dequantization());
        sb.append(String.format(Locale.ROOT, " iso=%.4f(%d)", auroc(ctl, xt, jac, m, sp), r1.steps()));
      }
      // adaptive: sigma_i from the pilot's density of the fit rows
      double[] lf = pilot.logProb(x, nf);
      double g = 0; for (double v : lf) g += v; g /= nf;
      double alpha = ALPHA != null ? Double.parseDouble(ALPHA) : ALPHA_D / d;
      Map<Long, Double> sig = new HashMap<>();
      double smin = Double.POSITIVE_INFINITY, smax = 0;
      for (int r = 0; r < nf; r++) {
        double s = sigma * Math.exp(-alpha * (lf[r] - g));
        s = Math.max(sigma / CLIP, Math.min(sigma * CLIP, s));
        smin = Math.min(smin, s); smax = Math.max(smax, s);
        sig.put(key(x, r * d, d), s);
      }
      InputNoise deq = pre.dequantization();
      InputNoise adaptive = (rows, nn, rng) -> {
        double[] ss = new double[nn];
        for (int r = 0; r < nn; r++) { Double s = sig.get(key(rows, r * d, d)); ss[r] = s == null ? sigma : s; }
        deq.perturb(rows, nn, rng);
        for (int r = 0; r < nn; r++) for (int i = 0; i < d; i++) rows[r * d + i] += ss[r] * gaussianOf(rng);
      };
      Flow ad = FlowFactory.create(spec, seed);
      System.arraycopy(theta0, 0, ad.parameters(), 0, theta0.length);
      TrainingResult r2 = new Trainer(tc.withSeed(seed + 1).withNoise(0.0), TrainingListener.NONE).fit(ad, x, nf, false, adaptive);
      sb.append(String.format(Locale.ROOT, " ada=%.4f(%d) sigma %.3f [%.3f, %.3f]", auroc(ad, xt, jac, m, sp), r2.steps(), sigma, smin, smax));
      System.out.printf(Locale.ROOT, "%s seed %d%s%n", file.getFileName(), seed, sb);
    }
  }

  static double gaussianOf(SplittableRandom rng) {
    double u = 1.0 - rng.nextDouble();
    double v = rng.nextDouble();
    return Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2.0 * Math.PI * v);
  }

  static double auroc(Flow f, double[] xt, double[] jac, int m, TabularProtocol.Split sp) {
    double[] lp = f.logProb(xt, m);
    double[] nll = new double[m];
    for (int i = 0; i < m; i++) nll[i] = -(lp[i] + jac[i]);
    return Metrics.auroc(nll, sp.testLabels());
  }
}
