import io.flowguard.core.data.*;
import io.flowguard.core.eval.*;
import io.flowguard.core.flow.*;
import io.flowguard.core.model.*;
import io.flowguard.core.nn.Workspace;
import io.flowguard.core.train.*;
import java.nio.file.*;
import java.util.*;

/**
 * Quality experiment behind bench/quality-log.md's "A kernel base in the flow's latent space": for each
 * seed of the PROTOCOL.md tabular split, trains the default model's flow (AutoConfig, exactly the rows
 * and seed `evaluate` uses) and then scores the test rows three ways: the trained flow (its mixture base),
 * and the same transform with its base replaced by a Gaussian kernel density estimate of the latent codes
 * of the fitted rows, with Scott's bandwidth n^(-1/(d+4)) scaled by the codes' per-dimension standard
 * deviations (diag) or by their covariance (full, as scipy's gaussian_kde). A kernel base is a proper
 * density, log p(x) = log KDE(f^-1(x)) + log |det J_f^-1(x)|, which integrates to one. For reference
 * the same two KDEs in the preprocessed space (the flow's input) are printed too. Prints per seed
 * AUROC and the protocol's test NLL of each. Not a product path.
 *
 *   mvn -B -q -pl flow-core -am package -DskipTests
 *   java -cp "flow-core/target/flowguard.jar:flow-core/target/lib/*" bench/experiments/LatentKdeExperiment.java \
 *       ../shared/data/glass/glass.csv 0,1,2
 */
public class LatentKdeExperiment {
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
      int n = fit.rows();
      double[] x = pre.apply(fit.values(), n);
      double[] xt = pre.apply(test.values(), test.rows());
      int m = test.rows();
      double[] jac = new double[m];
      for (int i = 0; i < m; i++) jac[i] = pre.logJacobian(test.values(), i * test.dim());
      double logScale = TabularProtocol.standardizationLogScale(train, pre.keptFeatures());

      Flow flow = FlowFactory.create(spec, seed);
      new Trainer(o.training(), TrainingListener.NONE).fit(flow, x, n, true, pre.dequantization());
      double[] theta = flow.parameters();
      double[] lpFlow = flow.logProb(xt, m);
      double[] zTrain = flow.toLatent(x, n);
      double[] zTest = new double[m * d];
      double[] ld = new double[m];
      flow.transform().inverse(theta, xt, zTest, ld, m, new Workspace());

      StringBuilder out = new StringBuilder();
      out.append(report("flow", lpFlow, jac, sp, logScale));
      out.append(report("latent-diag", add(kde(zTrain, n, zTest, m, d, false), ld), jac, sp, logScale));
      out.append(report("latent-full", add(kde(zTrain, n, zTest, m, d, true), ld), jac, sp, logScale));
      out.append(report("input-diag", kde(x, n, xt, m, d, false), jac, sp, logScale));
      out.append(report("input-full", kde(x, n, xt, m, d, true), jac, sp, logScale));
      System.out.printf(Locale.ROOT, "%s seed %d n=%d d=%d%s%n", file.getFileName(), seed, n, d, out);
    }
  }

  static double[] add(double[] a, double[] b) {
    double[] c = a.clone();
    for (int i = 0; i < c.length; i++) c[i] += b[i];
    return c;
  }

  static String report(String name, double[] lp, double[] jac, TabularProtocol.Split sp, double logScale) {
    int m = lp.length;
    double[] nll = new double[m];
    double tn = 0;
    for (int i = 0; i < m; i++) {
      nll[i] = -(lp[i] + jac[i]);
      if (i < sp.normalTest()) tn += nll[i];
    }
    return String.format(Locale.ROOT, " %s=%.4f/%.2f", name, Metrics.auroc(nll, sp.testLabels()), tn / sp.normalTest() + logScale);
  }

  /**
   * Log-density of a Gaussian KDE of the n rows of {@code pts} at the m rows of {@code q}: bandwidth
   * matrix h^2 S with h = n^(-1/(d+4)) and S the rows' covariance (full) or its diagonal (diag).
   */
  static double[] kde(double[] pts, int n, double[] q, int m, int d, boolean full) {
    double[] mean = new double[d];
    for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) mean[j] += pts[i * d + j] / n;
    double[] cov = new double[d * d];
    for (int i = 0; i < n; i++)
      for (int j = 0; j < d; j++)
        for (int k = 0; k < d; k++)
          cov[j * d + k] += (pts[i * d + j] - mean[j]) * (pts[i * d + k] - mean[k]) / (n - 1);
    if (!full) {
      for (int j = 0; j < d; j++) for (int k = 0; k < d; k++) if (j != k) cov[j * d + k] = 0;
    }
    // Cholesky with a small ridge where needed.
    double[] L = null;
    for (double ridge = 0; L == null; ridge = ridge == 0 ? 1e-9 : ridge * 10) {
      L = cholesky(cov, d, ridge);
    }
    double h = Math.pow(n, -1.0 / (d + 4));
    double logDetL = 0;
    for (int j = 0; j < d; j++) logDetL += Math.log(L[j * d + j]);
    double[] wp = whiten(pts, n, d, L, h);
    double[] wq = whiten(q, m, d, L, h);
    double norm = -Math.log(n) - 0.5 * d * Math.log(2 * Math.PI) - d * Math.log(h) - logDetL;
    double[] out = new double[m];
    double[] e = new double[n];
    for (int r = 0; r < m; r++) {
      double mx = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < d; j++) {
          double t = wq[r * d + j] - wp[i * d + j];
          s += t * t;
        }
        e[i] = -0.5 * s;
        mx = Math.max(mx, e[i]);
      }
      double sum = 0;
      for (int i = 0; i < n; i++) sum += Math.exp(e[i] - mx);
      out[r] = mx + Math.log(sum) + norm;
    }
    return out;
  }

  static double[] cholesky(double[] a, int d, double ridge) {
    double scale = 0;
    for (int j = 0; j < d; j++) scale += a[j * d + j] / d;
    double[] L = new double[d * d];
    for (int j = 0; j < d; j++) {
      for (int k = 0; k <= j; k++) {
        double s = a[j * d + k] + (j == k ? ridge * scale : 0);
        for (int p = 0; p < k; p++) s -= L[j * d + p] * L[k * d + p];
        if (j == k) {
          if (!(s > 1e-12 * (a[j * d + j] + ridge * scale))) return null;
          L[j * d + j] = Math.sqrt(s);
        } else {
          L[j * d + k] = s / L[k * d + k];
        }
      }
    }
    return L;
  }

  /** Rows solved against L and divided by h: the kernel is then the standard normal. */
  static double[] whiten(double[] v, int n, int d, double[] L, double h) {
    double[] w = new double[n * d];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        double s = v[i * d + j];
        for (int p = 0; p < j; p++) s -= L[j * d + p] * w[i * d + p] * h;
        w[i * d + j] = s / L[j * d + j] / h;
      }
    }
    return w;
  }
}
